"""Labelled PNG grids of images, so that a person can see a restorer learn."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from torch import Tensor

from .images import to_uint8


def save_grid(columns: Sequence[tuple[str, Tensor]], path: str | os.PathLike[str],
              scale: int | None = None) -> Path:
    """Write images side by side: one titled column per ``(title, images (N, C, H, W))``.

    Images are in [-1, 1]; row ``i`` shows image ``i`` of every column. ``scale`` enlarges small
    images (nearest neighbour); by default they are drawn at least 64 pixels high.
    """
    from PIL import Image, ImageDraw, ImageFont

    count, _, height, width = columns[0][1].shape
    scale = scale or max(1, -(-64 // height))
    tile_h, tile_w, gap, header = height * scale, width * scale, 2, 18
    canvas = Image.new("RGB", (len(columns) * (tile_w + gap) + gap,
                               header + count * (tile_h + gap) + gap), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for c, (title, images) in enumerate(columns):
        left = gap + c * (tile_w + gap)
        draw.text((left + 2, 3), title, fill="black", font=font)
        for r, image in enumerate(images):
            tile = Image.fromarray(_to_uint8(image, scale))
            canvas.paste(tile, (left, header + r * (tile_h + gap)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
    return path


def _to_uint8(image: Tensor, scale: int) -> np.ndarray:
    image = image.repeat_interleave(scale, -2).repeat_interleave(scale, -1)
    array = to_uint8(image, channels_last=True).numpy()
    return array.repeat(3, axis=2) if array.shape[2] == 1 else array
