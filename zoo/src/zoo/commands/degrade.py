"""``colddiff degrade``: the ``D(x0, t)`` of a named schedule or of a model, for image
files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from ..images import quantisation_cost, read_images, save_grid, save_images
from ..pretrained import load
from ..registry import registry
from ..schedules import list_schedules, named_schedule
from .common import (
    Formatter,
    add_output_options,
    add_seed_option,
    at_least,
    check_memory,
    check_step,
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    c = commands.add_parser("degrade", help="apply a named schedule to image files",
                            formatter_class=Formatter,
                            description="Draw D(x0, t) of a named schedule, or of the "
                            "degradation a model trained on, for image files: a PNG grid with "
                            "a row per image, x0 and each t.")
    c.add_argument("schedule", help="a named schedule (colddiff list --schedules), or a model: "
                   "a zoo name, a model folder, a run folder or a checkpoint")
    c.add_argument("images", nargs="+", type=Path, help="image files (PNG, JPEG, ...)")
    c.add_argument("--t", type=int, nargs="+", help="steps to show (default: T)")
    c.add_argument("--variant", help="another set of the schedule's values (list -v)")
    c.add_argument("--size", type=at_least(1),
                   help="resize to this side (default: the schedule's)")
    c.add_argument("--invert", action="store_true", help="invert grey levels (dark digits)")
    add_seed_option(c, "seed of random parameters")
    add_output_options(c, "degraded.png", "degraded")
    c.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.schedule in {s.name for s in list_schedules()} or not (
            Path(args.schedule).exists() or args.schedule in registry()):
        schedule = named_schedule(args.schedule)
        operator, channels, size = (schedule.build(args.variant), schedule.channels,
                                    schedule.image_size)
    else:
        if args.variant:
            raise ValueError("--variant is for a named schedule, not a model")
        model = load(args.schedule, precision="fp32")
        operator, channels, size = model.D_train, model.channels, model.image_size
    side = args.size or size
    check_memory(len(args.images), channels, side, 4 * (len(args.t or [1]) + 2),
                 f"degrading {len(args.images)} image(s) at {side} px")
    x0 = read_images(args.images, channels, side, args.invert)
    steps = [check_step(t, operator.num_steps) for t in (args.t or [operator.num_steps])]
    D = operator.draw(x0, generator=torch.Generator().manual_seed(args.seed))
    columns = [("x0", x0)] + [(f"t = {t}", D(x0, t)) for t in steps]
    save_grid(columns, args.out)
    if args.save_dir:
        for t, (_, images) in zip(steps, columns[1:], strict=True):
            save_images(images, args.save_dir, [f"{p.stem}-t{t}" for p in args.images])
    else:
        print(f"note: {args.out} is an 8-bit picture, for looking at; restore from --save-dir's "
              f"16-bit PNGs. Rounding to 8 bits costs {quantisation_cost(columns[1:])}",
              file=sys.stderr)
    return 0
