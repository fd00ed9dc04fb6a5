"""HeatDissipation: the heat equation in the DCT basis plus a little noise (Rissanen et al.,
2023), issue 15."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import fft

from degrade import HeatDissipation


def scipy_heat(x, tau):
    """The heat equation with Neumann boundaries by scipy's orthonormal DCT-II."""
    h, w = x.shape[-2:]
    n = np.arange(h)[:, None] / h
    m = np.arange(w)[None, :] / w
    decay = np.exp(-(np.pi**2) * (n**2 + m**2) * tau)
    return fft.idctn(fft.dctn(x, axes=(-2, -1), norm="ortho") * decay, axes=(-2, -1),
                     norm="ortho")


@given(t=st.integers(0, 100), height=st.integers(2, 20), width=st.integers(2, 20),
       seed=st.integers(0, 2**31))
def test_the_blur_is_the_heat_equation_in_the_dct_basis(t, height, width, seed):
    D = HeatDissipation(100, 0.5, 20.0, sigma=0.0)
    x = torch.rand(2, 3, height, width, dtype=torch.float64,
                   generator=torch.Generator().manual_seed(seed)) * 2 - 1
    expected = scipy_heat(x.numpy(), float(D.times[t]))
    assert np.allclose(D(x, t).numpy(), expected, atol=1e-10)


def test_the_schedule_is_log_spaced_and_keeps_the_mean():
    D = HeatDissipation(100, 0.5, 20.0, sigma=0.0)
    assert D.blur_sigmas[0] == 0 and D.blur_sigmas[1] == pytest.approx(0.5)
    assert D.blur_sigmas[-1] == pytest.approx(20.0)
    ratios = D.blur_sigmas[2:] / D.blur_sigmas[1:-1]
    assert torch.allclose(ratios, ratios[0].expand_as(ratios))
    assert D.times[5] == pytest.approx(D.blur_sigmas[5].item() ** 2 / 2)
    x = torch.rand(4, 3, 28, 28, dtype=torch.float64) * 2 - 1
    x_T = D(x, 100)
    assert torch.allclose(x_T.mean(dim=(2, 3)), x.mean(dim=(2, 3)), atol=1e-12)
    assert float(x_T.std(dim=(2, 3)).max()) < 0.01  # nearly flat at sigma_B = 20 on 28 px


def test_a_small_blur_is_a_gaussian_blur_of_that_width():
    """Far from the borders, heat for tau = s^2 / 2 blurs a point into a Gaussian of width s."""
    D = HeatDissipation(10, 2.0, 2.0, sigma=0.0)
    x = torch.zeros(1, 1, 64, 64, dtype=torch.float64)
    x[0, 0, 32, 32] = 1.0
    spread = D(x, 1)[0, 0]
    d = torch.arange(64, dtype=torch.float64) - 32
    g = torch.exp(-(d**2) / (2 * 2.0**2))
    expected = torch.outer(g, g) / torch.outer(g, g).sum()
    assert torch.allclose(spread, expected, atol=2e-4)


def test_the_noise_is_sigma_z_at_every_step_but_0():
    D = HeatDissipation(50, 0.5, 10.0, sigma=0.02)
    assert D.param_names == ("noise",) and not D.is_linear
    x = torch.rand(3, 1, 16, 16, dtype=torch.float64) * 2 - 1
    params = D.sample_params(x, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([0, 1, 50])
    noisy = D(x, t, **params)
    pure = HeatDissipation(50, 0.5, 10.0, sigma=0.0)(x, t)
    assert torch.equal(noisy[0], x[0])
    assert torch.allclose(noisy[1:] - pure[1:], 0.02 * params["noise"][1:], atol=1e-12)
    assert HeatDissipation(5, sigma=0.0).param_names == ()


def test_carrying_binds_the_noise_term_to_the_priors_noise():
    D = HeatDissipation(50, 0.5, 10.0, sigma=0.02)
    x = torch.rand(3, 1, 16, 16, dtype=torch.float64) * 2 - 1
    noise = 0.05 * torch.randn(3, 1, 16, 16, dtype=torch.float64)
    t = torch.tensor([0, 1, 50])
    carried = D.carrying(noise)(x, t)
    assert torch.equal(carried[0], x[0])
    assert torch.allclose(carried[1:], D.heat(x, t)[1:] + noise[1:], atol=1e-12)
    pure = HeatDissipation(50, 0.5, 10.0, sigma=0.0)
    assert pure.carrying(noise) is pure


def test_bad_settings_are_refused():
    for kwargs, message in (({"blur_min": 0.0}, "blur_min"), ({"blur_max": -1.0}, "blur_max"),
                            ({"blur_min": 3.0, "blur_max": 2.0}, "at least blur_min"),
                            ({"sigma": -0.1}, "sigma"), ({"sigma": math.nan}, "sigma")):
        with pytest.raises(ValueError, match=message):
            HeatDissipation(10, **kwargs)


def test_the_previous_objective_targets_the_noiseless_image_one_step_back():
    objectives = pytest.importorskip("restore.objectives", reason="needs colddiff-restore")
    predict_previous = objectives.predict_previous

    D = HeatDissipation(20, 0.5, 8.0, sigma=0.05)
    x0 = torch.rand(4, 1, 12, 12) * 2 - 1
    t = torch.tensor([1, 5, 10, 20])
    torch.manual_seed(0)
    prediction, target = predict_previous(lambda x, s: x, D, x0, t)
    torch.manual_seed(0)
    z = torch.randn_like(x0)
    assert torch.allclose(prediction, D.heat(x0, t) + 0.05 * z, atol=1e-6)
    assert torch.allclose(target, D.heat(x0, t - 1), atol=1e-6)
    assert torch.equal(target[0], x0[0])


def test_previous_step_walks_back_exactly_with_a_perfect_one_step_denoiser():
    samplers = pytest.importorskip("samplers", reason="needs colddiff-samplers")

    D = HeatDissipation(30, 0.5, 10.0, sigma=0.02)
    x0 = torch.rand(3, 1, 16, 16, dtype=torch.float64) * 2 - 1

    def R(x, s):
        return D.heat(x0, torch.full((len(x),), s - 1))

    x_T = D(x0, 30, **D.sample_params(x0, generator=torch.Generator().manual_seed(0)))
    assert torch.allclose(samplers.previous_step(R, x_T, 30), x0, atol=1e-12)
    seen = []
    out = samplers.previous_step(R, x_T, 30, noise_std=0.026, num_steps=30,
                                 generator=torch.Generator().manual_seed(1),
                                 callback=lambda s, x_s, x_hat: seen.append(x_s - R(x_s, s + 1)))
    assert torch.allclose(out, x0, atol=1e-12)  # the last step adds no noise
    assert 0.02 < float(seen[10].std()) < 0.032
    with pytest.raises(ValueError, match="t must"):
        samplers.previous_step(R, x_T, 31, num_steps=30)


def test_a_warm_run_trains_and_draws_its_grid(tmp_path):
    main = pytest.importorskip("restore.train", reason="needs colddiff-restore").main
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(24):
        Image.new("L", (16, 16), i * 10).save(folder / f"{i}.png")
    args = ["--data-folder", str(folder), "--channels", "1", "--preset", "tiny", "--batch", "4",
            "--degradation", "degrade:HeatDissipation", "--degradation-arg", "num_steps=5",
            "--objective", "previous", "--steps", "3", "--device", "cpu", "--no-progress",
            "--out", str(tmp_path / "run")]
    assert main(args) == 0
    assert (tmp_path / "run" / "samples" / "step-0000003.png").exists()
    zoo = pytest.importorskip("zoo", reason="needs colddiff-zoo")

    assert zoo.named_schedule("mnist-heat").run_config().objective == "previous"
