"""``python -m restore.train``: train a network from the command line.

Every field of :class:`restore.RunConfig` is an option; the degradation is a known factory
(:mod:`restore.degradations`: ``degrade``'s operators, installed and registered factories) and
its arguments:

    python -m restore.train --data mnist --degradation zoo:schedule \\
        --degradation-arg name=mnist-blur --steps 5000 --lr 1e-4 --out runs/mnist-blur
    python -m restore.train --data mnist --degradation degrade:GaussianBlurSchedule.constant \\
        --degradation-arg kernel_size=11 --degradation-arg num_steps=20 \\
        --degradation-arg sigma=7 --out runs/blur
    python -m restore.train --config runs/mnist-blur/config.json --resume   # continue exactly
    torchrun --nproc_per_node 4 -m restore.train ...   # one process per GPU

``colddiff train SCHEDULE`` (the ``zoo`` package) fills the degradation and data in from a named
schedule.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import RunConfig
from .errors import for_command_line
from .options import Parser, add_run_options, run_config
from .run import main as run_main


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--config`` and ``--resume``, shared with ``colddiff train``."""
    parser.add_argument("--config", type=Path, help="start from this run configuration "
                        "(a run's config.json); the other options change it")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")


def parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="python -m restore.train",
        description="Train a network R(x, t) for a degradation D(x, t) (cold diffusion, "
        "section 3.1). Writes config.json, checkpoint.pt, log.jsonl and samples/*.png to --out.")
    add_config_options(p)
    add_run_options(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = run_config(args, RunConfig.load(args.config) if args.config else None)
    except (ValueError, TypeError) as error:
        print(f"python -m restore.train: error: {for_command_line(error)}", file=sys.stderr)
        return 2
    return run_main(config, resume=args.resume, prog="python -m restore.train")


if __name__ == "__main__":
    sys.exit(main())
