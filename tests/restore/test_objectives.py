"""restore.objectives.restore_x0_on_walk: section 3.1 on TACoS's own inputs."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from restore.objectives import restore_x0, restore_x0_on_walk

import degrade

T = 12


class Fade:
    """A deterministic linear ``D(x, t) = x (1 - t / (T + 1))``, per image."""

    num_steps = T

    def __call__(self, x, t):
        t = torch.as_tensor(t).reshape(-1, 1, 1, 1).to(x.dtype)
        return x * (1 - t / (T + 1))


class Recorder:
    """A restorer that records its inputs and whether autograd was on, and returns
    ``answer(x)``."""

    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def __call__(self, x, s):
        self.calls.append((x.clone(), s.clone(), torch.is_grad_enabled()))
        return self.answer(x)


def steps(draw_seed, n):
    return torch.randint(1, T + 1, (n,), generator=torch.Generator().manual_seed(draw_seed))


@given(seed=st.integers(0, 2**16), share=st.floats(0, 1))
def test_a_perfect_restorer_walks_the_true_path(seed, share):
    image = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    x0, t = image.expand(6, -1, -1, -1), steps(seed, 6)
    R = Recorder(lambda x: image.expand(len(x), -1, -1, -1))
    torch.manual_seed(seed)
    prediction, target = restore_x0_on_walk(R, Fade(), x0, t, share=share)
    assert torch.equal(prediction, image.expand(6, -1, -1, -1))
    x_t, s, grad = R.calls[-1]
    assert torch.equal(s, t) and grad and torch.equal(target, x0)
    assert torch.allclose(x_t, Fade()(x0, t), atol=1e-6)


@given(seed=st.integers(0, 2**16))
def test_the_walk_feeds_the_network_its_own_estimate_between_s_and_t(seed):
    x0, t = torch.rand(8, 1, 6, 6) * 2 - 1, steps(seed, 8)
    R = Recorder(torch.zeros_like)  # estimates 0: the jump leaves x_s = D(x0, s) as it is
    torch.manual_seed(seed)
    restore_x0_on_walk(R, Fade(), x0, t, share=1.0)
    walked = t < T
    assert len(R.calls) == 1 + bool(walked.any())
    x_t, t_seen, _ = R.calls[-1]
    assert torch.equal(t_seen, t)
    if walked.any():
        _, s, grad = R.calls[0]
        assert not grad, "the estimate of the jump must not carry gradients"
        assert bool((s > t[walked]).all() and (s <= T).all())
        assert torch.allclose(x_t[walked], Fade()(x0[walked], s), atol=1e-6)
        assert not torch.allclose(x_t[walked], Fade()(x0[walked], t[walked]), atol=1e-3)
    assert torch.allclose(x_t[~walked], Fade()(x0[~walked], T), atol=1e-6)


def test_share_zero_is_section_3_1():
    x0, t = torch.rand(5, 1, 6, 6) * 2 - 1, steps(1, 5)
    walk, plain = Recorder(torch.zeros_like), Recorder(torch.zeros_like)
    restore_x0_on_walk(walk, Fade(), x0, t, share=0.0)
    restore_x0(plain, Fade(), x0, t)
    assert len(walk.calls) == 1 and torch.equal(walk.calls[0][0], plain.calls[0][0])


def test_the_walk_degrades_each_image_with_one_draw_and_steps_unquantised():
    masks = degrade.GaussianMaskSchedule.paper_code(T, bits=8)
    image = torch.rand(1, 1, 16, 16) * 2 - 1
    x0, t = image.expand(6, -1, -1, -1), torch.tensor([1, 2, 3, 5, 8, 11])
    R = Recorder(lambda x: image.expand(len(x), -1, -1, -1))
    torch.manual_seed(0)
    restore_x0_on_walk(R, masks.resampled(torch.Generator().manual_seed(3)), x0, t, share=1.0)
    plain = masks.draw(x0, generator=torch.Generator().manual_seed(3))
    # D(x0, s) - D(x0, s) + D(x0, t), quantised only in the first term, all from one draw
    s, stepping = R.calls[0][1], plain.stepping()
    expected = plain(x0, s) - stepping(x0, s) + stepping(x0, t)
    assert torch.allclose(R.calls[-1][0], expected, atol=1e-6)
    assert not torch.allclose(R.calls[-1][0], plain(x0, t), atol=1e-4)
    assert not torch.allclose(R.calls[-1][0], masks.draw(
        x0, generator=torch.Generator().manual_seed(4)).stepping()(x0, t), atol=0.05)


def test_bad_share_and_missing_T_are_refused():
    x0, t = torch.zeros(2, 1, 4, 4), torch.tensor([1, 2])
    with pytest.raises(ValueError, match="share"):
        restore_x0_on_walk(Recorder(torch.zeros_like), Fade(), x0, t, share=1.5)
    with pytest.raises(TypeError, match="num_steps"):
        restore_x0_on_walk(Recorder(torch.zeros_like), lambda x, s: x, x0, t)


def test_under_data_parallel_the_estimate_comes_from_the_bare_network():
    """A DistributedDataParallel forward syncs buffers between processes, which would hang when
    the processes' batches walk a different number of times: the estimate bypasses it."""
    x0, t = torch.rand(4, 1, 6, 6) * 2 - 1, torch.tensor([1, 2, 3, 4])
    wrapper = Recorder(torch.zeros_like)
    wrapper.module = Recorder(torch.zeros_like)
    restore_x0_on_walk(wrapper, Fade(), x0, t, share=1.0)
    assert len(wrapper.module.calls) == 1 and len(wrapper.calls) == 1
    assert wrapper.calls[0][2] and not wrapper.module.calls[0][2]


NOISY = {
    "NoiseSchedule": lambda: degrade.NoiseSchedule.linear(T),
    "HeatDissipation": lambda: degrade.HeatDissipation(T, blur_max=2.0),
    "BlurDiffusion": lambda: degrade.BlurDiffusion.paper(T),
}


@pytest.mark.parametrize("name", NOISY)
@pytest.mark.parametrize("objective", ["noise", "previous"])
def test_the_noise_objectives_work_with_every_noisy_operator(name, objective):
    from restore.objectives import get
    from restore.run import training_pair

    record = get(objective)
    operator = NOISY[name]()
    x0 = torch.rand(3, 1, 8, 8) * 2 - 1
    D, _ = training_pair(operator, x0, record.draws)
    assert D is operator  # the objective draws the noise itself: nothing resampled
    torch.manual_seed(0)
    prediction, target = record.bound()(lambda x, t: x, D, x0, torch.tensor([1, 5, T]))
    assert prediction.shape == target.shape == x0.shape
    if objective == "noise":  # the target is the very noise D added
        torch.manual_seed(0)
        eps = torch.randn_like(x0)
        assert torch.equal(prediction, operator(x0, torch.tensor([1, 5, T]), noise=eps))
        assert torch.equal(target, eps)


def test_soft_score_matching_judges_the_estimate_through_the_corruption():
    """Daras et al. (2022): C_t R(C_t x0 + s_t eta, t) against C_t x0, with the noise drawn
    by the objective (not resampled by training)."""
    from restore.objectives import get
    from restore.run import training_pair

    record = get("soft")
    operator = degrade.SoftCorruption.geometric(degrade.HeatDissipation(T, blur_max=32.0,
                                                                        sigma=0.0), 0.01, 0.2)
    x0 = torch.rand(3, 1, 8, 8, dtype=torch.float64) * 2 - 1
    D, _ = training_pair(operator, x0, record.draws)
    assert D is operator and record.loss == "l2" and record.kind == "soft"
    t = torch.tensor([1, 5, T])
    seen = []

    def R(x, s):
        seen.append(x)
        return 0.5 * x

    torch.manual_seed(0)
    prediction, target = record.bound()(R, D, x0, t)
    torch.manual_seed(0)
    x_t = operator(x0, t, noise=torch.randn_like(x0))
    assert torch.equal(seen[0], x_t)
    assert torch.allclose(prediction, operator.corrupt(0.5 * x_t, t))
    assert torch.allclose(target, operator.corrupt(x0, t))
    # what the corruption removes is not asked for: at T only the image mean is judged
    flat = x0.mean(dim=(-2, -1), keepdim=True).expand_as(x0)
    at_T = torch.full((3,), T)
    same, _ = record.bound()(lambda x, s: flat, D, x0, at_T)
    assert torch.allclose(same, operator.corrupt(x0, at_T), atol=1e-3)


def test_the_soft_objective_needs_the_corruption():
    from restore.objectives import soft_score_matching

    with pytest.raises(TypeError, match=r"D\.corrupt"):
        soft_score_matching(lambda x, t: x, degrade.NoiseSchedule.linear(T),
                            torch.zeros(1, 1, 4, 4), torch.tensor([1]))


def test_one_record_per_objective_says_everything_the_others_read():
    from restore.config import RunConfig
    from restore.objectives import KINDS, OBJECTIVES, get

    assert set(OBJECTIVES) == {"x0", "x0-walk", "noise", "soft", "previous"}
    for name, record in OBJECTIVES.items():
        assert record.name == name and record.kind in KINDS and record.loss in ("l1", "l2")
        assert RunConfig(objective=name).objective == name
    assert get("x0-walk").bound(walk_share=0.25).keywords == {"share": 0.25}
    assert get("x0").bound(walk_share=0.25) is restore_x0
    assert get("x0").preview(Fade()) is None and get("noise").draws == ("noise",)
    with pytest.raises(ValueError, match="objective must be one of"):
        get("eps")


def test_a_random_degradation_without_the_protocol_is_refused_in_one_line():
    from restore.protocols import RandomDegradation
    from restore.run import training_pair

    class Half:
        num_steps, param_names = 3, ("center",)

        def __call__(self, x, t, **params):
            return x

    assert isinstance(degrade.SnowSchedule(num_steps=3), RandomDegradation)
    assert not isinstance(Half(), RandomDegradation)
    with pytest.raises(TypeError, match="lacks draw, resampled, stepping") as caught:
        training_pair(Half(), torch.zeros(1, 1, 4, 4))
    assert len(str(caught.value).splitlines()) == 1
