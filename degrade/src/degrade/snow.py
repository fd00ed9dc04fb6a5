"""Snowification: section 4.4 and A.5 of Bansal et al. (2022) (ImageNet-C's snow, in torch).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F
from torch import Tensor

from ._validation import check_number, compute_dtype
from .base import Degradation, Shape
from .kernels import gaussian_kernel1d

_LUMA = (0.299, 0.587, 0.114)


class SnowSchedule(Degradation):
    r"""Snow diffusion ``x_t = h(x0, S_A, c0(t), c1(t))`` (A.5 of Bansal et al. (2022)).

    For each image a seed matrix ``S_A ~ N(seed_mean, seed_std)`` of shape ``(H, W)`` is drawn,
    with a random motion direction (horizontal or vertical). At step ``t``:

    1. ``S_B``: the upper-left corner of ``S_A`` zoomed by ``zoom`` (bilinear), trimmed to
       ``H x W``;
    2. ``S_C``: ``S_B`` where it exceeds the threshold ``c0(t)``, else 0, clipped to [0, 1];
    3. ``S``: ``S_C`` convolved with a line of ``motion_size`` taps of a Gaussian of standard
       deviation ``c1(t)``, along the image's direction;
    4. ``x_t = clip(x0 + S + rot180(S), 0, 1)`` in [0, 1] units, returned in [-1, 1].

    ``c0`` and ``c1`` go linearly from their start to their end value over ``t = 1..T``: the
    threshold falls (more snow) while the blur grows ("windier"). The paper's text calls the
    threshold ``c1`` in one place and ``c0`` in another; the values here are those of A.5
    (CIFAR-10: threshold 1.15 to 0.7, blur 0.05 to 16; CelebA: 1.15 to 0.55, 0.05 to 20).

    The paper's code also dims the image towards a brightened grey as snow falls; the text does
    not. ``brightness=(0.95, 0.4)`` (the code's CIFAR-10 values) turns that on for RGB images:
    ``b x0 + (1 - b) max(x0, 1.5 grey(x0) + 0.5)`` with ``b`` linear over the steps.

    Random parameters: ``seed`` ``(B, H, W)`` and ``vertical`` ``(B,)`` (bool).

    Args:
        num_steps: the number of steps ``T``.
        threshold: ``(c0 start, c0 end)``.
        motion_sigma: ``(c1 start, c1 end)``, the motion blur's standard deviation in pixels.
        seed_mean: mean of the seed matrix.
        seed_std: standard deviation of the seed matrix.
        zoom: zoom factor of the seed's corner (at least 1; 2.5 in the paper's code).
        motion_size: taps of the motion-blur line (odd; 11 in the paper's code).
        brightness: ``(start, end)`` of the code's dimming, or None (the paper's text).

    Examples:
        >>> import torch
        >>> from degrade import SnowSchedule
        >>> D = SnowSchedule(num_steps=200)
        >>> x0 = torch.rand(2, 3, 32, 32) * 2 - 1
        >>> params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
        >>> x_t = D(x0, 200, **params)
        >>> bool(x_t.min() >= -1 and x_t.max() <= 1)
        True
    """

    param_names = ("seed", "vertical")

    def __init__(
        self,
        num_steps: int = 200,
        threshold: tuple[float, float] = (1.15, 0.7),
        motion_sigma: tuple[float, float] = (0.05, 16.0),
        seed_mean: float = 0.55,
        seed_std: float = 0.3,
        zoom: float = 2.5,
        motion_size: int = 11,
        brightness: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(num_steps)
        self.threshold = _pair("threshold", threshold)
        self.motion_sigma = _pair("motion_sigma", motion_sigma, positive=True)
        self.seed_mean = check_number("seed_mean", seed_mean)
        self.seed_std = check_number("seed_std", seed_std, positive=True)
        self.zoom = check_number("zoom", zoom, positive=True)
        if self.zoom < 1:
            raise ValueError(f"zoom must be at least 1, got {zoom}")
        if isinstance(motion_size, bool) or not isinstance(motion_size, numbers.Integral):
            raise TypeError(f"motion_size must be an int, got {motion_size!r}")
        motion_size = int(motion_size)
        if motion_size < 1 or motion_size % 2 == 0:
            raise ValueError(f"motion_size must be a positive odd number, got {motion_size}")
        self.motion_size = motion_size
        self.brightness = None if brightness is None else _pair("brightness", brightness)
        if self.brightness is not None:
            self.channels = 3
        # Tables indexed by t; step 0 has an infinite threshold, so no snow.
        inf = torch.tensor([math.inf], dtype=torch.float64)
        self._thresholds = torch.cat([inf, _linspace(self.threshold, num_steps)])
        sigmas = _linspace(self.motion_sigma, num_steps)
        self._motion_kernels = torch.cat(
            [gaussian_kernel1d(motion_size, self.motion_sigma[0]).reshape(1, -1),
             gaussian_kernel1d(motion_size, sigmas).reshape(num_steps, motion_size)]
        )
        levels = (1.0, 1.0) if self.brightness is None else self.brightness
        self._brightness = torch.cat([torch.ones(1, dtype=torch.float64),
                                      _linspace(levels, num_steps)])

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"seed": (shape[0], shape[2], shape[3]), "vertical": (shape[0],)}

    def _sample(
        self, shape: Shape, generator: torch.Generator | None, dtype: torch.dtype
    ) -> dict[str, Tensor]:
        device = generator.device if generator is not None else None
        size = (shape[0], shape[2], shape[3])
        seed = torch.randn(size, generator=generator, device=device, dtype=dtype)
        vertical = torch.rand(shape[0], generator=generator, device=device) < 0.5
        return {"seed": seed * self.seed_std + self.seed_mean, "vertical": vertical}

    def snow_layer(self, t: Tensor, seed: Tensor, vertical: Tensor) -> Tensor:
        """The snow ``S + rot180(S)`` added at step ``t``: shape ``(B, 1, H, W)``."""
        if vertical.dtype != torch.bool:
            raise TypeError(f"vertical must be a bool tensor, got {vertical.dtype}")
        batch = seed.shape[0]
        zoomed = self._zoom_corner(seed)
        threshold = self._thresholds.to(seed.device)[t].to(seed.dtype).view(-1, 1, 1)
        flakes = torch.where(zoomed > threshold, zoomed, 0).clamp(0, 1)
        taps = self._motion_kernels.to(seed.device)[t].to(seed.dtype)
        r = self.motion_size // 2
        line = torch.zeros(batch, self.motion_size, self.motion_size, dtype=seed.dtype,
                           device=seed.device)
        line[:, r, :] = taps
        line = torch.where(vertical.view(-1, 1, 1), line.transpose(-1, -2), line)
        snow = F.conv2d(flakes[None], line[:, None], padding=r, groups=batch)[0]
        return (snow + snow.flip(-2, -1))[:, None]

    def _zoom_corner(self, seed: Tensor) -> Tensor:
        """Zoom the upper-left ``ceil(H / zoom) x ceil(W / zoom)`` corner back to ``H x W``."""
        height, width = seed.shape[-2:]
        crop_h, crop_w = math.ceil(height / self.zoom), math.ceil(width / self.zoom)
        size = (max(round(crop_h * self.zoom), height), max(round(crop_w * self.zoom), width))
        zoomed = F.interpolate(seed[:, None, :crop_h, :crop_w], size=size, mode="bilinear",
                               align_corners=True)[:, 0]
        top, left = (size[0] - height) // 2, (size[1] - width) // 2
        return zoomed[:, top:top + height, left:left + width]

    def degrade(self, x: Tensor, t: Tensor, seed: Tensor, vertical: Tensor) -> Tensor:
        dtype = compute_dtype(x.dtype)
        image = (x.to(dtype) + 1) / 2
        if self.brightness is not None:
            luma = torch.tensor(_LUMA, dtype=dtype, device=x.device).view(1, 3, 1, 1)
            bright = torch.maximum(image, (image * luma).sum(1, keepdim=True) * 1.5 + 0.5)
            b = self._brightness.to(x.device)[t].to(dtype).view(-1, 1, 1, 1)
            image = b * image + (1 - b) * bright
        snowy = (image + self.snow_layer(t, seed.to(dtype), vertical)).clamp(0, 1)
        return (snowy * 2 - 1).to(x.dtype)

    def extra_repr(self) -> str:
        return (
            f"T={self.num_steps}, threshold={self.threshold}, motion_sigma={self.motion_sigma}"
            + (f", brightness={self.brightness}" if self.brightness is not None else "")
        )


def _pair(name: str, value: object, *, positive: bool = False) -> tuple[float, float]:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (start, end), got {value!r}")
    return (check_number(f"{name}[0]", value[0], positive=positive),
            check_number(f"{name}[1]", value[1], positive=positive))


def _linspace(pair: tuple[float, float], num_steps: int) -> Tensor:
    return torch.linspace(pair[0], pair[1], num_steps, dtype=torch.float64)
