"""scripts/gpu_run.py, the script a session lent a GPU runs: its whole logic on the CPU with a
tiny budget (CI), and what it brings back fits what the device tool returns."""

import json
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from restore import data

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import gpu_run  # noqa: E402


def _has(name):
    try:
        data.data_path(data.FILES[name])
    except FileNotFoundError:
        return False
    return True


def test_without_a_gpu_it_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_run.main(["--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no CUDA GPU" in err
    assert not (tmp_path / "out").exists()


def test_a_folder_is_packed_into_parts_that_join_back(tmp_path, monkeypatch):
    monkeypatch.setattr(gpu_run, "PART_BYTES", 1000)
    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    (run / "checkpoint.pt").write_bytes(bytes(range(256)) * 10)
    (run / "samples" / "grid.png").write_bytes(b"png" * 100)
    parts = gpu_run.pack(run, tmp_path / "run")
    assert [p.name for p in parts] == [f"run.tar.part{i}" for i in range(len(parts))]
    assert len(parts) > 2 and all(p.stat().st_size <= 1000 for p in parts)
    assert not run.exists()
    joined = tmp_path / "joined.tar"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    with tarfile.open(joined) as tar:
        tar.extractall(tmp_path / "back", filter="data")
    assert (tmp_path / "back/run/checkpoint.pt").read_bytes() == bytes(range(256)) * 10
    assert (tmp_path / "back/run/samples/grid.png").read_bytes() == b"png" * 100


def test_the_gpu_scale_runs_fit_what_the_device_tool_brings_back():
    """A width-40 run's checkpoint (weights, moving average, Adam's two moments) in float32,
    two of them in at most 8 files of 16 MiB, 64 MiB in all; the zoo plan's eight width-16
    runs too."""
    from restore import UNet

    parameters = UNet.preset("small", in_channels=3, channels=gpu_run.GPU_WIDTH).num_parameters()
    checkpoint = 4 * 4 * parameters
    parts = -(-checkpoint // gpu_run.PART_BYTES)
    assert gpu_run.PART_BYTES <= 16 * 2**20
    assert len(gpu_run.MODELS) * parts + 1 <= 8
    assert len(gpu_run.MODELS) * checkpoint < 60 * 2**20
    small = 4 * 4 * UNet.preset("small", in_channels=3, channels=16).num_parameters()
    assert 1 + -(-len(gpu_run.ZOO_MODELS) * small // gpu_run.PART_BYTES) <= 8   # the zoo plan


needs_faces = pytest.mark.skipif(
    not (_has("celeba") and _has("afhq")),
    reason="needs celeba64_subset.npz and afhq_cat64.npz ($COLDDIFF_DATA or ../shared/data)")


@needs_faces
def test_prepare_keeps_the_training_splits_alone(tmp_path):
    assert gpu_run.main(["--prepare", "--out", str(tmp_path)]) == 0
    for name in ("celeba", "afhq"):
        with np.load(tmp_path / data.FILES[name]) as archive:
            assert all(key.startswith("train_") for key in archive.files)
        assert len(data.load(name, "train", tmp_path)) == len(data.load(name, "train"))
    total = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert total < 36 * 2**20


def test_the_zoo_plan_trains_each_missing_model_at_the_zoos_own_recipe(tmp_path):
    """The runs the zoo plan brings back are the CPU recipe's runs, in float32 so that the CPU
    resumes them: only where they compute, their deadline and how often they report differ."""
    import zoo

    for schedule in gpu_run.ZOO_MODELS:
        ours = gpu_run.recipe_config(schedule, tmp_path, "cuda", False, 60.0, "d").to_dict()
        recipe = zoo.named_schedule(schedule).run_config(recipe="cpu").to_dict()
        assert ours["train"].pop("precision") == "fp32"
        assert ours["train"].pop("device") == "cuda" and ours["train"].pop("max_seconds") == 60
        for key in ("precision", "device", "max_seconds"):
            recipe["train"].pop(key)
        for key in ("checkpoint_every", "sample_every", "progress"):
            ours["train"].pop(key), recipe["train"].pop(key)
        assert ours.pop("out") == str(tmp_path) and ours["data"].pop("data_dir") == "d"
        recipe.pop("out"), recipe["data"].pop("data_dir")
        assert ours == recipe, schedule
    assert {zoo.named_schedule(s).dataset for s in gpu_run.ZOO_MODELS} == {"celeba"}
    assert gpu_run.missing(("celeba64-blur-gen", "not-yet")) == ("not-yet",)


@pytest.mark.e2e
@needs_faces
def test_a_wide_run_is_packed_and_loads(tmp_path):
    import zoo

    schedule = gpu_run.MODELS[0]
    record = gpu_run.train_model(schedule, tmp_path, "cpu", True, 30.0, None)
    assert record["steps"] == 2 and record["images_per_second"] > 0
    archive = tmp_path / f"{schedule}.tar"
    archive.write_bytes(b"".join((tmp_path / p).read_bytes() for p in record["parts"]))
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "back", filter="data")
    model = zoo.from_checkpoint(tmp_path / "back" / schedule / "checkpoint.pt")
    assert model.schedule.name == schedule and model.image_size == 64


@pytest.mark.e2e
@needs_faces
def test_the_whole_script_runs_on_a_cpu_with_a_tiny_budget(tmp_path, monkeypatch):
    """The smoke checks, then the zoo plan (two of its runs, to keep it quick): every run comes
    back in the parts, and the CPU resumes it where the deadline stopped it."""
    from zoo.cli import main as colddiff

    monkeypatch.setattr(gpu_run, "ZOO_MODELS", ("celeba64-sr-gen", "celeba64-inpaint"))
    monkeypatch.setattr(gpu_run, "missing", tuple)    # as if neither were in the zoo yet
    out = tmp_path / "out"
    assert gpu_run.main(["--out", str(out), "--device", "cpu", "--tiny", "--minutes", "2"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    smoke = summary["smoke"]
    assert smoke["training"] == {"steps": 6, "precision": "bf16",
                                 "hardware": smoke["training"]["hardware"]}
    assert smoke["fp16"]["steps"] == 2 and smoke["sampling"] == "finite"
    assert set(smoke["restoration"]["rmse"]) == {"tacos", "direct"}
    assert all(row["relative"] <= gpu_run.RMSE_TOLERANCE
               for row in smoke["restoration"]["rmse"].values())
    files = sorted(out.iterdir())
    assert len(files) <= 8 and all(f.is_file() and f.stat().st_size <= 16 * 2**20
                                   for f in files)
    zoo_plan = summary["zoo"]
    assert summary["plan"] == "zoo" and set(zoo_plan["runs"]) == set(gpu_run.ZOO_MODELS)
    assert all(r["returncode"] == 0 and r["steps"] == r["planned_steps"] == 2
               for r in zoo_plan["runs"].values())
    archive = tmp_path / "zoo-runs.tar"
    archive.write_bytes(b"".join((out / p).read_bytes() for p in zoo_plan["parts"]))
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "back", filter="data")
    run = tmp_path / "back" / "runs" / "celeba64-inpaint"
    config = json.loads((run / "config.json").read_text())
    assert config["train"]["precision"] == "fp32" and config["objective"] == "x0-walk"
    assert colddiff(["train", "--config", str(run / "config.json"), "--out", str(run),
                     "--resume", "--steps", "3", "--device", "cpu", "--no-progress"]) == 0
    log = (run / "log.jsonl").read_text().splitlines()
    assert max(json.loads(line).get("step", 0) for line in log) == 3
