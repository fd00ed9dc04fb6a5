"""scripts/curve_point.py: a learning curve's point from a run's checkpoint, now or as
committed in git."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image
from restore.checkpoint import read as read_checkpoint
from restore.train import main as train

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import curve_point  # noqa: E402


def git(folder, *arguments):
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t",
                    *arguments], check=True, capture_output=True)


def test_a_point_is_taken_at_the_checkpoint_a_commit_holds(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    for i in range(16):
        Image.new("L", (16, 16), i * 15).save(images / f"{i}.png")
    run = tmp_path / "repo" / "run"
    common = ["--data-folder", str(images), "--channels", "1", "--preset", "tiny", "--batch",
              "4", "--degradation", "degrade:GaussianBlurSchedule.constant", "--degradation-arg",
              "kernel_size=3", "--degradation-arg", "num_steps=3", "--degradation-arg",
              "sigma=1", "--sample-every", "0", "--device", "cpu", "--no-progress",
              "--ema-start", "0", "--ema-every", "1", "--out", str(run)]
    assert train([*common, "--steps", "2"]) == 0
    git(tmp_path / "repo", "init", "-q")
    git(tmp_path / "repo", "add", "run/checkpoint.pt")
    git(tmp_path / "repo", "commit", "-q", "-m", "step 2")
    committed = read_checkpoint(run / "checkpoint.pt")["ema"]
    assert train([*common, "--steps", "4", "--resume"]) == 0
    now = read_checkpoint(run / "checkpoint.pt")["ema"]

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    step, model = curve_point.load_point(run, "HEAD", False, scratch)
    assert step == 2 and model.name == "run"
    weights = model.R.state_dict()
    assert all(torch.equal(weights[k], committed[k]) for k in weights)
    assert not all(torch.equal(weights[k], now[k]) for k in weights)
    step, model = curve_point.load_point(run, None, False, scratch)
    assert step == 4 and all(torch.equal(v, now[k]) for k, v in model.R.state_dict().items())
    with pytest.raises(ValueError, match=r"no run/checkpoint\.pt at commit no-such-commit"):
        curve_point.load_point(run, "no-such-commit", False, scratch)


def test_the_final_point_is_the_zoo_model_of_the_run_s_name(tmp_path):
    run = tmp_path / "mnist-blur"
    run.mkdir()
    step, model = curve_point.load_point(run, None, True, tmp_path)
    assert step == model.entry["training"]["steps"] and model.name == "mnist-blur"
