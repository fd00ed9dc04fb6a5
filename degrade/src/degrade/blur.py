"""Gaussian blur diffusion: section 4.1, A.1 and 5.2 of Bansal et al. (2022).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ._validation import as_schedule, check_num_steps, check_number, compute_dtype
from .base import Degradation
from .kernels import gaussian_kernel1d

PADDINGS = ("circular", "reflect", "zeros")
METHODS = ("auto", "matrix", "fourier")
MATRIX_BUDGET = 2**24
"""``method="auto"`` precomputes matrices while ``T (H^2 + W^2)`` stays within this many numbers."""
_TORCH_PAD_MODE = {"circular": "circular", "reflect": "reflect", "zeros": "constant"}


class GaussianBlurSchedule(Degradation):
    r"""Blur diffusion ``D(x, t) = G_t * ... * G_1 * x`` (section 4.1 of Bansal et al. (2022)).

    ``G_s`` is a sampled ``kernel_size x kernel_size`` Gaussian of standard deviation
    ``sigmas[s - 1]``, normalised to sum 1, applied as the paper's code does: pad by
    ``kernel_size // 2`` with ``padding``, then convolve. :meth:`step` applies one kernel.

    The composition is computed in closed form, so ``D(x, t)`` costs the same for every ``t``.
    Each ``G_s`` is separable, so along an axis of length ``n`` it acts by an ``n x n`` matrix
    ``A_s`` (the 1-D kernel with the padding folded in), and ``D(x, t) = M_t x N_t^T`` with
    ``M_t = A_t ... A_1`` for the rows and ``N_t`` likewise for the columns. Two ways to apply it:

    * ``"matrix"``: the composite matrices of every ``t`` are precomputed once per image size
      (``T (H^2 + W^2)`` numbers); applying them is two matrix products. Works for all paddings.
    * ``"fourier"`` (``circular`` and ``reflect`` only): circular padding makes ``A_s`` circulant,
      diagonal in the DFT, so ``M_t`` is the product of the kernels' transfer functions.
      Reflecting padding is circular padding of the even extension of period ``2 (n - 1)``,
      which the kernels keep even, so the same holds on that length (a DCT-I done with the FFT).
      Stores only ``T (H + W)`` numbers.

    ``method="auto"`` takes the FFT for circular padding when both sides have at least 128
    pixels, where it was faster in ``benchmarks/degrade_speed.py``, and otherwise the matrices
    while they fit in ``2**24`` numbers (the FFT beyond; zero padding always uses matrices).

    With ``to_mean=True`` (the generation schedule of section 5.2) the last step replaces the
    image by its per-channel mean, ``D(x, T) = mean(D(x, T - 1))``: every image ends as the
    constant image that a prior over channel means can sample.

    Args:
        kernel_size: odd side of the square kernels.
        sigmas: per-step standard deviations ``sigma_1 .. sigma_T`` (length ``T``).
        padding: ``"circular"``, ``"reflect"`` or ``"zeros"``.
        to_mean: make step ``T`` the per-channel mean (section 5.2).
        method: ``"auto"``, ``"matrix"`` or ``"fourier"``; see above.

    Examples:
        >>> import torch
        >>> from degrade import GaussianBlurSchedule
        >>> D = GaussianBlurSchedule.exponential(27, num_steps=300, rate=0.01)
        >>> x0 = torch.rand(2, 3, 64, 64) * 2 - 1
        >>> D(x0, 300).shape
        torch.Size([2, 3, 64, 64])
        >>> bool((D(x0, 0) == x0).all())
        True
    """

    is_linear = True

    def __init__(
        self,
        kernel_size: int,
        sigmas: Sequence[float] | Tensor,
        padding: str = "circular",
        to_mean: bool = False,
        method: str = "auto",
    ) -> None:
        if isinstance(kernel_size, bool) or not isinstance(kernel_size, numbers.Integral):
            raise TypeError(f"kernel_size must be an int, got {kernel_size!r}")
        kernel_size = int(kernel_size)
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd number, got {kernel_size}")
        if padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if method == "fourier" and padding == "zeros":
            raise ValueError('zero padding has no Fourier form: use method="matrix" or "auto"')
        sigmas = as_schedule("sigmas", sigmas, positive=True)
        super().__init__(len(sigmas))
        self.kernel_size = kernel_size
        self.sigmas = sigmas
        self.padding = padding
        self.to_mean = bool(to_mean)
        self.method = method
        self._kernels = gaussian_kernel1d(kernel_size, sigmas).reshape(len(sigmas), kernel_size)
        self._cache: dict[tuple, Tensor] = {}

    @classmethod
    def constant(
        cls, kernel_size: int, num_steps: int, sigma: float, **kwargs: object
    ) -> GaussianBlurSchedule:
        """The same kernel at every step, ``sigma_t = sigma`` (the paper's MNIST schedule)."""
        sigma = check_number("sigma", sigma, positive=True)
        return cls(kernel_size, [sigma] * check_num_steps(num_steps), **kwargs)

    @classmethod
    def linear(
        cls, kernel_size: int, num_steps: int, slope: float, offset: float, **kwargs: object
    ) -> GaussianBlurSchedule:
        """``sigma_t = slope * t + offset`` for ``t = 1..T`` (the paper's CIFAR-10 schedule)."""
        slope, offset = check_number("slope", slope), check_number("offset", offset)
        t = torch.arange(1, check_num_steps(num_steps) + 1, dtype=torch.float64)
        return cls(kernel_size, slope * t + offset, **kwargs)

    @classmethod
    def exponential(
        cls, kernel_size: int, num_steps: int, rate: float, scale: float = 1.0, **kwargs: object
    ) -> GaussianBlurSchedule:
        """``sigma_t = scale * exp(rate * t)`` for ``t = 1..T`` (CelebA, section 5.2)."""
        rate, scale = check_number("rate", rate), check_number("scale", scale, positive=True)
        t = torch.arange(1, check_num_steps(num_steps) + 1, dtype=torch.float64)
        return cls(kernel_size, scale * torch.exp(rate * t), **kwargs)

    def kernel(self, s: int) -> Tensor:
        """The 2-D kernel ``G_s`` of step ``s`` (float64, shape ``(K, K)``)."""
        if not 1 <= s <= self.num_steps:
            raise ValueError(f"s must satisfy 1 <= s <= T = {self.num_steps}, got {s}")
        k = self._kernels[s - 1]
        return torch.outer(k, k)

    def step(self, x: Tensor, s: int) -> Tensor:
        """Apply one kernel, ``x_s = G_s * x_{s-1}``, as the paper's recursion does.

        This is the reference the closed form is tested against; it costs ``O(K^2)`` per pixel.
        """
        kernel = self.kernel(s).to(x.dtype).to(x.device)
        channels = x.shape[1]
        weight = kernel.expand(channels, 1, *kernel.shape)
        r = self.kernel_size // 2
        padded = F.pad(x, (r, r, r, r), mode=_TORCH_PAD_MODE[self.padding])
        return F.conv2d(padded, weight, groups=channels)

    def degrade(self, x: Tensor, t: Tensor) -> Tensor:
        dtype = compute_dtype(x.dtype)
        blur_steps = t.clamp(max=self.num_steps - 1) if self.to_mean else t
        if self._uses_matrices(*x.shape[-2:]):
            out = self._blur_matrix(x.to(dtype), blur_steps)
        else:
            out = self._blur_fourier(x.to(dtype), blur_steps)
        if self.to_mean:
            mean = out.mean(dim=(-2, -1), keepdim=True).expand_as(out)
            out = torch.where((t == self.num_steps).view(-1, 1, 1, 1), mean, out)
        return out.to(x.dtype)

    def _uses_matrices(self, height: int, width: int) -> bool:
        if self.method != "auto":
            return self.method == "matrix"
        if self.padding == "circular" and min(height, width) >= 128:
            return False
        size = self.num_steps * (height**2 + width**2)
        return self.padding == "zeros" or size <= MATRIX_BUDGET

    def _blur_fourier(self, x: Tensor, t: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        if self.padding == "reflect":
            x = _even_extension(_even_extension(x, -2), -1)
        length_h, length_w = x.shape[-2:]
        spectrum = torch.fft.rfft2(x)
        transfer_h = self._transfer(length_h, x.device, x.dtype)[t]
        transfer_w = self._transfer(length_w, x.device, x.dtype)[t, : length_w // 2 + 1]
        spectrum = spectrum * (transfer_h[:, None, :, None] * transfer_w[:, None, None, :])
        out = torch.fft.irfft2(spectrum, s=(length_h, length_w))
        return out[..., :height, :width]

    def _transfer(self, length: int, device: torch.device, dtype: torch.dtype) -> Tensor:
        """Transfer functions of ``G_t * ... * G_1`` on a circle of ``length``: ``(T + 1, length)``.

        A symmetric kernel has the real transfer function
        ``sum_j k_j cos(2 pi f (j - r) / length)``; composing kernels multiplies them.
        """
        key = ("transfer", length, device, dtype)
        if key not in self._cache:
            r = self.kernel_size // 2
            offsets = torch.arange(-r, r + 1, dtype=torch.float64)
            frequencies = torch.arange(length, dtype=torch.float64)
            phase = 2 * math.pi * torch.outer(offsets, frequencies) / length
            per_step = self._kernels @ torch.cos(phase)
            ones = torch.ones(1, length, dtype=torch.float64)
            cumulative = torch.cumprod(torch.cat([ones, per_step]), dim=0)
            self._cache[key] = _flush_denormals(cumulative.to(device=device, dtype=dtype))
        return self._cache[key]

    def _blur_matrix(self, x: Tensor, t: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        rows = self._composite_matrices(height, x.device, x.dtype)[t]
        columns = self._composite_matrices(width, x.device, x.dtype)[t]
        return rows[:, None] @ x @ columns[:, None].transpose(-1, -2)

    def _composite_matrices(self, n: int, device: torch.device, dtype: torch.dtype) -> Tensor:
        """``A_t ... A_1`` along an axis of length ``n``: ``(T + 1, n, n)``."""
        key = ("matrix", n, device, dtype)
        if key not in self._cache:
            stacked = torch.empty(self.num_steps + 1, n, n, dtype=dtype, device=device)
            composite = torch.eye(n, dtype=torch.float64)
            stacked[0] = composite
            for s in range(self.num_steps):
                composite = self._step_matrix(s, n) @ composite
                stacked[s + 1] = composite
            self._cache[key] = _flush_denormals(stacked)
        return self._cache[key]

    def _step_matrix(self, s: int, n: int) -> Tensor:
        """``A_{s+1}``: ``(A x)_i = sum_j k_j x_{fold(i + j - r)}``, the padding in ``fold``."""
        r = self.kernel_size // 2
        source = torch.arange(n)[:, None] + torch.arange(-r, r + 1)[None, :]
        inside = (source >= 0) & (source < n)
        if self.padding == "circular":
            source, inside = source % n, torch.ones_like(inside)
        elif self.padding == "reflect":  # the even extension has period 2 (n - 1)
            period = max(2 * (n - 1), 1)
            source = source % period
            source = torch.where(source < n, source, period - source)
            inside = torch.ones_like(inside)
        weights = torch.where(inside, self._kernels[s].expand(n, -1), 0)
        matrix = torch.zeros(n, n, dtype=torch.float64)
        return matrix.scatter_add_(1, source.clamp(0, n - 1), weights)

    def extra_repr(self) -> str:
        return (
            f"T={self.num_steps}, kernel_size={self.kernel_size}, padding={self.padding!r}, "
            f"sigma_1={self.sigmas[0].item():.4g}, sigma_T={self.sigmas[-1].item():.4g}"
            + (", to_mean=True" if self.to_mean else "")
            + (f", method={self.method!r}" if self.method != "auto" else "")
        )


def _flush_denormals(values: Tensor) -> Tensor:
    """Zero the subnormal numbers of a cache: they change nothing but slow products down."""
    return values.masked_fill_(values.abs() < torch.finfo(values.dtype).tiny, 0)


def _even_extension(x: Tensor, dim: int) -> Tensor:
    """Extend ``x`` to the even sequence of period ``2 (n - 1)`` that reflecting padding implies."""
    n = x.shape[dim]
    if n <= 2:  # the period 2 (n - 1) is then n (or the signal is constant)
        return x
    inner = x.narrow(dim, 1, n - 2).flip(dim)
    return torch.cat([x, inner], dim)
