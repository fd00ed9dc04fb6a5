"""A training run's learning curve: its validation loss against the step (``log.jsonl``'s
``val_l1`` records), and its FID points where ``curve.jsonl`` holds them
(``scripts/curve_point.py``). Run from the repository root:

    python scripts/learning_curve.py zoo/training/celeba64-diffusion [--out curve.png]

By default the pictures are ``RUN/learning-curve.png`` and, with FID points,
``RUN/learning-curve-fid.png``. A run that was resumed logs some steps twice; the last record
of each step counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plots import line_plot


def validation_curve(run: Path) -> list[tuple[int, float]]:
    """``(step, val_l1)`` of the run's log, one per step (the last), in step order."""
    log = run / "log.jsonl"
    if not log.exists():
        raise FileNotFoundError(f"{run} holds no log.jsonl: not a training run's folder")
    points = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if "val_l1" in record:
            points[record["step"]] = record["val_l1"]
    return sorted(points.items())


def fid_curve(run: Path) -> dict[str, list[tuple[int, float]]]:
    """Each sampler's FID points of ``curve.jsonl`` (seed 0 only), by step."""
    path = run / "curve.jsonl"
    curves: dict[str, dict[int, float]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("seed", 0) != 0:
                continue
            for sampler, value in record.items():
                if isinstance(value, dict) and "FID" in value:
                    curves.setdefault(f"{sampler}, n={record['n']}", {})[record["step"]] = \
                        value["FID"]
    return {name: sorted(points.items()) for name, points in curves.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="a training run's folder")
    p.add_argument("--out", type=Path, help="the picture (default: RUN/learning-curve.png)")
    args = p.parse_args(argv)
    curve = validation_curve(args.run)
    if not curve:
        p.error(f"{args.run}/log.jsonl holds no validation loss yet")
    out = args.out or args.run / "learning-curve.png"
    line_plot({"validation L1": [(step, loss, "") for step, loss in curve]}, out,
              x_label="training step", y_label="validation L1", title=args.run.name)
    print(f"wrote {out}")
    fids = fid_curve(args.run)
    if fids:
        fid_out = out.with_name(out.stem + "-fid" + out.suffix)
        line_plot({name: [(step, fid, f"{fid:.0f}") for step, fid in points]
                   for name, points in fids.items()}, fid_out, x_label="training step",
                  y_label="FID", title=f"{args.run.name}: FID by sampler (seed 0)")
        print(f"wrote {fid_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
