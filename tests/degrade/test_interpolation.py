"""NoiseSchedule and MixingSchedule (sections 5.1 and 5.3)."""

import math

import numpy as np
import pytest
import torch

from degrade import MixingSchedule, NoiseSchedule


def test_linear_schedule_is_ddpms():
    D = NoiseSchedule.linear(1000, beta_start=1e-4, beta_end=0.02)
    betas = np.linspace(1e-4, 0.02, 1000)
    np.testing.assert_allclose(D.alphas_cumprod[1:].numpy(), np.cumprod(1 - betas), rtol=1e-12)
    assert D.alphas_cumprod[0].item() == 1.0


def test_cosine_schedule_follows_nichol_and_dhariwal():
    D = NoiseSchedule.cosine(1000)
    t = np.arange(1001) / 1000
    f = np.cos((t + 0.008) / 1.008 * np.pi / 2) ** 2
    # Away from the clipped last steps, abar_t = f(t) / f(0).
    np.testing.assert_allclose(D.alphas_cumprod[:990].numpy(), (f / f[0])[:990], rtol=1e-9)
    betas = 1 - D.alphas_cumprod[1:] / D.alphas_cumprod[:-1]
    assert betas.max().item() <= 0.999 + 1e-12


def test_noise_formula_and_coefficients():
    D = NoiseSchedule.linear(100)
    x0 = torch.rand(3, 3, 8, 8, dtype=torch.float64) * 2 - 1
    params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([0, 40, 100])
    a, b = D.coefficients(t)
    expected = a.view(-1, 1, 1, 1) * x0 + b.view(-1, 1, 1, 1) * params["noise"]
    assert torch.allclose(D(x0, t, **params), expected, atol=1e-12)
    a50, b50 = D.coefficients(50)
    assert a50.item() ** 2 + b50.item() ** 2 == pytest.approx(1.0)
    assert a50.item() == pytest.approx(math.sqrt(D.alphas_cumprod[50].item()))


def test_sampled_noise_is_standard_normal():
    D = NoiseSchedule.cosine(10)
    z = D.sample_params((64, 3, 16, 16), generator=torch.Generator().manual_seed(0))["noise"]
    assert abs(z.mean().item()) < 0.02 and abs(z.std().item() - 1) < 0.02


def test_mixing_draws_from_the_pool():
    pool = torch.rand(5, 3, 8, 8) * 2 - 1
    D = MixingSchedule.linear(50, pool=pool)
    z = D.sample_params((40, 3, 8, 8), generator=torch.Generator().manual_seed(0))["z"]
    matches = [(z[i] == pool).flatten(1).all(1).nonzero().numel() for i in range(40)]
    assert matches == [1] * 40
    drawn = {int((z[i] == pool).flatten(1).all(1).nonzero()) for i in range(40)}
    assert drawn == set(range(5))


def test_mixing_without_pool_takes_z_from_the_caller():
    D = MixingSchedule.cosine(10)
    x0, cat = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)
    assert torch.allclose(D(x0, 10, z=cat), D.coefficients(10)[1].float() * cat)


def test_noise_and_pool_draws_need_no_generator():
    from degrade import MixingSchedule, NoiseSchedule

    x = torch.zeros(3, 3, 8, 8)
    assert NoiseSchedule.linear(10).sample_params(x)["noise"].shape == x.shape
    mixing = MixingSchedule.linear(10, pool=torch.rand(4, 3, 8, 8))
    assert mixing.sample_params(x)["z"].shape == x.shape
    assert "pool" not in mixing.state_dict()       # the pool is data, not a weight to save


@pytest.mark.parametrize("make, old", [
    (lambda: NoiseSchedule.linear(10), "z"),
    (lambda: __import__("degrade").HeatDissipation(10), "z"),
    (lambda: __import__("degrade").BlurDiffusion.paper(10), "eps"),
])
def test_the_noise_has_one_name_and_the_former_one_still_works_with_a_warning(make, old):
    D = make()
    assert D.param_names == ("noise",)
    x0 = torch.rand(2, 1, 8, 8) * 2 - 1
    noise = torch.randn(x0.shape)
    with pytest.warns(DeprecationWarning, match=f"'{old}' is now called 'noise'") as caught:
        former = D(x0, 5, **{old: noise})
    assert caught[0].filename == __file__  # the warning points at the caller's line
    assert torch.equal(former, D(x0, 5, noise=noise))
    with pytest.warns(DeprecationWarning):
        bound = D.bind(**{old: noise})
    assert torch.equal(bound(x0, 5), former)
