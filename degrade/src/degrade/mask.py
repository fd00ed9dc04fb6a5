"""Gaussian masking (inpainting, section 4.2 and A.2) and its fade-to-colour variant (5.3).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Sequence

import torch
from torch import Tensor

from ._validation import (
    Step,
    as_schedule,
    check_image,
    check_num_steps,
    check_number,
    compute_dtype,
)
from .base import Degradation, Shape
from .bound import BoundDegradation


class GaussianMaskSchedule(Degradation):
    r"""Inpainting diffusion ``D(x, t) = x * prod_{i<=t} z_{beta_i}`` (section 4.2).

    ``z_beta = 1 - exp(-d^2 / (2 beta))`` is one minus a 2-D Gaussian of variance ``beta`` with
    peak 1, where ``d`` is the distance in pixels to the mask's centre: the centre is set to 0
    (grey, in [-1, 1] images) and the mask widens as ``beta`` grows.

    The centre is a pixel. With ``center="random"`` (the paper's MNIST and CIFAR-10 setting) it is
    a random parameter, ``center``, of shape ``(B, 2)`` holding ``(row, column)``: draw it with
    :meth:`sample_params`. ``center="middle"`` uses pixel ``(H // 2, W // 2)`` of every image
    (CelebA), and a pair ``(row, column)`` a fixed pixel.

    Products of masks are precomputed once per image size as a function of the offset from the
    centre, so ``D(x, t)`` costs the same for every ``t``.

    The paper's code builds its masks otherwise than the text reads (see :meth:`paper_code`):
    standard deviations ``0.1 (i + 11)`` rather than variances ``1 + 0.1 i``, random centres that
    may fall one pixel above or left of the image (``center_from=-1``), and degraded images
    quantised to 8 bits (``bits=8``). Both readings are this class with other arguments.

    Args:
        betas: per-step variances ``beta_1 .. beta_T`` (length ``T``); see :meth:`linear`.
        center: ``"random"``, ``"middle"`` or a pixel ``(row, column)``.
        center_from: the smallest row and column a random centre takes: 0 (a pixel of the
            image) or -1 (the paper's code, whose crops put the centre one pixel outside the
            image in one draw out of ``n + 1`` per axis).
        bits: quantise ``D(x, t)`` for ``t >= 1`` to this many bits, rounding down as the
            paper's code does (``--discrete``, A.2: "quantized to 8 bits"); None keeps floats.
            A quantised operator is not linear.

    Examples:
        >>> import torch
        >>> from degrade import GaussianMaskSchedule
        >>> D = GaussianMaskSchedule.linear(num_steps=50, beta_start=1.0, beta_step=0.1)
        >>> x0 = torch.rand(4, 3, 32, 32) * 2 - 1
        >>> params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
        >>> D(x0, 50, **params).shape
        torch.Size([4, 3, 32, 32])
    """

    is_linear = True

    def __init__(
        self, betas: Sequence[float] | Tensor, center: str | tuple[int, int] = "random", *,
        center_from: int = 0, bits: int | None = None,
    ) -> None:
        betas = as_schedule("betas", betas, positive=True)
        super().__init__(len(betas))
        self.betas = betas
        if center_from not in (0, -1) or isinstance(center_from, bool):
            raise ValueError(f"center_from must be 0 or -1, got {center_from!r}")
        if bits is not None and (isinstance(bits, bool) or not isinstance(bits, numbers.Integral)
                                 or not 1 <= bits <= 16):
            raise ValueError(f"bits must be None or a whole number from 1 to 16, got {bits!r}")
        bits = None if bits is None else int(bits)
        self.center_from, self.bits = center_from, bits
        self.is_linear = type(self).is_linear and bits is None
        self.differentiable = bits is None
        if center == "random":
            self.param_names = ("center",)
        elif center != "middle":
            if (
                not isinstance(center, Sequence)
                or isinstance(center, str)
                or len(center) != 2
                or not all(isinstance(c, numbers.Integral) and not isinstance(c, bool)
                           for c in center)
            ):
                raise ValueError(
                    f'center must be "random", "middle" or a pixel (row, column), got {center!r}'
                )
            center = (int(center[0]), int(center[1]))
        self.center = center
        self._cache: dict[tuple, Tensor] = {}

    @classmethod
    def linear(
        cls, num_steps: int, beta_start: float = 1.0, beta_step: float = 0.1, **kwargs: object
    ) -> GaussianMaskSchedule:
        """``beta_i = beta_start + (i - 1) * beta_step`` for ``i = 1..T`` (A.2: 1 and 0.1)."""
        beta_start = check_number("beta_start", beta_start, positive=True)
        beta_step = check_number("beta_step", beta_step)
        i = torch.arange(check_num_steps(num_steps), dtype=torch.float64)
        return cls(beta_start + i * beta_step, **kwargs)

    @classmethod
    def paper_code(
        cls, num_steps: int, std_step: float = 0.1, initial: int = 11, **kwargs: object
    ) -> GaussianMaskSchedule:
        """The masks of the paper's code (``--fade_routine Random_Incremental --discrete``).

        Step ``i = 0 .. T-1`` is one minus a Gaussian of standard deviation
        ``std_step * (i + initial)`` pixels (``--kernel_std 0.1``, ``--initial_mask 11``), so
        ``beta_i = (std_step * (i + initial))**2``; each image's centre is drawn from
        ``-1 .. n-1`` on each axis (the code crops an ``n x n`` window at a random offset in
        ``0 .. n`` from a ``2n x 2n`` grid) and the degraded image is quantised to 8 bits. With
        these masks the Degraded column of Table 2 comes out at the paper's values.
        """
        std_step = check_number("std_step", std_step, positive=True)
        initial = check_number("initial", initial)
        i = torch.arange(check_num_steps(num_steps), dtype=torch.float64)
        options = {"center_from": -1, "bits": 8, **kwargs}
        return cls((std_step * (i + initial)) ** 2, **options)

    def check_image_size(self, height: int, width: int) -> None:
        if isinstance(self.center, tuple) and not (
            0 <= self.center[0] < height and 0 <= self.center[1] < width
        ):
            raise ValueError(f"the mask centre {self.center} lies outside a {height}x{width} image")

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"center": (shape[0], 2)} if self.center == "random" else {}

    def _sample(
        self, shape: Shape, generator: torch.Generator | None, dtype: torch.dtype
    ) -> dict[str, Tensor]:
        if self.center != "random":
            return {}
        device = generator.device if generator is not None else None
        uniform = torch.rand(shape[0], 2, generator=generator, device=device)
        size = torch.tensor(shape[2:], device=uniform.device)
        low = self.center_from
        return {"center": ((uniform * (size - low)).long() + low).clamp(max=size - 1)}

    def mask(self, t: Tensor, shape: Shape, center: Tensor | None, device: torch.device,
             dtype: torch.dtype) -> Tensor:
        """The product ``prod_{i<=t} z_{beta_i}`` for each image: shape ``(B, 1, H, W)``."""
        batch, _, height, width = shape
        if center is None:
            fixed = (height // 2, width // 2) if self.center == "middle" else self.center
            center = torch.tensor([fixed], device=device).expand(batch, 2)
        elif center.is_floating_point() or center.dtype == torch.bool:
            raise TypeError(f"center must be an integer tensor of pixels, got {center.dtype}")
        elif bool((center < self.center_from).any()) or bool(
                (center >= torch.tensor([height, width], device=device)).any()):
            beyond = "" if self.center_from == 0 else ", or one row or column before it"
            raise ValueError(f"center must hold pixels inside the {height}x{width} "
                             f"image{beyond}")
        masks = self._masks_by_offset(height, width, device, dtype)
        rows = (height - 1) + torch.arange(height, device=device) - center[:, :1]
        columns = (width - 1) + torch.arange(width, device=device) - center[:, 1:]
        return masks[t[:, None, None], rows[:, :, None], columns[:, None, :]][:, None]

    def _masks_by_offset(
        self, height: int, width: int, device: torch.device, dtype: torch.dtype
    ) -> Tensor:
        """``prod_{i<=t} z_{beta_i}`` at every offset from the centre, from ``-(H-1)`` to
        ``H-1-center_from`` (and the same across): ``(T+1, 2H-1-center_from, 2W-1-center_from)``.
        """
        key = (height, width, device, dtype)
        if key not in self._cache:
            margin = -self.center_from
            dy = torch.arange(-(height - 1), height + margin, dtype=torch.float64)
            dx = torch.arange(-(width - 1), width + margin, dtype=torch.float64)
            distance2 = dy[:, None] ** 2 + dx[None, :] ** 2
            z = 1 - torch.exp(-distance2 / (2 * self.betas[:, None, None]))
            ones = torch.ones(1, *distance2.shape, dtype=torch.float64)
            self._cache[key] = torch.cumprod(torch.cat([ones, z]), dim=0).to(device, dtype)
        return self._cache[key]

    def degrade(self, x: Tensor, t: Tensor, center: Tensor | None = None) -> Tensor:
        mask = self.mask(t, tuple(x.shape), center, x.device, compute_dtype(x.dtype))
        return self.quantize(x * mask).to(x.dtype)

    def adjoint(self, y: Tensor, t: Step, **params: Tensor) -> Tensor:
        """The mask is diagonal, so the operator is its own adjoint (when not quantised)."""
        if not self.is_linear:
            raise TypeError(f"{type(self).__name__} is not linear in x (quantised, or fading to "
                            "a colour): it has no adjoint")
        return self(y, t, **params)

    def unquantised(self) -> GaussianMaskSchedule:
        """The same masks without the quantisation (``bits=None``): what the paper's code steps
        its samplers with, while ``x_T`` and the training inputs are quantised (A.2)."""
        plain = copy.copy(self)
        plain.bits = None
        plain.is_linear, plain.differentiable = type(self).is_linear, True
        return plain

    def stepping(self) -> GaussianMaskSchedule:
        """:meth:`unquantised` when quantised (the samplers of the paper's code step with the
        plain masks), else the schedule itself."""
        return self if self.bits is None else self.unquantised()

    def quantize(self, x: Tensor) -> Tensor:
        """``x`` in [-1, 1] rounded down to ``2**bits`` levels, as the paper's code does
        (``int((x + 1) / 2 * 255) / 255 * 2 - 1``); ``x`` itself when ``bits`` is None.

        The rounding's gradient is taken as the identity (the straight-through estimator of
        Bengio, Leonard and Courville, 2013, arXiv:1308.3432), so that gradients reach ``x``;
        the values are the rounded ones, exactly."""
        if self.bits is None:
            return x
        top = 2**self.bits - 1
        rounded = torch.floor(((x + 1) / 2).clamp(0, 1) * top) / top * 2 - 1
        return rounded + (x - x.detach()) if x.requires_grad else rounded

    def extra_repr(self) -> str:
        extra = "" if self.center_from == 0 else f", center_from={self.center_from}"
        extra += "" if self.bits is None else f", bits={self.bits}"
        return (
            f"T={self.num_steps}, beta_1={self.betas[0].item():.4g}, "
            f"beta_T={self.betas[-1].item():.4g}, center={self.center!r}{extra}"
        )


class GaussianFadeSchedule(GaussianMaskSchedule):
    r"""Fade to a solid colour, ``D(x, t) = G_t x + (1 - G_t) c`` (5.3 of Bansal et al. (2022)).

    ``G_t = prod_{i<=t} z_{beta_i}`` is the mask of :class:`GaussianMaskSchedule`, and ``c`` a
    per-image solid colour, the random parameter ``color`` of shape ``(B, C)`` (uniform in
    [-1, 1] by :meth:`sample_params`). Where the mask reaches 0 the image is the colour, so a
    prior over solid colours can start generation. Affine, not linear, in ``x``.

    Examples:
        >>> import torch
        >>> from degrade import GaussianFadeSchedule
        >>> D = GaussianFadeSchedule.linear(num_steps=50, beta_start=1.0, beta_step=0.1)
        >>> x0 = torch.rand(2, 3, 32, 32) * 2 - 1
        >>> params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
        >>> sorted(params)
        ['center', 'color']
    """

    is_linear = False

    def __init__(
        self, betas: Sequence[float] | Tensor, center: str | tuple[int, int] = "random", *,
        center_from: int = 0, bits: int | None = None,
    ) -> None:
        super().__init__(betas, center, center_from=center_from, bits=bits)
        self.param_names = (*self.param_names, "color")

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {**super().param_shapes(shape), "color": (shape[0], shape[1])}

    def ending_at(self, x_T: Tensor) -> BoundDegradation:
        """The operator fading toward the colour of ``x_T``, a solid colour a prior drew
        (section 5.3): ``color`` is its per-channel mean, so ``D(x, T) = x_T`` where the mask
        has reached 0. A random centre cannot be read from a solid colour: such a schedule
        raises ``TypeError``."""
        if "center" in self.param_names:
            raise TypeError("a fade with random centres cannot tell them from x_T: build it with "
                            "center='middle', or bind the centres yourself, D.bind(**params)")
        check_image(x_T, name="x_T")
        return self.bind(color=x_T.mean(dim=(-2, -1)))

    def _sample(
        self, shape: Shape, generator: torch.Generator | None, dtype: torch.dtype
    ) -> dict[str, Tensor]:
        device = generator.device if generator is not None else None
        color = torch.rand(shape[:2], generator=generator, device=device, dtype=dtype) * 2 - 1
        return {**super()._sample(shape, generator, dtype), "color": color}

    def degrade(
        self, x: Tensor, t: Tensor, color: Tensor, center: Tensor | None = None
    ) -> Tensor:
        mask = self.mask(t, tuple(x.shape), center, x.device, compute_dtype(x.dtype))
        return self.quantize(mask * x + (1 - mask) * color[:, :, None, None]).to(x.dtype)
