"""Pixels in and out: the one conversion between 8-bit pixels and images in [-1, 1], and the
one reader of image files.

``x = p / 127.5 - 1`` for ``p`` in 0..255, and back ``p = round((clamp(x, -1, 1) + 1) * 127.5)``,
as the paper's code (Bansal et al., 2022, arXiv:2208.09392) maps images to [-1, 1].
:func:`read_image` reads a file of any mode and bit depth with its true values, or refuses it.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor


def from_uint8(pixels: Tensor | np.ndarray, *, channels_last: bool = False) -> Tensor:
    """8-bit pixels as float32 in [-1, 1]; ``channels_last`` moves ``(..., H, W, C)`` to
    ``(..., C, H, W)``.

    Example:
        >>> import torch
        >>> from restore.images import from_uint8
        >>> from_uint8(torch.tensor([0, 255], dtype=torch.uint8)).tolist()
        [-1.0, 1.0]
    """
    pixels = torch.as_tensor(pixels)
    if channels_last:
        pixels = pixels.movedim(-1, -3)
    return pixels.float() / 127.5 - 1


def to_uint8(images: Tensor, *, channels_last: bool = False) -> Tensor:
    """Images in [-1, 1] (clamped) as 8-bit pixels, on the CPU; ``channels_last`` gives
    ``(..., H, W, C)`` (for PIL)."""
    pixels = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return pixels.movedim(-3, -1) if channels_last else pixels


def read_image(path: str | os.PathLike[str], channels: int, size: int | None = None,
               resample: str = "bilinear") -> np.ndarray:
    """An image file's pixels, ``(H, W, channels)``, with their true values or refused.

    8-bit images (grey, RGB, palette, CMYK, 1-bit) come back as ``uint8``; 16-bit and 32-bit
    integer images (16-bit PNG) and floating-point images (32-bit TIFF, values in [0, 1]) as
    ``float32`` in [0, 1], never clipped to 8 bits on the way. An alpha channel must be fully
    opaque (it is dropped); a transparent image is refused, since what lies behind it is
    unknown. A camera's EXIF orientation is applied (a portrait photo is read upright). Grey
    from colour is ITU-R 601 luma, as PIL's. ``size`` resizes to ``size x size``
    (``resample``: ``"bilinear"`` or ``"lanczos"``).

    Raises:
        ValueError: naming the file: missing, unreadable or corrupt, too large (a
            decompression bomb), transparent, or of values out of range.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    method = {"bilinear": Image.Resampling.BILINEAR, "lanczos": Image.Resampling.LANCZOS}[resample]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return _pixels(ImageOps.exif_transpose(image), channels, size, method, path)
    except FileNotFoundError as error:
        raise ValueError(f"{path}: no such file") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValueError(f"{path} is too large to read safely ({error.__class__.__name__}: "
                         "a decompression bomb?)") from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"{path} is not an image file that can be read (corrupt or of an "
                         "unknown format)") from error


def _pixels(image, channels: int, size: int | None, method, path: Path) -> np.ndarray:
    from PIL import Image

    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA") if image.mode not in ("LA", "RGBA", "La", "RGBa") else image
        alpha = np.asarray(rgba.getchannel("A"))
        if alpha.min() < 255:
            raise ValueError(f"{path} is transparent: flatten it onto a background first")
        image = rgba.convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        scale = 1.0 if image.mode == "F" else 65535.0
        if image.mode == "I" and values.max(initial=0) > 65535:
            raise ValueError(f"{path} holds integers beyond 16 bits ({values.max():.0f})")
        values = values / scale
        if not (np.isfinite(values).all() and values.min(initial=0) >= 0
                and values.max(initial=0) <= 1):
            raise ValueError(f"{path}: floating-point pixels must lie in [0, 1], found "
                             f"{np.nanmin(values):.4g} to {np.nanmax(values):.4g}")
        if size is not None:
            resized = Image.fromarray(values.astype(np.float32), mode="F").resize((size, size),
                                                                                 method)
            values = np.clip(np.asarray(resized, dtype=np.float64), 0, 1)
        return np.repeat(values[..., None], channels, axis=2).astype(np.float32)
    image = image.convert("L" if channels == 1 else "RGB")
    if size is not None and image.size != (size, size):
        image = image.resize((size, size), method)
    return np.asarray(image).reshape(image.height, image.width, channels)


def to_unit_range(pixels: np.ndarray) -> Tensor:
    """:func:`read_image`'s pixels as a ``(C, H, W)`` float32 tensor in [-1, 1]."""
    if pixels.dtype == np.uint8:
        return from_uint8(torch.from_numpy(pixels.copy()), channels_last=True)
    return torch.from_numpy(pixels.copy()).movedim(-1, -3) * 2 - 1
