"""``colddiff generate``: new images from a generation or diffusion model."""

from __future__ import annotations

import argparse

from .. import sampling
from ..images import GRID_LIMIT, save_grid, save_images, tile
from .common import (
    Formatter,
    add_model_options,
    add_output_options,
    at_least,
    check_memory,
    finite,
    load_model,
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    c = commands.add_parser("generate", help="generate images from nothing",
                            formatter_class=Formatter,
                            description="Draw x_T from a generation model's fitted prior and "
                            "restore it (section 5.2), or denoise N(0, I) with a diffusion "
                            "model (blur diffusion).")
    add_model_options(c)
    c.add_argument("--n", type=at_least(1), default=64, help="how many images")
    c.add_argument("--noise-std", type=finite,
                   help="cold models: noise on x_T that breaks the symmetry; warm models: fresh "
                   "noise after each step (default: the model's; 0: none)")
    families = {"cold": "cold models", "warm": "warm models", "diffusion": "diffusion models"}
    c.add_argument("--sampler", choices=sampling.names(),
                   help="; ".join(f"{label}: " + ", ".join(f"{s.name} ({s.help})"
                                                           for s in sampling.SAMPLERS.values()
                                                           if s.family == family)
                                  for family, label in families.items()))
    c.add_argument("--steps", type=at_least(1),
                   help="how many evenly spaced jumps: diffusion models with --sampler ddim "
                   "or fixed (default 100), cold models with tacos or naive (default: every "
                   "step)")
    c.add_argument("--per-row", type=at_least(1), default=8, help="images per row of the grid")
    add_output_options(c, "generated.png", "generated")
    c.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model = load_model(args)
    # x_T, its noise and the images are kept whole; the network works on a part at a time
    check_memory(4 * args.n + 64 * model.batch_size, model.channels, model.image_size, 1,
                 f"generating {args.n:,} images of {model.image_size} px")
    sampler = args.sampler or model.samplers[0]
    images = model.generate(args.n, noise_std=args.noise_std, seed=args.seed, sampler=sampler,
                            steps=args.steps, progress=not args.no_progress)
    shown = images[:GRID_LIMIT]
    save_grid([(f"{model.name}, {sampler}", tile(shown, args.per_row))], args.out, scale=2)
    if len(images) > len(shown):
        print(f"the grid shows the first {len(shown)} of {len(images):,} images"
              + ("" if args.save_dir else "; --save-dir writes them all"))
    if args.save_dir:
        save_images(images, args.save_dir, [f"sample-{i:04d}" for i in range(args.n)])
    return 0
