"""``colddiff demo``: the main job, every model's demonstration figure."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..images import save_grid
from ..pretrained import load
from ..registry import list_models
from .common import Formatter, add_seed_option, at_least


def add_parser(commands: argparse._SubParsersAction) -> None:
    c = commands.add_parser("demo", help="the main job: restoration figures and a generation grid",
                            formatter_class=Formatter,
                            description="Restore the shipped test images with every "
                            "restoration model (degraded | direct | Algorithm 1 | TACoS | "
                            "original) and generate with every generation model.")
    c.add_argument("--out", type=Path, default=Path("colddiff-demo"),
                   help="folder of the PNGs (bash run.sh demo writes the repository's docs/img)")
    c.add_argument("--n", type=at_least(1), default=8, help="images per figure (rows)")
    add_seed_option(c, "seed of the draws")
    c.add_argument("--no-progress", action="store_true")
    c.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for entry in list_models():
        figure = load(entry["name"]).figure(args.n, seed=args.seed,
                                            progress=not args.no_progress)
        save_grid(figure.columns, args.out / f"{figure.name}.png", scale=figure.scale)
    return 0
