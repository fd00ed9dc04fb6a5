"""Image quality metrics of the paper's tables: RMSE, SSIM, PSNR and the Frechet distance.

Images are ``(B, C, H, W)`` tensors in [-1, 1]; every metric first maps them to [0, 1], the
range the paper's numbers are computed in.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from degrade import gaussian_kernel1d


def _unit(x: Tensor, name: str) -> Tensor:
    if not isinstance(x, Tensor) or x.dim() != 4:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a (B, C, H, W) tensor, got {shape}")
    return ((x.double() + 1) / 2).clamp(0, 1)


def _pair(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    x, y = _unit(x, "x"), _unit(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    return x, y


def rmse(x: Tensor, y: Tensor) -> float:
    """One root-mean-square error over all pixels of all images, in [0, 1] units."""
    x, y = _pair(x, y)
    return float((x - y).pow(2).mean().sqrt())


def psnr(x: Tensor, y: Tensor) -> float:
    """Peak signal-to-noise ratio in dB of the global RMSE, ``-20 log10(RMSE)`` (peak 1)."""
    error = rmse(x, y)
    return math.inf if error == 0 else -20 * math.log10(error)


def ssim(x: Tensor, y: Tensor, *, window_size: int = 11, sigma: float = 1.5) -> float:
    r"""Mean structural similarity (Wang et al., 2004) of ``x`` and ``y``, in [0, 1] units.

    Gaussian-weighted local statistics (an ``window_size``-pixel window of standard deviation
    ``sigma``), ``K1 = 0.01``, ``K2 = 0.03``, data range 1, population (not sample) covariances;
    the SSIM map is averaged over the pixels whose window lies inside the image, then over
    channels and images. This is ``skimage.metrics.structural_similarity`` with
    ``gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1``.
    """
    x, y = _pair(x, y)
    if min(x.shape[-2:]) < window_size:
        raise ValueError(f"images of {tuple(x.shape[-2:])} are smaller than the SSIM window "
                         f"({window_size})")
    channels = x.shape[1]
    window = gaussian_kernel1d(window_size, sigma)
    rows = window.view(1, 1, -1, 1).expand(channels, 1, -1, 1)
    cols = window.view(1, 1, 1, -1).expand(channels, 1, 1, -1)

    def local_mean(z: Tensor) -> Tensor:
        return F.conv2d(F.conv2d(z, rows, groups=channels), cols, groups=channels)

    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x = local_mean(x * x) - mu_x**2
    var_y = local_mean(y * y) - mu_y**2
    cov = local_mean(x * y) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    return float(ssim_map.mean())


def gaussian_statistics(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and covariance (``N - 1`` normalised) of features ``(N, d)``, in float64."""
    if features.dim() != 2 or features.shape[0] < 2:
        raise ValueError(f"features must be (N, d) with N >= 2, got {tuple(features.shape)}")
    features = features.double()
    return features.mean(0), torch.cov(features.T).reshape(features.shape[1], -1)


def frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> float:
    r"""Frechet distance between ``N(mu1, sigma1)`` and ``N(mu2, sigma2)`` (Heusel et al., 2017).

    ``|mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 (sigma1^{1/2} sigma2 sigma1^{1/2})^{1/2})``; the trace
    of the matrix square root comes from the eigenvalues of the symmetric matrix
    ``sigma1^{1/2} sigma2 sigma1^{1/2}`` (negative round-off clipped to 0), which is stable where
    a general ``sqrtm`` is not.
    """
    mu1, mu2, sigma1, sigma2 = (v.double() for v in (mu1, mu2, sigma1, sigma2))
    values, vectors = torch.linalg.eigh((sigma1 + sigma1.T) / 2)
    root1 = (vectors * values.clamp(min=0).sqrt()) @ vectors.T
    middle = root1 @ sigma2 @ root1
    trace_root = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp(min=0).sqrt().sum()
    distance = (mu1 - mu2).pow(2).sum() + sigma1.trace() + sigma2.trace() - 2 * trace_root
    return float(distance)


def frechet_distance_of(features1: Tensor, features2: Tensor) -> float:
    """Frechet distance between Gaussians fitted to two sets of features ``(N, d)``."""
    return frechet_distance(*gaussian_statistics(features1), *gaussian_statistics(features2))


def kernel_distance_of(features1: Tensor, features2: Tensor, *, subsets: int = 10,
                       subset_size: int = 1000, seed: int = 0) -> float:
    r"""Kernel distance between two sets of features ``(N, d)``: the unbiased estimate of the
    squared maximum mean discrepancy under the cubic polynomial kernel
    ``k(x, y) = (x^T y / d + 1)^3``, averaged over ``subsets`` random subsets of
    ``min(subset_size, N1, N2)`` rows of each set (Binkowski et al., 2018, "Demystifying MMD
    GANs", arXiv:1801.01401, the KID). Unlike the Frechet distance it has no bias in the number
    of images, so small reference sets (500 cats) compare fairly; it may dip below 0 when the
    sets match.
    """
    for name, features in (("features1", features1), ("features2", features2)):
        if features.dim() != 2 or features.shape[0] < 2:
            raise ValueError(f"{name} must be (N, d) with N >= 2, got {tuple(features.shape)}")
    if features1.shape[1] != features2.shape[1]:
        raise ValueError(f"the features differ in size: {features1.shape[1]} and "
                         f"{features2.shape[1]}")
    x, y = features1.double(), features2.double()
    m = min(subset_size, len(x), len(y))
    dim = x.shape[1]
    generator = torch.Generator().manual_seed(seed)
    estimates = []
    for _ in range(subsets):
        a = x[torch.randperm(len(x), generator=generator)[:m]]
        b = y[torch.randperm(len(y), generator=generator)[:m]]
        k_aa, k_bb, k_ab = ((p @ q.T / dim + 1) ** 3 for p, q in ((a, a), (b, b), (a, b)))
        within = (k_aa.sum() - k_aa.diagonal().sum() + k_bb.sum() - k_bb.diagonal().sum())
        estimates.append(within / (m * (m - 1)) - 2 * k_ab.mean())
    return float(torch.stack(estimates).mean())
