"""restore.previews: the grids a training run draws are the samples of the model's own sampler."""

import pytest
import torch

import samplers
from restore import UNet, previews


@pytest.mark.parametrize("blurring", [True, False])
def test_a_diffusion_previews_the_samples_of_its_own_sampler(blurring):
    """Blurring diffusion (white noise, no variance-preserving steps): ancestral draws,
    unclamped; blur diffusion: the clamped deterministic sampler."""
    degrade = pytest.importorskip("degrade", reason="needs colddiff-degrade")
    T = 20
    D = degrade.BlurringDiffusion(T, 5.0) if blurring else degrade.BlurDiffusion.paper(T)
    torch.manual_seed(0)
    R = UNet.preset("tiny", in_channels=1).eval()
    x0 = torch.zeros(2, 1, 16, 16)
    with torch.no_grad():
        [(title, images)] = previews.diffusion_samples(D, steps=5, seed=3)(R, x0)
        generator = torch.Generator().manual_seed(3)
        x_N = torch.randn(x0.shape, generator=generator)
        jumps = samplers.spaced_steps(T, 5)
        if blurring:
            expected = samplers.rotated_ancestral(R, D, x_N, T, steps=jumps,
                                                  generator=generator, clip=False)
        else:
            expected = samplers.rotated_ddim(R, D, x_N, T, steps=jumps, clip=True)
    assert title == ("samples (5 ancestral steps)" if blurring else "samples (5 steps)")
    assert torch.equal(images, expected)
