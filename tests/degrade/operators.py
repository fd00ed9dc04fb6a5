"""The one list of built-in operators: every generic test is parametrised over it.

Adding an operator here gives it the protocol checks of ``degrade.testing``, the bad-input tests
and the cost-independent-of-t test.
"""

import pytest
import torch

import degrade

SHAPE = (3, 3, 16, 16)


def _pool() -> torch.Tensor:
    return torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1


OPERATORS = [
    pytest.param(lambda: degrade.GaussianBlurSchedule.exponential(27, 300, rate=0.01),
                 id="blur-circular"),
    pytest.param(lambda: degrade.GaussianBlurSchedule.linear(11, 50, 0.01, 0.35,
                                                             padding="reflect"),
                 id="blur-reflect"),
    pytest.param(lambda: degrade.GaussianBlurSchedule.linear(11, 50, 0.01, 0.35, padding="reflect",
                                                             method="fourier"),
                 id="blur-reflect-fourier"),
    pytest.param(lambda: degrade.GaussianBlurSchedule.exponential(9, 100, 0.02, method="fourier"),
                 id="blur-circular-fourier"),
    pytest.param(lambda: degrade.GaussianBlurSchedule.constant(5, 20, 2.0, padding="zeros"),
                 id="blur-zeros"),
    pytest.param(lambda: degrade.GaussianBlurSchedule.exponential(27, 300, 0.01, to_mean=True),
                 id="blur-to-mean"),
    pytest.param(lambda: degrade.GaussianMaskSchedule.linear(50), id="mask-random"),
    pytest.param(lambda: degrade.GaussianMaskSchedule.linear(50, center="middle"),
                 id="mask-middle"),
    pytest.param(lambda: degrade.GaussianMaskSchedule.linear(30, 2.0, 0.5, center=(3, 12)),
                 id="mask-fixed"),
    pytest.param(lambda: degrade.GaussianMaskSchedule.paper_code(50), id="mask-paper-code"),
    pytest.param(lambda: degrade.GaussianFadeSchedule.linear(50), id="fade-random"),
    pytest.param(lambda: degrade.GaussianFadeSchedule.linear(50, 1.0, 2.0, center="middle"),
                 id="fade-middle"),
    pytest.param(lambda: degrade.SuperResolutionSchedule(3), id="super-resolution"),
    pytest.param(lambda: degrade.SnowSchedule(200), id="snow"),
    pytest.param(lambda: degrade.SnowSchedule(200, (1.15, 0.55), (0.05, 20.0),
                                              brightness=(0.95, 0.3)), id="snow-brightness"),
    pytest.param(lambda: degrade.DesaturationSchedule(20), id="desaturation"),
    pytest.param(lambda: degrade.NoiseSchedule.linear(1000), id="noise-linear"),
    pytest.param(lambda: degrade.NoiseSchedule.cosine(1000), id="noise-cosine"),
    pytest.param(lambda: degrade.MixingSchedule.cosine(1000, pool=_pool()), id="mixing"),
    pytest.param(lambda: degrade.BlurDiffusion.paper(100, blur="quartic", final_blur=0.3),
                 id="blur-diffusion-reflect"),
    pytest.param(lambda: degrade.BlurDiffusion.paper(100, boundary="circular"),
                 id="blur-diffusion-circular"),
    pytest.param(lambda: degrade.HeatDissipation(100, 0.5, 20.0), id="heat-warm"),
    pytest.param(lambda: degrade.HeatDissipation(50, 0.3, 8.0, sigma=0.0), id="heat-pure"),
    pytest.param(lambda: degrade.GaussianMaskSchedule.linear(20)
                 @ degrade.GaussianBlurSchedule.constant(5, 20, 1.0, padding="reflect"),
                 id="compose-blur-mask"),
    pytest.param(lambda: degrade.compose(degrade.GaussianBlurSchedule.constant(5, 50, 1.0),
                                         degrade.NoiseSchedule.linear(50)),
                 id="compose-blur-noise"),
    pytest.param(lambda: degrade.BlurringDiffusion(100, sigma_blur_max=8.0), id="blurring"),
    pytest.param(lambda: degrade.BlurringDiffusion(50, sigma_blur_max=0.0), id="blurring-none"),
    pytest.param(lambda: degrade.DirectIteration(
        degrade.GaussianBlurSchedule.constant(5, 20, 2.0, padding="reflect"), 10),
                 id="indi-blur"),
    pytest.param(lambda: degrade.DirectIteration(degrade.SuperResolutionSchedule(2), 8,
                                                 sigma=0.05), id="indi-sr-noise"),
    pytest.param(lambda: degrade.DirectIteration(degrade.SnowSchedule(200), 10,
                                                 sigma=[0.1 / (k / 10) ** 0.5
                                                        for k in range(1, 11)]),
                 id="indi-snow-brownian"),
    pytest.param(lambda: degrade.SoftCorruption.geometric(
        degrade.HeatDissipation(50, 0.5, 8.0, sigma=0.0), 0.01, 0.2), id="soft-heat"),
    pytest.param(lambda: degrade.SoftCorruption(degrade.SuperResolutionSchedule(2), 0.05),
                 id="soft-sr-constant"),
]
