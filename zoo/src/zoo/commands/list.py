"""``colddiff list``: the named schedules and the pretrained models."""

from __future__ import annotations

import argparse

from ..registry import list_models
from ..schedules import list_schedules
from .common import Formatter


def add_parser(commands: argparse._SubParsersAction) -> None:
    c = commands.add_parser("list", help="the named schedules and pretrained models",
                            formatter_class=Formatter)
    c.add_argument("--schedules", action="store_true", help="only the schedules")
    c.add_argument("--models", action="store_true", help="only the models")
    c.add_argument("-v", "--verbose", action="store_true",
                   help="each schedule's description and its differences from the paper's code")
    c.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.models:
        print(f"{'schedule':<20} {'task':<17} {'data':<8} {'size':>5} {'T':>5}  operator")
        for s in list_schedules():
            print(f"{s.name:<20} {s.task:<17} {s.dataset:<8} {s.image_size:>5} {s.T:>5}  "
                  f"{s.operator}")
    if not args.schedules:
        if not args.models:
            print()
        print(f"{'model':<20} {'schedule':<20} {'parameters':>11} {'steps':>8}  measured")
        for entry in list_models():
            measured = "yes" if entry.get("metrics") else "not yet"
            print(f"{entry['name']:<20} {entry['schedule']:<20} "
                  f"{entry['architecture']['parameters']:>11,} {entry['training']['steps']:>8,}"
                  f"  {measured}")
    if args.verbose:
        for s in list_schedules():
            print(f"\n{s.name} ({s.source}):\n  {s.description}\n  differences: {s.differences}")
    return 0
