"""Blur diffusion: generalized diffusion in the basis that diagonalises a blur (Lee et al., 2022).

The forward process of Lee et al. blurs and adds noise at once, each frequency of the image at
its own speed (section 3.2). In the orthonormal basis ``U`` in which the symmetric Gaussian blur
``W`` is diagonal, ``W = U diag(d) U^T``, step ``i`` multiplies the rotated image by
``A_i = (1 - beta_i) D^{2 f(i)}`` in variance, and the marginal is eq. (8),

    x_i = U Abar_i^{1/2} U^T x0 + U (I - Abar_i)^{1/2} U^T eps,   Abar_i = prod_{j <= i} A_j,

written with ``U^T eps`` in place of the paper's ``eps`` (the same distribution, since
``U^T eps ~ N(0, I)`` for white ``eps``), so that ``f = 0`` gives standard (variance-preserving)
diffusion for the very same ``eps``.

``U`` is never a dense matrix: the orthonormal DCT-II along each image axis diagonalises blur
with reflecting (half-sample symmetric) boundaries, the FFT blur with circular ones. Each channel
is transformed on its own.

References: Lee et al., 2022, "Progressive Deblurring of Diffusion Models for Coarse-to-Fine
Image Synthesis", arXiv:2207.11192.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import Tensor

from ._validation import as_schedule, check_num_steps, check_number, compute_dtype
from .base import GaussianNoiseDegradation, Shape
from .kernels import gaussian_kernel1d

BLUR_SCHEDULES = ("linear", "log", "quartic", "none")


def blur_rates(kind: str, num_steps: int, final: float) -> Tensor:
    r"""The blur rates ``f(i)``, ``i = 0..N`` (float64), with ``f(0) = 0``, ``f(N) = final``
    (the paper's "blur schedule"; in colddiff a schedule is an operator ``D(x, t)``).

    With ``u = i / N``: ``"linear"`` ``f = final u``; ``"quartic"`` ``f = final u^4`` (blur
    late, the paper's best setting with ``final = 0.14``); ``"log"``
    ``f = final log(1 + 100 u) / log(101)`` (blur early); ``"none"`` ``f = 0``, standard
    diffusion. These are the shapes of the paper's Figure 4.
    """
    num_steps = check_num_steps(num_steps)
    final = check_number("final", final)
    if final < 0:
        raise ValueError(f"the final blur strength must be >= 0, got {final}")
    u = torch.arange(num_steps + 1, dtype=torch.float64) / num_steps
    shapes = {
        "linear": lambda: u,
        "quartic": lambda: u**4,
        "log": lambda: torch.log1p(100 * u) / math.log(101),
        "none": lambda: torch.zeros_like(u),
    }
    if kind not in shapes:
        raise ValueError(f"unknown blur schedule {kind!r}; choose one of {BLUR_SCHEDULES}")
    return final * shapes[kind]()


def blur_schedule(kind: str, num_steps: int, final: float) -> Tensor:
    """Deprecated name of :func:`blur_rates`; it goes in colddiff 0.3."""
    warnings.warn("degrade.blur_schedule is deprecated: use degrade.blur_rates (in colddiff a "
                  "schedule is an operator D(x, t))", DeprecationWarning, stacklevel=2)
    return blur_rates(kind, num_steps, final)


def gaussian_taps(sigma: float, size: int) -> Tensor:
    """The sampled Gaussian of standard deviation ``sigma``, normalised to sum 1, float64.

    Its radius is ``ceil(4 sigma)`` (at least 1), cut at ``size - 1`` so that one period of the
    boundary extension holds it.
    """
    radius = min(max(1, math.ceil(4 * sigma)), size - 1) if size > 1 else 0
    return gaussian_kernel1d(2 * radius + 1, sigma)


def blur_eigenvalues(sigma: float, size: int, boundary: str) -> Tensor:
    """Eigenvalues ``d_k`` of the 1-D blur by :func:`gaussian_taps` along an axis of ``size``.

    ``"reflect"``: half-sample symmetric extension, diagonalised by the DCT-II,
    ``d_k = g_0 + 2 sum_m g_m cos(pi k m / n)``. ``"circular"``: periodic extension,
    diagonalised by the DFT, ``d_k = g_0 + 2 sum_m g_m cos(2 pi k m / n)``. All are positive
    (they sample the positive transform of a Gaussian, periodised), so ``W^p`` is defined for
    any real ``p``.
    """
    taps = gaussian_taps(sigma, size)
    radius = (len(taps) - 1) // 2
    m = torch.arange(1, radius + 1, dtype=torch.float64)
    k = torch.arange(size, dtype=torch.float64)[:, None]
    scale = math.pi if boundary == "reflect" else 2 * math.pi
    return taps[radius] + 2 * (taps[radius + 1:] * torch.cos(scale * k * m / size)).sum(dim=1)


def dct_matrix(size: int) -> Tensor:
    """The orthonormal DCT-II matrix ``C`` (float64): ``C @ v`` transforms, ``C.T @ c`` inverts.

    The one place colddiff builds it (``degrade`` needs only torch); the samplers' priors apply
    the same transform through SciPy (``scipy.fft.dctn``, ``norm="ortho"``) without a matrix.
    """
    k = torch.arange(size, dtype=torch.float64)[:, None]
    n = torch.arange(size, dtype=torch.float64)[None, :]
    matrix = torch.cos(math.pi * k * (2 * n + 1) / (2 * size)) * math.sqrt(2 / size)
    matrix[0] /= math.sqrt(2)
    return matrix


class BlurDiffusion(GaussianNoiseDegradation):
    r"""Blur diffusion, eq. (8) of Lee et al. (2022), for images of any size.

    ``D(x, i, noise=eps) = U Abar_i^{1/2} U^T x + U (I - Abar_i)^{1/2} U^T eps`` with
    ``Abar_i = abar_i D^{2 F(i)}``: ``abar_i = prod_{j <= i} (1 - beta_j)`` and
    ``F(i) = sum_{j <= i} f(j)``. The random parameter is the white noise ``eps``,
    the keyword ``noise`` (as in every operator with additive noise; ``eps`` is its former
    name), shaped like
    the images; :meth:`rotate` and :meth:`unrotate` apply ``U^T`` and ``U``, and
    :meth:`signal` and :meth:`step_signal` give the diagonals of ``Abar_i`` and
    ``A_i = (1 - beta_i) D^{2 f(i)}``, which the samplers use.

    Args:
        betas: ``beta_1 .. beta_N`` in (0, 1).
        blur: ``f(0) .. f(N)`` (length ``N + 1``, ``f(0) = 0``, non-negative), for example
            :func:`blur_rates`.
        sigma: the standard deviation of the Gaussian blur ``W``.
        boundary: ``"reflect"`` (DCT-II basis) or ``"circular"`` (Fourier basis).

    Examples:
        >>> import torch
        >>> from degrade import BlurDiffusion
        >>> D = BlurDiffusion.paper()          # N = 1000, sigma 0.4, quartic, f(N) = 0.14
        >>> x0 = torch.zeros(2, 3, 32, 32)
        >>> params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
        >>> D(x0, 1000, **params).shape
        torch.Size([2, 3, 32, 32])
    """

    renamed: ClassVar[dict[str, str]] = {"eps": "noise"}

    def __init__(self, betas: Sequence[float] | Tensor, blur: Sequence[float] | Tensor,
                 sigma: float = 0.4, boundary: str = "reflect") -> None:
        betas = as_schedule("betas", betas, positive=True)
        if bool((betas >= 1).any()):
            raise ValueError("betas must be below 1")
        super().__init__(len(betas))
        blur = torch.as_tensor(blur, dtype=torch.float64).flatten()
        if len(blur) != len(betas) + 1:
            raise ValueError(f"blur must hold f(0) .. f(N), {len(betas) + 1} values, got "
                             f"{len(blur)}")
        if not bool(torch.isfinite(blur).all()) or bool((blur < 0).any()) or blur[0] != 0:
            raise ValueError("blur must be finite, non-negative and start with f(0) = 0")
        if boundary not in ("reflect", "circular"):
            raise ValueError(f'boundary must be "reflect" or "circular", got {boundary!r}')
        self.sigma = check_number("sigma", sigma, positive=True)
        self.boundary = boundary
        self.betas = betas.to(torch.float64)
        self.blur = blur
        self.alphas_cumprod = torch.cat([torch.ones(1, dtype=torch.float64),
                                         torch.cumprod(1 - self.betas, 0)])
        self.blur_cumsum = torch.cumsum(blur, 0)
        self._cache: dict[tuple, tuple[Tensor, ...]] = {}

    @classmethod
    def paper(cls, num_steps: int = 1000, *, blur: str = "quartic", final_blur: float = 0.14,
              sigma: float = 0.4, beta_start: float = 1e-4, beta_end: float = 0.02,
              boundary: str = "reflect") -> BlurDiffusion:
        """Section 4's setting: linear betas from 1e-4 to 0.02, sigma 0.4, quartic ``f``,
        ``f(N) = 0.14``; ``blur="none"`` (or ``final_blur=0``) is standard diffusion."""
        num_steps = check_num_steps(num_steps)
        betas = torch.linspace(beta_start, beta_end, num_steps, dtype=torch.float64)
        return cls(betas, blur_rates(blur, num_steps, final_blur), sigma, boundary)

    def _basis(self, height: int, width: int, device: torch.device,
               dtype: torch.dtype) -> tuple[Tensor, ...]:
        """``(eigenvalues (H, W), C_h, C_w)``; the DCT matrices are None for the Fourier basis."""
        key = (height, width, device, dtype)
        if key not in self._cache:
            d = (blur_eigenvalues(self.sigma, height, self.boundary)[:, None]
                 * blur_eigenvalues(self.sigma, width, self.boundary)[None, :])
            if self.boundary == "reflect":
                matrices = (dct_matrix(height).to(device, dtype),
                            dct_matrix(width).to(device, dtype))
            else:
                matrices = (None, None)
            self._cache[key] = (d.to(device), *matrices)
        return self._cache[key]

    def rotate(self, x: Tensor) -> Tensor:
        """``U^T x``: each channel into the blur's eigenbasis (real DCT-II, or complex DFT)."""
        _, c_h, c_w = self._basis(*x.shape[-2:], x.device, x.dtype)
        if c_h is None:
            return torch.fft.fft2(x, norm="ortho")
        return c_h @ x @ c_w.T

    def unrotate(self, y: Tensor) -> Tensor:
        """``U y``: back to pixels (the real part, for the Fourier basis)."""
        _, c_h, c_w = self._basis(*y.shape[-2:], y.device,
                                  y.real.dtype if y.is_complex() else y.dtype)
        if c_h is None:
            return torch.fft.ifft2(y, norm="ortho").real
        return c_h.T @ y @ c_w

    def blur_power(self, x: Tensor, p: float) -> Tensor:
        """``W^p x``, through the basis: for ``p = 1`` the blur of each channel by the kernel."""
        d = self._basis(*x.shape[-2:], x.device, x.dtype)[0]
        return self.unrotate(self.rotate(x) * d.pow(p).to(x.dtype))

    def _diagonal(self, t: Tensor, shape: Shape | tuple[int, ...], cumulative: bool,
                  device: torch.device) -> Tensor:
        d = self._basis(shape[-2], shape[-1], device, torch.float64)[0]
        t = t.to("cpu")
        if cumulative:
            scale, power = self.alphas_cumprod[t], 2 * self.blur_cumsum[t]
        else:
            scale = torch.where(t > 0, 1 - self.betas[(t - 1).clamp(min=0)], 1.0)
            power = 2 * self.blur[t]
        scale, power = scale.to(device), power.to(device)
        return scale.view(-1, 1, 1, 1) * d.pow(power.view(-1, 1, 1, 1))

    def signal(self, t: int | Tensor, shape: tuple[int, ...]) -> Tensor:
        """The diagonal of ``Abar_t`` for images of ``shape``: ``(B, 1, H, W)``, float64."""
        t = torch.as_tensor(t).reshape(-1)
        return self._diagonal(t, shape, cumulative=True, device=torch.device("cpu"))

    def step_signal(self, t: int | Tensor, shape: tuple[int, ...]) -> Tensor:
        """The diagonal of ``A_t = (1 - beta_t) D^{2 f(t)}`` (``A_0 = I``): ``(B, 1, H, W)``."""
        t = torch.as_tensor(t).reshape(-1)
        return self._diagonal(t, shape, cumulative=False, device=torch.device("cpu"))

    def degrade(self, x: Tensor, t: Tensor, noise: Tensor) -> Tensor:
        dtype = compute_dtype(x.dtype)
        signal = self._diagonal(t, x.shape, cumulative=True, device=x.device)
        mean = self.rotate(x.to(dtype)) * signal.sqrt().to(dtype)
        spread = self.rotate(noise.to(dtype)) * (1 - signal).clamp(min=0).sqrt().to(dtype)
        return self.unrotate(mean + spread).to(x.dtype)

    def extra_repr(self) -> str:
        return (f"T={self.num_steps}, sigma={self.sigma:g}, f(N)={self.blur[-1].item():.4g}, "
                f"boundary={self.boundary!r}")
