"""DirectIteration: InDI's straight path from x to its observation y (Delbracio and Milanfar,
2023, section 3). The protocol checks run on it through operators.py."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import degrade


def _images(seed, shape=(3, 3, 16, 16)):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


BLUR = degrade.GaussianBlurSchedule.constant(5, 20, 2.0, padding="reflect")


@given(seed=st.integers(0, 2**31), t=st.integers(0, 10))
def test_property_the_path_is_straight_from_x_to_the_endpoint(seed, t):
    x = _images(seed)
    D = degrade.DirectIteration(BLUR, num_steps=10)
    expected = (1 - t / 10) * x + t / 10 * BLUR(x, 20)
    assert torch.allclose(D(x, t), expected, atol=1e-6)


def test_it_ends_exactly_at_the_observation_and_starts_exactly_at_x():
    x = _images(0)
    D = degrade.DirectIteration(BLUR, num_steps=7)
    assert torch.equal(D(x, 7), BLUR(x, 20))
    assert torch.equal(D(x, 0), x)


def test_paired_data_takes_y_as_its_parameter():
    x, y = _images(0), _images(1)
    D = degrade.DirectIteration(None, num_steps=4)
    assert D.param_names == ("y",)
    assert torch.equal(D(x, 4, y=y), y)
    assert torch.allclose(D.bind(y=y)(x, 1), 0.75 * x + 0.25 * y)
    with pytest.raises(ValueError, match=r"cannot draw its parameter\(s\) y: pass them"):
        D.sample_params(x)
    assert torch.equal(D.sample_params(x, given={"y": y})["y"], y)
    with pytest.raises(TypeError, match=r"random parameters \(y\)"):
        D(x, 2)


def test_ending_at_an_observation_walks_toward_it():
    x, y = _images(0), _images(1)
    paired = degrade.DirectIteration(None, num_steps=5, sigma=0.1)
    walk = paired.ending_at(y)
    assert torch.equal(walk(x, 5), y)            # the noise is not part of the walk back
    assert torch.equal(walk(x, 0), x)
    assert degrade.DirectIteration(BLUR, 5).ending_at(y) is not None
    with pytest.raises(TypeError, match="cannot be read from x_T"):
        degrade.DirectIteration(degrade.SnowSchedule(10), 5).ending_at(y)


@given(seed=st.integers(0, 2**31), sigma=st.floats(0.01, 1.0), paired=st.booleans())
def test_property_observing_starts_where_the_noisy_path_ends(seed, sigma, paired):
    x = _images(seed)
    D = degrade.DirectIteration(None if paired else BLUR, num_steps=5, sigma=sigma)
    y = _images(seed + 1) if paired else BLUR(x, 20)
    x_T, walk = D.observing(y, generator=torch.Generator().manual_seed(seed))
    eta = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))
    assert torch.allclose(x_T, y + sigma * eta, atol=1e-6)     # InDI's start y + sigma_T eta
    assert torch.allclose(walk(x, 5), x_T, atol=1e-6)          # and the walk ends there
    assert torch.allclose(walk(x, 0), x)
    assert torch.allclose(walk(x, 2), D(x, 2, noise=eta, **({"y": y} if paired else {})),
                          atol=1e-6)


def test_observing_without_noise_is_ending_at():
    x, y = _images(0), _images(1)
    start, walk = degrade.DirectIteration(None, num_steps=5).observing(y)
    assert start is y and torch.equal(walk(x, 5), y)
    D = degrade.DirectIteration(degrade.SnowSchedule(10), 5, sigma=0.1)
    with pytest.raises(TypeError, match=r"endpoint's random parameters \(.*\) cannot be read"):
        D.observing(y)


def test_the_noise_grows_as_t_sigma_t():
    x = _images(0)
    sigma = [0.4 / (k / 4) ** 0.5 for k in range(1, 5)]      # a Brownian motion
    D = degrade.DirectIteration(BLUR, num_steps=4, sigma=sigma)
    noise = torch.randn_like(x)
    for t in range(1, 5):
        quiet = degrade.DirectIteration(BLUR, num_steps=4)(x, t)
        assert torch.allclose(D(x, t, noise=noise) - quiet, t / 4 * sigma[t - 1] * noise,
                              atol=1e-6)


def test_a_callable_endpoint_and_a_linear_endpoint():
    x = _images(2)
    halve = degrade.DirectIteration(lambda images: images / 2, num_steps=2)
    assert torch.allclose(halve(x, 1), 0.75 * x)
    assert not halve.is_linear                     # a callable's linearity is unknown
    assert degrade.DirectIteration(BLUR, 3).is_linear
    assert not degrade.DirectIteration(BLUR, 3, sigma=0.1).is_linear
    assert not degrade.DirectIteration(degrade.SnowSchedule(10), 3).is_linear
    wrong = degrade.DirectIteration(lambda images: images[:, :1], num_steps=2)
    with pytest.raises(ValueError, match="shape of x"):
        wrong(x, 1)


@pytest.mark.parametrize(("sigma", "message"), [
    (-0.1, "non-negative"),
    ([0.1, 0.2, 0.3], "must not increase"),
    ([0.1, 0.1], "3 values"),
    (float("nan"), "finite"),
])
def test_bad_noise_levels_are_refused(sigma, message):
    with pytest.raises(ValueError, match=message):
        degrade.DirectIteration(BLUR, num_steps=3, sigma=sigma)


def test_bad_endpoints_are_refused():
    with pytest.raises(TypeError, match="endpoint must be"):
        degrade.DirectIteration("blur", num_steps=3)
    with pytest.raises(ValueError, match="clash"):
        degrade.DirectIteration(degrade.NoiseSchedule.linear(10), num_steps=3, sigma=0.1)
