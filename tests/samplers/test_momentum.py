"""samplers.momentum: soft diffusion's Momentum Sampler (Daras et al., 2022)."""

import functools

import pytest
import torch

import samplers
from samplers import testing

deterministic = functools.partial(samplers.momentum, stochastic=False)


def test_the_deterministic_variant_passes_every_check_for_a_soft_path():
    testing.check_sampler(deterministic, family=testing.SoftPath, tolerant=False)


def test_the_stochastic_sampler_is_not_exact_on_the_way():
    """Its fresh noise replaces the noise of x_s: a perfect restorer is not enough to visit
    D(x0, s) (the check that catches a sampler passing it by accident)."""
    stochastic = functools.partial(samplers.momentum, generator=torch.Generator().manual_seed(0))
    with pytest.raises(AssertionError, match="differs from D"):
        testing.check_perfect_restorer(stochastic, family=testing.SoftPath, max_examples=5)


def test_the_stochastic_sampler_ends_at_x0_from_any_step_of_a_batch():
    def seeded(R, D, x_t, t, **kwargs):
        return samplers.momentum(R, D, x_t, t, generator=torch.Generator().manual_seed(0),
                                 **kwargs)

    x0 = torch.rand(3, 2, 6, 6, dtype=torch.float64)
    D = testing.SoftPath(10, (3, 2, 6, 6), 4)
    t = torch.tensor([0, 5, 10])
    x_0 = seeded(lambda x, s: x0, D, D(x0, t), t)
    assert torch.allclose(x_0, x0)


class _Fade:
    """C_t x = (1 - t/T) x + (t/T) m (m: the image mean, a linear map), s_t given."""

    def __init__(self, levels):
        self.levels = torch.cat([torch.zeros(1, dtype=torch.float64),
                                 torch.as_tensor(levels, dtype=torch.float64)])
        self.num_steps = len(levels)

    def corrupt(self, x, t):
        fraction = torch.as_tensor(t, dtype=x.dtype).view(-1, 1, 1, 1) / self.num_steps
        return (1 - fraction) * x + fraction * x.mean(dim=(-2, -1), keepdim=True)

    def noise_level(self, t):
        return self.levels[torch.as_tensor(t).cpu()]

    def __call__(self, x, t, noise=None):
        out = self.corrupt(x, t)
        if noise is None:
            return out
        return out + self.levels[torch.as_tensor(t).cpu()].to(x).view(-1, 1, 1, 1) * noise


def test_with_a_perfect_restorer_it_ends_at_x0_and_its_noise_has_the_marginal_spread():
    """The denoising step is the VE reverse step: from s_s to s_{s'} the noise of x_s, shrunk to
    s_{s'}^2 / s_s of itself, plus fresh noise of variance s_s^2 - s_{s'}^2 (the spread of
    a step, not of the marginal, so the check is of the formula, one step at a time)."""
    T, shape = 6, (1, 1, 256, 256)
    levels = [0.1 * k for k in range(1, T + 1)]
    D = _Fade(levels)
    x0 = torch.rand(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    noise = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    x_T = D(x0, T, noise=noise)
    seen = {}
    x_0 = samplers.momentum(lambda x, s: x0, D, x_T, T, generator=torch.Generator().manual_seed(2),
                            callback=lambda s, x_s, x0_hat: seen.update({s: x_s}))
    assert torch.allclose(x_0, x0, atol=1e-12)
    residual = seen[T - 1] - D.corrupt(x0, T - 1)
    now, then = levels[-1], levels[-2]
    kept = then**2 / now**2 * now * noise
    assert float((residual - kept).std()) == pytest.approx((now**2 - then**2) ** 0.5, rel=0.02)


def test_without_noise_it_is_tacos():
    D = _Fade([0.0] * 8)
    x0 = torch.rand(2, 3, 8, 8, dtype=torch.float64)

    def R(x, s):
        return 0.8 * x + 0.1 * s

    plain = samplers.momentum(R, D, D(x0, 8), 8)
    tacos = samplers.tacos(R, D.corrupt, D(x0, 8), 8)
    assert torch.allclose(plain, tacos, atol=1e-12)


def test_the_deterministic_variant_keeps_the_noise_scaled_to_each_level():
    levels = [0.05, 0.1, 0.2, 0.4]
    D = _Fade(levels)
    x0 = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    noise = torch.randn_like(x0)
    seen = {}
    deterministic(lambda x, s: x0, D, D(x0, 4, noise=noise), 4,
                  callback=lambda s, x_s, x0_hat: seen.update({s: x_s}))
    for s in (3, 2, 1):
        assert torch.allclose(seen[s], D(x0, s, noise=noise))


def test_skipping_steps_makes_fewer_calls():
    D = _Fade([0.1 * k for k in range(1, 11)])
    x0 = torch.rand(1, 1, 4, 4)
    calls = []
    samplers.momentum(lambda x, s: calls.append(s) or x0, D, D.corrupt(x0, 10), 10,
                      steps=[10, 5, 0])
    assert calls == [10, 5]


def test_the_fresh_noise_follows_the_generator():
    D = _Fade([0.1 * k for k in range(1, 5)])
    x0 = torch.rand(1, 1, 4, 4)

    def run(seed):
        return samplers.momentum(lambda x, s: 0.5 * x, D, D.corrupt(x0, 4), 4,
                                 generator=torch.Generator().manual_seed(seed))

    assert torch.equal(run(0), run(0))
    assert not torch.equal(run(0), run(1))


def test_a_diffusion_without_its_parts_is_refused():
    x = torch.rand(1, 1, 4, 4)
    with pytest.raises(TypeError, match="lacks corrupt, noise_level"):
        samplers.momentum(lambda x, s: x, lambda x, s: x, x, 2)
