"""Soft diffusion's corruption: any linear degradation plus Gaussian noise (Daras et al., 2022).

A linear corruption ``C_t`` (a blur, a mask, a downsampling: any linear :class:`Degradation`
without random parameters) and a noise level ``s_t`` that grows with ``t`` make the diffusion

    x_t = C_t x0 + s_t eta,      eta ~ N(0, I),

which soft score matching learns to reverse (``restore``'s ``soft`` objective) and the Momentum
Sampler walks back (:func:`samplers.momentum`).

References: Daras, Delbracio, Talebi, Dimakis and Milanfar, 2022, "Soft Diffusion: Score
Matching for General Corruptions", arXiv:2209.05442 (TMLR 2023).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import Tensor

from ._validation import as_levels, check_number
from .base import Degradation, DegradationFn, Shape, white_noise


class SoftCorruption(Degradation):
    r"""``D(x, t, noise) = C_t x + s_t noise``: a linear corruption plus white noise whose level
    ``s_t`` grows with ``t`` (Daras et al., 2022: ``x_t = C_t x_0 + s_t eta``).

    ``C`` is any linear :class:`Degradation` without random parameters
    (``GaussianBlurSchedule``, ``HeatDissipation`` with ``sigma=0``, ``SuperResolutionSchedule``,
    your own); ``C_0`` is the identity and ``s_0 = 0``, so ``D(x, 0) = x``. The noise is the
    random parameter ``noise``, a standard normal image, drawn with :meth:`sample_params`.

    What the soft sampler and objective need of it: :meth:`corrupt` (``C_t x``, without
    noise) and :meth:`noise_level` (``s_t``). With its noise, ``D`` is affine, not linear, so
    it has no :meth:`adjoint`; the linear part's is ``D.corruption.adjoint``.

    Args:
        corruption: ``C``, linear, without random parameters; its ``T`` is this operator's.
        noise_levels: ``s_1 .. s_T``, non-negative and non-decreasing in ``t`` (each step back
            removes the variance ``s_t^2 - s_{t-1}^2``), or one number for every step. Build a
            geometric sequence with :meth:`geometric`.

    Examples:
        >>> import torch
        >>> from degrade import HeatDissipation, SoftCorruption
        >>> C = HeatDissipation(100, blur_max=20.0, sigma=0.0)
        >>> D = SoftCorruption.geometric(C, smallest=0.01, largest=0.1)
        >>> x0 = torch.rand(2, 1, 28, 28) * 2 - 1
        >>> noise = torch.randn_like(x0)
        >>> x_t = D(x0, 50, noise=noise)
        >>> bool(torch.allclose(x_t, D.corrupt(x0, 50) + D.noise_level(50) * noise))
        True
    """

    param_names = ("noise",)

    is_linear: ClassVar[bool] = False

    def __init__(self, corruption: Degradation,
                 noise_levels: float | Sequence[float] | Tensor) -> None:
        if not isinstance(corruption, Degradation):
            raise TypeError("corruption must be a degrade.Degradation (linear, without random "
                            f"parameters), got {type(corruption).__name__}")
        if not corruption.is_linear:
            raise ValueError(f"soft diffusion needs a linear corruption C_t; "
                             f"{type(corruption).__name__} is not linear in x")
        if corruption.param_names:
            raise ValueError(f"the corruption's random parameters "
                             f"({', '.join(corruption.param_names)}) would change C_t from "
                             "call to call: soft diffusion needs one fixed C_t per step")
        super().__init__(corruption.num_steps)
        self.corruption = corruption
        self.channels = corruption.channels
        self.differentiable = corruption.differentiable
        levels = as_levels("noise_levels", noise_levels, self.num_steps, symbol="s",
                           increasing=True, why="each step back removes the variance "
                           "s_t^2 - s_{t-1}^2 (Daras et al., 2022)")
        self.register_buffer("_levels", torch.cat([torch.zeros(1, dtype=torch.float64), levels]),
                             persistent=False)

    @classmethod
    def geometric(cls, corruption: Degradation, smallest: float,
                  largest: float) -> SoftCorruption:
        """``s_t`` geometric from ``s_1 = smallest`` to ``s_T = largest`` (both positive), the
        shape of soft diffusion's noise schedule."""
        smallest = check_number("smallest", smallest, positive=True)
        largest = check_number("largest", largest, positive=True)
        if largest < smallest:
            raise ValueError(f"largest ({largest:g}) must be at least smallest ({smallest:g})")
        steps = corruption.num_steps if isinstance(corruption, Degradation) else 1
        levels = torch.linspace(math.log(smallest), math.log(largest), steps,
                                dtype=torch.float64).exp()
        return cls(corruption, levels)

    @property
    def noise_levels(self) -> Tensor:
        """``s_0 .. s_T`` (``s_0 = 0``), float64."""
        return self._levels.clone()

    def noise_level(self, t: int | Tensor) -> Tensor:
        """``s_t`` for a step or a ``(B,)`` tensor of steps, as float64 ``(B,)`` on the CPU (a
        scalar tensor for an int)."""
        steps = torch.as_tensor(t).cpu()
        if steps.dtype.is_floating_point or steps.dtype == torch.bool:
            raise TypeError(f"t must be an int or an integer tensor, got {steps.dtype}")
        if bool((steps < 0).any()) or bool((steps > self.num_steps).any()):
            raise ValueError(f"t must lie in 0..{self.num_steps}, got {steps.tolist()}")
        return self._levels[steps]

    def corrupt(self, x: Tensor, t: int | Tensor) -> Tensor:
        """``C_t x``: the corruption without noise."""
        return self.corruption(x, t)

    def check_image_size(self, height: int, width: int) -> None:
        self.corruption.check_image_size(height, width)

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"noise": tuple(shape)}

    def _sample(self, shape: Shape, generator: torch.Generator | None,
                dtype: torch.dtype) -> dict[str, Tensor]:
        return {"noise": white_noise(shape, generator, dtype)}

    def degrade(self, x: Tensor, t: Tensor, noise: Tensor) -> Tensor:
        level = self._levels[t.cpu()].to(x.device, x.dtype).view(-1, 1, 1, 1)
        return self.corruption(x, t) + level * noise

    def carrying(self, noise: Tensor) -> DegradationFn:
        """``D(x, t) = C_t x + s_t eta`` with ``eta = noise / s_T`` bound: the operator to walk
        back with, by TACoS, from ``x_T + noise`` where a prior drew ``noise = s_T eta``. TACoS
        then keeps that one noise image at each step's level (soft diffusion with its noise
        fixed, as blur diffusion's *Fixed Noise* sampler; Bansal et al., 2022, Table 5);
        :func:`samplers.momentum` re-estimates it instead and needs nothing bound. Without
        noise at ``T`` the operator itself is returned."""
        largest = float(self._levels[-1])
        if largest == 0:
            return self
        return self.bind(noise=noise / largest)

    def extra_repr(self) -> str:
        levels = self._levels[1:]
        return f"T={self.num_steps}, noise={levels[0].item():g}..{levels[-1].item():g}"

