"""What the commands share: the help formatter and the options of a model or an output."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from restore import memory


class Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default only where it says something (not None, not a flag's False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, argparse.SUPPRESS) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number ``>= minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def split_and_count(text: str) -> tuple[str, int]:
    """``train:1000`` as ``("train", 1000)``: a split of a data set and how many of its first
    images (``--also`` of ``colddiff evaluate``)."""
    split, _, count = text.partition(":")
    if split not in ("train", "test") or not count.isdigit() or int(count) < 2:
        raise argparse.ArgumentTypeError(f"give SPLIT:N, SPLIT train or test and N at least 2, "
                                         f"got {text!r}")
    return split, int(count)


def seed(text: str) -> int:
    """An argparse type: a seed, ``0 <= seed < 2**63`` (what torch's generators take)."""
    value = at_least(0)(text)
    if value >= 2**63:
        raise argparse.ArgumentTypeError(f"must be below 2**63, got {value}")
    return value


def finite(text: str) -> float:
    """An argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def add_seed_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--seed", type=seed, default=0, help=help)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The model's name, other weights, the seed and the progress bars."""
    parser.add_argument("model", help="a model: a zoo name (colddiff list --models), a model "
                        "folder, a training run's folder or its checkpoint.pt")
    parser.add_argument("--schedule", help="for a checkpoint written before runs recorded "
                        "their configuration: the named schedule it trained on")
    parser.add_argument("--weights", type=Path, help="your own safetensors weights for it")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                        help="how the network computes: auto is float32 (channels-last on "
                        "a CPU); bf16 loses the faint detail deblurring needs (see "
                        "docs/performance.md)")
    parser.add_argument("--compile", action="store_true",
                        help="compile the network with torch.compile (needs a C++ compiler)")
    add_seed_option(parser, "seed of all random draws")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def load_model(args: argparse.Namespace) -> Any:
    """The model of :func:`add_model_options`' options; a line on standard error where the
    precision asked for is emulated here (far slower)."""
    from ..pretrained import load

    model = load(args.model, weights=args.weights, precision=args.precision,
                 compile=args.compile, schedule=args.schedule)
    if model.numerics.emulated:
        print(f"note: {model.numerics.reason}", file=sys.stderr)
    return model


def add_output_options(parser: argparse.ArgumentParser, default: str, what: str) -> None:
    """The PNG grid and a folder for the single images."""
    parser.add_argument("--out", type=Path, default=Path(default), help="the PNG grid")
    parser.add_argument("--save-dir", type=Path, help=f"also write each {what} image here")


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, output paths that cannot be written or would destroy
    something: a file path that names a folder, a folder path that names a file, a place with
    no write permission, an empty path, an output that is one of the input images, a picture
    with a suffix PIL cannot write, and input images whose names collide in ``--save-dir``."""
    inputs = {Path(p).resolve() for p in getattr(args, "images", None) or []}
    stems = [Path(p).stem for p in getattr(args, "images", None) or []]
    if getattr(args, "save_dir", None) is not None and len(set(stems)) < len(stems):
        twice = sorted({s for s in stems if stems.count(s) > 1})
        raise ValueError(f"--save-dir: several images are named {', '.join(twice)}: their "
                         "outputs would overwrite each other; rename or copy them first")
    for option in ("out", "save_dir", "out_dir"):
        value = getattr(args, option, None)
        if value is None:
            continue
        flag = "--" + option.replace("_", "-")
        if str(value) == "":
            raise ValueError(f"{flag} is empty: name a folder")
        for path in map(Path, value if isinstance(value, list) else [value]):
            is_folder = option != "out" or getattr(args, "command", None) in ("demo", "train")
            if is_folder and path.exists() and not path.is_dir():
                raise ValueError(f"{flag} {path} is a file, not a folder")
            if not is_folder and path.is_dir():
                raise ValueError(f"{flag} {path} is a folder: give a file name, such as "
                                 f"{path / 'out.png'}")
            existing = path if is_folder and path.exists() else path.parent
            while not existing.exists():
                existing = existing.parent
            if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
                raise ValueError(f"{flag} {path}: cannot write in {existing}")
            if path.resolve() in inputs:
                raise ValueError(f"{flag} {path} is one of the input images: it would be "
                                 "overwritten")
            if not is_folder and option == "out" and getattr(args, "command", None) != \
                    "evaluate" and path.suffix.lower() not in _image_suffixes():
                raise ValueError(f"{flag} {path}: a picture is written as .png, .jpg, .webp "
                                 "or another image format PIL knows, not "
                                 f"{path.suffix or 'a name without a suffix'}")


def check_memory(images: int, channels: int, side: int, per_image: float, what: str) -> None:
    """Refuse, before allocating, work of ``images`` images of ``channels x side x side``
    float32 values that needs ``per_image`` such images of memory each and would not fit in
    the memory free now (:func:`restore.memory.check`)."""
    memory.check(images * channels * side * side * 4 * per_image, what)


def _image_suffixes() -> set[str]:
    """The file suffixes PIL can write."""
    from PIL import Image

    Image.init()
    return {suffix for suffix, kind in Image.registered_extensions().items()
            if kind in Image.SAVE}


def check_step(t: int | None, T: int) -> int:
    """``--t``, ``T`` by default, within ``0..T``."""
    if t is None:
        return T
    if not 0 <= t <= T:
        raise ValueError(f"--t must be between 0 and T = {T}, got {t}")
    return t
