"""Image files in and out of the command line: PNG, JPEG... to ``(N, C, H, W)`` in [-1, 1]."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from restore.images import ColourToGreyWarning, read_image, to_uint8, to_unit_range
from restore.png import write_deep
from torch import Tensor


def read_images(paths: Sequence[Path], channels: int, size: int, invert: bool = False) -> Tensor:
    """Image files as ``(N, channels, size, size)`` in [-1, 1] (converted and resized, Lanczos),
    each of any mode and bit depth with its true values, or refused with its name
    (:func:`restore.images.read_image`)."""
    images, grey = [], []
    for path in paths:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ColourToGreyWarning)
            x = to_unit_range(read_image(path, channels, size, resample="lanczos"))
        grey += [Path(path).name for w in caught if issubclass(w.category, ColourToGreyWarning)]
        images.append(-x if invert else x)
    if grey:
        more = f" and {len(grey) - 3} more" if len(grey) > 3 else ""
        print(f"note: the model takes grey images; in colour, and made grey (ITU-R 601 luma): "
              f"{', '.join(grey[:3])}{more}", file=sys.stderr)
    return torch.stack(images)


def save_images(images: Tensor, folder: str | os.PathLike[str], names: Sequence[str],
                bits: int = 16) -> None:
    """Each image as a PNG ``folder/name.png``: 16-bit by default, so that reading it back
    (:func:`read_images`) gives the image to within 3e-5, not the 8 bits' 0.008 (a blurred
    digit at t = 10 spans only 16 grey levels in 8 bits, and restores as another digit); 8-bit
    with ``bits=8``, for images that are 8-bit already."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for image, name in zip(images, names, strict=True):
        if bits == 16:
            unit = (image.detach().float().cpu().clamp(-1, 1) + 1) / 2
            write_deep(folder / f"{name}.png",
                       (unit * 65535).round().to(torch.int32).movedim(0, -1).numpy()
                       .astype(np.uint16))
            continue
        array = to_uint8(image, channels_last=True).numpy()
        picture = Image.fromarray(array[..., 0] if array.shape[2] == 1 else array)
        picture.save(folder / f"{name}.png")


def quantisation_cost(columns: list[tuple[str, Tensor]]) -> str:
    """What rounding to 8 bits costs the images of a grid, measured: for each column the RMSE
    the rounding moves the images by (in [-1, 1]) and the fewest grey levels an image keeps
    (a digit blurred to t = 10 keeps 16, and restores from them as another digit)."""
    parts = []
    for title, images in columns:
        rounded = to_uint8(images)
        error = float(((rounded.float() / 127.5 - 1) - images.detach().float().cpu().clamp(-1, 1))
                      .pow(2).mean().sqrt())
        levels = min(len(torch.unique(image)) for image in rounded)
        parts.append(f"{title}: RMSE {error:.4f}, {levels} grey levels")
    return "; ".join(parts)


GRID_LIMIT = 256
"""The most images a grid shows in a column: a grid of 100,000 would be a picture of billions
of pixels; ``--save-dir`` writes every image."""


def save_grid(columns: list[tuple[str, Tensor]], path: Path, scale: int | None = None) -> None:
    """A titled grid (:func:`restore.figures.save_grid`) of at most :data:`GRID_LIMIT` rows,
    announced on standard output."""
    from restore.figures import save_grid as draw

    n = len(columns[0][1])
    draw([(title, images[:GRID_LIMIT]) for title, images in columns], path, scale=scale)
    print(f"wrote {path}" + (f" (the first {GRID_LIMIT} of {n:,} images; --save-dir writes "
                             "them all)" if n > GRID_LIMIT else ""))


def tile(images: Tensor, per_row: int) -> Tensor:
    """Images ``(N, C, H, W)`` arranged as one image, ``per_row`` to a row (white gaps)."""
    n, c, h, w = images.shape
    rows = -(-n // per_row)
    canvas = torch.ones(c, rows * (h + 2) + 2, per_row * (w + 2) + 2)
    for i, image in enumerate(images):
        r, k = divmod(i, per_row)
        canvas[:, 2 + r * (h + 2):2 + r * (h + 2) + h, 2 + k * (w + 2):2 + k * (w + 2) + w] = image
    return canvas[None]
