"""``colddiff evaluate``: measure a model as the paper's tables do."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..batch_cache import kept_on_interrupt
from ..evaluate import evaluate
from .common import Formatter, add_model_options, at_least, load_model, split_and_count


def add_parser(commands: argparse._SubParsersAction) -> None:
    c = commands.add_parser("evaluate", help="measure a model as the paper's tables do",
                            formatter_class=Formatter,
                            description="FID in the features of the shipped classifier, SSIM, "
                            "RMSE and PSNR on the first --n images of a split (or from "
                            "--start), and on each block of them (--blocks).")
    add_model_options(c)
    c.add_argument("--n", type=at_least(2), default=1000,
                   help="how many images: restored, or generated (any number)")
    c.add_argument("--split", choices=("train", "test"), default="test")
    c.add_argument("--batch-size", type=at_least(1), default=250)
    c.add_argument("--data-dir", type=Path, help="folder of the data files "
                   "(default: $COLDDIFF_DATA or ../shared/data)")
    c.add_argument("--data-folder", type=Path, help="evaluate on these images (held out from "
                   "training) instead of the model's data set; needed for a model trained on a "
                   "folder")
    c.add_argument("--rows", nargs="+", metavar="PREFIX",
                   help="only the rows whose names start with these, or a row by its full name "
                   "(default: every row)")
    c.add_argument("--reference", type=at_least(2), metavar="N",
                   help="generation models: compare with the first N images of the split "
                   "(default: --n, or all of the split where it holds fewer)")
    c.add_argument("--kid", action="store_true",
                   help="generation models: the kernel distance (KID) as well")
    c.add_argument("--also", type=split_and_count, action="append", default=[],
                   metavar="SPLIT:N",
                   help="generation models: measure the same images against the first N images "
                   "of SPLIT too (repeatable): --reference 500 --also train:1000 for the AFHQ "
                   "cats")
    c.add_argument("--start", type=at_least(0), default=0, metavar="I",
                   help="restorers: measure the --n images from image I on (default: the first)")
    c.add_argument("--blocks", type=at_least(2), metavar="K",
                   help="restorers: measure each block of K images alone too (CIFAR-10's test "
                   "images are sorted by class: --n 10000 --blocks 1000 measures each class)")
    c.add_argument("--cache", type=Path, metavar="FOLDER",
                   help="keep each batch's images in FOLDER as they are made; run the same "
                   "command again after a stop and it goes on from the batches kept there")
    c.add_argument("--out", type=Path, nargs="+", help="write the table (.md) or JSON (.json)")
    c.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model = load_model(args)
    with kept_on_interrupt(args.cache, "colddiff evaluate"):
        result = evaluate(model, n=args.n, split=args.split, data_dir=args.data_dir,
                          seed=args.seed, batch_size=args.batch_size, rows=args.rows,
                          data_folder=args.data_folder, reference=args.reference, kid=args.kid,
                          start=args.start, blocks=args.blocks, also=args.also,
                          cache=args.cache, progress=not args.no_progress)
    print(f"{result.model}: {result.setting}\n\n{result.table()}")
    for other in result.also:
        print(f"\n{other.model}: {other.setting}\n\n{other.table()}")
    if result.blocks:
        print(f"\nBy block of {args.blocks} images:\n\n{result.block_table()}")
    for path in args.out or []:
        result.save(path)
        print(f"wrote {path}")
    return 0
