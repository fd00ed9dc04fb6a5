"""The ``colddiff`` command: list, degrade, restore, generate, train, evaluate, demo.

Every subcommand explains its options with ``--help``; bad input ends with exit code 2 and one
line on standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

import samplers

from . import __version__
from .pretrained import Pretrained, get_entry, list_models, load
from .schedules import get_schedule, list_schedules


class FORMATTER(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default only where it says something (not None, not a flag's False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def read_images(paths: Sequence[Path], channels: int, size: int, invert: bool = False) -> Tensor:
    """Image files as ``(N, channels, size, size)`` in [-1, 1] (converted and resized)."""
    from PIL import Image, UnidentifiedImageError

    images = []
    for path in paths:
        try:
            with Image.open(path) as image:
                image = image.convert("L" if channels == 1 else "RGB")
                if image.size != (size, size):
                    image = image.resize((size, size), Image.Resampling.LANCZOS)
                array = torch.tensor(list(image.getdata()), dtype=torch.float32)
        except FileNotFoundError as error:
            raise ValueError(f"{path}: no such file") from error
        except (UnidentifiedImageError, OSError) as error:
            raise ValueError(f"{path} is not an image file PIL can read") from error
        array = array.view(size, size, channels).permute(2, 0, 1) / 127.5 - 1
        images.append(-array if invert else array)
    return torch.stack(images)


def save_images(images: Tensor, folder: Path, names: Sequence[str]) -> None:
    """Each image as a PNG ``folder/name.png``."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for image, name in zip(images, names, strict=True):
        array = ((image.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
        picture = Image.fromarray(array[..., 0] if array.shape[2] == 1 else array)
        picture.save(folder / f"{name}.png")


def save_grid(columns: list[tuple[str, Tensor]], path: Path) -> None:
    from restore.figures import save_grid as draw

    draw(columns, path)
    print(f"wrote {path}")


def tile(images: Tensor, per_row: int) -> Tensor:
    """Images ``(N, C, H, W)`` arranged as one image, ``per_row`` to a row (white gaps)."""
    n, c, h, w = images.shape
    rows = -(-n // per_row)
    canvas = torch.ones(c, rows * (h + 2) + 2, per_row * (w + 2) + 2)
    for i, image in enumerate(images):
        r, k = divmod(i, per_row)
        canvas[:, 2 + r * (h + 2):2 + r * (h + 2) + h, 2 + k * (w + 2):2 + k * (w + 2) + w] = image
    return canvas[None]


def check_step(t: int | None, T: int) -> int:
    if t is None:
        return T
    if not 0 <= t <= T:
        raise ValueError(f"--t must be between 0 and T = {T}, got {t}")
    return t


def cmd_list(args: argparse.Namespace) -> int:
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
            metrics = entry.get("metrics")
            measured = "yes" if metrics else "not yet"
            print(f"{entry['name']:<20} {entry['schedule']:<20} "
                  f"{entry['architecture']['parameters']:>11,} {entry['training']['steps']:>8,}"
                  f"  {measured}")
    if args.verbose:
        for s in list_schedules():
            print(f"\n{s.name} ({s.source}):\n  {s.description}\n  differences: {s.differences}")
    return 0


def cmd_degrade(args: argparse.Namespace) -> int:
    schedule = get_schedule(args.schedule)
    D = schedule.build(args.variant)
    size = args.size or schedule.image_size
    x0 = read_images(args.images, schedule.channels, size, args.invert)
    steps = [check_step(t, D.num_steps) for t in (args.t or [D.num_steps])]
    params = D.sample_params(x0, generator=torch.Generator().manual_seed(args.seed))
    columns = [("x0", x0)] + [(f"t = {t}", D(x0, t, **params)) for t in steps]
    save_grid(columns, args.out)
    if args.save_dir:
        for title, images in columns[1:]:
            save_images(images, args.save_dir,
                        [f"{p.stem}-t{title[4:]}" for p in args.images])
    return 0


def _bound_D(model: Pretrained, x: Tensor, args: argparse.Namespace):
    """The model's D with its random parameters fixed: drawn, or the mask centre given."""
    if not model.D.param_names:
        return model.D, {}
    params = model.D.sample_params(x, generator=torch.Generator().manual_seed(args.seed))
    if not args.degrade and "center" in params:
        row, col = args.center if args.center else (model.image_size // 2,) * 2
        params["center"] = torch.tensor([[row, col]]).expand(len(x), 2).clone()
    return model.D.bind(**params), params


def cmd_restore(args: argparse.Namespace) -> int:
    model = load(args.model, weights=args.weights)
    t = check_step(args.t, model.T)
    images = read_images(args.images, model.channels, model.image_size, args.invert)
    D, params = _bound_D(model, images, args)
    x_t = model.D(images, t, **params) if args.degrade else images
    names = ["tacos", "naive", "direct"] if args.sampler == "all" else [args.sampler]
    titles = {"tacos": "TACoS (Alg. 2)", "naive": "Algorithm 1", "direct": "direct R"}
    columns = [("degraded" if args.degrade else "input", x_t)]
    for name in names:
        restored = model.restore(x_t, t, sampler=name, D=D, progress=not args.no_progress)
        columns.append((titles[name], restored))
        if args.save_dir:
            save_images(restored, args.save_dir, [f"{p.stem}-{name}" for p in args.images])
    if args.degrade:
        columns.append(("original", images))
    save_grid(columns, args.out)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    model = load(args.model, weights=args.weights)
    if args.n < 1:
        raise ValueError(f"--n must be at least 1, got {args.n}")
    if args.noise_std is not None and args.noise_std < 0:
        raise ValueError(f"--noise-std must be >= 0, got {args.noise_std}")
    sampler = args.sampler or ("ddim" if model.is_diffusion else "tacos")
    images = model.generate(args.n, noise_std=args.noise_std, seed=args.seed, sampler=sampler,
                            steps=args.steps, progress=not args.no_progress)
    from restore.figures import save_grid as draw

    draw([(f"{model.name}, {sampler}", tile(images, args.per_row))], args.out, scale=2)
    print(f"wrote {args.out}")
    if args.save_dir:
        save_images(images, args.save_dir, [f"sample-{i:04d}" for i in range(args.n)])
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from restore import train

    schedule = get_schedule(args.schedule)
    if args.data is None and args.data_folder is None:
        args.data = schedule.dataset
    args.image_size = args.image_size or schedule.image_size
    print(f"schedule {schedule.name}: {schedule.description}", file=sys.stderr)
    D = schedule.build(args.variant)
    if schedule.task != "diffusion":
        return train.run(args, lambda a, shape: _trainable(D))
    from restore import predict_noise

    def preview(R, x0: Tensor) -> list[tuple[str, Tensor]]:
        """Samples of the deterministic sampler in 50 steps from fixed noise."""
        x_N = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0)).to(x0.device)
        steps = samplers.spaced_steps(D.num_steps, 50)
        return [("samples (50 steps)", samplers.rotated_ddim(R, D, x_N, D.num_steps,
                                                              steps=steps, clip=True))]

    return train.run(args, lambda a, shape: D, objective=predict_noise, preview=preview)


def _trainable(D):
    """Degradations with random parameters draw fresh ones at each training call."""
    return D.resampled() if D.param_names else D


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    model = load(args.model, weights=args.weights)
    result = evaluate(model, n=args.n, split=args.split, data_dir=args.data_dir, seed=args.seed,
                      batch_size=args.batch_size, progress=not args.no_progress)
    print(f"{result.model}: {result.setting}\n\n{result.table()}")
    for path in args.out or []:
        result.save(path)
        print(f"wrote {path}")
    if args.record:
        _record_metrics(args.model, result.to_dict())
    return 0


def _record_metrics(name: str, metrics: dict) -> None:
    """Write an evaluation into the registry entry (the model card) in the package source."""
    from .pretrained import package_path

    path = package_path("data/models.json")
    entries = json.loads(path.read_text())
    for entry in entries:
        if entry["name"] == name:
            entry["metrics"] = metrics
    path.write_text(json.dumps(entries, indent=2) + "\n")
    print(f"recorded in {path}")


def cmd_samples(args: argparse.Namespace) -> int:
    from .samples import sample_images

    size = 28 if args.dataset == "mnist" else None
    images = sample_images(args.dataset, args.n, size=size)
    save_images(images, args.out_dir, [f"{args.dataset}-{i:02d}" for i in range(args.n)])
    print(f"wrote {args.n} {args.dataset} test images to {args.out_dir}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job: restore shipped test images with every restoration model, generate."""
    from .samples import sample_images

    for entry in list_models():
        model = load(entry["name"])
        if model.prior is not None or model.is_diffusion:
            images = model.generate(args.n * 8, seed=args.seed, progress=not args.no_progress)
            path = args.out / f"generate-{model.name}.png"
            from restore.figures import save_grid as draw

            how = ("deterministic sampler, 100 steps from N(0, I)" if model.is_diffusion
                   else "TACoS from the prior")
            draw([(f"{model.name}: {how}", tile(images, 8))], path, scale=2)
            print(f"wrote {path}")
            continue
        x0 = sample_images(model.schedule.dataset, args.n)
        params = model.D.sample_params(x0, generator=torch.Generator().manual_seed(args.seed))
        D = model.D.bind(**params) if params else model.D
        x_T = model.D(x0, model.T, **params)
        columns = [("degraded", x_T), ("direct R", model.restore(x_T, sampler="direct")),
                   ("Algorithm 1", model.restore(x_T, sampler="naive", D=D)),
                   ("TACoS (Alg. 2)", model.restore(x_T, sampler="tacos", D=D)),
                   ("original", x0)]
        save_grid(columns, args.out / f"restore-{model.name}.png")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="colddiff", formatter_class=FORMATTER,
        description="Cold diffusion: the paper's schedules by name, pretrained restorers, "
        "sampling, training and evaluation. `colddiff COMMAND --help` explains each command.")
    p.add_argument("--version", action="version", version=f"colddiff {__version__}")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = commands.add_parser("list", help="the named schedules and pretrained models",
                            formatter_class=FORMATTER)
    c.add_argument("--schedules", action="store_true", help="only the schedules")
    c.add_argument("--models", action="store_true", help="only the models")
    c.add_argument("-v", "--verbose", action="store_true",
                   help="each schedule's description and its differences from the paper's code")
    c.set_defaults(run=cmd_list)

    def model_arguments(c: argparse.ArgumentParser) -> None:
        c.add_argument("model", help="a pretrained model (colddiff list --models)")
        c.add_argument("--weights", type=Path, help="your own safetensors weights for it")
        c.add_argument("--seed", type=int, default=0, help="seed of all random draws")
        c.add_argument("--no-progress", action="store_true", help="hide progress bars")

    def outputs(c: argparse.ArgumentParser, default: str, what: str) -> None:
        c.add_argument("--out", type=Path, default=Path(default), help="the PNG grid")
        c.add_argument("--save-dir", type=Path, help=f"also write each {what} image here")

    c = commands.add_parser("degrade", help="apply a named schedule to image files",
                            formatter_class=FORMATTER,
                            description="Draw D(x0, t) of a named schedule for image files: a "
                            "PNG grid with a row per image, x0 and each t.")
    c.add_argument("schedule", help="a named schedule (colddiff list --schedules)")
    c.add_argument("images", nargs="+", type=Path, help="image files (PNG, JPEG, ...)")
    c.add_argument("--t", type=int, nargs="+", help="steps to show (default: T)")
    c.add_argument("--variant", help="another set of the schedule's values (list -v)")
    c.add_argument("--size", type=int, help="resize to this side (default: the schedule's)")
    c.add_argument("--invert", action="store_true", help="invert grey levels (dark digits)")
    c.add_argument("--seed", type=int, default=0, help="seed of random parameters")
    outputs(c, "degraded.png", "degraded")
    c.set_defaults(run=cmd_degrade)

    c = commands.add_parser("restore", help="restore image files with a pretrained model",
                            formatter_class=FORMATTER,
                            description="Restore degraded image files (resized to the model's "
                            "size) as if at step --t, by TACoS, Algorithm 1 or directly.")
    model_arguments(c)
    c.add_argument("images", nargs="+", type=Path, help="image files (PNG, JPEG, ...)")
    c.add_argument("--t", type=int, help="the images' step (default: T, fully degraded)")
    c.add_argument("--sampler", choices=("tacos", "naive", "direct", "all"), default="tacos")
    c.add_argument("--degrade", action="store_true",
                   help="the files are clean: degrade them to --t first (for a demonstration)")
    c.add_argument("--center", type=int, nargs=2, metavar=("ROW", "COL"),
                   help="inpainting models: the mask's centre (default: the middle)")
    c.add_argument("--invert", action="store_true", help="invert grey levels (dark digits)")
    outputs(c, "restored.png", "restored")
    c.set_defaults(run=cmd_restore)

    c = commands.add_parser("generate", help="generate images from nothing",
                            formatter_class=FORMATTER,
                            description="Draw x_T from a generation model's fitted prior and "
                            "restore it (section 5.2), or denoise N(0, I) with a diffusion "
                            "model (blur-diffusion.md).")
    model_arguments(c)
    c.add_argument("--n", type=int, default=64, help="how many images")
    c.add_argument("--noise-std", type=float,
                   help="noise on x_T that breaks the symmetry (default: the model's; 0: none)")
    c.add_argument("--sampler", choices=("tacos", "naive", "direct", "ddim", "stochastic"),
                   help="cold models: tacos (default), naive or direct; diffusion models: ddim "
                   "(default) or stochastic")
    c.add_argument("--steps", type=int,
                   help="diffusion models with --sampler ddim: how many steps (default 100)")
    c.add_argument("--per-row", type=int, default=8, help="images per row of the grid")
    outputs(c, "generated.png", "generated")
    c.set_defaults(run=cmd_generate)

    c = commands.add_parser("train", help="train a restorer for a named schedule",
                            formatter_class=FORMATTER,
                            description="Train R(x, t) for a named schedule on its data set "
                            "(or --data / --data-folder); for a diffusion schedule, a noise "
                            "predictor (eq. 18 of blur-diffusion.md, L2 loss). Resumable with "
                            "--resume.")
    c.add_argument("schedule", help="a named schedule (colddiff list --schedules)")
    c.add_argument("--variant", help="another set of the schedule's values")
    from restore.train import add_training_arguments

    add_training_arguments(c)
    c.set_defaults(run=cmd_train)

    c = commands.add_parser("evaluate", help="measure a model as the paper's tables do",
                            formatter_class=FORMATTER,
                            description="FID in the features of the shipped classifier, SSIM, "
                            "RMSE and PSNR on the first --n images of a split.")
    model_arguments(c)
    c.add_argument("--n", type=int, default=1000, help="how many images")
    c.add_argument("--split", choices=("train", "test"), default="test")
    c.add_argument("--batch-size", type=int, default=250)
    c.add_argument("--data-dir", type=Path, help="folder of the data files "
                   "(default: $COLDDIFF_DATA or ../shared/data)")
    c.add_argument("--out", type=Path, nargs="+", help="write the table (.md) or JSON (.json)")
    c.add_argument("--record", action="store_true",
                   help="write the figures into the model's card (maintainers)")
    c.set_defaults(run=cmd_evaluate)

    c = commands.add_parser("samples", help="write the shipped test images as PNG files",
                            formatter_class=FORMATTER,
                            description="Write the first --n shipped test images of a data set "
                            "(MNIST at 28x28 as published, CIFAR-10 at 32x32) as PNG files.")
    c.add_argument("dataset", choices=("mnist", "cifar10"))
    c.add_argument("--n", type=int, default=8, help="how many (at most 64)")
    c.add_argument("--out-dir", type=Path, default=Path("samples"), help="the folder")
    c.set_defaults(run=cmd_samples)

    c = commands.add_parser("demo", help="the main job: restoration figures and a generation grid",
                            formatter_class=FORMATTER,
                            description="Restore the shipped test images with every "
                            "restoration model (degraded | direct | Algorithm 1 | TACoS | "
                            "original) and generate with every generation model.")
    c.add_argument("--out", type=Path, default=Path("docs/img"), help="folder of the PNGs")
    c.add_argument("--n", type=int, default=8, help="images per figure (rows)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--no-progress", action="store_true")
    c.set_defaults(run=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if getattr(args, "model", None) is not None:
            get_entry(args.model)
        return args.run(args)
    except (ValueError, KeyError, FileNotFoundError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"colddiff {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"colddiff {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
