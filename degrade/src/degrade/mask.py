"""Gaussian masking (inpainting, section 4.2 and A.2) and its fade-to-colour variant (5.3).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ._validation import as_schedule, check_num_steps, check_number, compute_dtype
from .base import Degradation, Shape


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

    Args:
        betas: per-step variances ``beta_1 .. beta_T`` (length ``T``); see :meth:`linear`.
        center: ``"random"``, ``"middle"`` or a pixel ``(row, column)``.

    Example:
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
        self, betas: Sequence[float] | Tensor, center: str | tuple[int, int] = "random"
    ) -> None:
        betas = as_schedule("betas", betas, positive=True)
        super().__init__(len(betas))
        self.betas = betas
        if center == "random":
            self.param_names = ("center",)
        elif center != "middle":
            if (
                not isinstance(center, Sequence)
                or isinstance(center, str)
                or len(center) != 2
                or not all(isinstance(c, int) and not isinstance(c, bool) for c in center)
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
        return {"center": (uniform * size).long().clamp(max=size - 1)}

    def mask(self, t: Tensor, shape: Shape, center: Tensor | None, device: torch.device,
             dtype: torch.dtype) -> Tensor:
        """The product ``prod_{i<=t} z_{beta_i}`` for each image: shape ``(B, 1, H, W)``."""
        batch, _, height, width = shape
        if center is None:
            fixed = (height // 2, width // 2) if self.center == "middle" else self.center
            center = torch.tensor([fixed], device=device).expand(batch, 2)
        elif center.is_floating_point() or center.dtype == torch.bool:
            raise TypeError(f"center must be an integer tensor of pixels, got {center.dtype}")
        elif bool((center < 0).any()) or bool((center >= torch.tensor([height, width],
                                                                         device=device)).any()):
            raise ValueError(f"center must hold pixels inside the {height}x{width} image")
        masks = self._masks_by_offset(height, width, device, dtype)
        rows = (height - 1) + torch.arange(height, device=device) - center[:, :1]
        columns = (width - 1) + torch.arange(width, device=device) - center[:, 1:]
        return masks[t[:, None, None], rows[:, :, None], columns[:, None, :]][:, None]

    def _masks_by_offset(
        self, height: int, width: int, device: torch.device, dtype: torch.dtype
    ) -> Tensor:
        """``prod_{i<=t} z_{beta_i}`` at every offset from the centre: ``(T+1, 2H-1, 2W-1)``."""
        key = (height, width, device, dtype)
        if key not in self._cache:
            dy = torch.arange(-(height - 1), height, dtype=torch.float64)
            dx = torch.arange(-(width - 1), width, dtype=torch.float64)
            distance2 = dy[:, None] ** 2 + dx[None, :] ** 2
            z = 1 - torch.exp(-distance2 / (2 * self.betas[:, None, None]))
            ones = torch.ones(1, *distance2.shape, dtype=torch.float64)
            self._cache[key] = torch.cumprod(torch.cat([ones, z]), dim=0).to(device, dtype)
        return self._cache[key]

    def degrade(self, x: Tensor, t: Tensor, center: Tensor | None = None) -> Tensor:
        mask = self.mask(t, tuple(x.shape), center, x.device, compute_dtype(x.dtype))
        return (x * mask).to(x.dtype)

    def extra_repr(self) -> str:
        return (
            f"T={self.num_steps}, beta_1={self.betas[0].item():.4g}, "
            f"beta_T={self.betas[-1].item():.4g}, center={self.center!r}"
        )


class GaussianFadeSchedule(GaussianMaskSchedule):
    r"""Fade to a solid colour, ``D(x, t) = G_t x + (1 - G_t) c`` (5.3 of Bansal et al. (2022)).

    ``G_t = prod_{i<=t} z_{beta_i}`` is the mask of :class:`GaussianMaskSchedule`, and ``c`` a
    per-image solid colour, the random parameter ``color`` of shape ``(B, C)`` (uniform in
    [-1, 1] by :meth:`sample_params`). Where the mask reaches 0 the image is the colour, so a
    prior over solid colours can start generation. Affine, not linear, in ``x``.

    Example:
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
        self, betas: Sequence[float] | Tensor, center: str | tuple[int, int] = "random"
    ) -> None:
        super().__init__(betas, center)
        self.param_names = (*self.param_names, "color")

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {**super().param_shapes(shape), "color": (shape[0], shape[1])}

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
        return (mask * x + (1 - mask) * color[:, :, None, None]).to(x.dtype)
