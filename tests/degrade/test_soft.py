"""SoftCorruption: soft diffusion's x_t = C_t x0 + s_t eta (Daras et al., 2022)."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import degrade
from degrade import testing


def _images(seed, shape=(2, 3, 16, 16)):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed),
                      dtype=torch.float64) * 2 - 1


def _heat(T=20):
    return degrade.HeatDissipation(T, 0.5, 8.0, sigma=0.0)


@given(seed=st.integers(0, 2**31), t=st.integers(0, 20))
def test_property_it_is_the_corruption_plus_the_scaled_noise(seed, t):
    D = degrade.SoftCorruption.geometric(_heat(), 0.01, 0.3)
    x, noise = _images(seed), _images(seed + 1)
    expected = _heat()(x, t) + float(D.noise_level(t)) * noise
    assert torch.allclose(D(x, t, noise=noise), expected, atol=1e-12)
    assert torch.equal(D.corrupt(x, t), _heat()(x, t))


def test_the_noise_levels_are_geometric_from_smallest_to_largest_and_zero_at_zero():
    D = degrade.SoftCorruption.geometric(_heat(5), 0.01, 0.16)
    assert D.noise_levels.tolist() == pytest.approx([0, 0.01, 0.02, 0.04, 0.08, 0.16])
    assert D.noise_level(torch.tensor([0, 5, 2])).tolist() == pytest.approx([0, 0.16, 0.02])


def test_with_noise_zero_it_is_linear_and_the_corruption_has_the_adjoint():
    D = degrade.SoftCorruption(degrade.GaussianBlurSchedule.constant(5, 10, 1.5,
                                                                    padding="reflect"), 0.1)
    quiet = D.bind(noise=torch.zeros(2, 3, 16, 16, dtype=torch.float64))
    testing.check_linearity(quiet, (2, 3, 16, 16), num_steps=10, max_examples=5)
    x, y = _images(0), _images(1)
    inner = (D.corrupt(x, 7) * y).sum()
    assert float(inner) == pytest.approx(float((x * D.corruption.adjoint(y, 7)).sum()), rel=1e-9)
    with pytest.raises(TypeError, match="not linear"):
        D.adjoint(y, 7, noise=torch.zeros_like(y))


def test_it_passes_every_check_of_degrade_testing():
    testing.check_degradation(degrade.SoftCorruption.geometric(_heat(), 0.02, 0.5),
                              max_examples=5)


@pytest.mark.parametrize(("corruption", "levels", "error", "message"), [
    (degrade.NoiseSchedule.linear(10), 0.1, ValueError, "not linear"),
    (degrade.GaussianMaskSchedule.linear(10), 0.1, ValueError, "random parameters"),
    ("blur", 0.1, TypeError, "must be a degrade.Degradation"),
    (degrade.HeatDissipation(4, sigma=0.0), [0.3, 0.2, 0.1, 0.0], ValueError, "must not decrease"),
    (degrade.HeatDissipation(4, sigma=0.0), [0.1, 0.2], ValueError, "4 values"),
    (degrade.HeatDissipation(4, sigma=0.0), -0.1, ValueError, "non-negative"),
    (degrade.HeatDissipation(4, sigma=0.0), [0.1, float("nan"), 0.2, 0.3], ValueError,
     "finite"),
])
def test_bad_corruptions_and_levels_are_refused(corruption, levels, error, message):
    with pytest.raises(error, match=message):
        degrade.SoftCorruption(corruption, levels)


def test_bad_geometric_levels_and_steps_are_refused():
    with pytest.raises(ValueError, match="at least smallest"):
        degrade.SoftCorruption.geometric(_heat(), 0.2, 0.1)
    with pytest.raises(ValueError, match="positive"):
        degrade.SoftCorruption.geometric(_heat(), 0.0, 0.1)
    D = degrade.SoftCorruption.geometric(_heat(), 0.01, 0.1)
    with pytest.raises(ValueError, match=r"0\.\.20"):
        D.noise_level(21)
    with pytest.raises(TypeError, match="integer"):
        D.noise_level(torch.tensor([0.5]))


def test_it_says_what_it_is():
    D = degrade.SoftCorruption.geometric(_heat(), 0.01, 0.1)
    assert "noise=0.01..0.1" in repr(D) and "HeatDissipation" in repr(D)
