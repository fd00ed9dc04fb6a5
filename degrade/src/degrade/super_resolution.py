"""Super-resolution diffusion: section 4.3 and A.3 of Bansal et al. (2022).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import Degradation


class SuperResolutionSchedule(Degradation):
    r"""Downsampling diffusion: each step halves the resolution (section 4.3).

    Step ``s`` averages 2x2 blocks of the image at step ``s - 1``, so ``D(x, t)`` is the average
    over ``2^t x 2^t`` blocks, shown at full size by nearest-neighbour upsampling. This closed
    form costs one pooling for every ``t``. Both sides of the image must be divisible by
    ``2^T``; :meth:`from_sizes` derives ``T = log2(image_size / final_size)``.

    Args:
        num_steps: the number of halvings ``T``.

    Examples:
        >>> import torch
        >>> from degrade import SuperResolutionSchedule
        >>> D = SuperResolutionSchedule.from_sizes(image_size=32, final_size=4)
        >>> D.num_steps
        3
        >>> x0 = torch.rand(1, 1, 32, 32) * 2 - 1
        >>> D(x0, 3).unique().numel() <= 16
        True
    """

    is_linear = True

    @classmethod
    def from_sizes(cls, image_size: int, final_size: int) -> SuperResolutionSchedule:
        """The schedule that takes ``image_size`` down to ``final_size`` by halvings."""
        for name, value in (("image_size", image_size), ("final_size", final_size)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        ratio = image_size // final_size
        if image_size % final_size or ratio < 2 or ratio & (ratio - 1):
            raise ValueError(
                f"image_size / final_size must be a power of two of at least 2, "
                f"got {image_size} / {final_size}"
            )
        return cls(int(math.log2(ratio)))

    def check_image_size(self, height: int, width: int) -> None:
        factor = 2**self.num_steps
        if height % factor or width % factor:
            raise ValueError(
                f"a {height}x{width} image cannot be halved T = {self.num_steps} times: "
                f"both sides must be divisible by 2**{self.num_steps} = {factor}"
            )

    def degrade(self, x: Tensor, t: Tensor) -> Tensor:
        out = x
        for s in t.unique().tolist():
            if s == 0:
                continue
            factor = 2**s
            low = F.avg_pool2d(x, factor)
            full = low.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)
            out = torch.where((t == s).view(-1, 1, 1, 1), full, out)
        return out
