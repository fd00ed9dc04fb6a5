"""samplers: the loops of section 3.2 and A.6, their properties and their errors."""

import gc
import itertools
import weakref

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from toys import degrade_package, fade

import samplers
from samplers import testing

SHAPE = (3, 2, 6, 6)


def test_tacos_passes_every_check():
    testing.check_sampler(samplers.tacos)


def test_naive_keeps_x0_with_a_perfect_restorer_and_per_image_steps():
    testing.check_perfect_restorer(samplers.naive)
    testing.check_per_image_steps(samplers.naive)


def test_naive_is_not_tolerant_of_errors_in_R():
    """Section 3.3: Algorithm 1 lacks the property that TACoS has."""
    with pytest.raises(AssertionError, match="not tolerant"):
        testing.check_error_tolerance(samplers.naive)


def test_the_checks_catch_a_broken_sampler():
    def off_by_one(R, D, x_t, t, *, steps=None, callback=None):
        return samplers.tacos(R, D, x_t, t, steps=steps, callback=callback) * 1.01

    def ignores_per_image_steps(R, D, x_t, t, *, steps=None, callback=None):
        start = int(t.max()) if torch.is_tensor(t) else t
        return samplers.tacos(R, D, x_t, start, steps=steps, callback=callback)

    with pytest.raises(AssertionError):
        testing.check_perfect_restorer(off_by_one)
    with pytest.raises(AssertionError):
        testing.check_per_image_steps(ignores_per_image_steps)


def test_example_from_section_3_3():
    e = torch.randn(1, 3, 8, 8, dtype=torch.float64)
    D = lambda x, s: x + s * e  # noqa: E731 - the paper's model problem, as a user would write it
    x0 = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    R = lambda x, s: torch.zeros_like(x)  # noqa: E731
    assert torch.allclose(samplers.tacos(R, D, D(x0, 20), 20), x0, atol=1e-12)
    assert torch.allclose(samplers.tacos(R, D, D(x0, 20), 20, steps=[20, 7, 0]), x0, atol=1e-12)


def test_steps_are_ints_for_int_t_and_tensors_for_tensor_t():
    seen = []

    def R(x, s):
        seen.append(s)
        return x

    D = fade(5)
    x = torch.rand(2, 1, 8, 8)
    samplers.tacos(R, D, x, 5)
    assert all(type(s) is int for s in seen) and seen == [5, 4, 3, 2, 1]
    seen.clear()
    samplers.tacos(R, D, x, torch.tensor([5, 2]))
    assert all(torch.is_tensor(s) and s.shape == (2,) for s in seen)
    assert [s.tolist() for s in seen] == [[5, 2], [4, 2], [3, 2], [2, 2], [1, 1]]


def test_step_skipping_calls_R_once_per_step():
    calls = []
    D = fade(50)
    samplers.tacos(lambda x, s: calls.append(s) or x, D, torch.rand(1, 1, 8, 8), 50,
                   steps=range(50, -1, -10))
    assert calls == [50, 40, 30, 20, 10]


def test_callback_and_recorder_see_every_step():
    record = samplers.Recorder(every=2)
    D = fade(6)
    x0 = torch.rand(2, 1, 8, 8)
    out = samplers.tacos(lambda x, s: x0, D, D(x0, 6), 6, callback=record)
    assert record.steps == [4, 2, 0]
    assert torch.equal(record.x[-1], out)
    assert torch.allclose(record.x[0], D(x0, 4), atol=1e-6)


def test_memory_does_not_grow_with_T():
    """Only the current x_s is alive: nothing is kept per step unless the caller asks."""
    alive = []

    def R(x, s):
        alive.append(weakref.ref(x))
        return x * 0.9

    D = fade(200)
    samplers.tacos(R, D, torch.rand(2, 3, 16, 16), 200)
    gc.collect()
    assert sum(ref() is not None for ref in alive) <= 1


class Restorer(nn.Module):
    """Records whether it ran in training mode and with autograd."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.5))
        self.dropout = nn.Dropout(0.5)
        self.modes = []

    def forward(self, x, s):
        self.modes.append((self.training, self.dropout.training, torch.is_grad_enabled()))
        return self.dropout(x) * self.scale


def test_modules_run_in_eval_mode_without_autograd_and_get_their_mode_back():
    R = Restorer()
    R.dropout.eval()  # a mixed state must come back as it was
    D = fade(4)
    x_t = torch.rand(1, 1, 8, 8, requires_grad=True)
    out = samplers.tacos(R, D, x_t, 4)
    assert not out.requires_grad
    assert set(R.modes) == {(False, False, False)}
    assert R.training and not R.dropout.training
    direct = samplers.direct(R, x_t, 4)
    assert not direct.requires_grad and R.modes[-1] == (False, False, False)
    assert R.training


def test_direct_is_one_call_of_R():
    x_t = torch.rand(2, 1, 4, 4)
    assert torch.equal(samplers.direct(lambda x, s: x * s, x_t, 3), x_t * 3)


def test_progress_bar(capsys):
    D = fade(10)
    samplers.tacos(lambda x, s: x, D, torch.rand(1, 1, 8, 8), 10, progress=True)
    assert "tacos: 10/10" in capsys.readouterr().err
    samplers.tacos(lambda x, s: x, D, torch.rand(1, 1, 8, 8), 10)
    assert capsys.readouterr().err == ""


# The estimated-noise sampler (A.6) is DDIM with eta = 0.


def ddim(R, abar, x_t, steps):
    """DDIM (Song et al., 2021, eq. 12 with sigma = 0), written from the paper's equations."""
    x = x_t
    for s, s_next in itertools.pairwise(steps):
        x0_hat = R(x, s)
        eps = (x - abar[s].sqrt() * x0_hat) / (1 - abar[s]).sqrt()
        x = abar[s_next].sqrt() * x0_hat + (1 - abar[s_next]).sqrt() * eps
    return x


@given(seed=st.integers(0, 2**31), stride=st.sampled_from([1, 7, 50, 333]),
       cosine=st.booleans())
def test_estimated_noise_is_ddim(seed, stride, cosine):
    degrade = degrade_package()
    D = degrade.NoiseSchedule.cosine(1000) if cosine else degrade.NoiseSchedule.linear(1000)
    R = testing.RandomRestorer(SHAPE, seed, num_steps=1000)
    x_t = torch.randn(SHAPE, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    steps = [*range(1000, 0, -stride), 0]
    ours = samplers.estimated_noise(R, D, x_t, 1000, steps=steps)
    assert torch.allclose(ours, ddim(R, D.alphas_cumprod, x_t, steps), atol=1e-10)


def test_estimated_noise_with_a_perfect_restorer_walks_the_forward_process():
    degrade = degrade_package()
    D = degrade.NoiseSchedule.linear(100)
    x0 = torch.rand(SHAPE, dtype=torch.float64) * 2 - 1
    D_z = D.draw(x0, generator=torch.Generator().manual_seed(0))
    record = samplers.Recorder()
    out = samplers.estimated_noise(lambda x, s: x0, D, D_z(x0, 100), 100, callback=record)
    assert torch.allclose(out, x0, atol=1e-10)
    for s, x_s in zip(record.steps, record.x, strict=True):
        assert torch.allclose(x_s, D_z(x0, s), atol=1e-10)


def test_estimated_noise_per_image_steps_equal_per_image_runs():
    degrade = degrade_package()
    D = degrade.NoiseSchedule.cosine(50)
    R = testing.RandomRestorer(SHAPE, 3, num_steps=50)
    x_t = torch.randn(SHAPE, dtype=torch.float64)
    t = torch.tensor([50, 0, 17])
    batch = samplers.estimated_noise(R, D, x_t, t)
    for i in range(3):
        alone = samplers.estimated_noise(R, D, x_t[i : i + 1], int(t[i]))
        assert torch.allclose(batch[i : i + 1], alone, atol=1e-12)


def test_estimated_noise_matches_diffusers_ddim_step_for_step():
    degrade = degrade_package()
    diffusers = pytest.importorskip("diffusers", reason="diffusers is an optional test dependency")
    T, inference_steps = 1000, 50
    scheduler = diffusers.DDIMScheduler(
        num_train_timesteps=T, beta_start=1e-4, beta_end=0.02, beta_schedule="linear",
        clip_sample=False, set_alpha_to_one=True, prediction_type="sample",
        timestep_spacing="leading",
    )
    scheduler.set_timesteps(inference_steps)
    ours = degrade.NoiseSchedule.linear(T, beta_start=1e-4, beta_end=0.02)
    # diffusers keeps abar in float32: the same schedule to that precision. Walk with its very
    # values, so that the comparison measures the sampler, not float32 rounding of abar.
    theirs = scheduler.alphas_cumprod.double()
    assert torch.allclose(ours.alphas_cumprod[1:], theirs, rtol=1e-6)
    D = degrade.NoiseSchedule(theirs)
    R = testing.RandomRestorer(SHAPE, 0, num_steps=T)
    # diffusers' timestep k holds abar of our step k + 1; its final "step -1" is our step 0.
    steps = [int(k) + 1 for k in scheduler.timesteps] + [0]
    x_t = torch.randn(SHAPE, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    record = samplers.Recorder()
    samplers.estimated_noise(R, D, x_t, steps[0], steps=steps, callback=record)
    x = x_t
    for k, x_ours in zip(scheduler.timesteps, record.x, strict=True):
        x = scheduler.step(R(x, int(k) + 1), k, x, eta=0.0).prev_sample
        assert torch.allclose(x_ours, x, atol=1e-6), f"differs after timestep {int(k)}"


# Errors.


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([10, 5, 5, 0], "strictly decreasing"),
        ([10, 12, 0], "strictly decreasing"),
        ([9, 5, 0], "start at t = 10"),
        ([10, 5, 1], "end at 0"),
        ([], "start at t = 10"),
        ([10, 5.5, 0], "integers"),
    ],
)
def test_bad_steps(steps, message):
    D = fade(10)
    with pytest.raises((ValueError, TypeError), match=message):
        samplers.tacos(lambda x, s: x, D, torch.rand(1, 1, 8, 8), 10, steps=steps)


@pytest.mark.parametrize("sampler", [samplers.tacos, samplers.naive])
def test_R_returning_another_shape(sampler):
    D = fade(10)
    with pytest.raises(ValueError, match=r"R\(x_s, s\) returned shape \(1, 1, 4, 4\)"):
        sampler(lambda x, s: x[..., :4, :4], D, torch.rand(1, 1, 8, 8), 10)
    with pytest.raises(TypeError, match="must return a tensor"):
        sampler(lambda x, s: x.numpy(), D, torch.rand(1, 1, 8, 8), 10)


@pytest.mark.parametrize(
    ("t", "error", "message"),
    [
        (11, ValueError, r"0 <= t <= T = 10"),
        (-1, ValueError, "0 <= t"),
        (torch.tensor([3, 11]), ValueError, r"0 <= t <= T = 10"),
        (torch.tensor([3]), ValueError, r"shape \(B,\)"),
        (2.5, TypeError, "integer"),
        (torch.tensor([1.0, 2.0]), TypeError, "integer tensor"),
        (True, TypeError, "bool"),
    ],
)
def test_bad_t(t, error, message):
    D = fade(10)
    with pytest.raises(error, match=message):
        samplers.tacos(lambda x, s: x, D, torch.rand(2, 1, 8, 8), t)


def test_bad_images():
    D = lambda x, s: x  # noqa: E731
    with pytest.raises(TypeError, match="floating-point"):
        samplers.tacos(lambda x, s: x, D, torch.zeros(1, 1, 4, 4, dtype=torch.uint8), 1)
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        samplers.tacos(lambda x, s: x, D, [[0.0]], 1)
    with pytest.raises(ValueError, match="no images"):
        samplers.tacos(lambda x, s: x, D, torch.zeros(0, 1, 4, 4), 1)


def test_nan_stops_at_the_step_where_it_appears():
    D = fade(10)

    def R(x, s):
        return x * float("nan") if s == 6 else x

    with pytest.raises(FloatingPointError, match=r"R\(x_s, s\) returned NaN or infinite values "
                                                 r"at s = 6"):
        samplers.tacos(R, D, torch.rand(1, 1, 8, 8), 10)
    with pytest.raises(FloatingPointError, match=r"from s = 10 to 9: the update made them"):
        samplers.naive(lambda x, s: x, lambda x, s: x / 0 if s == 9 else x,
                       torch.rand(1, 1, 8, 8), 10)


def test_estimated_noise_needs_coefficients():
    with pytest.raises(TypeError, match="coefficients"):
        samplers.estimated_noise(lambda x, s: x, lambda x, s: x, torch.rand(1, 1, 4, 4), 3)


def test_every_sampler_takes_its_arguments_by_name_and_is_quiet_by_default(capsys):
    """Keyword calls work (no positional-only marker slipped in) and no sampler draws a
    progress bar unless asked."""
    degrade = degrade_package()
    x0 = torch.rand(SHAPE, dtype=torch.float64) * 2 - 1
    D = lambda x, s: x + 0.1 * torch.as_tensor(s, dtype=x.dtype).reshape(-1, 1, 1, 1)  # noqa: E731
    R = lambda x, s: x0  # noqa: E731
    x_t = D(x0, 4)
    for sampler in (samplers.tacos, samplers.naive):
        assert torch.allclose(sampler(R=R, D=D, x_t=x_t, t=4), x0)
    assert torch.equal(samplers.direct(R=R, x_t=x_t, t=4, num_steps=5), x0)
    noise = degrade.NoiseSchedule.linear(20)
    assert samplers.estimated_noise(R=R, D=noise, x_t=x_t, t=4).shape == x0.shape
    update = lambda x_s, x0_hat, s, s_next: x0_hat  # noqa: E731
    assert torch.equal(samplers.sample(update=update, R=R, x_t=x_t, t=4), x0)
    blur = degrade.BlurDiffusion.paper(20)
    eps = lambda x, s: torch.zeros_like(x)  # noqa: E731
    samplers.rotated_ddim(eps_model=eps, D=blur, x_t=x_t, t=4)
    samplers.reverse_diffusion(eps_model=eps, D=blur, x_t=x_t, t=4)
    assert capsys.readouterr().err == ""


def test_one_nan_policy_for_loops_and_direct():
    """Non-finite input is refused (ValueError), a non-finite estimate stops every sampler
    (FloatingPointError), direct included (the operators refuse them too: tests/degrade)."""
    D = fade(10)
    x = torch.rand(2, 1, 8, 8)
    bad = x.clone()
    bad[0, 0, 3, 3] = float("nan")
    for sampler in (lambda x_t: samplers.tacos(lambda y, s: y, D, x_t, 5),
                    lambda x_t: samplers.naive(lambda y, s: y, D, x_t, 5),
                    lambda x_t: samplers.direct(lambda y, s: y, x_t, 5)):
        with pytest.raises(ValueError, match="NaN or infinite"):
            sampler(bad)
    with pytest.raises(FloatingPointError, match="R\\(x_s, s\\) returned NaN"):
        samplers.direct(lambda y, s: y * float("inf"), x, 5)


def test_direct_checks_t_against_T_and_keeps_the_dtype():
    with pytest.raises(ValueError, match="<= T = 5"):
        samplers.direct(lambda y, s: y, torch.rand(1, 1, 4, 4), 6, num_steps=5)
    x = torch.rand(1, 1, 4, 4, dtype=torch.float64)
    assert samplers.direct(lambda y, s: y.float(), x, 2).dtype == torch.float64
    D = lambda y, s: y  # noqa: E731
    assert samplers.tacos(lambda y, s: y.half(), D, x, 3).dtype == torch.float64


@pytest.mark.parametrize("sampler", [samplers.tacos, samplers.naive])
def test_the_noise_term_is_seeded_zero_is_exact_and_x0_is_left_clean(sampler):
    """Issue 15: fresh Gaussian noise after each step to s >= 1 (warm diffusion sampling)."""
    x0 = torch.rand(64, 1, 8, 8, dtype=torch.float64) * 2 - 1
    D = lambda x, s: x * (1 - s / 40)  # noqa: E731
    D.num_steps = 20
    R = lambda x, s: x0  # noqa: E731
    x_T = D(x0, 20)
    plain = sampler(R, D, x_T, 20)
    assert torch.equal(sampler(R, D, x_T, 20, noise_std=0.0), plain)

    def at_step_5(seed):
        seen = {}
        sampler(R, D, x_T, 20, noise_std=0.1, generator=torch.Generator().manual_seed(seed),
                callback=lambda s, x_s, x0_hat: seen.setdefault(s, x_s))
        return seen[5]

    assert torch.equal(at_step_5(0), at_step_5(0)) and not torch.equal(at_step_5(0), at_step_5(1))
    seen = {}
    sampler(R, D, x_T, 20, noise_std=0.1, generator=torch.Generator().manual_seed(0),
            callback=lambda s, x_s, x0_hat: seen.setdefault(s, x_s - D(x0, s)))
    if sampler is samplers.naive:  # x_s = D(x0, s) + noise: one draw of std 0.1 per step
        assert 0.09 < float(seen[5].std()) < 0.11
        assert torch.equal(seen[0], torch.zeros_like(x0))  # x_0 is left clean
    else:  # TACoS keeps the noise it was given: after k noisy steps, std 0.1 sqrt(k)
        assert 0.1 * 15**0.5 * 0.9 < float(seen[5].std()) < 0.1 * 15**0.5 * 1.1
    for bad in (-0.1, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="noise_std"):
            sampler(R, D, x_T, 20, noise_std=bad)


def test_noise_reaches_only_the_images_that_moved_to_a_step_of_1_or_more():
    x0 = torch.zeros(3, 1, 4, 4)
    D = lambda x, s: x  # noqa: E731
    t = torch.tensor([0, 1, 3])
    out = samplers.naive(lambda x, s: x0, D, x0, t, noise_std=1.0,
                         generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, x0)  # image 0 never moves; the others end at s = 0, clean
    seen = []
    samplers.naive(lambda x, s: x0, D, x0, t, noise_std=1.0,
                   generator=torch.Generator().manual_seed(0),
                   callback=lambda s, x_s, x0_hat: seen.append(x_s.abs().amax(dim=(1, 2, 3))))
    assert seen[0][0] == 0 and seen[0][1] == 0 and seen[0][2] > 0  # 3 -> 2 moves only image 2
