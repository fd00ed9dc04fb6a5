"""Gaussian noise ("hot" diffusion): section 5.1 of Bansal et al. (2022).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from .base import Shape, white_noise
from .interpolation import InterpolationSchedule


class NoiseSchedule(InterpolationSchedule):
    r"""Noise diffusion ``D(x, t) = sqrt(abar_t) x + sqrt(1 - abar_t) z``, ``z ~ N(0, I)``.

    Section 5.1 of Bansal et al. (2022). The noise ``z`` is the random parameter ``noise``
    (its former keyword: ``z``) of shape ``(B, C, H, W)``: fix it for a whole sampling run
    ("fixed noise") or let a sampler
    re-estimate it (A.6). Build it with :meth:`linear`, :meth:`cosine` or :meth:`from_betas`.

    Examples:
        >>> import torch
        >>> from degrade import NoiseSchedule
        >>> D = NoiseSchedule.linear(num_steps=1000)
        >>> x0 = torch.zeros(2, 3, 8, 8)
        >>> params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
        >>> round(float(D(x0, 1000, **params).std()), 1)
        1.0
    """

    param_names = ("noise",)
    renamed: ClassVar[dict[str, str]] = {"z": "noise"}

    def _sample(
        self, shape: Shape, generator: torch.Generator | None, dtype: torch.dtype
    ) -> dict[str, Tensor]:
        return {"noise": white_noise(shape, generator, dtype)}

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"noise": tuple(shape)}

    def degrade(self, x: Tensor, t: Tensor, noise: Tensor) -> Tensor:
        return super().degrade(x, t, noise)
