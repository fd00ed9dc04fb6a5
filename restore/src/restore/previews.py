"""What a run draws while it trains: validation grids, so that a person can see it learn.

A preview is any ``preview(R, x0) -> [(title, images), ...]``; each pair is one column of the
grid ``samples/step-*.png``. :func:`restoration` is the default of a restorer (cold diffusion,
Bansal et al., 2022, arXiv:2208.09392, Figure 3's columns); :func:`diffusion_samples` that of a
noise predictor (blur diffusion, Lee et al., 2022, arXiv:2207.11192); :func:`warm_samples` that of
a one-step denoiser (inverse heat dissipation, Rissanen et al., 2023, arXiv:2206.13397);
:func:`soft_samples` that of a soft diffusion restorer (Daras et al., 2022, arXiv:2209.05442).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

import samplers

Preview = Callable[[nn.Module, Tensor], list[tuple[str, Tensor]]]
"""``preview(R, val_images) -> [(title, images), ...]``: the columns of the sample grids."""

Degradation = Callable[[Tensor, Tensor], Tensor]


def restoration(D: Degradation, T: int) -> Preview:
    """``degraded | direct R | TACoS | original`` for images degraded to ``T`` by ``D`` (with
    its random parameters fixed)."""

    def preview(R: nn.Module, x0: Tensor) -> list[tuple[str, Tensor]]:
        x_T = D(x0, torch.full((len(x0),), T, device=x0.device))
        return [("degraded", x_T), ("direct R", samplers.direct(R, x_T, T)),
                ("TACoS", samplers.tacos(R, D, x_T, T)), ("original", x0)]

    return preview


def diffusion_samples(D: samplers.RotatedDiffusion, steps: int = 50, seed: int = 0) -> Preview:
    """Samples in ``steps`` jumps from fixed noise ``N(0, I)``: of the deterministic sampler
    (:func:`samplers.rotated_ddim`, each step's clean image clamped) for blur diffusion, of the
    ancestral sampler unclamped (:func:`samplers.rotated_ancestral`, fixed draws) for blurring
    diffusion, which has no variance-preserving steps (``step_signal``) and whose samples
    clamping turns to texture."""

    def preview(R: nn.Module, x0: Tensor) -> list[tuple[str, Tensor]]:
        generator = torch.Generator().manual_seed(seed)
        x_N = torch.randn(x0.shape, generator=generator).to(x0.device)
        jumps = samplers.spaced_steps(D.num_steps, steps)
        if callable(getattr(D, "step_signal", None)):
            return [(f"samples ({len(jumps) - 1} steps)",
                     samplers.rotated_ddim(R, D, x_N, D.num_steps, steps=jumps, clip=True))]
        return [(f"samples ({len(jumps) - 1} ancestral steps)",
                 samplers.rotated_ancestral(R, D, x_N, D.num_steps, steps=jumps,
                                            generator=generator, clip=False))]

    return preview


def warm_samples(D: Degradation, T: int, noise_std: float, seed: int = 0) -> Preview:
    """``x_T | samples | original``: validation images degraded to ``T`` (with fresh noise
    ``z`` of ``seed``), walked back by :func:`samplers.previous_step` with ``noise_std``."""

    def preview(R: nn.Module, x0: Tensor) -> list[tuple[str, Tensor]]:
        generator = torch.Generator().manual_seed(seed)
        z = torch.randn(x0.shape, generator=generator).to(x0.device)
        x_T = D(x0, torch.full((len(x0),), T, device=x0.device), noise=z)
        sampled = samplers.previous_step(R, x_T, T, noise_std=noise_std, generator=generator)
        return [("x_T", x_T), ("samples", sampled), ("original", x0)]

    return preview


def soft_samples(D: samplers.SoftDiffusion, seed: int = 0) -> Preview:
    """``x_T | direct R | momentum | original``: validation images corrupted to ``T`` with
    noise of ``seed`` (``D(x0, T, noise=eta)``), restored in one call and by the Momentum
    Sampler (:func:`samplers.momentum`, its fresh noise from the same seed)."""

    def preview(R: nn.Module, x0: Tensor) -> list[tuple[str, Tensor]]:
        generator = torch.Generator().manual_seed(seed)
        eta = torch.randn(x0.shape, generator=generator).to(x0.device)
        T = D.num_steps
        x_T = D(x0, torch.full((len(x0),), T, device=x0.device), noise=eta)
        return [("x_T", x_T), ("direct R", samplers.direct(R, x_T, T)),
                ("momentum", samplers.momentum(R, D, x_T, T, generator=generator)),
                ("original", x0)]

    return preview
