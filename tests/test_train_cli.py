"""python -m restore.train: a run from the command line, its resume, its seed and its errors."""

import subprocess
import sys

import torch
from PIL import Image


def run(*args):
    return subprocess.run([sys.executable, "-m", "restore.train", *args], capture_output=True,
                          text=True, timeout=300)


def tiny_run(tmp_path, count=40):
    """Arguments for a tiny run on a folder of ``count`` grey 16x16 images."""
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)
    for i in range(count):
        Image.new("L", (16, 16), i * 6).save(folder / f"{i}.png")
    return ["--data-folder", str(folder), "--channels", "1", "--preset", "tiny", "--batch", "4",
            "--T", "5", "--kernel-size", "3", "--sigma", "1", "--sample-every", "0",
            "--device", "cpu", "--no-progress"]


def test_train_resume_and_refuse(tmp_path):
    common = [*tiny_run(tmp_path), "--out", str(tmp_path / "run")]
    first = run(*common, "--steps", "3")
    assert first.returncode == 0, first.stderr
    assert "tiny U-Net" in first.stderr
    assert (tmp_path / "run" / "samples" / "step-0000003.png").exists()
    again = run(*common, "--steps", "3")
    assert again.returncode == 2 and "--resume" in again.stderr
    resumed = run(*common, "--steps", "5", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert (tmp_path / "run" / "samples" / "step-0000005.png").exists()


def test_the_same_seed_gives_the_same_weights(tmp_path):
    common = [*tiny_run(tmp_path, count=24), "--steps", "2"]
    for name in ("a", "b"):
        result = run(*common, "--out", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
    a = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_bad_arguments(tmp_path):
    missing = run("--data", "mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "r"))
    assert missing.returncode == 2 and "mnist.npz not found" in missing.stderr
    neither = run("--out", str(tmp_path / "r"))
    assert neither.returncode == 2 and "exactly one of --data and --data-folder" in neither.stderr
    assert "--sigma-rule" in run("--help").stdout
