"""``python -m restore.train``: train a restorer from the command line.

Until the zoo names the paper's schedules, the degradation is given by its parameters:

    python -m restore.train --data mnist --degradation blur --T 20 --kernel-size 11 \\
        --sigma 7 --preset small --steps 5000 --out runs/mnist-blur
    python -m restore.train ... --resume          # continue a stopped run exactly
    torchrun --nproc_per_node 4 -m restore.train ...   # one process per GPU

The degradations come from ``degrade`` (``pip install ./degrade``); the library part of
``restore`` does not need it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from . import data
from .objectives import Objective, predict_noise, restore_x0
from .trainer import Preview, TrainConfig, Trainer
from .unet import PRESETS, UNet


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m restore.train",
        description="Train a restorer R(x, t) to undo a degradation D(x, t) (cold diffusion, "
        "section 3.1). Writes checkpoint.pt, log.jsonl and samples/*.png to --out.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    degradation = p.add_argument_group("degradation")
    degradation.add_argument("--degradation", choices=("blur", "mask", "sr"), default="blur")
    degradation.add_argument("--T", type=int, help="number of steps (blur: 20, mask: 50; "
                             "sr: from --final-size)")
    degradation.add_argument("--kernel-size", type=int, default=11, help="blur: kernel side")
    degradation.add_argument("--sigma-rule", choices=("constant", "linear", "exponential"),
                             default="constant", help="blur: sigma_t = sigma | slope t + "
                             "offset | exp(rate t)")
    degradation.add_argument("--sigma", type=float, default=7.0, help="blur: constant sigma")
    degradation.add_argument("--slope", type=float, default=0.01, help="blur: linear rule")
    degradation.add_argument("--offset", type=float, default=0.35, help="blur: linear rule")
    degradation.add_argument("--rate", type=float, default=0.01, help="blur: exponential rule")
    degradation.add_argument("--padding", choices=("circular", "reflect", "zeros"),
                             default="circular", help="blur: padding")
    degradation.add_argument("--to-mean", action="store_true",
                             help="blur: the last step goes to the channel mean (generation)")
    degradation.add_argument("--beta-start", type=float, default=1.0, help="mask: beta_1")
    degradation.add_argument("--beta-step", type=float, default=0.1,
                             help="mask: beta_{i+1} - beta_i")
    degradation.add_argument("--center", choices=("random", "middle"), default="random",
                             help="mask: centre of the mask")
    degradation.add_argument("--final-size", type=int, default=4, help="sr: final resolution")

    add_training_arguments(p)
    return p


def add_training_arguments(p: argparse.ArgumentParser) -> None:
    """The data, model, training and run options, shared with ``colddiff train``."""
    source = p.add_argument_group("data")
    source.add_argument("--data", choices=sorted(data.FILES),
                        help="a named data set (see ../shared/data/README.md)")
    source.add_argument("--data-folder", type=Path,
                        help="instead of --data: a folder of images (or class sub-folders)")
    source.add_argument("--data-dir", type=Path,
                        help="folder of the named files (default: $COLDDIFF_DATA, ../shared/data)")
    source.add_argument("--image-size", type=int,
                        help="resize images to this size (MNIST: 32, as the paper's code)")
    source.add_argument("--channels", type=int, default=3, choices=(1, 3),
                        help="channels of --data-folder images")
    source.add_argument("--val-count", type=int, default=1000,
                        help="training images held out for validation")
    source.add_argument("--hflip", action="store_true", help="random horizontal flips")

    model = p.add_argument_group("model and training")
    model.add_argument("--preset", choices=sorted(PRESETS), default="small", help="U-Net size")
    model.add_argument("--steps", type=int, default=10_000, help="optimiser steps")
    model.add_argument("--batch", type=int, default=32, help="images per micro-batch")
    model.add_argument("--accumulate", type=int, default=2, help="micro-batches per step")
    model.add_argument("--lr", type=float, default=2e-5, help="Adam's learning rate")
    model.add_argument("--loss", choices=("l1", "l2"),
                       help="l1 for restorers (the paper), l2 for noise predictors (eq. 18)")
    model.add_argument("--ema-start", type=int, default=2000,
                       help="steps before the moving average starts")
    model.add_argument("--seed", type=int, default=0)
    model.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps")
    model.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto")
    model.add_argument("--workers", type=int, default=0, help="data-loading processes")

    run = p.add_argument_group("run")
    run.add_argument("--out", type=Path, required=True, help="the run's folder")
    run.add_argument("--resume", action="store_true", help="continue the run in --out")
    run.add_argument("--checkpoint-every", type=int, default=500)
    run.add_argument("--log-every", type=int, default=50)
    run.add_argument("--sample-every", type=int, default=1000,
                     help="steps between validation grids (0: at the end only)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def build_degradation(args: argparse.Namespace, shape: tuple[int, int, int]):
    """The degradation the arguments describe, from ``degrade``."""
    try:
        import degrade
    except ImportError as error:
        raise SystemExit("python -m restore.train builds its degradations with "
                         "colddiff-degrade: pip install ./degrade") from error
    if args.degradation == "blur":
        T = args.T or 20
        options = {"padding": args.padding, "to_mean": args.to_mean}
        rules = {
            "constant": lambda: degrade.GaussianBlurSchedule.constant(
                args.kernel_size, T, args.sigma, **options),
            "linear": lambda: degrade.GaussianBlurSchedule.linear(
                args.kernel_size, T, args.slope, args.offset, **options),
            "exponential": lambda: degrade.GaussianBlurSchedule.exponential(
                args.kernel_size, T, args.rate, **options),
        }
        return rules[args.sigma_rule]()
    if args.degradation == "mask":
        D = degrade.GaussianMaskSchedule.linear(args.T or 50, args.beta_start, args.beta_step,
                                                center=args.center)
        return D.resampled() if D.param_names else D
    D = degrade.SuperResolutionSchedule.from_sizes(shape[-1], args.final_size)
    if args.T is not None and D.num_steps != args.T:
        raise ValueError(f"--T {args.T} disagrees with {shape[-1]} px to --final-size "
                         f"{args.final_size} ({D.num_steps} halvings)")
    return D


def main(argv: list[str] | None = None) -> int:
    return run(parser().parse_args(argv), build_degradation)


def run(args: argparse.Namespace, make_D, objective: Objective | None = None,
        preview: Preview | None = None) -> int:
    """Train as ``args`` say, with the degradation ``make_D(args, (C, H, W))``; an exit code.

    ``objective`` and ``preview`` go to the :class:`Trainer` (a restorer of ``x0`` by
    default; :func:`restore.predict_noise` for a noise predictor).
    """
    try:
        if (args.data is None) == (args.data_folder is None):
            raise ValueError("give exactly one of --data and --data-folder")
        if args.data:
            dataset = data.load(args.data, "train", args.data_dir, size=args.image_size)
        else:
            dataset = data.ImageFolder(args.data_folder, size=args.image_size,
                                       channels=args.channels)
        shape = dataset.shape
        val_count = min(args.val_count, max(1, len(dataset) // 10))
        train_set, val_set = data.split_validation(dataset, val_count, seed=args.seed)
        if args.hflip:
            train_set = data.HorizontalFlips(train_set, seed=args.seed)
        D = make_D(args, shape)
        config = TrainConfig(
            steps=args.steps, batch_size=args.batch, accumulate=args.accumulate, lr=args.lr,
            loss=args.loss or ("l2" if objective is predict_noise else "l1"),
            ema_start=args.ema_start, seed=args.seed,
            checkpoint_every=args.checkpoint_every, log_every=args.log_every,
            sample_every=args.sample_every, num_workers=args.workers, device=args.device,
            precision=args.precision, progress=not args.no_progress,
        )
        torch.manual_seed(args.seed)  # the initial weights too are the seed's
        model = UNet.preset(args.preset, in_channels=shape[0])
        val_images = data.stack(val_set, range(min(8, len(val_set))))
        trainer = Trainer(model, D, train_set, args.out, config, val_images=val_images,
                          objective=objective or restore_x0, preview=preview)
        if trainer.context.is_main:
            print(f"training a {args.preset} U-Net ({model.num_parameters():,} parameters) on "
                  f"{len(train_set):,} images of {shape}, T = {trainer.num_steps}, on "
                  f"{trainer.context.device} x {trainer.context.world_size}; writing to "
                  f"{args.out}", file=sys.stderr)
        trainer.train(resume=args.resume)
    except (ValueError, TypeError, FileNotFoundError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nstopped; the checkpoint in {args.out} resumes with --resume", file=sys.stderr)
        return 130
    finally:
        from .distributed import teardown

        teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
