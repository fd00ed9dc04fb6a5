"""Blur diffusion (blur-diffusion.md): the operator, its samplers and the noise objective."""

import itertools

import pytest
import torch
import torch.nn.functional as F
from degrade.blur_diffusion import dct_matrix, gaussian_taps
from hypothesis import given, settings
from hypothesis import strategies as st

import samplers
from degrade import BlurDiffusion, blur_rates, testing


def extend(x, radius, dim, boundary):
    """Pad one axis by half-sample symmetric reflection or periodically."""
    n = x.shape[dim]
    if boundary == "reflect":
        return torch.cat([x.narrow(dim, 0, radius).flip(dim), x,
                          x.narrow(dim, n - radius, radius).flip(dim)], dim)
    return torch.cat([x.narrow(dim, n - radius, radius), x, x.narrow(dim, 0, radius)], dim)


def blur_directly(x, sigma, boundary):
    """Each channel convolved with the sampled Gaussian, rows then columns: no basis at all."""
    b, c, h, w = x.shape
    for dim, size in ((-2, h), (-1, w)):
        taps = gaussian_taps(sigma, size).to(x.dtype)
        radius = (len(taps) - 1) // 2
        padded = extend(x, radius, dim, boundary).reshape(b * c, 1, *extend(
            x, radius, dim, boundary).shape[-2:])
        kernel = taps.view(1, 1, -1, 1) if dim == -2 else taps.view(1, 1, 1, -1)
        x = F.conv2d(padded, kernel).reshape(b, c, h, w)
    return x


@pytest.mark.parametrize("boundary", ["reflect", "circular"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("sigma", [0.4, 1.3])
def test_blur_through_the_basis_is_the_direct_blur_of_each_channel(boundary, channels, sigma):
    D = BlurDiffusion.paper(10, sigma=sigma, boundary=boundary)
    x = torch.randn(2, channels, 12, 16, generator=torch.Generator().manual_seed(0)).double()
    once = blur_directly(x, sigma, boundary)
    assert torch.allclose(D.blur_power(x, 1), once, atol=1e-12)
    assert torch.allclose(D.blur_power(x, 2), blur_directly(once, sigma, boundary), atol=1e-12)
    assert torch.allclose(D.blur_power(D.blur_power(x, 0.3), 0.7), once, atol=1e-12)
    # the channels do not mix: blurring one channel alone gives the same
    assert torch.allclose(D.blur_power(x[:, :1], 1), once[:, :1], atol=1e-12)


@pytest.mark.parametrize("boundary", ["reflect", "circular"])
def test_the_basis_is_orthonormal(boundary):
    D = BlurDiffusion.paper(10, boundary=boundary)
    x = torch.randn(3, 3, 8, 10).double()
    y = D.rotate(x)
    assert torch.allclose(D.unrotate(y), x, atol=1e-12)
    assert torch.allclose(y.abs().pow(2).sum(dim=(-2, -1)), x.pow(2).sum(dim=(-2, -1)))


@given(st.integers(1, 40))
@settings(max_examples=25, deadline=None)
def test_the_dct_matrix_is_the_orthonormal_dct_ii(n):
    k, j = torch.meshgrid(torch.arange(n, dtype=torch.float64),
                          torch.arange(n, dtype=torch.float64), indexing="ij")
    scale = torch.where(k == 0, (1 / n) ** 0.5, (2 / n) ** 0.5)
    C = dct_matrix(n)
    assert C.dtype == torch.float64
    assert torch.allclose(C, scale * torch.cos(torch.pi * k * (2 * j + 1) / (2 * n)), atol=1e-13)
    assert torch.allclose(C @ C.T, torch.eye(n, dtype=torch.float64), atol=1e-13)


def test_without_blur_it_is_standard_diffusion():
    D = BlurDiffusion.paper(1000, blur="none")
    x0, eps = torch.rand(4, 3, 16, 16) * 2 - 1, torch.randn(4, 3, 16, 16)
    t = torch.tensor([1, 10, 500, 1000])
    abar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64), 0)[t - 1]
    expected = abar.sqrt().view(-1, 1, 1, 1) * x0 + (1 - abar).sqrt().view(-1, 1, 1, 1) * eps
    assert torch.allclose(D(x0, t, noise=eps), expected.float(), atol=1e-5)


def test_without_blur_it_matches_diffusers_add_noise():
    diffusers = pytest.importorskip("diffusers")
    scheduler = diffusers.DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear",
                                        beta_start=1e-4, beta_end=0.02)
    D = BlurDiffusion.paper(1000, blur="none")
    x0, eps = torch.rand(4, 3, 16, 16) * 2 - 1, torch.randn(4, 3, 16, 16)
    t = torch.tensor([1, 10, 500, 1000])
    # diffusers counts steps from 0: its timestep t - 1 is our step t
    assert torch.allclose(D(x0, t, noise=eps), scheduler.add_noise(x0, eps, t - 1), atol=1e-5)


@pytest.mark.parametrize("boundary", ["reflect", "circular"])
def test_marginal_matches_the_markov_chain(boundary):
    """Eq. (9): x_i = sqrt(1 - beta_i) W^{f(i)} x_{i-1} + C_i^{1/2} z_i; the mean and the
    variance of the chain in the rotated basis are those of eq. (8)."""
    D = BlurDiffusion.paper(50, blur="linear", final_blur=2.0, sigma=1.0, boundary=boundary)
    x0 = torch.randn(1, 1, 8, 8).double()
    mean, variance = x0, torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    for i in range(1, 51):
        mean = (1 - D.betas[i - 1]).sqrt() * D.blur_power(mean, D.blur[i].item())
        a = D.step_signal(i, x0.shape)
        variance = a * variance + (1 - a)
        assert torch.allclose(D(x0, i, noise=torch.zeros_like(x0)), mean, atol=1e-10)
        assert torch.allclose(1 - D.signal(i, x0.shape), variance, atol=1e-12)


def test_blur_rates():
    for kind in ("linear", "log", "quartic"):
        f = blur_rates(kind, 1000, 0.14)
        assert f[0] == 0 and f[-1] == pytest.approx(0.14) and len(f) == 1001
        assert bool((f[1:] >= f[:-1]).all())
    assert blur_rates("log", 100, 1)[10] > blur_rates("linear", 100, 1)[10] \
        > blur_rates("quartic", 100, 1)[10]
    assert blur_rates("none", 10, 5).eq(0).all()
    with pytest.raises(ValueError, match="unknown blur schedule"):
        blur_rates("cubic", 10, 1)
    with pytest.raises(ValueError, match=r"f\(0\) = 0"):
        BlurDiffusion([0.1, 0.1], [0.5, 1, 1])
    with pytest.raises(ValueError, match=r"f\(0\) \.\. f\(N\)"):
        BlurDiffusion([0.1, 0.1], [0, 1])
    with pytest.raises(ValueError, match="boundary"):
        BlurDiffusion.paper(10, boundary="zeros")


@pytest.mark.parametrize("boundary", ["reflect", "circular"])
def test_passes_the_degradation_checks(boundary):
    D = BlurDiffusion.paper(20, blur="quartic", final_blur=0.5, boundary=boundary)
    testing.check_degradation(D, shape=(2, 3, 8, 8), linear=False, max_examples=5)


def perfect_eps_model(D, x0):
    """The noise that explains x_i exactly, for data that is the single image x0."""
    def eps_model(x, i):
        a_bar = D.signal(i, x.shape).to(x.dtype)
        residual = D.rotate(x) - a_bar.sqrt() * D.rotate(x0.expand_as(x))
        return D.unrotate(residual / (1 - a_bar).sqrt())
    return eps_model


@settings(max_examples=15)
@given(seed=st.integers(0, 2**16), t=st.integers(1, 100), stride=st.integers(1, 30),
       boundary=st.sampled_from(["reflect", "circular"]))
def test_property_deterministic_sampler_inverts_with_the_true_noise(seed, t, stride, boundary):
    D = BlurDiffusion.paper(100, blur="quartic", final_blur=0.3, boundary=boundary)
    g = torch.Generator().manual_seed(seed)
    x0 = (torch.rand(2, 3, 8, 8, generator=g) * 2 - 1).double()
    x_t = D(x0, t, noise=torch.randn(x0.shape, generator=g).double())
    steps = sorted({*range(t, 0, -stride), 0}, reverse=True)
    out = samplers.rotated_ddim(perfect_eps_model(D, x0), D, x_t, t, steps=steps)
    assert torch.allclose(out, x0, atol=1e-6)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**16), t=st.integers(1, 100), stride=st.integers(1, 30),
       boundary=st.sampled_from(["reflect", "circular"]))
def test_property_fixed_noise_is_tacos_with_that_noise_bound(seed, t, stride, boundary):
    # Table 5's Fixed Noise: Algorithm 2 with D(x, s) = D(x, s, noise=z), z fixed. Any model:
    # the update must be TACoS's with x0_hat the model's implied clean image; a perfect model
    # with the true noise restores x0.
    D = BlurDiffusion.paper(100, blur="quartic", final_blur=0.3, boundary=boundary)
    g = torch.Generator().manual_seed(seed)
    x0 = (torch.rand(2, 1, 8, 8, generator=g) * 2 - 1).double()
    z = torch.randn(x0.shape, generator=g).double()
    x_t = D(x0, t, noise=z)
    steps = sorted({*range(t, 0, -stride), 0}, reverse=True)
    out = samplers.rotated_fixed_noise(perfect_eps_model(D, x0), D, x_t, t, noise=z, steps=steps)
    assert torch.allclose(out, x0, atol=1e-6)

    def eps_model(x, s):
        return torch.tanh(x) * 0.5

    def R(x, s):  # the clean image that eps_model implies, as the sampler computes it
        a_bar = D.signal(s, x.shape).to(x)
        return D.unrotate((D.rotate(x) - (1 - a_bar).sqrt() * D.rotate(eps_model(x, s)))
                          / a_bar.sqrt())

    ours = samplers.rotated_fixed_noise(eps_model, D, x_t, t, noise=z, steps=steps)
    tacos = samplers.tacos(R, D.bind(noise=z), x_t, t, steps=steps)
    assert torch.allclose(ours, tacos, atol=1e-6)


def test_fixed_noise_starts_from_x_t_and_differs_from_estimated_noise():
    # With z the model's own estimate at each step the update is DDIM (A.6); fixing z changes
    # the walk for an imperfect model; by default z is x_t, the noise generation starts from.
    D = BlurDiffusion.paper(50, blur="quartic", final_blur=0.3)
    x_N = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(3)).double()

    def eps_model(x, s):
        return x * 0.9

    fixed = samplers.rotated_fixed_noise(eps_model, D, x_N, 50)
    assert torch.equal(fixed, samplers.rotated_fixed_noise(eps_model, D, x_N, 50, noise=x_N))
    assert not torch.allclose(fixed, samplers.rotated_ddim(eps_model, D, x_N, 50), atol=1e-3)
    with pytest.raises(ValueError, match="noise must be shaped like x_t"):
        samplers.rotated_fixed_noise(eps_model, D, x_N, 50, noise=x_N[:1])


def test_deterministic_sampler_without_blur_is_diffusers_ddim():
    diffusers = pytest.importorskip("diffusers")
    scheduler = diffusers.DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear",
                                        beta_start=1e-4, beta_end=0.02, clip_sample=False,
                                        set_alpha_to_one=True, steps_offset=1)
    scheduler.set_timesteps(50)
    D = BlurDiffusion.paper(1000, blur="none")
    weights = torch.randn(3, 3, generator=torch.Generator().manual_seed(1)) * 0.3

    x0 = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(3)) * 2 - 1
    true_eps = perfect_eps_model(D, x0)

    def eps_model(x, i):  # an imperfect noise predictor that keeps the walk in range
        return true_eps(x, i) + 0.1 * torch.tanh(torch.einsum("bchw,dc->bdhw", x, weights))

    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    ours_steps = [int(s) + 1 for s in scheduler.timesteps] + [0]
    ours = samplers.rotated_ddim(eps_model, D, x, ours_steps[0], steps=ours_steps)
    theirs = x
    for timestep in scheduler.timesteps:
        theirs = scheduler.step(eps_model(theirs, int(timestep) + 1), timestep, theirs).prev_sample
    assert ours.abs().max() < 10
    assert torch.allclose(ours, theirs, atol=1e-4)


def test_reverse_diffusion_finds_the_single_image_and_is_seeded():
    D = BlurDiffusion.paper(200, blur="quartic", final_blur=0.5, sigma=0.8)
    x0 = torch.rand(1, 1, 8, 8).double() * 2 - 1
    x_T = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(0)).double()
    model = perfect_eps_model(D, x0)
    out = samplers.reverse_diffusion(model, D, x_T, 200,
                                     generator=torch.Generator().manual_seed(1))
    assert (out - x0).abs().max() < 0.05
    again = samplers.reverse_diffusion(model, D, x_T, 200,
                                       generator=torch.Generator().manual_seed(1))
    assert torch.equal(out, again)
    other = samplers.reverse_diffusion(model, D, x_T, 200,
                                       generator=torch.Generator().manual_seed(2))
    assert not torch.equal(out, other)


def test_samplers_refuse_a_process_without_a_basis():
    with pytest.raises(TypeError, match="lacks rotate"):
        samplers.rotated_ddim(lambda x, s: x, lambda x, s: x, torch.zeros(1, 1, 4, 4), 1)


def test_noise_objective_trains_through_the_trainer(tmp_path):
    from restore import TrainConfig, Trainer, UNet, predict_noise

    D = BlurDiffusion.paper(50, final_blur=0.5)
    images = torch.rand(16, 1, 8, 8) * 2 - 1
    eps_model = UNet.preset("tiny", in_channels=1)
    torch.manual_seed(0)
    prediction, target = predict_noise(eps_model, D, images[:4], torch.tensor([1, 10, 30, 50]))
    assert prediction.shape == target.shape == (4, 1, 8, 8)

    def preview(R, x0):
        x_T = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
        return [("samples", samplers.rotated_ddim(R, D, x_T, 50, steps=range(50, -1, -10)))]

    config = TrainConfig(steps=2, batch_size=4, accumulate=1, loss="l2", sample_every=2,
                         checkpoint_every=2, log_every=1, progress=False, device="cpu")
    trainer = Trainer(UNet.preset("tiny", in_channels=1), D, images, tmp_path, config,
                      objective=predict_noise, val_images=images[:2], preview=preview)
    trainer.train()
    assert list((tmp_path / "samples").iterdir())


@settings(max_examples=30)
@given(t=st.integers(0, 2000), count=st.integers(1, 300))
def test_property_spaced_steps_walk_from_t_to_0(t, count):
    steps = samplers.spaced_steps(t, count)
    assert steps[0] == t and steps[-1] == 0
    assert all(a > b for a, b in itertools.pairwise(steps))
    assert len(steps) == min(count, t) + 1 if t else steps == [0]


def test_spaced_steps_examples_and_bad_input():
    assert samplers.spaced_steps(1000, 50)[:3] == [1000, 980, 960]
    assert len(samplers.spaced_steps(1000, 50)) == 51
    assert samplers.spaced_steps(10, 4) == [10, 8, 5, 2, 0]
    for t, count in ((-1, 5), (10, 0), (2.5, 3), (10, True)):
        with pytest.raises(ValueError):
            samplers.spaced_steps(t, count)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**16), t=st.integers(1, 100),
       boundary=st.sampled_from(["reflect", "circular"]))
def test_property_clipping_changes_nothing_for_a_perfect_model(seed, t, boundary):
    """With the true noise the predicted x0 is the data, already in [-1, 1]: clip is a no-op."""
    D = BlurDiffusion.paper(100, blur="quartic", final_blur=0.3, boundary=boundary)
    g = torch.Generator().manual_seed(seed)
    x0 = (torch.rand(1, 2, 8, 8, generator=g) * 1.8 - 0.9).double()
    x_t = torch.randn(2, 2, 8, 8, generator=g).double()
    model = perfect_eps_model(D, x0)
    steps = samplers.spaced_steps(t, 7)
    assert torch.allclose(samplers.rotated_ddim(model, D, x_t, t, steps=steps, clip=True),
                          samplers.rotated_ddim(model, D, x_t, t, steps=steps), atol=1e-6)
    noisy = [samplers.reverse_diffusion(model, D, x_t, t, clip=clip,
                                        generator=torch.Generator().manual_seed(seed))
             for clip in (True, False)]
    assert torch.allclose(*noisy, atol=1e-6)


@pytest.mark.parametrize("boundary", ["reflect", "circular"])
def test_clipping_keeps_a_bad_model_in_range(boundary):
    """Late in blur diffusion the finest frequencies have Abar near 0: an eps-model that is
    off there blows the deterministic walk up unless the predicted x0 is clamped."""
    D = BlurDiffusion.paper(1000, blur="quartic", final_blur=0.14, boundary=boundary)
    x_N = torch.randn(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))

    def wrong(x, i):  # the noise, mis-scaled: a model that has not converged
        return 0.8 * x

    steps = samplers.spaced_steps(1000, 50)
    loose = samplers.rotated_ddim(wrong, D, x_N, 1000, steps=steps)
    clipped = samplers.rotated_ddim(wrong, D, x_N, 1000, steps=steps, clip=True)
    assert loose.abs().max() > 10
    assert clipped.abs().max() <= 1 + 1e-5
    stochastic = samplers.reverse_diffusion(wrong, D, x_N, 1000, clip=True,
                                            generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(stochastic).all() and stochastic.abs().max() < 5


@pytest.mark.parametrize("sampler", ["rotated_ddim", "reverse_diffusion"])
@pytest.mark.parametrize("boundary", ["reflect", "circular"])
def test_the_callback_sees_the_clean_image_not_the_noise(sampler, boundary):
    D = BlurDiffusion.paper(50, blur="quartic", final_blur=0.3, boundary=boundary)
    g = torch.Generator().manual_seed(0)
    x0 = (torch.rand(2, 1, 8, 8, generator=g) * 2 - 1).double()
    x_t = D(x0, 30, noise=torch.randn(x0.shape, generator=g).double())
    seen = []
    getattr(samplers, sampler)(perfect_eps_model(D, x0), D, x_t, 30,
                               callback=lambda s, x_s, x0_hat: seen.append((s, x0_hat)))
    assert [s for s, _ in seen] == list(range(29, -1, -1))
    for _, x0_hat in seen:
        assert x0_hat.dtype == x0.dtype and torch.allclose(x0_hat, x0, atol=1e-6)


def test_reverse_diffusion_without_blur_is_the_reverse_sde_step_with_the_same_noise():
    """With f = 0 (U^T A U = (1 - beta) I), eq. (19) is ``x_{i-1} = (2 - sqrt(1 - beta_i)) x_i
    + beta_i s_i + sqrt(beta_i) z`` (Song et al.'s reverse diffusion predictor), with fresh
    ``z ~ N(0, I)`` drawn from the generator on every step but the last."""
    D = BlurDiffusion.paper(30, blur="none")
    x = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0)).double()
    weights = torch.tensor(0.3, dtype=torch.float64)

    def eps_model(x, i):
        return weights * x + 0.01 * torch.as_tensor(i, dtype=x.dtype).reshape(-1, 1, 1, 1)

    ours = samplers.reverse_diffusion(eps_model, D, x, 12,
                                      generator=torch.Generator().manual_seed(5))
    generator = torch.Generator().manual_seed(5)
    expected = x
    for i in range(12, 0, -1):
        a = float(D.step_signal(i, x.shape).flatten()[0])
        a_bar = float(D.signal(i, x.shape).flatten()[0])
        beta = 1 - a
        score = -eps_model(expected, i) / (1 - a_bar) ** 0.5
        expected = (2 - a ** 0.5) * expected + beta * score
        if i > 1:
            z = torch.randn(x.shape, generator=generator, dtype=x.dtype)
            expected = expected + beta ** 0.5 * z
    assert torch.allclose(ours, expected, atol=1e-10)


def test_reverse_diffusion_adds_no_noise_on_its_last_step_and_takes_per_image_steps():
    D = BlurDiffusion.paper(40, blur="quartic", final_blur=0.3)
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    model = lambda x, i: 0.5 * x  # noqa: E731
    one = [samplers.reverse_diffusion(model, D, x, 1, generator=torch.Generator().manual_seed(s))
           for s in (1, 2)]
    assert torch.equal(*one)                   # from step 1 to 0: no noise
    two = [samplers.reverse_diffusion(model, D, x, 2, generator=torch.Generator().manual_seed(s))
           for s in (1, 2)]
    assert not torch.allclose(*two)
    t = torch.tensor([5, 2, 9])
    batch = samplers.reverse_diffusion(model, D, x, t, generator=torch.Generator().manual_seed(3))
    assert batch.shape == x.shape and torch.isfinite(batch).all()


def test_reverse_diffusion_clips_only_when_asked():
    D = BlurDiffusion.paper(1000, blur="quartic", final_blur=0.14)
    x_N = torch.randn(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))

    def wrong(x, i):
        return 0.8 * x

    def run(**options):
        return samplers.reverse_diffusion(wrong, D, x_N, 1000,
                                          generator=torch.Generator().manual_seed(0), **options)

    default, clipped = run(), run(clip=True)
    assert torch.equal(default, run(clip=False))
    assert not torch.allclose(default, clipped)
    assert clipped.abs().max() < default.abs().max()


def test_bad_settings_are_refused_by_name():
    from degrade import BlurDiffusion as BD

    good_blur = [0.0, 0.1, 0.2]
    with pytest.raises(ValueError, match="betas must be below 1"):
        BD([0.5, 1.0], good_blur)
    with pytest.raises(ValueError, match="betas"):
        BD([0.0, 0.5], good_blur)
    with pytest.raises(ValueError, match="3 values, got 2"):
        BD([0.1, 0.2], [0.0, 0.1])
    for blur in ([0.0, -0.1, 0.2], [0.1, 0.1, 0.2], [0.0, float("nan"), 0.2]):
        with pytest.raises(ValueError, match="blur must be finite, non-negative"):
            BD([0.1, 0.2], blur)
    with pytest.raises(ValueError, match="sigma must be positive"):
        BD([0.1, 0.2], good_blur, sigma=0.0)
    assert BD.paper(num_steps=10).num_steps == 10


@pytest.mark.parametrize("kind", ["linear", "quartic", "log", "none"])
def test_a_final_blur_of_zero_is_no_blur(kind):
    assert torch.equal(blur_rates(kind, 10, 0.0), torch.zeros(11, dtype=torch.float64))
    with pytest.raises(ValueError, match=">= 0"):
        blur_rates(kind, 10, -0.1)


def test_taps_reach_four_sigma_within_one_period():


    assert len(gaussian_taps(0.4, 32)) == 5           # radius ceil(1.6) = 2
    assert len(gaussian_taps(3.0, 8)) == 15           # radius 12, cut at 7
    assert len(gaussian_taps(0.1, 8)) == 3            # at least 1
    assert len(gaussian_taps(2.0, 1)) == 1


def test_signals_per_image_and_at_step_zero():
    D = BlurDiffusion.paper(20, final_blur=0.3)
    shape = (3, 1, 8, 8)
    assert torch.equal(D.step_signal(0, shape), torch.ones(1, 1, 8, 8, dtype=torch.float64))
    t = torch.tensor([0, 5, 20])
    both = D.signal(t, shape)
    assert both.shape[0] == 3
    for i, s in enumerate(t.tolist()):
        assert torch.equal(both[i], D.signal(s, shape)[0])
    assert torch.equal(D.step_signal(t, shape)[1], D.step_signal(5, shape)[0])
    assert D.sample_params(torch.zeros(shape))["noise"].shape == shape
    assert "f(N)=0.3" in repr(D)


def test_the_former_name_of_the_blur_rates_still_works_with_a_warning():
    from degrade import blur_schedule

    with pytest.warns(DeprecationWarning, match="blur_rates"):
        former = blur_schedule("quartic", 10, 0.14)
    assert torch.equal(former, blur_rates("quartic", 10, 0.14))
