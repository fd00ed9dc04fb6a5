"""The one conversion between 8-bit pixels and the project's images in [-1, 1].

``x = p / 127.5 - 1`` for ``p`` in 0..255, and back ``p = round((clamp(x, -1, 1) + 1) * 127.5)``,
as the paper's code (Bansal et al., 2022, arXiv:2208.09392) maps images to [-1, 1].
"""

from __future__ import annotations

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
