"""The cold/warm/hot generation experiment script: models measured apart, merged in one file."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import generation_experiment  # noqa: E402
import results_page  # noqa: E402


@pytest.mark.mnist_data
def test_models_measured_in_turns_land_in_one_file_and_on_the_page(tmp_path, monkeypatch):
    out = tmp_path / "generation.json"
    monkeypatch.setattr(generation_experiment, "DATA", out)
    monkeypatch.setattr(results_page, "GENERATION_DATA", out)
    monkeypatch.setattr(generation_experiment, "MODELS", {"cold": "mnist-heat-gen",
                                                          "hot": "mnist-blur-diffusion"})
    common = ["--n", "4", "--seeds", "0", "--rows", "default", "--no-progress"]
    generation_experiment.main(["measure", "--kinds", "cold", *common])
    written = json.loads(out.read_text())
    cold = written["models"]["cold"]
    assert list(written["models"]) == ["cold"] and cold["model"] == "mnist-heat-gen"
    assert list(cold["rows"]) == [cold["default_row"]]
    assert cold["default_row"].startswith("TACoS, broken symmetry")
    assert "not timed yet" in "\n".join(results_page.generation_section())
    written["models"]["hot"] = written["models"]["cold"] | {"model": "a hot one"}
    out.write_text(json.dumps(written))
    generation_experiment.main(["measure", "--kinds", "cold", *common])
    assert json.loads(out.read_text())["models"]["hot"]["model"] == "a hot one"  # kept
    generation_experiment.main(["measure", "--kinds", "cold", *common[:4], "--rows", "Direct",
                                "--no-progress"])  # more rows of the same weights: kept
    rows = json.loads(out.read_text())["models"]["cold"]["rows"]
    assert list(rows) == [cold["default_row"], "Direct, broken symmetry (0.02)"]
    generation_experiment.main(["measure", "--kinds", "cold", *common[:2], "--seeds", "1",
                                *common[4:]])  # other seeds: a fresh file
    written = json.loads(out.read_text())
    assert list(written["models"]) == ["cold"] and written["seeds"] == [1]
    written["seeds"] = [0, 1]
    written["models"]["cold"]["rows"][cold["default_row"]]["0"] = 123.0
    out.write_text(json.dumps(written))
    generation_experiment.main(["measure", "--kinds", "cold", *common[:2], "--seeds", "1",
                                *common[4:]])  # one seed of a file of two: the other stays
    written = json.loads(out.read_text())
    assert written["seeds"] == [0, 1]
    assert list(written["models"]["cold"]["rows"][cold["default_row"]]) == ["0", "1"]
    assert written["models"]["cold"]["rows"][cold["default_row"]]["0"] == 123.0


def test_rows_measured_again_keep_their_other_seeds():
    before = {"A": {"0": 1.0, "1": 2.0}, "B": {"0": 3.0}}
    now = {"A": {"1": 5.0}, "C": {"1": 6.0}, "B": {"1": 4.0}}
    assert generation_experiment.merged_rows(before, now) == {
        "A": {"0": 1.0, "1": 5.0}, "B": {"0": 3.0, "1": 4.0}, "C": {"1": 6.0}}
    assert before == {"A": {"0": 1.0, "1": 2.0}, "B": {"0": 3.0}}  # not changed in place


def test_calls_per_sample_count_the_default_samplers_network_calls():
    import zoo

    cold, hot = zoo.load("mnist-heat-gen"), zoo.load("mnist-blur-diffusion")
    assert generation_experiment.calls_per_sample(cold) == cold.T == 100  # TACoS: every step
    assert hot.T == 1000 and generation_experiment.calls_per_sample(hot) == 100  # 100 jumps
    assert "blurring" in generation_experiment.MODELS
    from zoo.kinds import SoftGenerator

    assert next(iter(SoftGenerator.conditions(None))).startswith(
        generation_experiment.DEFAULT_ROWS["soft"])
    assert set(generation_experiment.MODELS) <= set(results_page.KINDS)
    import dataclasses

    import degrade

    blurring = dataclasses.replace(hot, D_train=degrade.BlurringDiffusion(1000, 20.0))
    rows = blurring.conditions()
    default = next(row for row in rows
                   if row.startswith(generation_experiment.DEFAULT_ROWS["blurring"]))
    assert rows[default] == blurring.default_sampling()  # the row is what generate(n) does


def test_rows_are_all_the_default_or_named_by_prefix():
    assert generation_experiment.chosen_rows(["all"], "TACoS") is None
    assert generation_experiment.chosen_rows(["default"], "TACoS") == ["TACoS"]
    assert generation_experiment.chosen_rows(["default", "Direct"], "TACoS") == [
        "TACoS", "Direct"]
