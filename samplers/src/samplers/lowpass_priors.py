"""Priors over the Gaussian statistics of a small summary of each image: its downsampled
pixels (:class:`DownsampledPrior`, section 5.2 of Bansal et al., 2022, "Cold Diffusion:
Inverting Arbitrary Image Transforms Without Noise", arXiv:2208.09392) or its lowest DCT
frequencies (:class:`LowFrequencyPrior`, inverse heat dissipation: Rissanen, Heinonen and
Solin, 2023, "Generative Modelling With Inverse Heat Dissipation", arXiv:2206.13397).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy.fft import dctn, idctn
from torch import Tensor

from .mixture import fit_gaussian_mixture, sample_gaussian_mixture
from .priors import Prior, _training_images
from .validation import check_count, check_noise_std


class _LowGaussian(Prior):
    """One Gaussian over a small ``(C, k, k)`` summary of each image: the fitting and drawing
    that :class:`DownsampledPrior` and :class:`LowFrequencyPrior` share."""

    mean: Tensor | None
    covariance: Tensor | None

    def _fit_low(self, low: Tensor, images: Tensor) -> _LowGaussian:
        _, means, covariances = fit_gaussian_mixture(low.flatten(1), 1)
        self.mean, self.covariance = means[0], covariances[0]
        self.shape = torch.tensor(images.shape[1:])
        return self

    def _draw_low(self, n: int, generator: torch.Generator | None) -> Tensor:
        """``n`` summaries ``(n, C, k, k)``, float64."""
        channels = self.image_shape[0]
        size = math.isqrt(len(self.mean) // channels)
        low = sample_gaussian_mixture(torch.ones(1, dtype=torch.float64), self.mean[None],
                                      self.covariance[None], n, generator)
        return low.view(n, channels, size, size)


class DownsampledPrior(_LowGaussian):
    r"""A Gaussian over fully downsampled images: ``x_T`` for super-resolution generation (5.3).

    Images are averaged down to ``final_size x final_size`` per channel (what the
    super-resolution schedule ends at, 2x2 in the paper), one Gaussian is fitted to those
    ``C * final_size^2`` numbers, and draws are shown at full size by nearest-neighbour
    upsampling, as the schedule shows its images.
    """

    _fields = ("mean", "covariance", "shape")

    def __init__(self, final_size: int = 2) -> None:
        self.final_size = check_count(final_size, "final_size", 1)
        self.mean = self.covariance = self.shape = None

    def fit(self, images: Tensor) -> DownsampledPrior:
        images = _training_images(images)
        height, width = images.shape[-2:]
        if height % self.final_size or width % self.final_size:
            raise ValueError(
                f"images of {height}x{width} cannot be averaged down to "
                f"{self.final_size}x{self.final_size}"
            )
        return self._fit_low(F.adaptive_avg_pool2d(images.double(), self.final_size), images)

    def _draw(self, n: int, generator: torch.Generator | None) -> Tensor:
        height, width = self.image_shape[1:]
        return F.interpolate(self._draw_low(n, generator).float(), size=(height, width),
                             mode="nearest")


class LowFrequencyPrior(_LowGaussian):
    r"""A Gaussian over the lowest ``size x size`` DCT coefficients: ``x_T`` for heat dissipation.

    Images blurred by the heat equation to its last step keep only their lowest frequencies
    (Rissanen, Heinonen and Solin, 2023, "Generative Modelling With Inverse Heat Dissipation",
    arXiv:2206.13397, section 2). Fitted on such images, one Gaussian over the first
    ``size x size`` coefficients of each channel's orthonormal 2-D DCT-II (the constant one
    included) draws new ones, the other coefficients zero; ``noise_std`` then adds the noise
    the degradation carries (their ``sigma``). With ``size = 1`` it is :class:`ChannelMeanPrior`
    with one component.

    Examples:
        >>> import torch
        >>> from samplers import LowFrequencyPrior
        >>> prior = LowFrequencyPrior(4).fit(torch.rand(100, 1, 16, 16) * 2 - 1)
        >>> prior.sample(3, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([3, 1, 16, 16])
    """

    _fields = ("mean", "covariance", "shape", "noise_std")

    def __init__(self, size: int = 4, noise_std: float = 0.0) -> None:
        size = check_count(size, "size", 1)
        check_noise_std(noise_std)
        self.size = size
        self.mean = self.covariance = self.shape = None
        self.noise_std = torch.tensor(float(noise_std))

    def fit(self, images: Tensor) -> LowFrequencyPrior:
        """Fit the Gaussian to the low-frequency coefficients of ``images`` ``(N, C, H, W)``."""
        images = _training_images(images).double()
        height, width = images.shape[-2:]
        if self.size > min(height, width):
            raise ValueError(f"size {self.size} exceeds the images' {height}x{width}")
        coefficients = dctn(images.cpu().numpy(), norm="ortho", axes=(-2, -1))
        return self._fit_low(torch.from_numpy(coefficients[..., :self.size, :self.size]), images)

    def _draw(self, n: int, generator: torch.Generator | None) -> Tensor:
        height, width = self.image_shape[1:]
        low = self._draw_low(n, generator)
        size = low.shape[-1]
        coefficients = np.zeros((*low.shape[:2], height, width))
        coefficients[..., :size, :size] = low.numpy()
        return torch.from_numpy(idctn(coefficients, norm="ortho", axes=(-2, -1))).float()

