"""Image arrays read from data files, refused rather than coerced when they are not 8-bit
pixels, and resized as the paper's code resizes MNIST."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def read_mnist(path: Path, split: str) -> tuple[np.ndarray, np.ndarray | None]:
    """MNIST's images ``(N, H, W)`` uint8 and labels of a split, from ``mnist.npz`` (keys
    ``x_<split>``, ``y_<split>``) or a folder of idx files, checked by :func:`check_pixels`."""
    if path.is_file():
        try:
            with np.load(path) as archive:
                keys = sorted(archive.files)
                if f"x_{split}" not in keys:
                    raise ValueError(f"{path} lacks the key x_{split} (it holds: "
                                     f"{', '.join(keys) or 'nothing'})")
                images = archive[f"x_{split}"]
                labels = archive[f"y_{split}"] if f"y_{split}" in keys else None
        except (OSError, EOFError, ValueError) as error:
            if isinstance(error, ValueError) and "lacks the key" in str(error):
                raise
            raise ValueError(f"{path} is not a readable .npz archive") from error
        return check_pixels(images, f"{path.name}: x_{split}", grey=True), \
            check_labels(labels, len(images), f"{path.name}: y_{split}")
    prefix = "train" if split == "train" else "t10k"
    for name in (f"{prefix}-images-idx3-ubyte", f"{prefix}-images.idx3-ubyte"):
        for suffix in ("", ".gz"):
            if (path / (name + suffix)).exists():
                images = read_idx(path / (name + suffix))
                label_file = path / (name.replace("images", "labels").replace("idx3", "idx1")
                                     + suffix)
                labels = read_idx(label_file) if label_file.exists() else None
                return check_pixels(images, str(path / (name + suffix)), grey=True), \
                    check_labels(labels, len(images), str(label_file))
    raise FileNotFoundError(f"no MNIST {split} images ({prefix}-images-idx3-ubyte[.gz]) in {path}")


def check_pixels(images: np.ndarray, what: str, grey: bool = False) -> np.ndarray:
    """8-bit images ``(N, H, W)`` (grey) or ``(N, H, W, C)``, refused rather than coerced.

    Any integer dtype whose values lie in 0..255 is taken losslessly as ``uint8``; floating
    arrays, values out of range, a flat ``(N, H * W)`` array or an empty one are refused with
    ``what`` (the file and key) named.
    """
    dims = (3, 4) if grey else (4,)
    layout = "(N, H, W)" if grey else "(N, H, W, C)"
    if images.ndim not in dims or 0 in images.shape:
        hint = f" (flat? reshape to {layout})" if images.ndim == 2 else ""
        raise ValueError(f"{what} has shape {images.shape}: expected non-empty images "
                         f"{layout}{hint}")
    if grey and images.ndim == 4:
        if images.shape[3] != 1:
            raise ValueError(f"{what} has shape {images.shape}: expected grey images (N, H, W)")
        images = images[..., 0]
    if images.dtype != np.uint8:
        if not np.issubdtype(images.dtype, np.integer):
            raise ValueError(f"{what} holds {images.dtype} values: expected 8-bit pixels "
                             "0..255 (uint8); scale and convert floating images first")
        low, high = int(images.min()), int(images.max())
        if low < 0 or high > 255:
            raise ValueError(f"{what} holds values {low}..{high}: expected 8-bit pixels 0..255")
        images = images.astype(np.uint8)
    return images


def check_labels(labels: np.ndarray | None, count: int, what: str) -> np.ndarray | None:
    """Labels, one per image, or None."""
    if labels is not None and (labels.ndim != 1 or len(labels) != count):
        raise ValueError(f"{what} has shape {labels.shape}: expected one label per image "
                         f"({count},)")
    return labels


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (MNIST's format): magic, dimensions, then big-endian uint8 data."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as file:
        data = file.read()
    if data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def resize_uint8(images: np.ndarray, size: int) -> np.ndarray:
    """Grey uint8 images ``(N, H, W)`` resized to ``size x size`` (bilinear, as the paper's code
    resizes MNIST to 32x32), rounded back to uint8."""
    resized = []
    for start in range(0, len(images), 4096):
        chunk = torch.tensor(images[start:start + 4096], dtype=torch.float32)
        chunk = F.interpolate(chunk[:, None], size=(size, size), mode="bilinear",
                              align_corners=False)[:, 0]
        resized.append(chunk.round().clamp(0, 255).byte().numpy())
    return np.concatenate(resized)
