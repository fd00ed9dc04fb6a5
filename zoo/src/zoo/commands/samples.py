"""``colddiff samples``: the shipped test images as PNG files."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..images import save_images
from ..samples import sample_images
from .common import Formatter, at_least


def add_parser(commands: argparse._SubParsersAction) -> None:
    c = commands.add_parser("samples", help="write the shipped test images as PNG files",
                            formatter_class=Formatter,
                            description="Write the first --n shipped test images of a data set "
                            "(MNIST at 28x28 as published, CIFAR-10 at 32x32) as PNG files.")
    c.add_argument("dataset", choices=("mnist", "cifar10"))
    c.add_argument("--n", type=at_least(1), default=8, help="how many (at most 64)")
    c.add_argument("--out-dir", type=Path, default=Path("samples"), help="the folder")
    c.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    images = sample_images(args.dataset, args.n, size=28 if args.dataset == "mnist" else None)
    save_images(images, args.out_dir, [f"{args.dataset}-{i:02d}" for i in range(args.n)],
                bits=8)  # the shipped images are 8-bit
    print(f"wrote {args.n} {args.dataset} test images to {args.out_dir}")
    return 0
