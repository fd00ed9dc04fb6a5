"""A training run's learning curve: its validation loss against the step (``log.jsonl``'s
``val_l1`` records), and its FID points where ``curve.jsonl`` holds them
(``scripts/curve_point.py``). Run from the repository root:

    python scripts/learning_curve.py zoo/training/celeba64-diffusion [--out curve.png]
    python scripts/learning_curve.py zoo/training/celeba64-heat-gen \
        zoo/training/celeba64-hot-gen --n 300 --out docs/img/cold-hot-curve.png

By default the pictures are ``RUN/learning-curve.png`` and, with FID points,
``RUN/learning-curve-fid.png``. With several runs, one picture (``--out``) draws all their FID
points, each series named by its run. A run that was resumed logs some steps twice; the last
record of each step counts.
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


def fid_curve(run: Path, n: int | None = None) -> dict[str, list[tuple[int, float]]]:
    """Each sampler's FID points of ``curve.jsonl`` (seed 0 only; of ``n`` samples only if
    given), by step."""
    path = run / "curve.jsonl"
    curves: dict[str, dict[int, float]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("seed", 0) != 0 or n not in (None, record["n"]):
                continue
            for sampler, value in record.items():
                if isinstance(value, dict) and "FID" in value:
                    curves.setdefault(f"{sampler}, n={record['n']}", {})[record["step"]] = \
                        value["FID"]
    return {name: sorted(points.items()) for name, points in curves.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, nargs="+", help="a training run's folder (or several)")
    p.add_argument("--out", type=Path, help="the picture (default: RUN/learning-curve.png)")
    p.add_argument("--n", type=int, help="only the FID points of this many samples")
    args = p.parse_args(argv)
    if len(args.run) > 1:
        if args.out is None:
            p.error("several runs draw one picture: name it with --out")
        return compare(args.run, args.out, args.n)
    args.run = args.run[0]
    curve = validation_curve(args.run)
    if not curve:
        p.error(f"{args.run}/log.jsonl holds no validation loss yet")
    out = args.out or args.run / "learning-curve.png"
    line_plot({"validation L1": [(step, loss, "") for step, loss in curve]}, out,
              x_label="training step", y_label="validation L1", title=args.run.name)
    print(f"wrote {out}")
    fids = fid_curve(args.run, args.n)
    if fids:
        fid_out = out.with_name(out.stem + "-fid" + out.suffix)
        line_plot({name: [(step, fid, f"{fid:.0f}") for step, fid in points]
                   for name, points in fids.items()}, fid_out, x_label="training step",
                  y_label="FID", title=f"{args.run.name}: FID by sampler (seed 0)")
        print(f"wrote {fid_out}")
    return 0


def compare(runs: list[Path], out: Path, n: int | None) -> int:
    """One picture of several runs' FID points, each series named ``run: sampler, n``."""
    series = {f"{run.name}: {name}": [(step, fid, f"{fid:.0f}") for step, fid in points]
              for run in runs for name, points in fid_curve(run, n).items()}
    if not series:
        raise SystemExit(f"no FID points in {', '.join(str(run) for run in runs)}"
                         + (f" of {n} samples" if n else ""))
    line_plot(series, out, x_label="training step", y_label="FID",
              title="FID by run and sampler (seed 0)")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
