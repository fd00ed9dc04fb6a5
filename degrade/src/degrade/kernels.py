"""The sampled Gaussian kernel that every blur of this project is built from.

The blur of cold diffusion (Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image
Transforms Without Noise", arXiv:2208.09392, section 4.1), the motion blur of its snow (A.5),
the blur of blur diffusion (Lee et al., 2022, "Progressive Deblurring of Diffusion Models for
Coarse-to-Fine Image Synthesis", arXiv:2207.11192, section 3) and the window of SSIM (Wang et
al., 2004) all sample ``exp(-d^2 / (2 sigma^2))`` at integer offsets ``d`` and normalise.
"""

from __future__ import annotations

import torch
from torch import Tensor


def gaussian_kernel1d(kernel_size: int, sigma: float | Tensor) -> Tensor:
    """A sampled 1-D Gaussian of standard deviation ``sigma``, normalised to sum 1 (float64).

    The ``kernel_size`` taps sit at offsets ``-(kernel_size - 1) / 2 ... (kernel_size - 1) / 2``
    from the centre. ``sigma`` may be a tensor of ``n`` values: the result is then ``(n,
    kernel_size)``, one kernel per row.

    Examples:
        >>> from degrade import gaussian_kernel1d
        >>> [round(v, 4) for v in gaussian_kernel1d(3, 1.0).tolist()]
        [0.2741, 0.4519, 0.2741]
    """
    offsets = torch.arange(kernel_size, dtype=torch.float64) - (kernel_size - 1) / 2
    sigma = torch.as_tensor(sigma, dtype=torch.float64).reshape(-1, 1)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    return (kernel / kernel.sum(-1, keepdim=True)).squeeze(0)
