"""samplers.indi: InDI's small steps (Delbracio and Milanfar, 2023, section 3)."""

import pytest
import torch
from toys import degrade_package

import samplers
from samplers import testing


def test_indi_passes_every_check_for_the_straight_path():
    testing.check_sampler(samplers.indi, family=testing.StraightPath, tolerant=False)


def test_indi_is_exact_only_on_the_straight_path():
    """Its update implies the path: on another D a perfect restorer is not enough."""
    with pytest.raises(AssertionError, match="differs from D"):
        testing.check_perfect_restorer(samplers.indi, max_examples=5)


def _path(x0, y, T, sigma=None):
    sigma = torch.zeros(T + 1, dtype=torch.float64) if sigma is None else \
        torch.cat([torch.as_tensor(sigma[:1]), torch.as_tensor(sigma)])

    class Path:
        num_steps = T

        def __call__(self, x, s, noise=None):
            out = (1 - s / T) * x + s / T * y
            return out if noise is None else out + s / T * float(sigma[s]) * noise

    return Path()


def test_with_noise_it_ends_exactly_at_x0_and_passes_through_the_noisy_path():
    T, shape = 8, (1, 1, 256, 256)
    x0 = torch.rand(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.rand(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    sigma = [0.5 / (k / T) ** 0.5 for k in range(1, T + 1)]    # a Brownian motion
    D = _path(x0, y, T, sigma)
    x_T = D(x0, T, noise=torch.randn(shape, dtype=torch.float64))
    seen = {}
    x_0 = samplers.indi(lambda x, s: x0, D, x_T, T, sigma=sigma,
                        generator=torch.Generator().manual_seed(2),
                        callback=lambda s, x_s, x0_hat: seen.update({s: x_s}))
    assert torch.equal(x_0, x0)
    for s in range(1, T):
        spread = float((seen[s] - D(x0, s)).std())
        assert spread == pytest.approx(s / T * sigma[s - 1], rel=0.03), s


def test_constant_noise_adds_none_on_the_way():
    x0, y = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    D = _path(x0, y, 5)
    plain = samplers.indi(lambda x, s: x0 * 0.9, D, y, 5)
    constant = samplers.indi(lambda x, s: x0 * 0.9, D, y, 5, sigma=0.3)
    assert torch.equal(plain, constant)


def test_skipping_steps_halves_the_calls():
    x0, y = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    calls = []
    samplers.indi(lambda x, s: calls.append(s) or x0, _path(x0, y, 10), y, 10,
                  steps=[10, 8, 6, 4, 2, 0])
    assert calls == [10, 8, 6, 4, 2]


@pytest.mark.parametrize(("sigma", "error", "message"), [
    ([0.1, 0.2, 0.3, 0.4], ValueError, "must not increase"),
    ([0.1, 0.1], ValueError, "4 values"),
    (-1.0, ValueError, "non-negative"),
    ("big", TypeError, "number or a sequence"),
])
def test_bad_noise_levels_are_refused(sigma, error, message):
    x = torch.rand(1, 1, 4, 4)
    with pytest.raises(error, match=message):
        samplers.indi(lambda x, s: x, _path(x, x, 4), x, 4, sigma=sigma)


def test_a_degradation_without_num_steps_is_refused():
    x = torch.rand(1, 1, 4, 4)
    with pytest.raises(TypeError, match=r"D\.num_steps"):
        samplers.indi(lambda x, s: x, lambda x, s: x, x, 4)


def test_with_degrades_direct_iteration_and_its_noise():
    degrade = degrade_package()
    blur = degrade.GaussianBlurSchedule.constant(5, 20, 2.0, padding="reflect")
    D = degrade.DirectIteration(blur, num_steps=6, sigma=[0.2] * 3 + [0.1] * 3)
    x0 = torch.rand(2, 3, 16, 16, dtype=torch.float64) * 2 - 1
    D_drawn = D.draw(x0, generator=torch.Generator().manual_seed(0))
    x_0 = samplers.indi(lambda x, s: x0, D, D_drawn(x0, 6), 6, sigma=D.sigma,
                        generator=torch.Generator().manual_seed(1))
    assert torch.equal(x_0, x0)
    paired = degrade.DirectIteration(None, num_steps=6)
    y = blur(x0, 20)
    assert torch.allclose(samplers.indi(lambda x, s: x0, paired, y, 6), x0, atol=1e-12)
    assert torch.allclose(samplers.tacos(lambda x, s: x0, paired.ending_at(y), y, 6), x0,
                          atol=1e-12)
