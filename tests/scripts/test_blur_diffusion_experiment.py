"""The blur diffusion experiment script runs end to end (tiny settings; the real run is long)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import blur_diffusion_experiment


@pytest.fixture
def run(capsys):
    def run(*args):
        blur_diffusion_experiment.main([str(a) for a in args])
        return capsys.readouterr().out
    return run


@pytest.mark.mnist_data
@pytest.mark.e2e
def test_train_evaluate_and_draw(tmp_path, run):
    tiny = ["--N", "20", "--batch", "8", "--preset", "tiny", "--sample-every", "2",
            "--no-progress", "--device", "cpu", "--out", tmp_path]
    for variant in ("blur", "standard"):
        run("train", "--variant", variant, "--steps", "3", *tiny)
    out = run("evaluate", "--n", "16", *tiny)
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results) == {"blur", "standard"}
    for variant in results.values():
        assert variant["steps_trained"] == 3 and variant["fid_name"] == "FID-mnistnet"
        assert {"Stochastic, 20 steps (eq. 19)", "Deterministic, 20 steps"} <= set(
            variant["rows"])
        assert all(value >= 0 for value in variant["rows"].values())
    assert json.loads((tmp_path / "blur" / "evaluation.json").read_text())["fid_name"] == (
        "FID-mnistnet")
    assert "FID-mnistnet" in out
    run("figure", *tiny)
    assert (tmp_path / "trajectories.png").exists()
