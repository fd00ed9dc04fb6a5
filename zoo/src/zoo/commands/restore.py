"""``colddiff restore``: restore image files with a pretrained restorer."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import torch

import degrade

from .. import sampling
from ..images import read_images, save_grid, save_images
from .common import (
    Formatter,
    add_model_options,
    add_output_options,
    at_least,
    check_memory,
    check_step,
    load_model,
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    c = commands.add_parser("restore", help="restore image files with a pretrained model",
                            formatter_class=Formatter,
                            description="Restore degraded image files (resized to the model's "
                            "size) as if at step --t, by TACoS, Algorithm 1, directly or "
                            "(models trained on paired data) by InDI.")
    add_model_options(c)
    c.add_argument("images", nargs="+", type=Path, help="image files (PNG, JPEG, ...)")
    c.add_argument("--t", type=int, help="the images' step (default: T, fully degraded)")
    c.add_argument("--sampler", choices=(*sampling.names("cold"), "all"), default="tacos",
                   help="; ".join(f"{s.name}: {s.help}" for s in sampling.SAMPLERS.values()
                                  if s.family == "cold")
                   + "; all: each that applies (InDI for models of paired data)")
    c.add_argument("--steps", type=at_least(1),
                   help="walk back in this many evenly spaced jumps (default: every step; "
                   "not with the direct sampler)")
    c.add_argument("--degrade", action="store_true",
                   help="the files are clean: degrade them to --t first (for a demonstration)")
    c.add_argument("--center", type=int, nargs=2, metavar=("ROW", "COL"),
                   help="inpainting models: the mask's centre (default: the middle)")
    c.add_argument("--invert", action="store_true", help="invert grey levels (dark digits)")
    add_output_options(c, "restored.png", "restored")
    c.set_defaults(run=run)


def _degradation(model, images: torch.Tensor, t: int, args: argparse.Namespace):
    """The model's D with its random parameters fixed: one draw for --degrade; for files
    degraded elsewhere, the mask centre given by --center (the middle by default), or at step
    T the parameters the files themselves are (the observations of paired data, InDI's ``y``:
    ``D.ending_at``), else one draw. None for observations on InDI's path with noise: the
    model adds the path's noise itself (``degrade.DirectIteration.observing``)."""
    generator = torch.Generator().manual_seed(args.seed)
    straight = isinstance(model.D, degrade.DirectIteration)
    if args.degrade:
        if straight and model.D.endpoint is None:
            raise ValueError(f"--degrade: {model.name} learned from paired data: its D takes "
                             "the observations (y) and has no formula to make them; give "
                             "observed images, without --degrade")
        return model.D.draw(images, generator=generator)
    if straight and model.D.noisy and t == model.T:
        return None
    if "center" not in model.D.param_names:
        if t == model.T:
            with contextlib.suppress(TypeError):
                return model.D.ending_at(images)
        return model.D.draw(images, generator=generator)
    params = model.D.sample_params(images, generator=generator)
    row, col = args.center if args.center else (model.image_size // 2,) * 2
    params["center"] = torch.tensor([[row, col]]).expand(len(images), 2).clone()
    return model.D.bind(**params)


def _all(model) -> tuple[str, ...]:
    """The samplers of ``--sampler all``: the paper's three, InDI's for a model trained on its
    straight path (``degrade.DirectIteration``) and the Momentum Sampler for soft diffusion
    (``degrade.SoftCorruption``): each cold sampler that applies to the model's operator."""
    return tuple(name for name in sampling.names("cold")
                 if sampling.SAMPLERS[name].applies(model.D))


def run(args: argparse.Namespace) -> int:
    model = load_model(args)
    if args.center is not None and ("center" not in model.D.param_names or args.degrade):
        raise ValueError(f"--center applies to inpainting models with a random mask centre, "
                         f"restoring files degraded elsewhere; not to {model.name}"
                         + (" with --degrade" if args.degrade else ""))
    if args.center is not None and not all(-1 <= c < model.image_size for c in args.center):
        raise ValueError(f"--center must be a pixel (ROW COL) of the {model.image_size}x"
                         f"{model.image_size} image, or one row or column before it (-1 to "
                         f"{model.image_size - 1}); got {' '.join(map(str, args.center))}")
    t = check_step(args.t, model.T)
    names = _all(model) if args.sampler == "all" else (args.sampler,)
    # the images, x_t and each sampler's result are kept; the network works on a part at a time
    check_memory(len(args.images) * (3 + len(names)) + 64 * model.batch_size, model.channels,
                 model.image_size, 1, f"restoring {len(args.images):,} images")
    images = read_images(args.images, model.channels, model.image_size, args.invert)
    D = _degradation(model, images, t, args)
    x_t = D(images, t) if args.degrade else images
    columns = [("degraded" if args.degrade else "input", x_t)]
    for name in names:
        jumps = None if name == "direct" else args.steps
        restored = model.restore(x_t, t, sampler=name, D=D, steps=jumps,
                                 progress=not args.no_progress,
                                 generator=torch.Generator().manual_seed(args.seed))
        columns.append((sampling.SAMPLERS[name].title, restored))
        if args.save_dir:
            save_images(restored, args.save_dir, [f"{p.stem}-{name}" for p in args.images])
    if args.degrade:
        columns.append(("original", images))
    save_grid(columns, args.out)
    return 0
