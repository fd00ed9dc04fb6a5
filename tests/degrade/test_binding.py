"""bind() and resampled(): plain D(x, t) callables from an operator with random parameters."""

import torch

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
