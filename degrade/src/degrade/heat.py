"""Heat dissipation with a little noise: warm diffusion (Rissanen, Heinonen and Solin, 2023).

References: Rissanen, Heinonen and Solin, 2023, "Generative Modelling With Inverse Heat
Dissipation" (ICLR 2023), arXiv:2206.13397, section 2 (eq. 3-5); Bansal et al., 2022, "Cold
Diffusion: Inverting Arbitrary Image Transforms Without Noise", arXiv:2208.09392, section 3.1.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor

from ._validation import check_num_steps, check_number, compute_dtype
from .base import Degradation, DegradationFn, Shape, white_noise
from .blur_diffusion import dct_matrix


class HeatDissipation(Degradation):
    r"""``D(x, t) = F(tau_t) x + sigma z``: the heat equation run for time ``tau_t``, plus noise.

    ``F(tau) = V^T exp(-Lambda tau) V`` solves the heat equation on the image with Neumann
    (reflecting) boundaries: ``V`` is the orthonormal 2-D DCT-II and ``Lambda`` holds
    ``pi^2 (n^2 / H^2 + m^2 / W^2)`` for frequency ``(n, m)`` (eq. 4 of Rissanen et al., 2023).
    Running it for ``tau = sigma_B^2 / 2`` blurs like a Gaussian of standard deviation
    ``sigma_B`` pixels and keeps each channel's mean. The blur of step ``t = 1 .. T`` is
    ``sigma_B,t``, log-spaced from ``blur_min`` to ``blur_max`` (their schedule); ``t = 0`` is
    the image itself. The operator is separable, so it runs as two small matrix products per
    image whatever ``t`` is.

    ``z`` is the random parameter ``noise`` (a standard normal image, ``(B, C, H, W)``; the
    keyword ``z`` is its former name), as every random
    draw in this package: draw it with :meth:`sample_params`. ``sigma`` is small and fixed
    (0.01 in the paper, where images lie in [0, 1]; ours lie in [-1, 1], hence 0.02 by
    default). With ``sigma = 0`` the operator is the pure, linear heat blur.

    Args:
        num_steps: ``T`` (100 for MNIST, 200 for CIFAR-10 in the paper).
        blur_min: ``sigma_B`` of step 1, in pixels (0.5).
        blur_max: ``sigma_B`` of step ``T`` (20 for MNIST, 24 for CIFAR-10).
        sigma: the standard deviation of the added noise, in this package's [-1, 1] units.

    Examples:
        >>> import torch
        >>> from degrade import HeatDissipation
        >>> D = HeatDissipation(100, blur_max=20.0)
        >>> x0 = torch.rand(2, 1, 28, 28) * 2 - 1
        >>> params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
        >>> D(x0, 100, **params).shape
        torch.Size([2, 1, 28, 28])
    """

    renamed: ClassVar[dict[str, str]] = {"z": "noise"}

    def __init__(self, num_steps: int, blur_min: float = 0.5, blur_max: float = 20.0,
                 sigma: float = 0.02) -> None:
        super().__init__(check_num_steps(num_steps))
        self.blur_min = check_number("blur_min", blur_min, positive=True)
        self.blur_max = check_number("blur_max", blur_max, positive=True)
        if self.blur_max < self.blur_min:
            raise ValueError(f"blur_max ({blur_max}) must be at least blur_min ({blur_min})")
        self.sigma = check_number("sigma", sigma)
        if self.sigma < 0:
            raise ValueError(f"sigma must be at least 0, got {sigma}")
        steps = torch.linspace(math.log(self.blur_min), math.log(self.blur_max), self.num_steps,
                               dtype=torch.float64)
        self.blur_sigmas = torch.cat([torch.zeros(1, dtype=torch.float64), steps.exp()])
        self.is_linear = self.sigma == 0
        self.param_names = ("noise",) if self.sigma > 0 else ()
        self._cache: dict[tuple, Tensor] = {}

    @property
    def times(self) -> Tensor:
        """``tau_t = sigma_B,t^2 / 2`` for ``t = 0 .. T`` (``tau_0 = 0``)."""
        return self.blur_sigmas**2 / 2

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"noise": tuple(shape)} if self.sigma > 0 else {}

    def _sample(self, shape: Shape, generator: torch.Generator | None,
                dtype: torch.dtype) -> dict[str, Tensor]:
        if self.sigma == 0:
            return {}
        return {"noise": white_noise(shape, generator, dtype)}

    def heat(self, x: Tensor, t: Tensor) -> Tensor:
        """``F(tau_t) x``, the noiseless blur of step ``t`` (an int64 tensor of shape ``(B,)``)."""
        dtype = compute_dtype(x.dtype)
        rows = self._matrices(x.shape[-2], x.device, dtype)[t]
        columns = self._matrices(x.shape[-1], x.device, dtype)[t]
        out = rows[:, None] @ x.to(dtype) @ columns[:, None].transpose(-1, -2)
        return out.to(x.dtype)

    def degrade(self, x: Tensor, t: Tensor, noise: Tensor | None = None) -> Tensor:
        out = self.heat(x, t)
        # Images at t = 0 get x itself back from Degradation.forward, noise and all.
        return out if noise is None else out + self.sigma * noise

    def carrying(self, noise: Tensor) -> DegradationFn:
        """``D(x, t) = F(tau_t) x + noise`` for ``t > 0``: the operator with its noise term bound
        to ``noise`` (``z = noise / sigma``), to walk back from ``x_T + noise`` (a prior's sample
        with symmetry-breaking noise). With ``sigma = 0`` there is no noise term to bind, and
        the operator itself is returned (:meth:`Degradation.carrying`)."""
        if self.sigma == 0:
            return self
        return self.bind(noise=noise / self.sigma)

    def _matrices(self, n: int, device: torch.device, dtype: torch.dtype) -> Tensor:
        """``C^T exp(-(pi k / n)^2 tau_t) C`` along one axis of length ``n``: ``(T+1, n, n)``."""
        key = (n, device, dtype)
        if key not in self._cache:
            k = torch.arange(n, dtype=torch.float64)
            dct = dct_matrix(n)
            decay = torch.exp(-(math.pi * k / n) ** 2 * self.times[:, None])
            self._cache[key] = (dct.T @ (decay[:, :, None] * dct)).to(device, dtype)
        return self._cache[key]

    def extra_repr(self) -> str:
        return (f"T={self.num_steps}, blur_min={self.blur_min:g}, blur_max={self.blur_max:g}, "
                f"sigma={self.sigma:g}")
