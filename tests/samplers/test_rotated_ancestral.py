"""samplers.rotated_ancestral and the rotated samplers on a diffusion with white noise (blurring
diffusion, Hoogeboom and Salimans, 2023): exact under an oracle, the posterior's spread."""

import math

import pytest
import torch
from toys import degrade_package

import samplers


class Plain:
    """Standard diffusion (U = I) with the cosine schedule and its noise given explicitly:
    ``Nbar = sin^2``, ``Abar = cos^2`` (raised to 1e-6 at the end)."""

    num_steps = 20

    def rotate(self, x):
        return x

    unrotate = rotate

    def _u(self, t):
        return torch.as_tensor(t, dtype=torch.float64).reshape(-1, 1, 1, 1) / self.num_steps

    def signal(self, t, shape):
        return (torch.cos(self._u(t) * math.pi / 2) ** 2).clamp(min=1e-6)

    def noise_variance(self, t, shape):
        return 1 - self.signal(t, shape)


def oracle(D, x0):
    """The noise that made ``x_s`` from ``x0``: a perfect noise predictor."""

    def eps_model(x_s, s):
        a = D.signal(s, x_s.shape).to(x_s)
        n = D.noise_variance(s, x_s.shape).to(x_s) if hasattr(D, "noise_variance") else 1 - a
        return D.unrotate((D.rotate(x_s) - a.sqrt() * D.rotate(x0)) / n.sqrt())

    return eps_model


def _images(seed, shape=(2, 1, 64, 64)):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed),
                      dtype=torch.float64) * 2 - 1


@pytest.mark.parametrize("steps", [None, [20, 13, 5, 1, 0]])
def test_with_an_oracle_it_ends_at_x0_and_keeps_the_marginals(steps):
    D, x0 = Plain(), _images(0)
    x_T = D.signal(20, x0.shape).sqrt() * x0 + D.noise_variance(20, x0.shape).sqrt() * \
        _images(1).normal_(generator=torch.Generator().manual_seed(1))
    seen = {}
    x_0 = samplers.rotated_ancestral(oracle(D, x0), D, x_T, 20, steps=steps,
                                     generator=torch.Generator().manual_seed(2),
                                     callback=lambda s, x_s, x0_hat: seen.update({s: x_s}))
    assert torch.allclose(x_0, x0, atol=1e-10)
    for s in (13, 5, 1):
        residual = seen[s] - D.signal(s, x0.shape).sqrt() * x0
        assert float(residual.std()) == pytest.approx(
            float(D.noise_variance(s, x0.shape).sqrt()), rel=0.03)


def test_it_is_ddpm_for_standard_diffusion():
    """U = I and Nbar = 1 - Abar: one jump's mean and spread are DDPM's posterior (Ho et al.,
    2020, eq. 7), here checked against its own formula in beta form."""
    D, x = Plain(), _images(4)
    seen = []
    samplers.rotated_ancestral(lambda x_s, s: torch.zeros_like(x_s), D, x, 7, steps=[7, 6, 0],
                               generator=torch.Generator().manual_seed(0),
                               callback=lambda s, x_s, x0_hat: seen.append(x_s))
    abar_t, abar_s = float(D.signal(7, ())), float(D.signal(6, ()))
    beta = 1 - abar_t / abar_s
    mean = (math.sqrt(abar_s) * beta / (1 - abar_t)) * (x / math.sqrt(abar_t)) + \
        (math.sqrt(1 - beta) * (1 - abar_s) / (1 - abar_t)) * x
    spread = math.sqrt((1 - abar_s) / (1 - abar_t) * beta)
    z = torch.randn(x.shape, generator=torch.Generator().manual_seed(0), dtype=x.dtype)
    assert torch.allclose(seen[0], mean + spread * z, atol=1e-10)


def test_blurring_diffusion_is_exact_for_every_rotated_sampler_with_an_oracle():
    degrade = degrade_package()
    D = degrade.BlurringDiffusion(50, sigma_blur_max=6.0)
    x0 = _images(5, (2, 3, 16, 16))
    noise = D.sample_params(x0, generator=torch.Generator().manual_seed(0))["noise"]
    x_T = D(x0, 50, noise=noise)
    for sampler, options in ((samplers.rotated_ancestral, {}), (samplers.rotated_ddim, {}),
                             (samplers.rotated_fixed_noise, {"noise": noise})):
        seen = {}
        x_0 = sampler(oracle(D, x0), D, x_T, 50, steps=samplers.spaced_steps(50, 10),
                      callback=lambda s, x_s, x0_hat, seen=seen: seen.update({s: x_s}),
                      **options)
        assert torch.allclose(x_0, x0, atol=1e-8), sampler.__name__
        if sampler is not samplers.rotated_ancestral:   # the same noise all the way down
            for s in (45, 25, 5):
                assert torch.allclose(seen[s], D(x0, s, noise=noise), atol=1e-8), s
    with pytest.raises(TypeError, match="rotated_ancestral"):
        samplers.reverse_diffusion(oracle(D, x0), D, x_T, 50)


def test_blur_diffusion_keeps_its_samplers_and_gains_the_ancestral_one():
    degrade = degrade_package()
    D = degrade.BlurDiffusion.paper(40, final_blur=0.3)
    x0 = _images(6, (2, 3, 16, 16))
    x_T = D(x0, 40, **D.sample_params(x0, generator=torch.Generator().manual_seed(0)))
    x_0 = samplers.rotated_ancestral(oracle(D, x0), D, x_T, 40,
                                     generator=torch.Generator().manual_seed(1))
    assert torch.allclose(x_0, x0, atol=1e-8)


def test_a_process_without_a_basis_is_refused():
    with pytest.raises(TypeError, match="lacks rotate, unrotate, signal"):
        samplers.rotated_ancestral(lambda x, s: x, lambda x, s: x, torch.zeros(1, 1, 4, 4), 3)
