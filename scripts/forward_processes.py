"""Draw the forward process ``D(x0, t)`` of the zoo's named schedules at several ``t``.

Rows are the schedules (every ``degrade`` operator among them) applied to photographs shipped
with scikit-image (astronaut, coffee, chelsea) and, where ``../shared/data/`` is present, MNIST
and CIFAR-10 test images; columns are steps from ``t = 0`` to ``t = T``. Run from the
repository root:

    python scripts/forward_processes.py [--out docs/img/forward-processes.png]
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont
from restore.images import from_uint8, to_uint8
from skimage import data as skdata

import degrade
import zoo
from restore import data as restore_data

ROOT = Path(__file__).resolve().parent.parent


def default_data() -> Path:
    """The data folder the figures read by default: ``$COLDDIFF_DATA`` where it is set (as
    ``restore.data.load`` reads it), else ``../shared/data`` beside the repository."""
    return Path(os.environ.get("COLDDIFF_DATA") or ROOT.parent / "shared" / "data")
COLUMNS = 7
LABEL_WIDTH = 250
CAPTION_HEIGHT = 16
GAP = 4


@dataclass
class Row:
    """One named schedule on one image: a row of the figure."""

    schedule: zoo.NamedSchedule
    D: degrade.Degradation
    x0: torch.Tensor
    note: str = ""

    @property
    def setting(self) -> str:
        s = self.schedule
        lines = textwrap.wrap(f"{s.operator}, T = {self.D.num_steps}{self.note}", 34)
        return "\n".join(lines[:2])


def photo(name: str, size: int) -> torch.Tensor:
    """A scikit-image sample photograph, centre-cropped and resized to ``(1, 3, size, size)``."""
    image = from_uint8(torch.from_numpy(getattr(skdata, name)().copy()), channels_last=True)
    side = min(image.shape[-2:])
    top, left = (image.shape[-2] - side) // 2, (image.shape[-1] - side) // 2
    square = image[None, :, top:top + side, left:left + side]
    return F.interpolate(square, size=(size, size), mode="bilinear", antialias=True).clamp(-1, 1)


def test_images(name: str, data: Path, count: int) -> torch.Tensor | None:
    """The first ``count`` test images of a named data set at 32x32, if ``data`` holds it."""
    try:
        return restore_data.load(name, "test", data, size=32).tensor()[:count]
    except FileNotFoundError:
        return None


def steps_to_show(num_steps: int) -> list[int]:
    """All steps when there are few; else ``t = 0, T/16, T/8, T/4, T/2, 3T/4, T``."""
    if num_steps < COLUMNS:
        return list(range(num_steps + 1))
    return [round(num_steps * f) for f in (0, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 3 / 4, 1)]


def row(name: str, x0: torch.Tensor, note: str = "", **overrides: object) -> Row:
    schedule = zoo.named_schedule(name)
    return Row(schedule, schedule.build(**overrides), x0, note)


def rows_for(size: int, data: Path) -> list[Row]:
    """The figure's rows: the zoo's named schedules, on photographs of ``size`` px and, where
    ``data`` holds them, on MNIST and CIFAR-10 test images."""
    astronaut, coffee, chelsea = (photo(n, size) for n in ("astronaut", "coffee", "chelsea"))
    final = size
    while final % 2 == 0 and final > 2:
        final //= 2
    rows = [
        row("celeba-blur-gen", astronaut),
        row("celeba-blur", coffee),
        row("celeba-inpaint", chelsea),
        row("celeba-inpaint-gen", astronaut),
        row("celeba-sr", coffee, f", {size}px to {final}px", image_size=size, final_size=final),
        row("celeba-snow", chelsea),
        row("celeba-color", astronaut),
        row("mnist-diffusion", coffee),
        row("celeba-animorph", astronaut, ", mixed with a cat", pool=chelsea),
    ]
    digits = test_images("mnist", data, 3)
    if digits is not None:
        rows += [row("mnist-blur", digits[0:1]), row("mnist-inpaint", digits[1:2]),
                 row("mnist-sr", digits[2:3])]
    cifar = test_images("cifar10", data, 32)
    if cifar is not None:
        colourful = int(cifar.std(dim=1).mean(dim=(-2, -1)).argmax())
        rows += [row("cifar10-blur", cifar[0:1]), row("cifar10-snow", cifar[1:2]),
                 row("cifar10-color", cifar[colourful:colourful + 1])]
    return rows


def to_tile(image: torch.Tensor, size: int) -> np.ndarray:
    """A ``(1, C, h, w)`` image in [-1, 1] as a ``size x size`` RGB uint8 array (nearest)."""
    image = F.interpolate(image, size=(size, size), mode="nearest")[0]
    image = image.expand(3, -1, -1) if image.shape[0] == 1 else image
    return to_uint8(image, channels_last=True).numpy()


def render(rows: list[Row], size: int, generator: torch.Generator) -> Image.Image:
    """Draw the rows into one labelled picture."""
    try:
        font = ImageFont.load_default(size=13)
    except TypeError:  # Pillow < 10.1 has one bitmap font size
        font = ImageFont.load_default()
    row_height = size + CAPTION_HEIGHT + GAP
    width = LABEL_WIDTH + COLUMNS * (size + GAP)
    canvas = Image.new("RGB", (width, len(rows) * row_height + GAP), "white")
    draw = ImageDraw.Draw(canvas)
    for r, row in enumerate(rows):
        top = GAP + r * row_height
        draw.text((8, top + 4), row.schedule.name, fill="black", font=font)
        draw.multiline_text((8, top + 22), row.setting, fill=(70, 70, 70), font=font, spacing=3)
        D = row.D.draw(row.x0, generator=generator)
        with torch.no_grad():
            for c, t in enumerate(steps_to_show(row.D.num_steps)):
                left = LABEL_WIDTH + c * (size + GAP)
                tile = to_tile(D(row.x0, t), size)
                canvas.paste(Image.fromarray(tile), (left, top))
                draw.text((left + 2, top + size + 1), f"t = {t}", fill="black", font=font)
    return canvas


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/img/forward-processes.png",
                        help="where to write the PNG (default: %(default)s)")
    parser.add_argument("--size", type=int, default=96,
                        help="side of each picture in pixels, a multiple of 32 (default: 96)")
    parser.add_argument("--data", type=Path, default=default_data(),
                        help="folder with mnist.npz and cifar10_jpeg.npz, used if present "
                        "(default: $COLDDIFF_DATA, else ../shared/data: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random parameters")
    args = parser.parse_args(argv)
    if args.size < 32 or args.size % 32:
        parser.error(f"--size must be a positive multiple of 32, got {args.size}")
    generator = torch.Generator().manual_seed(args.seed)
    rows = rows_for(args.size, args.data)
    picture = render(rows, args.size, generator)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    picture.save(args.out, optimize=True)
    print(f"wrote {args.out} ({len(rows)} schedules x {COLUMNS} steps)")
    return args.out


if __name__ == "__main__":
    main(sys.argv[1:])
