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

from . import memory, png


def from_uint8(pixels: Tensor | np.ndarray, *, channels_last: bool = False) -> Tensor:
    """8-bit pixels as float32 in [-1, 1]; ``channels_last`` moves ``(..., H, W, C)`` to
    ``(..., C, H, W)``.

    Examples:
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


BYTES_PER_VALUE = 32
"""Bytes :func:`read_image` may hold per value of an image while it decodes, converts and
resizes it (the decoded file, the 16-bit decoder's work, a float64 copy, the resized copy)."""

LUMA = (0.299, 0.587, 0.114)
"""Grey from colour: ITU-R BT.601 luma, the weights PIL's ``convert("L")`` uses."""

ORIENTATION = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
               6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}
"""The transposition that sets each EXIF orientation (tag 274) upright, as PIL's
``ImageOps.exif_transpose``."""


class ColourToGreyWarning(UserWarning):
    """A colour image was read for a 1-channel (grey) model or data set and made grey."""


def read_image(path: str | os.PathLike[str], channels: int, size: int | None = None,
               resample: str = "bilinear") -> np.ndarray:
    """An image file's pixels, ``(H, W, channels)``, with their true values or refused.

    8-bit images (grey, RGB, palette, CMYK, 1-bit) come back as ``uint8``; 16-bit and 32-bit
    integer images (16-bit PNG of any bands: grey, grey-alpha, RGB, RGBA) and floating-point
    images (32-bit TIFF, values in [0, 1]) as ``float32`` in [0, 1], never narrowed to 8 bits
    on the way. An alpha channel must be fully opaque (it is dropped); a transparent image is
    refused, since what lies behind it is unknown. A camera's EXIF orientation is applied (a
    portrait photo is read upright). Grey from colour is ITU-R 601 luma, as PIL's, and a
    colour image (one whose channels differ) made grey warns with
    :class:`ColourToGreyWarning`. ``size`` resizes to ``size x size`` (``resample``:
    ``"bilinear"`` or ``"lanczos"``).

    Raises:
        ValueError: naming the file: missing, unreadable or corrupt, too large (a
            decompression bomb, or more pixels than the memory free now can hold: checked
            from the header before decoding), transparent, or of values out of range.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}")
    method = {"bilinear": Image.Resampling.BILINEAR, "lanczos": Image.Resampling.LANCZOS}[resample]
    width = height = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                memory.check(width * height * max(len(image.getbands()), channels)
                             * BYTES_PER_VALUE, f"reading {path} ({width} x {height} pixels)",
                             "make it smaller first")
                bands = png.deep_bands(path) if image.format == "PNG" else None
                if bands is not None:  # 16-bit colour or grey-alpha: PIL would narrow it
                    values = png.read_deep(path) / 65535.0
                    upright = _orient(values, image.getexif().get(274, 1))
                    return _deep(upright, bands, channels, size, method, path)
                image.load()
                return _pixels(ImageOps.exif_transpose(image), channels, size, method, path)
    except FileNotFoundError as error:
        raise ValueError(f"{path}: no such file") from error
    except MemoryError as error:
        raise ValueError(f"{path} ({width} x {height} pixels) does not fit in the memory free "
                         "now: make it smaller first") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValueError(f"{path} is too large to read safely ({error.__class__.__name__}: "
                         "a decompression bomb?)") from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"{path} is not an image file that can be read (corrupt or of an "
                         "unknown format)") from error


def _orient(values: np.ndarray, orientation: int) -> np.ndarray:
    """``(H, W, bands)`` set upright for its EXIF ``orientation``, as PIL transposes."""
    from PIL import Image

    method = ORIENTATION.get(orientation)
    if method is None:
        return values
    turned = [np.asarray(Image.fromarray(values[..., k].astype(np.float32), mode="F")
                         .transpose(getattr(Image.Transpose, method)), dtype=np.float64)
              for k in range(values.shape[-1])]
    return np.stack(turned, axis=-1)


def _deep(values: np.ndarray, bands: str, channels: int, size: int | None, method,
          path: Path) -> np.ndarray:
    """Samples in [0, 1] ``(H, W, len(bands))`` as ``(H', W', channels)`` float32: the alpha
    checked and dropped, made grey or colour, resized band by band."""
    from PIL import Image

    if "A" in bands:
        if values[..., -1].min(initial=1) < 1:
            raise ValueError(f"{path} is transparent: flatten it onto a background first")
        values = values[..., :-1]
    if values.shape[-1] == 3 and channels == 1:
        if not (np.array_equal(values[..., 0], values[..., 1])
                and np.array_equal(values[..., 1], values[..., 2])):
            warnings.warn(f"{path} is in colour and was made grey (ITU-R 601 luma) for a "
                          "1-channel model", ColourToGreyWarning, stacklevel=3)
        values = values @ np.array(LUMA)
        values = values[..., None]
    if size is not None:
        values = np.stack([np.asarray(Image.fromarray(values[..., k].astype(np.float32),
                                                      mode="F").resize((size, size), method),
                                      dtype=np.float64)
                           for k in range(values.shape[-1])], axis=-1)
        values = np.clip(values, 0, 1)
    if values.shape[-1] != channels:
        values = np.repeat(values, channels, axis=2)
    return values.astype(np.float32)


def _pixels(image, channels: int, size: int | None, method, path: Path) -> np.ndarray:
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
        return _deep(values[..., None], "L", channels, size, method, path)
    if channels == 1 and image.mode not in ("L", "1", "I", "F") and _in_colour(image):
        warnings.warn(f"{path} is in colour and was made grey (ITU-R 601 luma) for a 1-channel "
                      "model", ColourToGreyWarning, stacklevel=3)
    image = image.convert("L" if channels == 1 else "RGB")
    if size is not None and image.size != (size, size):
        image = image.resize((size, size), method)
    return np.asarray(image).reshape(image.height, image.width, channels)


def _in_colour(image) -> bool:
    """Whether an 8-bit image's channels differ anywhere (a grey photo saved as RGB does not)."""
    rgb = np.asarray(image.convert("RGB"))
    return not (np.array_equal(rgb[..., 0], rgb[..., 1])
                and np.array_equal(rgb[..., 1], rgb[..., 2]))


def to_unit_range(pixels: np.ndarray) -> Tensor:
    """:func:`read_image`'s pixels as a ``(C, H, W)`` float32 tensor in [-1, 1]."""
    if pixels.dtype == np.uint8:
        return from_uint8(torch.from_numpy(pixels.copy()), channels_last=True)
    return torch.from_numpy(pixels.copy()).movedim(-1, -3) * 2 - 1
