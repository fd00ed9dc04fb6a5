"""bind() and resampled(): plain D(x, t) callables from an operator with random parameters."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import degrade


def test_bind_fixes_the_draw():
    D = degrade.SnowSchedule(50)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    params = D.sample_params(x, generator=torch.Generator().manual_seed(0))
    bound = D.bind(**params)
    assert bound.num_steps == 50
    for t in (0, 10, 50):
        assert torch.equal(bound(x, t), D(x, t, **params))


def test_resampled_draws_fresh_parameters_reproducibly():
    D = degrade.NoiseSchedule.linear(100)
    x = torch.zeros(2, 1, 8, 8)
    fresh = D.resampled(generator=torch.Generator().manual_seed(0))
    first, second = fresh(x, 100), fresh(x, 100)
    assert not torch.equal(first, second)
    again = D.resampled(generator=torch.Generator().manual_seed(0))
    assert torch.equal(again(x, 100), first)


def test_resampled_draw_is_one_fixed_draw_from_its_generator():
    D = degrade.NoiseSchedule.linear(100)
    x = torch.zeros(2, 1, 8, 8)
    fixed = D.resampled(generator=torch.Generator().manual_seed(0)).draw(x)
    assert torch.equal(fixed(x, 100), fixed(x, 100))
    fresh = D.resampled(generator=torch.Generator().manual_seed(0))
    assert torch.equal(fixed(x, 100), fresh(x, 100))


def test_parameters_follow_the_images_device_and_dtype():
    D = degrade.GaussianFadeSchedule.linear(10)
    x = torch.zeros(2, 3, 8, 8, dtype=torch.float64)
    params = D.sample_params(x)
    assert params["color"].dtype == torch.float64
    assert params["center"].dtype == torch.int64
    assert D(x, 10, **D.sample_params((2, 3, 8, 8))).dtype == torch.float64


def test_draw_is_one_bound_draw_and_deterministic_operators_are_themselves():
    D = degrade.SnowSchedule(50)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    drawn = D.draw(x, generator=torch.Generator().manual_seed(3))
    params = D.sample_params(x, generator=torch.Generator().manual_seed(3))
    for t in (0, 7, 50):
        assert torch.equal(drawn(x, t), D(x, t, **params))
    other = D.draw(x, generator=torch.Generator().manual_seed(4))
    assert not torch.equal(other(x, 50), drawn(x, 50))
    blur = degrade.GaussianBlurSchedule.constant(5, 10, 1.0)
    assert blur.draw(x) is blur


def _images(seed, size=16, n=3):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@given(seed=st.integers(0, 2**16))
@settings(max_examples=20)
def test_property_an_operator_ending_at_its_parameter_ends_at_the_prior_draw(seed):
    """Section 5.3: a cold generator starts from the prior's x_T (a cat, a solid colour) and
    walks back with the parameters that end there: D(x, T) = x_T for any x."""
    x, cat = _images(seed), _images(seed + 1)
    mixing = degrade.MixingSchedule.cosine(num_steps=20)
    assert torch.allclose(mixing.ending_at(cat)(x, 20), cat, atol=1e-2)   # sqrt(abar_T) = 0.0025
    assert torch.equal(mixing.ending_at(cat)(x, 0), x)
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))
    hot = degrade.NoiseSchedule.cosine(num_steps=20)     # Table 5's fixed noise: z = x_T
    assert torch.allclose(hot.ending_at(noise)(x, 20), noise, atol=1e-2)
    assert torch.equal(hot.ending_at(noise)(x, 0), x)
    a, b = hot.coefficients(7)
    assert torch.allclose(hot.ending_at(noise)(x, 7), (a * x + b * noise).float(), atol=1e-6)
    fade = degrade.GaussianFadeSchedule.linear(num_steps=40, beta_start=1.0, beta_step=20.0,
                                               center="middle")
    colour = torch.rand(3, 3, 1, 1, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    solid = colour.expand(3, 3, 16, 16)
    assert torch.allclose(fade.ending_at(solid)(x, 40), solid, atol=1e-6)
    assert torch.equal(fade.ending_at(solid)(x, 0), x)


def test_ending_at_refuses_what_x_T_does_not_determine():
    blur = degrade.GaussianBlurSchedule.constant(3, 4, 1.0)
    assert blur.ending_at(_images(0)) is blur
    with pytest.raises(TypeError, match=r"parameters \(seed, vertical\) cannot be read"):
        degrade.SnowSchedule(num_steps=4).ending_at(_images(0))
    random_centre = degrade.GaussianFadeSchedule.linear(num_steps=4, beta_start=1.0,
                                                        beta_step=1.0)
    with pytest.raises(TypeError, match="random centres cannot tell them from x_T"):
        random_centre.ending_at(_images(0))
    with pytest.raises(ValueError):
        degrade.MixingSchedule.cosine(num_steps=4).ending_at(torch.zeros(3, 16, 16))
    with pytest.raises(ValueError):
        degrade.NoiseSchedule.cosine(num_steps=4).ending_at(torch.zeros(3, 16, 16))
