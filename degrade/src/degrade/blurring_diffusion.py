"""Blurring diffusion: heat dissipation and Gaussian noise at once, in the DCT basis (Hoogeboom
and Salimans, 2023).

In the orthonormal DCT-II basis ``V`` (reflecting boundaries), blurring by heat dissipation for
a time ``tau`` multiplies frequency ``(k, l)`` of an ``H x W`` image by ``exp(-lambda tau)``,
``lambda = (pi k / H)^2 + (pi l / W)^2``. Blurring diffusion's marginal is

    u_t = alpha_t u_0 + sigma_t eps,      u = V^T x,   eps ~ N(0, I),

with ``alpha_t = a_t d_t`` per frequency: ``a_t = cos(pi t / 2)`` and ``sigma_t = sin(pi t / 2)``
(the cosine schedule), ``d_t = (1 - d_min) exp(-lambda tau_t) + d_min`` and
``tau_t = sigma_B(t)^2 / 2``, ``sigma_B(t) = sigma_B,max sin^2(pi t / 2)``, for ``t`` in [0, 1].
The noise is white in every basis, where blur diffusion's (Lee et al., 2022,
:class:`degrade.BlurDiffusion`) is ``(I - Abar)^{1/2}`` per frequency: the two coincide without
blur (``sigma_B,max = 0``), which the tests show.

References: Hoogeboom and Salimans, 2023, "Blurring Diffusion Models", ICLR, arXiv:2209.05557;
Lee et al., 2022, "Progressive Deblurring of Diffusion Models for Coarse-to-Fine Image
Synthesis", arXiv:2207.11192.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor

from ._validation import check_num_steps, check_number, compute_dtype
from .base import GaussianNoiseDegradation
from .blur_diffusion import dct_matrix

LEAST_SIGNAL = 1 / (1 + math.exp(15))
"""``a_T^2``: the cosine schedule's ``cos^2(pi/2) = 0`` raised to a log signal-to-noise ratio of
-15, so that the clean image a noise prediction implies at ``t = T`` stays finite (it divides by
``a_t``). Only the last step changes: ``cos^2(pi/2 (T - 1)/T)`` is above it for ``T <= 1000``."""


class BlurringDiffusion(GaussianNoiseDegradation):
    r"""Blurring diffusion, ``D(x, t, noise=eps) = V (alpha_t V^T x) + sigma_t eps``, in ``T``
    steps of the continuous time ``t/T`` (section 3 of Hoogeboom and Salimans, 2023).

    ``alpha_t = cos(pi t/2) d_t`` is a diagonal in the DCT basis (the blur), ``sigma_t =
    sin(pi t/2)`` a number (white noise); at ``t = T``, ``cos^2`` is raised to
    :data:`LEAST_SIGNAL`. The samplers for a diffusion in a rotated basis take it
    (:func:`samplers.rotated_ddim`, :func:`samplers.rotated_ancestral`): :meth:`rotate`,
    :meth:`unrotate`, :meth:`signal` (``alpha_t^2``) and :meth:`noise_variance`
    (``sigma_t^2``). A network trained on it predicts the noise (``restore``'s ``noise``
    objective), as in the paper.

    Args:
        num_steps: ``T``.
        sigma_blur_max: ``sigma_B,max``, the blur's largest standard deviation in pixels,
            reached at ``t = T``; 0 is standard diffusion with the cosine schedule.
        min_scale: ``d_min``, the least a frequency keeps of itself (the paper: 0.001).

    Examples:
        >>> import torch
        >>> from degrade import BlurringDiffusion
        >>> D = BlurringDiffusion(num_steps=1000, sigma_blur_max=20.0)
        >>> x0 = torch.rand(2, 3, 32, 32) * 2 - 1
        >>> params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
        >>> D(x0, 500, **params).shape
        torch.Size([2, 3, 32, 32])
    """

    is_linear: ClassVar[bool] = False

    def __init__(self, num_steps: int = 1000, sigma_blur_max: float = 20.0,
                 min_scale: float = 0.001) -> None:
        super().__init__(check_num_steps(num_steps))
        self.sigma_blur_max = check_number("sigma_blur_max", sigma_blur_max)
        if self.sigma_blur_max < 0:
            raise ValueError(f"sigma_blur_max must be >= 0, got {self.sigma_blur_max}")
        self.min_scale = check_number("min_scale", min_scale)
        if not 0 <= self.min_scale < 1:
            raise ValueError(f"min_scale must be in [0, 1), got {self.min_scale}")
        self._cache: dict[tuple, tuple[Tensor, Tensor, Tensor]] = {}

    def _basis(self, height: int, width: int, device: torch.device,
               dtype: torch.dtype) -> tuple[Tensor, Tensor, Tensor]:
        """``(lambda (H, W) float64 on the CPU, C_h, C_w)``: frequencies and DCT matrices."""
        key = (height, width, device, dtype)
        if key not in self._cache:
            k = torch.arange(height, dtype=torch.float64) * math.pi / height
            m = torch.arange(width, dtype=torch.float64) * math.pi / width
            frequencies = k[:, None] ** 2 + m[None, :] ** 2
            self._cache[key] = (frequencies, dct_matrix(height).to(device, dtype),
                                dct_matrix(width).to(device, dtype))
        return self._cache[key]

    def rotate(self, x: Tensor) -> Tensor:
        """``V^T x``: each channel into the DCT-II basis."""
        _, c_h, c_w = self._basis(*x.shape[-2:], x.device, x.dtype)
        return c_h @ x @ c_w.T

    def unrotate(self, y: Tensor) -> Tensor:
        """``V y``: back to pixels."""
        _, c_h, c_w = self._basis(*y.shape[-2:], y.device, y.dtype)
        return c_h.T @ y @ c_w

    def _time(self, t: int | Tensor) -> Tensor:
        return torch.as_tensor(t).reshape(-1).to("cpu", torch.float64) / self.num_steps

    def scaling(self, t: int | Tensor, shape: tuple[int, ...]) -> Tensor:
        """``d_t``, what heat dissipation keeps of each frequency: ``(B, 1, H, W)``, float64."""
        u = self._time(t).view(-1, 1, 1, 1)
        frequencies = self._basis(shape[-2], shape[-1], torch.device("cpu"), torch.float64)[0]
        sigma_blur = self.sigma_blur_max * torch.sin(u * math.pi / 2) ** 2
        dissipation = sigma_blur ** 2 / 2
        return (1 - self.min_scale) * torch.exp(-frequencies * dissipation) + self.min_scale

    def _a2(self, t: int | Tensor) -> Tensor:
        """``a_t^2 = cos^2(pi t/2)``, at least ``sigmoid(-15)``: ``(B, 1, 1, 1)`` float64."""
        a2 = torch.cos(self._time(t) * math.pi / 2) ** 2
        return a2.clamp(min=LEAST_SIGNAL).view(-1, 1, 1, 1)

    def signal(self, t: int | Tensor, shape: tuple[int, ...]) -> Tensor:
        """``alpha_t^2 = a_t^2 d_t^2`` per frequency: ``(B, 1, H, W)``, float64."""
        return self._a2(t) * self.scaling(t, shape) ** 2

    def noise_variance(self, t: int | Tensor, shape: tuple[int, ...]) -> Tensor:
        """``sigma_t^2 = 1 - a_t^2``, the same for every frequency: ``(B, 1, 1, 1)``."""
        return 1 - self._a2(t)

    def degrade(self, x: Tensor, t: Tensor, noise: Tensor) -> Tensor:
        dtype = compute_dtype(x.dtype)
        alpha = self.signal(t, x.shape).sqrt().to(x.device, dtype)
        sigma = self.noise_variance(t, x.shape).sqrt().to(x.device, dtype)
        blurred = self.unrotate(self.rotate(x.to(dtype)) * alpha)
        return (blurred + sigma * noise.to(dtype)).to(x.dtype)

    def extra_repr(self) -> str:
        return (f"T={self.num_steps}, sigma_blur_max={self.sigma_blur_max:g}, "
                f"min_scale={self.min_scale:g}")
