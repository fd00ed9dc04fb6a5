"""BlurringDiffusion (Hoogeboom and Salimans, 2023): heat dissipation in the DCT basis with white
noise, and where it coincides with blur diffusion (Lee et al., 2022)."""

import math

import pytest
import torch
from degrade.blurring_diffusion import LEAST_SIGNAL
from hypothesis import given
from hypothesis import strategies as st

import degrade


def _images(seed, shape=(2, 3, 16, 16)):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed),
                      dtype=torch.float64) * 2 - 1


@given(seed=st.integers(0, 2**31), t=st.integers(0, 40))
def test_property_without_blur_it_is_blur_diffusion_without_blur(seed, t):
    """sigma_B,max = 0: the cosine schedule of standard diffusion, which BlurDiffusion with
    f = 0 and the same abar gives for the same noise."""
    T = 40
    abar = torch.cos(torch.arange(1, T + 1, dtype=torch.float64) / T * math.pi / 2) ** 2
    abar = abar.clamp(min=LEAST_SIGNAL)
    betas = 1 - abar / torch.cat([torch.ones(1, dtype=torch.float64), abar[:-1]])
    lee = degrade.BlurDiffusion(betas, torch.zeros(T + 1))
    hoogeboom = degrade.BlurringDiffusion(T, sigma_blur_max=0.0)
    x, noise = _images(seed), _images(seed + 1)
    assert torch.allclose(hoogeboom(x, t, noise=noise), lee(x, t, noise=noise), atol=1e-12)


def test_it_is_the_cosine_schedule_with_heat_dissipation_per_frequency():
    D = degrade.BlurringDiffusion(100, sigma_blur_max=10.0, min_scale=0.01)
    shape = (1, 1, 16, 16)
    assert torch.equal(D.scaling(0, shape), torch.ones(1, 1, 16, 16, dtype=torch.float64))
    d = D.scaling(60, shape)[0, 0]
    assert d[0, 0] == 1                                   # the mean is never blurred
    assert bool((d[0, 1:] <= d[0, :-1]).all()) and bool((d[1:, 0] <= d[:-1, 0]).all())
    assert d[0, 2] < d[0, 1] < d[0, 0]
    u = 0.6
    tau = (10.0 * math.sin(u * math.pi / 2) ** 2) ** 2 / 2
    expected = 0.99 * math.exp(-(math.pi * 3 / 16) ** 2 * tau) + 0.01
    assert float(d[3, 0]) == pytest.approx(expected, rel=1e-12)
    assert float(D.scaling(100, shape)[0, 0, 15, 15]) == pytest.approx(0.01, abs=1e-6)
    assert float(D.signal(60, shape)[0, 0, 0, 0]) == pytest.approx(math.cos(u * math.pi / 2) ** 2)
    assert float(D.noise_variance(60, shape)) == pytest.approx(math.sin(u * math.pi / 2) ** 2)
    assert float(D.signal(100, shape)[0, 0, 0, 0]) == pytest.approx(LEAST_SIGNAL)


def test_the_noise_is_white_and_the_mean_is_blurred():
    D = degrade.BlurringDiffusion(10, sigma_blur_max=4.0)
    x, noise = _images(0), _images(1)
    quiet = D(x, 5, noise=torch.zeros_like(x))
    assert torch.allclose(D(x, 5, noise=noise) - quiet, math.sin(0.5 * math.pi / 2) * noise,
                          atol=1e-12)
    assert torch.allclose(D.unrotate(D.rotate(x)), x, atol=1e-12)
    assert float(quiet.std()) < float(x.std()) * math.cos(0.5 * math.pi / 2)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"sigma_blur_max": -1.0}, "sigma_blur_max must be >= 0"),
    ({"min_scale": 1.0}, r"min_scale must be in \[0, 1\)"),
])
def test_bad_settings_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        degrade.BlurringDiffusion(10, **arguments)
