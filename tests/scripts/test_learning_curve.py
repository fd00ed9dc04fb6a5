"""scripts/learning_curve.py: a run's validation loss and FID points against the step."""

import json
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import learning_curve  # noqa: E402


def test_a_resumed_run_counts_the_last_record_of_each_step(tmp_path):
    records = [{"step": 50, "loss": 0.3}, {"step": 1000, "val_l1": 0.2},
               {"step": 2000, "val_l1": 0.19}, {"step": 1500, "precision": "fp32"},
               {"step": 2000, "val_l1": 0.18}, {"step": 3000, "val_l1": 0.17}]
    (tmp_path / "log.jsonl").write_text("\n".join(map(json.dumps, records)) + "\n")
    assert learning_curve.validation_curve(tmp_path) == [(1000, 0.2), (2000, 0.18),
                                                         (3000, 0.17)]
    points = [{"step": 2000, "n": 300, "seed": 0, "tacos": {"FID": 70.0}, "direct": {"FID": 9}},
              {"step": 3000, "n": 300, "seed": 1, "tacos": {"FID": 60.0}},
              {"step": 3000, "n": 300, "seed": 0, "tacos": {"FID": 65.0}}]
    (tmp_path / "curve.jsonl").write_text("\n".join(map(json.dumps, points)) + "\n")
    assert learning_curve.fid_curve(tmp_path) == {"tacos, n=300": [(2000, 70.0), (3000, 65.0)],
                                                  "direct, n=300": [(2000, 9)]}
    assert learning_curve.main([str(tmp_path)]) == 0
    for name in ("learning-curve.png", "learning-curve-fid.png"):
        assert Image.open(tmp_path / name).size == (860, 440)


def test_a_folder_without_a_log_or_a_validation_loss_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a training run"):
        learning_curve.validation_curve(tmp_path)
    (tmp_path / "log.jsonl").write_text(json.dumps({"step": 50, "loss": 0.3}) + "\n")
    with pytest.raises(SystemExit):
        learning_curve.main([str(tmp_path)])


def test_several_runs_draw_one_picture_of_their_fid_points(tmp_path, capsys):
    cold, hot = tmp_path / "cold", tmp_path / "hot"
    for run, sampler, fids in ((cold, "tacos", (90.0, 70.0)), (hot, "estimated", (30.0, 12.0))):
        run.mkdir()
        points = [{"step": step, "n": n, "seed": 0, sampler: {"FID": fid}}
                  for step, fid in zip((5000, 20000), fids, strict=True) for n in (300, 1000)]
        (run / "curve.jsonl").write_text("\n".join(map(json.dumps, points)) + "\n")
    assert learning_curve.fid_curve(cold, 1000) == {"tacos, n=1000": [(5000, 90.0),
                                                                      (20000, 70.0)]}
    out = tmp_path / "both.png"
    with pytest.raises(SystemExit):
        learning_curve.main([str(cold), str(hot)])  # several runs: --out is needed
    assert learning_curve.main([str(cold), str(hot), "--n", "300", "--out", str(out)]) == 0
    assert Image.open(out).size == (860, 440)
    with pytest.raises(SystemExit, match=r"no FID points .* of 50 samples"):
        learning_curve.main([str(cold), str(hot), "--n", "50", "--out", str(out)])
