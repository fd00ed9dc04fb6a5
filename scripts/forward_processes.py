"""Draw the forward process ``D(x0, t)`` of every `degrade` operator at several ``t``.

Rows are operators applied to photographs shipped with scikit-image (astronaut, coffee,
chelsea) and, where ``../shared/data/`` is present, MNIST and CIFAR-10 test images; columns are
steps from ``t = 0`` to ``t = T``. Run from the repository root:

    python scripts/forward_processes.py [--out docs/img/forward-processes.png]
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont
from skimage import data as skdata

import degrade

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = 7
LABEL_WIDTH = 250
CAPTION_HEIGHT = 16
GAP = 4


@dataclass
class Row:
    """One operator on one image: a row of the figure."""

    title: str
    setting: str
    D: degrade.Degradation
    x0: torch.Tensor


def photo(name: str, size: int) -> torch.Tensor:
    """A scikit-image sample photograph, centre-cropped and resized to ``(1, 3, size, size)``."""
    image = torch.from_numpy(getattr(skdata, name)().copy()).permute(2, 0, 1).float() / 127.5 - 1
    side = min(image.shape[-2:])
    top, left = (image.shape[-2] - side) // 2, (image.shape[-1] - side) // 2
    square = image[None, :, top:top + side, left:left + side]
    return F.interpolate(square, size=(size, size), mode="bilinear", antialias=True).clamp(-1, 1)


def mnist_digits(data: Path, count: int) -> torch.Tensor | None:
    """MNIST test digits, resized to 32x32 (bilinear) as the paper's code does."""
    path = data / "mnist.npz"
    if not path.exists():
        return None
    with np.load(path) as archive:
        digits = torch.from_numpy(archive["x_test"][:count]).float()[:, None] / 127.5 - 1
    return F.interpolate(digits, size=(32, 32), mode="bilinear", align_corners=False)


def cifar_images(data: Path, count: int) -> torch.Tensor | None:
    """CIFAR-10 (JPEG copy) test images: ``(count, 3, 32, 32)``."""
    path = data / "cifar10_jpeg.npz"
    if not path.exists():
        return None
    with np.load(path) as archive:
        jpeg, offsets = archive["test_jpeg"], archive["test_offsets"]
        files = [io.BytesIO(jpeg[offsets[i] : offsets[i + 1]].tobytes()) for i in range(count)]
        images = [np.asarray(Image.open(file).convert("RGB")) for file in files]
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1


def steps_to_show(num_steps: int) -> list[int]:
    """All steps when there are few; else ``t = 0, T/16, T/8, T/4, T/2, 3T/4, T``."""
    if num_steps < COLUMNS:
        return list(range(num_steps + 1))
    return [round(num_steps * f) for f in (0, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 3 / 4, 1)]


def rows_for(size: int, data: Path, generator: torch.Generator) -> list[Row]:
    """The figure's rows: every operator, with the paper's settings where they suit ``size`` px."""
    astronaut, coffee, chelsea = (photo(n, size) for n in ("astronaut", "coffee", "chelsea"))
    rows = [
        Row("GaussianBlurSchedule", "5.2: T=300, 27x27, s=exp(0.01t),\ncircular, last step to mean",
            degrade.GaussianBlurSchedule.exponential(27, 300, rate=0.01, to_mean=True), astronaut),
        Row("GaussianBlurSchedule", "A.1 CelebA: T=200, 15x15,\ns=exp(0.01t), reflect",
            degrade.GaussianBlurSchedule.exponential(15, 200, 0.01, padding="reflect"), coffee),
        Row("GaussianMaskSchedule", "4.2: T=50, beta_i = 1 + 2(i-1),\nrandom centre",
            degrade.GaussianMaskSchedule.linear(50, beta_start=1.0, beta_step=2.0), chelsea),
        Row("GaussianFadeSchedule", "5.3: T=50, beta_i = 1 + 8(i-1),\nfade to a random colour",
            degrade.GaussianFadeSchedule.linear(50, 1.0, 8.0, center="middle"), astronaut),
        Row("SuperResolutionSchedule", f"4.3: {size}px to {size // 32}px, T=5",
            degrade.SuperResolutionSchedule.from_sizes(size, size // 32), coffee),
        Row("SnowSchedule", "A.5 CelebA: T=200, threshold\n1.15 to 0.55, blur 0.05 to 20",
            degrade.SnowSchedule(200, threshold=(1.15, 0.55), motion_sigma=(0.05, 20.0)), chelsea),
        Row("DesaturationSchedule", "A.4: T=20, alpha_t = t/T",
            degrade.DesaturationSchedule(20), astronaut),
        Row("NoiseSchedule", "5.1: T=1000, linear betas\n1e-4 to 0.02",
            degrade.NoiseSchedule.linear(1000), coffee),
        Row("MixingSchedule", "5.3 animorphosis: T=1000,\ncosine, mixed with a cat",
            degrade.MixingSchedule.cosine(1000, pool=chelsea), astronaut),
    ]
    digits = mnist_digits(data, 3)
    if digits is not None:
        rows += [
            Row("GaussianBlurSchedule", "MNIST: T=20, 11x11, s=7,\ncircular",
                degrade.GaussianBlurSchedule.constant(11, 20, sigma=7.0), digits[0:1]),
            Row("GaussianMaskSchedule", "MNIST: T=50, beta_i = 1 + 0.1(i-1),\nrandom centre",
                degrade.GaussianMaskSchedule.linear(50), digits[1:2]),
            Row("SuperResolutionSchedule", "MNIST: 32px to 4px, T=3",
                degrade.SuperResolutionSchedule.from_sizes(32, 4), digits[2:3]),
        ]
    cifar = cifar_images(data, 32)
    if cifar is not None:
        colourful = int(cifar.std(dim=1).mean(dim=(-2, -1)).argmax())
        rows += [
            Row("GaussianBlurSchedule", "CIFAR-10: T=50, 11x11,\ns=0.01t+0.35, reflect",
                degrade.GaussianBlurSchedule.linear(11, 50, slope=0.01, offset=0.35,
                                                    padding="reflect"), cifar[0:1]),
            Row("SnowSchedule", "CIFAR-10: T=200, threshold\n1.15 to 0.7, blur 0.05 to 16",
                degrade.SnowSchedule(200), cifar[1:2]),
            Row("DesaturationSchedule", "CIFAR-10: T=50", degrade.DesaturationSchedule(50),
                cifar[colourful:colourful + 1]),
        ]
    return rows


def to_tile(image: torch.Tensor, size: int) -> np.ndarray:
    """A ``(1, C, h, w)`` image in [-1, 1] as a ``size x size`` RGB uint8 array (nearest)."""
    image = F.interpolate(image, size=(size, size), mode="nearest")[0]
    image = image.expand(3, -1, -1) if image.shape[0] == 1 else image
    return ((image.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()


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
        draw.text((8, top + 4), row.title, fill="black", font=font)
        draw.multiline_text((8, top + 22), row.setting, fill=(70, 70, 70), font=font, spacing=3)
        params = row.D.sample_params(row.x0, generator=generator)
        with torch.no_grad():
            for c, t in enumerate(steps_to_show(row.D.num_steps)):
                left = LABEL_WIDTH + c * (size + GAP)
                tile = to_tile(row.D(row.x0, t, **params), size)
                canvas.paste(Image.fromarray(tile), (left, top))
                draw.text((left + 2, top + size + 1), f"t = {t}", fill="black", font=font)
    return canvas


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/img/forward-processes.png",
                        help="where to write the PNG (default: %(default)s)")
    parser.add_argument("--size", type=int, default=96,
                        help="side of each picture in pixels, a multiple of 32 (default: 96)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data",
                        help="folder with mnist.npz and cifar10_jpeg.npz, used if present "
                        "(default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random parameters")
    args = parser.parse_args(argv)
    if args.size < 32 or args.size % 32:
        parser.error(f"--size must be a positive multiple of 32, got {args.size}")
    generator = torch.Generator().manual_seed(args.seed)
    rows = rows_for(args.size, args.data, generator)
    picture = render(rows, args.size, generator)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    picture.save(args.out, optimize=True)
    print(f"wrote {args.out} ({len(rows)} operators x {COLUMNS} steps)")
    return args.out


if __name__ == "__main__":
    main(sys.argv[1:])
