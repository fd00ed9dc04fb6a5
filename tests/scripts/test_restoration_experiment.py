"""InDI against cold diffusion on the same observations (issue 31): the experiment restores the
cold model's own observations with each method and scores what each returns."""

import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from restore.train import main as train_main

import zoo
from zoo import metrics

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import plots  # noqa: E402
import restoration_experiment as experiment  # noqa: E402


@pytest.fixture(scope="module")
def indi_runs(tmp_path_factory):
    """Tiny InDI restorers of cifar10-blur-indi and cifar10-sr-indi (one step each)."""
    root = tmp_path_factory.mktemp("indi")
    folder = root / "images"
    folder.mkdir()
    for i, image in enumerate(zoo.sample_images("cifar10", 12)):
        pixels = ((image + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
        Image.fromarray(pixels).save(folder / f"{i}.png")
    runs = {}
    for task, schedule, variant in (("blur", "blur", None), ("sr", "sr", None),
                                    ("noisy", "blur", "noisy")):
        runs[task] = root / task
        chosen = ["--degradation-arg", f"variant={variant}"] if variant else []
        assert train_main(["--data-folder", str(folder), "--degradation", "zoo:schedule",
                           "--degradation-arg", f"name=cifar10-{schedule}-indi", *chosen,
                           "--preset", "tiny", "--steps", "1", "--batch", "2", "--val-count",
                           "1", "--sample-every", "0", "--no-progress", "--out",
                           str(runs[task])]) == 0
    return runs


def test_each_method_restores_the_cold_models_own_observations(indi_runs, tmp_path):
    out = tmp_path / "results.json"
    assert experiment.main(["measure", "--task", "blur", "--indi", str(indi_runs["blur"]),
                            "--n", "8", "--images", "shipped", "--steps", "1", "2",
                            "--data", str(out)]) == 0
    rows = json.loads(out.read_text())["blur"]["rows"]
    assert [(r["method"], r["steps"]) for r in rows] == [
        ("degraded", None), ("direct (cifar10-blur)", 1), ("TACoS (cifar10-blur)", 1),
        ("TACoS (cifar10-blur)", 2), ("TACoS (cifar10-blur)", 50), ("InDI (blur)", 1),
        ("InDI (blur)", 2), ("InDI (blur)", 100)]
    cold, indi = zoo.load("cifar10-blur"), zoo.load(indi_runs["blur"])
    x0 = zoo.sample_images("cifar10", 8)
    y = cold.D(x0, cold.T)
    assert rows[0]["RMSE"] == pytest.approx(metrics.rmse(y, x0))
    assert rows[1]["RMSE"] == pytest.approx(metrics.rmse(cold.restore(y, sampler="direct"), x0))
    restored = indi.restore(y, sampler="indi", steps=2)
    assert rows[6]["RMSE"] == pytest.approx(metrics.rmse(restored, x0))
    assert rows[6]["SSIM"] == pytest.approx(metrics.ssim(restored, x0))
    assert all(np.isfinite(r["FID"]) for r in rows)
    errors = json.loads(out.read_text())["blur"]["path_error"]
    assert list(errors) == ["cold", "InDI"] and list(errors["InDI"]) == list(experiment.PATH_STEPS)
    with torch.no_grad():
        one_call = cold.R(y, torch.full((8,), cold.T))
        assert errors["cold"]["T"] == pytest.approx(metrics.rmse(one_call, x0))
        x_t = indi.D(x0, indi.T - 1)
        one_call = indi.R(x_t, torch.full((8,), indi.T - 1))
    assert errors["InDI"]["T - 1"] == pytest.approx(metrics.rmse(one_call, x0))
    written = json.loads(out.read_text())
    out.write_text(json.dumps(written | {"notes": {"blur": "The verdict on blur."}}))
    assert experiment.main(["plot", "--data", str(out), "--img", str(tmp_path)]) == 0
    assert Image.open(tmp_path / "perception-distortion-blur.png").size == (860, 440)
    assert not (tmp_path / "perception-distortion-notes.png").exists()


def test_the_results_page_shows_each_task_and_keeps_its_verdict(indi_runs, tmp_path,
                                                                 monkeypatch):
    import results_page

    out = tmp_path / "results.json"
    monkeypatch.setattr(results_page, "RESTORATION_DATA", out)
    assert results_page.restoration_section() == []
    out.write_text(json.dumps({"notes": {"sr": "The verdict on super-resolution."}}))
    assert results_page.restoration_section() == []  # a verdict alone: no figures to show
    assert experiment.main(["measure", "--task", "sr", "--indi", str(indi_runs["sr"]),
                            "--n", "4", "--images", "shipped", "--steps", "1",
                            "--data", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["notes"] == {"sr": "The verdict on super-resolution."}  # kept
    page = "\n".join(results_page.restoration_section())
    assert "### `cifar10-sr`" in page and "cifar10-blur`" not in page
    assert "img/perception-distortion-sr.png" in page
    assert page.rstrip().endswith("The verdict on super-resolution.")
    row = next(r for r in written["sr"]["rows"] if r["method"].startswith("InDI"))
    assert (f"| {row['method']} | 1 | {row['RMSE']:.4f} | {row['SSIM']:.3f} | "
            f"{row['PSNR']:.2f} | {row['FID']:.2f} |") in page
    assert "4 images (the first 4 shipped test images), degraded with seed 0" in page
    errors = written["sr"]["path_error"]["InDI"]
    assert ("| InDI | " + " | ".join(f"{errors[t]:.4f}" for t in experiment.PATH_STEPS) +
            " |") in page
    assert "| model | t = T | t = T - 1 | t = 0.9 T | t = 0.5 T | t = 0.1 T |" in page


def test_only_measures_the_methods_named_and_keeps_the_others_rows(indi_runs, tmp_path):
    out = tmp_path / "results.json"
    common = ["--task", "blur", "--images", "shipped", "--steps", "1", "--data", str(out)]
    with pytest.raises(SystemExit, match="measure the task without --only first"):
        experiment.main(["measure", "--noisy", str(indi_runs["noisy"]), "--only", "noisy",
                         "--n", "4", *common])
    assert experiment.main(["measure", "--indi", str(indi_runs["blur"]), "--n", "4",
                            *common]) == 0
    first = json.loads(out.read_text())["blur"]
    out.write_text(json.dumps({"blur": first, "notes": {"blur": "kept"}}))
    with pytest.raises(SystemExit, match="needs --noisy MODEL"):
        experiment.main(["measure", "--only", "noisy", "--n", "4", *common])
    with pytest.raises(SystemExit, match=r"rows of different images.*n 4.*n 3"):
        experiment.main(["measure", "--noisy", str(indi_runs["noisy"]), "--only", "noisy",
                         "--n", "3", *common])
    assert experiment.main(["measure", "--noisy", str(indi_runs["noisy"]), "--only", "noisy",
                            "--n", "4", *common]) == 0
    written = json.loads(out.read_text())
    assert written["notes"] == {"blur": "kept"}
    second = written["blur"]
    noisy = [r for r in second["rows"] if r["method"].startswith("InDI, noisy")]
    assert [(r["method"], r["steps"]) for r in noisy] == [("InDI, noisy (noisy)", 1),
                                                          ("InDI, noisy (noisy)", 100)]
    assert second["rows"] == first["rows"] + noisy
    assert list(second["path_error"]) == ["cold", "InDI", "InDI, noisy"]
    assert list(second["models"]) == ["cold", "InDI", "InDI, noisy"]
    assert second["path_error"]["InDI"] == first["path_error"]["InDI"]
    assert experiment.main(["measure", "--indi", str(indi_runs["blur"]), "--only", "indi",
                            "--n", "4", *common]) == 0
    third = json.loads(out.read_text())["blur"]
    assert [r["method"] for r in third["rows"]] == [r["method"] for r in second["rows"]]
    assert [r["RMSE"] for r in third["rows"]] == pytest.approx([r["RMSE"] for r in
                                                                second["rows"]])
    assert [experiment.role(r["method"]) for r in third["rows"]] == \
        ["cold"] * 4 + ["InDI"] * 2 + ["InDI, noisy"] * 2


def test_an_indi_model_of_another_observation_is_refused(indi_runs, tmp_path):
    with pytest.raises(ValueError, match="does not end at cifar10-sr's observations"):
        experiment.main(["measure", "--task", "sr", "--indi", str(indi_runs["blur"]), "--n",
                         "4", "--images", "shipped", "--steps", "1", "--data",
                         str(tmp_path / "x.json")])
    with pytest.raises(ValueError, match="not a restorer of InDI's path"):
        x0 = zoo.sample_images("cifar10", 2)
        experiment.indi_start(zoo.load("cifar10-sr"), zoo.load("cifar10-sr"), x0, x0, 0)


def test_every_model_also_runs_all_of_its_steps():
    assert experiment.step_counts([1, 2, 5, 10], 3) == [1, 2, 3]  # cifar10-sr's T = 3
    assert experiment.step_counts([1, 2, 5, 10, 25, 50, 100], 50) == [1, 2, 5, 10, 25, 50]
    assert experiment.step_counts([10, 1], 100) == [1, 10, 100]


def test_test_images_spread_over_the_sorted_classes(monkeypatch):
    class Fake:
        def tensor(self):
            return torch.arange(100.0).view(100, 1, 1, 1)

    monkeypatch.setattr(experiment.data, "load", lambda name, split: Fake())
    images, chosen = experiment.test_images(10, "test")
    assert images.flatten().tolist() == list(range(0, 100, 10))
    assert chosen == "every 10th of the 100 test images"


@pytest.mark.parametrize("low, high", [(0.06, 0.31), (3.2, 58.0), (0.0, 1.0), (5.0, 5.0),
                                       (-2.5, 0.4)])
def test_ticks_are_round_and_cover_the_range(low, high):
    ticks = plots.nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high and 3 <= len(ticks) <= 8
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    mantissa = f"{steps.pop():e}".split("e")[0]
    assert float(mantissa) in (1.0, 2.0, 5.0)
    with pytest.raises(ValueError, match="finite"):
        plots.nice_ticks(0.0, float("nan"))
    with pytest.raises(ValueError, match="empty"):
        plots.line_plot({"a": []}, "x.png", x_label="x", y_label="y")
