"""Mixing with images of another set (animorphosis): section 5.3 of Bansal et al. (2022).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ._validation import check_image
from .base import Shape
from .interpolation import InterpolationSchedule


class MixingSchedule(InterpolationSchedule):
    r"""Animorphosis ``D(x, t) = sqrt(abar_t) x + sqrt(1 - abar_t) z``, ``z`` another image.

    Section 5.3 of Bansal et al. (2022): the same form as :class:`NoiseSchedule`, but ``z`` is an
    image drawn from a second data set (AFHQ cats for CelebA faces in the paper), the random
    parameter of shape ``(B, C, H, W)``. With a ``pool`` of such images, :meth:`sample_params`
    draws ``z`` from it; without one, pass ``z`` yourself.

    Args:
        alphas_cumprod: ``abar_1 .. abar_T``; see :meth:`linear` and :meth:`cosine`.
        pool: images ``(N, C, H, W)`` in [-1, 1] to mix with, or None.

    Examples:
        >>> import torch
        >>> from degrade import MixingSchedule
        >>> cats = torch.rand(10, 3, 16, 16) * 2 - 1
        >>> D = MixingSchedule.cosine(num_steps=50, pool=cats)
        >>> faces = torch.rand(4, 3, 16, 16) * 2 - 1
        >>> params = D.sample_params(faces, generator=torch.Generator().manual_seed(0))
        >>> bool(torch.allclose(D(faces, 50, **params), params["z"], atol=1e-2))
        True
    """

    def __init__(
        self, alphas_cumprod: Sequence[float] | Tensor, pool: Tensor | None = None
    ) -> None:
        super().__init__(alphas_cumprod)
        if pool is not None:
            check_image(pool, name="pool")
            if pool.shape[0] == 0:
                raise ValueError("pool must hold at least one image")
        self.register_buffer("pool", pool, persistent=False)

    def _sample(
        self, shape: Shape, generator: torch.Generator | None, dtype: torch.dtype
    ) -> dict[str, Tensor]:
        if self.pool is None:
            raise ValueError(
                "this MixingSchedule has no pool of images to draw z from: build it with "
                "pool=images, or pass z (images of shape (B, C, H, W)) yourself"
            )
        if tuple(self.pool.shape[1:]) != tuple(shape[1:]):
            raise ValueError(
                f"the pool holds images of shape {tuple(self.pool.shape[1:])}, "
                f"but the batch has images of shape {tuple(shape[1:])}"
            )
        device = generator.device if generator is not None else None
        index = torch.randint(len(self.pool), (shape[0],), generator=generator, device=device)
        return {"z": self.pool[index.to(self.pool.device)].to(dtype)}
