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
        print_table(("schedule", "task", "data", ">size", ">T", "operator"),
                    [(s.name, s.task, s.dataset, str(s.image_size), str(s.T), s.operator)
                     for s in list_schedules()])
    if not args.schedules:
        if not args.models:
            print()
        print_table(("model", "schedule", ">parameters", ">steps", "measured"),
                    [(e["name"], e["schedule"], f"{e['architecture']['parameters']:,}",
                      f"{e['training']['steps']:,}", "yes" if e.get("metrics") else "not yet")
                     for e in list_models()])
    if args.verbose:
        for s in list_schedules():
            print(f"\n{s.name} ({s.source}):\n  {s.description}\n  differences: {s.differences}")
    return 0


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns as wide as their longest cell, two spaces apart; a heading that starts with
    ``>`` right-aligns its column."""
    names = [name.removeprefix(">") for name in header]
    widths = [max(len(cell) for cell in column) for column in zip(names, *rows, strict=True)]
    for row in (names, *rows):
        cells = zip(header, row, widths, strict=True)
        print("  ".join(cell.rjust(width) if name.startswith(">") else cell.ljust(width)
                        for name, cell, width in cells).rstrip())
