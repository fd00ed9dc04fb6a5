"""``python -m zoo.maintain.record NAME``: evaluate a model and record the figures in its card.

Runs :func:`zoo.evaluate` as ``colddiff evaluate`` does and writes the result into the model's
registry entry (``data/models.json`` in the package source), from which the model cards and
docs/results.md are generated.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..evaluate import evaluate
from ..registry import get_entry, package_path


def record_metrics(name: str, metrics: dict[str, Any], path: Path | None = None) -> Path:
    """Write an evaluation (``Evaluation.to_dict()``) into the entry of model ``name``."""
    get_entry(name)
    path = path or package_path("data/models.json")
    entries = json.loads(path.read_text())
    for entry in entries:
        if entry["name"] == name:
            entry["metrics"] = metrics
    path.write_text(json.dumps(entries, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.maintain.record",
                                description=__doc__.splitlines()[0])
    p.add_argument("model", help="a model of the registry")
    p.add_argument("--n", type=int, default=1000, help="how many images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=250)
    p.add_argument("--data-dir", type=Path, help="folder of the data files")
    p.add_argument("--rows", nargs="+", metavar="PREFIX",
                   help="record only the rows whose names start with these (default: all)")
    args = p.parse_args(argv)
    result = evaluate(args.model, n=args.n, seed=args.seed, batch_size=args.batch_size,
                      data_dir=args.data_dir, rows=args.rows, progress=True)
    print(f"{result.model}: {result.setting}\n\n{result.table()}")
    print(f"recorded in {record_metrics(args.model, result.to_dict())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
