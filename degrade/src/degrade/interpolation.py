"""Interpolation towards a second signal, ``D(x, t) = sqrt(abar_t) x + sqrt(1 - abar_t) z``.

Section 5.1 (noise) and 5.3 (animorphosis) of Bansal et al. (2022) use this one form; they differ
only in where ``z`` comes from.

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ._validation import (
    Step,
    as_schedule,
    as_steps,
    check_image,
    check_num_steps,
    check_number,
    compute_dtype,
)
from .base import Degradation, Shape
from .bound import BoundDegradation


class InterpolationSchedule(Degradation):
    r"""``D(x, t) = sqrt(abar_t) x + sqrt(1 - abar_t) z``, ``z`` a per-image random parameter.

    ``abar_0 = 1`` and ``alphas_cumprod`` gives ``abar_1 .. abar_T``, non-increasing in
    ``(0, 1]``. Subclasses say how ``z`` is drawn. :meth:`coefficients` returns
    ``a_t = sqrt(abar_t)`` and ``b_t = sqrt(1 - abar_t)``, the form that samplers with
    estimated noise need (A.6).

    Args:
        alphas_cumprod: ``abar_1 .. abar_T``; see :meth:`linear` and :meth:`cosine`.
    """

    param_names = ("z",)

    def __init__(self, alphas_cumprod: Sequence[float] | Tensor) -> None:
        abar = as_schedule("alphas_cumprod", alphas_cumprod, positive=True)
        if bool((abar > 1).any()):
            raise ValueError("alphas_cumprod must lie in (0, 1]")
        if bool((abar[1:] > abar[:-1]).any()):
            raise ValueError("alphas_cumprod must be non-increasing: each step degrades more")
        super().__init__(len(abar))
        self.alphas_cumprod = torch.cat([torch.ones(1, dtype=torch.float64), abar])

    @classmethod
    def from_betas(cls, betas: Sequence[float] | Tensor, **kwargs: object) -> InterpolationSchedule:
        """``abar_t = prod_{i<=t} (1 - beta_i)`` (Ho et al., 2020), with ``0 < beta_i < 1``."""
        betas = as_schedule("betas", betas, positive=True)
        if bool((betas >= 1).any()):
            raise ValueError("betas must lie in (0, 1)")
        return cls(torch.cumprod(1 - betas, dim=0), **kwargs)

    @classmethod
    def linear(
        cls, num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02, **kwargs: object
    ) -> InterpolationSchedule:
        """Betas linear from ``beta_start`` to ``beta_end`` over ``T`` steps (DDPM's schedule)."""
        beta_start = check_number("beta_start", beta_start, positive=True)
        beta_end = check_number("beta_end", beta_end, positive=True)
        num_steps = check_num_steps(num_steps)
        betas = torch.linspace(beta_start, beta_end, num_steps, dtype=torch.float64)
        return cls.from_betas(betas, **kwargs)

    @classmethod
    def cosine(
        cls, num_steps: int, s: float = 0.008, max_beta: float = 0.999, **kwargs: object
    ) -> InterpolationSchedule:
        """Nichol & Dhariwal's cosine schedule, ``f(t) = cos^2((t/T + s) / (1 + s) pi/2)``.

        ``beta_t = min(1 - f(t) / f(t - 1), max_beta)``, so the last steps stay invertible.
        """
        s = check_number("s", s, positive=True)
        max_beta = check_number("max_beta", max_beta, positive=True)
        num_steps = check_num_steps(num_steps)
        t = torch.arange(num_steps + 1, dtype=torch.float64) / num_steps
        f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
        betas = (1 - f[1:] / f[:-1]).clamp(max=max_beta)
        return cls.from_betas(betas, **kwargs)

    def ending_at(self, x_T: Tensor) -> BoundDegradation:
        """The operator interpolating toward ``z = x_T``, the image a prior drew: a random cat
        for animorphosis (section 5.3), white noise for hot generation with fixed noise
        (Table 5's "Fixed Noise": the noise that made ``x_T`` kept for every step).
        ``D(x, T) = x_T`` up to ``sqrt(abar_T) x + (sqrt(1 - abar_T) - 1) x_T``, which a
        schedule ending at ``abar_T`` near 0 (the cosine one) makes negligible."""
        check_image(x_T, name="x_T")
        return self.bind(**{self.param_names[0]: x_T})

    def coefficients(self, t: Step) -> tuple[Tensor, Tensor]:
        """``(a_t, b_t) = (sqrt(abar_t), sqrt(1 - abar_t))``, float64 tensors shaped like ``t``."""
        scalar = not isinstance(t, Tensor)
        batch = 1 if scalar or t.dim() == 0 else t.shape[0]
        steps = as_steps(t, batch_size=batch, num_steps=self.num_steps, device=torch.device("cpu"))
        abar = self.alphas_cumprod[steps]
        a, b = abar.sqrt(), (1 - abar).sqrt()
        return (a[0], b[0]) if scalar else (a, b)

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"z": tuple(shape)}

    def degrade(self, x: Tensor, t: Tensor, z: Tensor) -> Tensor:
        dtype = compute_dtype(x.dtype)
        abar = self.alphas_cumprod.to(x.device)[t].to(dtype).view(-1, 1, 1, 1)
        return (abar.sqrt() * x + (1 - abar).sqrt() * z).to(x.dtype)

    def extra_repr(self) -> str:
        return f"T={self.num_steps}, abar_T={self.alphas_cumprod[-1].item():.4g}"
