"""Bad input fails early with a clear ValueError or TypeError, never deep inside torch."""

import math

import pytest
import torch
from operators import OPERATORS, SHAPE

import degrade


def _call(D, x, t, **overrides):
    params = D.sample_params(SHAPE, generator=torch.Generator().manual_seed(0))
    params.update(overrides)
    return D(x, t, **params)


@pytest.mark.parametrize("make", OPERATORS)
@pytest.mark.parametrize(
    ("x", "t", "error", "message"),
    [
        ([[0.0]], 1, TypeError, "must be a torch.Tensor"),
        (torch.zeros(3, 16, 16), 1, ValueError, "4 dimensions"),
        (torch.zeros(SHAPE, dtype=torch.uint8), 1, TypeError, "floating-point"),
        (torch.zeros(SHAPE), -1, ValueError, "0 <= t <= T"),
        (torch.zeros(SHAPE), 10**6, ValueError, "0 <= t <= T"),
        (torch.zeros(SHAPE), 1.5, TypeError, "integer step"),
        (torch.zeros(SHAPE), True, TypeError, "bool"),
        (torch.zeros(SHAPE), torch.tensor([1.0, 2.0, 3.0]), TypeError, "integer tensor"),
        (torch.zeros(SHAPE), torch.tensor([1, 2]), ValueError, r"shape \(B,\)"),
        (torch.zeros(SHAPE), torch.ones(3, 1, dtype=torch.int64), ValueError, r"shape \(B,\)"),
        (torch.zeros(SHAPE), torch.tensor([1, -2, 3]), ValueError, "0 <= t <= T"),
        (torch.zeros(SHAPE), "3", TypeError, "int or an integer tensor"),
    ],
    ids=["list", "3d", "uint8", "negative", "too-large", "float", "bool", "float-tensor",
         "wrong-length", "2d-t", "negative-in-tensor", "string"],
)
def test_bad_x_or_t(make, x, t, error, message):
    with pytest.raises(error, match=message):
        _call(make(), x, t)


@pytest.mark.parametrize("make", OPERATORS)
def test_random_parameters_are_checked(make):
    D = make()
    x = torch.zeros(SHAPE)
    if not D.param_names:
        with pytest.raises(TypeError, match="deterministic"):
            D(x, 1, z=x)
        return
    with pytest.raises(TypeError, match="sample_params"):
        D(x, 1)
    with pytest.raises(TypeError, match="unexpected"):
        _call(D, x, 1, colour=x)
    name = D.param_names[0]
    too_few = D.sample_params((2, *SHAPE[1:]))[name]
    with pytest.raises(ValueError, match=f"parameter '{name}' must have shape"):
        _call(D, x, 1, **{name: too_few})
    with pytest.raises(TypeError, match="needs its random parameters"):
        D.bind()


@pytest.mark.parametrize("make", OPERATORS)
def test_a_bound_degradation_selects_the_parameters_of_some_images(make):
    """``D.draw(x).select(i)(x[i], t) == D.draw(x)(x, t)[i]``: how zoo restores a large
    batch in parts."""
    D = make()
    x = torch.rand(SHAPE, generator=torch.Generator().manual_seed(0)) * 2 - 1
    bound = D.bind(**D.sample_params(x, generator=torch.Generator().manual_seed(1)))
    t = D.num_steps
    for index in (slice(1, 3), torch.tensor([2, 0])):
        torch.testing.assert_close(bound.select(index)(x[index], t), bound(x, t)[index])


@pytest.mark.parametrize(
    "make",
    [lambda: degrade.DesaturationSchedule(10),
     lambda: degrade.SnowSchedule(10, brightness=(0.95, 0.4))],
    ids=["desaturation", "snow-brightness"],
)
def test_colour_operators_refuse_grey_images(make):
    D = make()
    with pytest.raises(ValueError, match="3-channel"):
        D(torch.zeros(2, 1, 16, 16), 1)
    with pytest.raises(ValueError, match="3-channel"):
        D.sample_params((2, 1, 16, 16))


def test_image_sizes_a_schedule_cannot_handle():
    with pytest.raises(ValueError, match="divisible by 2\\*\\*3 = 8"):
        degrade.SuperResolutionSchedule(3)(torch.zeros(1, 1, 28, 32), 1)
    with pytest.raises(ValueError, match="outside"):
        degrade.GaussianMaskSchedule.linear(5, center=(20, 3))(torch.zeros(1, 1, 16, 16), 1)
    D = degrade.GaussianMaskSchedule.linear(5)
    with pytest.raises(ValueError, match="inside"):
        D(torch.zeros(1, 1, 16, 16), 1, center=torch.tensor([[16, 0]]))
    with pytest.raises(TypeError, match="integer tensor"):
        D(torch.zeros(1, 1, 16, 16), 1, center=torch.tensor([[1.5, 0.0]]))
    with pytest.raises(ValueError, match="power of two"):
        degrade.SuperResolutionSchedule.from_sizes(32, 3)
    pool = degrade.MixingSchedule.linear(10, pool=torch.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match="pool holds images of shape"):
        pool.sample_params((1, 3, 16, 16))
    with pytest.raises(ValueError, match="no pool"):
        degrade.MixingSchedule.linear(10).sample_params((1, 3, 16, 16))


nan = math.nan


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: degrade.GaussianBlurSchedule(5, [1.0, nan]), ValueError, "finite"),
        (lambda: degrade.GaussianBlurSchedule(5, [1.0, -1.0]), ValueError, "positive"),
        (lambda: degrade.GaussianBlurSchedule(5, []), ValueError, "non-empty"),
        (lambda: degrade.GaussianBlurSchedule(4, [1.0]), ValueError, "odd"),
        (lambda: degrade.GaussianBlurSchedule(5, [1.0], padding="wrap"), ValueError, "padding"),
        (lambda: degrade.GaussianBlurSchedule.exponential(5, 10, rate=nan), ValueError, "finite"),
        (lambda: degrade.GaussianBlurSchedule.linear(5, 10, 0.01, nan), ValueError, "finite"),
        (lambda: degrade.GaussianBlurSchedule.constant(5, 0, 1.0), ValueError, "at least 1"),
        (lambda: degrade.GaussianBlurSchedule.constant(5, 2.5, 1.0), TypeError, "must be an int"),
        (lambda: degrade.GaussianMaskSchedule.linear(10, beta_start=nan), ValueError, "finite"),
        (lambda: degrade.GaussianMaskSchedule([1.0, nan]), ValueError, "finite"),
        (lambda: degrade.GaussianMaskSchedule.linear(10, 1.0, -1.0), ValueError, "positive"),
        (lambda: degrade.GaussianMaskSchedule.linear(10, center="left"), ValueError, "center"),
        (lambda: degrade.SnowSchedule(10, threshold=(nan, 0.7)), ValueError, "finite"),
        (lambda: degrade.SnowSchedule(10, motion_sigma=(0.0, 1.0)), ValueError, "positive"),
        (lambda: degrade.SnowSchedule(10, zoom=0.5), ValueError, "at least 1"),
        (lambda: degrade.SnowSchedule(10, seed_std=nan), ValueError, "finite"),
        (lambda: degrade.SnowSchedule(10, threshold=1.0), TypeError, "pair"),
        (lambda: degrade.DesaturationSchedule(0), ValueError, "at least 1"),
        (lambda: degrade.NoiseSchedule([0.9, nan]), ValueError, "finite"),
        (lambda: degrade.NoiseSchedule([0.5, 0.9]), ValueError, "non-increasing"),
        (lambda: degrade.NoiseSchedule([1.5]), ValueError, r"\(0, 1\]"),
        (lambda: degrade.NoiseSchedule.linear(10, beta_start=nan), ValueError, "finite"),
        (lambda: degrade.NoiseSchedule.from_betas([0.5, 1.0]), ValueError, r"\(0, 1\)"),
        (lambda: degrade.MixingSchedule.cosine(10, pool=torch.zeros(3, 8, 8)), ValueError,
         "4 dimensions"),
    ],
)
def test_bad_schedule_parameters(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("make", OPERATORS)
@pytest.mark.parametrize("shape", [(2, 3, 0, 16), (2, 3, 16, 0), (2, 0, 16, 16)])
def test_images_without_pixels_are_refused_and_empty_batches_pass(make, shape):
    D = make()
    with pytest.raises(ValueError):
        D(torch.zeros(shape), 1)
    empty = torch.zeros(0, 3, 16, 16)
    assert D(empty, 1, **D.sample_params(empty)).shape == empty.shape


def test_numpy_scalars_are_numbers_everywhere_and_fractions_are_refused():
    """Issue 27, case 18: ``np.int64`` counts and ``np.float32`` noise levels are accepted
    wherever a Python int or float is, and ``n = 2.5`` is refused in one line naming ``n``."""
    import numpy as np

    samplers = pytest.importorskip("samplers", reason="needs colddiff-samplers")
    zoo = pytest.importorskip("zoo", reason="needs colddiff-zoo")

    prior = samplers.ChannelMeanPrior(noise_std=np.float32(0.1)).fit(torch.rand(8, 1, 4, 4))
    assert prior.sample(np.int64(3)).shape == (3, 1, 4, 4)
    assert samplers.spaced_steps(np.int64(20), np.int32(4)) == [20, 15, 10, 5, 0]
    assert samplers.LowFrequencyPrior(np.int64(2)).size == 2
    assert samplers.ChannelMeanPrior(np.int64(2)).components == 2
    assert degrade.GaussianBlurSchedule(np.int64(5), [1.0]).kernel_size == 5
    assert degrade.GaussianMaskSchedule([0.1], center=(np.int64(1), np.int64(2)),
                                        bits=np.int64(8)).bits == 8
    model = zoo.load("mnist-blur-gen")
    torch.testing.assert_close(model.generate(np.int64(2), seed=np.int64(1),
                                              noise_std=np.float32(0.002)),
                               model.generate(2, seed=1, noise_std=float(np.float32(0.002))))
    for call in (lambda: prior.sample(2.5), lambda: model.generate(2.5),
                 lambda: model.generate(True), lambda: samplers.spaced_steps(20, 2.0)):
        with pytest.raises(ValueError, match=r"must be a whole number >= \d, got (2\.5|True|2\.0)"):
            call()


@pytest.mark.parametrize("make", OPERATORS)
def test_non_finite_images_are_refused(make):
    """The operators' half of the one NaN policy (the samplers' half: tests/samplers)."""
    x = torch.rand(SHAPE)
    x[0, 0, 3, 3] = math.inf if len(str(make)) % 2 else math.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        _call(make(), x, 1)
