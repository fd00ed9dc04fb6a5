"""GaussianBlurSchedule: the closed form equals the paper's recursion (section 4.1)."""

import math

import pytest
import torch
from degrade.blur import PADDINGS
from hypothesis import given
from hypothesis import strategies as st

from degrade import GaussianBlurSchedule, gaussian_kernel1d

WAYS = [("circular", "matrix"), ("circular", "fourier"), ("reflect", "matrix"),
        ("reflect", "fourier"), ("zeros", "matrix")]


def recursion(D, x, t):
    """Apply the t kernels one after another, as the paper's code does."""
    for s in range(1, t + 1):
        x = D.step(x, s)
    return x


@pytest.mark.parametrize(("padding", "method"), WAYS)
@pytest.mark.parametrize("size", [(32, 32), (17, 24), (9, 12)])
def test_closed_form_equals_recursion_float32(padding, method, size):
    D = GaussianBlurSchedule.exponential(7, 60, rate=0.03, padding=padding, method=method)
    x0 = torch.rand(2, 3, *size, generator=torch.Generator().manual_seed(0)) * 2 - 1
    x = x0
    for t in range(1, D.num_steps + 1):
        x = D.step(x, t)
        error = (D(x0, t) - x).abs().max().item()
        assert error <= 1e-5, f"t = {t}: max abs error {error}"


@pytest.mark.parametrize(("padding", "method"), WAYS)
def test_generation_schedule_equals_recursion(padding, method):
    """The section 5.2 schedule (T = 300, 27x27, sigma = exp(0.01 t)) at every 30th step."""
    D = GaussianBlurSchedule.exponential(27, 300, rate=0.01, padding=padding, method=method)
    x0 = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
    x = x0
    for t in range(1, 301):
        x = D.step(x, t)
        if t % 30 == 0:
            assert (D(x0, t) - x).abs().max().item() <= 1e-5


@given(
    way=st.sampled_from(WAYS),
    height=st.integers(14, 24),
    width=st.integers(14, 24),
    sigmas=st.lists(st.floats(0.1, 6.0), min_size=1, max_size=12),
    kernel_size=st.sampled_from([1, 3, 5, 9, 13]),
    seed=st.integers(0, 2**31),
)
def test_closed_form_equals_recursion_float64(way, height, width, sigmas, kernel_size, seed):
    D = GaussianBlurSchedule(kernel_size, sigmas, padding=way[0], method=way[1])
    x0 = torch.rand(2, 2, height, width, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(seed))
    t = len(sigmas)
    assert torch.allclose(D(x0, t), recursion(D, x0, t), atol=1e-12, rtol=0)


def test_kernels_are_normalised_sampled_gaussians():
    k = gaussian_kernel1d(11, 7.0)
    offsets = torch.arange(11, dtype=torch.float64) - 5
    expected = torch.exp(-(offsets**2) / 98)
    assert torch.allclose(k, expected / expected.sum())
    D = GaussianBlurSchedule.constant(11, 20, 7.0)
    assert math.isclose(D.kernel(3).sum().item(), 1.0)
    assert torch.equal(D.kernel(3), torch.outer(k, k))


def test_named_constructors_follow_the_paper():
    assert torch.allclose(GaussianBlurSchedule.constant(11, 40, 7.0).sigmas,
                          torch.full((40,), 7.0, dtype=torch.float64))
    cifar = GaussianBlurSchedule.linear(11, 50, slope=0.01, offset=0.35)
    assert cifar.sigmas[0].item() == pytest.approx(0.36)
    assert cifar.sigmas[-1].item() == pytest.approx(0.85)
    celeba = GaussianBlurSchedule.exponential(15, 200, rate=0.01)
    assert celeba.sigmas[0].item() == pytest.approx(math.exp(0.01))
    assert celeba.sigmas[-1].item() == pytest.approx(math.exp(2.0))
    assert celeba.num_steps == celeba.T == 200


@pytest.mark.parametrize("padding", PADDINGS)
def test_to_mean_ends_at_the_channel_mean(padding):
    D = GaussianBlurSchedule.exponential(5, 10, 0.1, padding=padding, to_mean=True)
    x0 = torch.rand(2, 3, 12, 12, dtype=torch.float64) * 2 - 1
    x_T = D(x0, 10)
    expected = recursion(D, x0, 9).mean(dim=(-2, -1), keepdim=True).expand_as(x0)
    assert torch.allclose(x_T, expected, atol=1e-12)
    assert torch.allclose(D(x0, 9), recursion(D, x0, 9), atol=1e-12)


def test_circular_blur_keeps_the_mean():
    """Section 5.2: with circular padding the blurred image keeps each channel's mean."""
    D = GaussianBlurSchedule.exponential(27, 300, rate=0.01)
    x0 = torch.rand(4, 3, 32, 32, dtype=torch.float64) * 2 - 1
    means = x0.mean(dim=(-2, -1))
    for t in (1, 100, 300):
        assert torch.allclose(D(x0, t).mean(dim=(-2, -1)), means, atol=1e-12)


def test_half_precision_input_keeps_its_dtype():
    D = GaussianBlurSchedule.exponential(7, 20, rate=0.05, padding="reflect")
    x0 = torch.rand(1, 3, 16, 16) * 2 - 1
    for dtype in (torch.float16, torch.bfloat16):
        out = D(x0.to(dtype), 20)
        assert out.dtype == dtype
        assert (out.float() - D(x0, 20)).abs().max() < 2e-2


@pytest.mark.parametrize("padding", ["circular", "reflect"])
def test_auto_switches_to_fourier_past_the_matrix_budget(padding):
    D = GaussianBlurSchedule.constant(3, 300, 1.0, padding=padding)
    assert D._uses_matrices(100, 120) and not D._uses_matrices(180, 180)
    assert D._uses_matrices(128, 128) == (padding == "reflect")
    x0 = torch.rand(1, 1, 180, 180, dtype=torch.float64) * 2 - 1
    assert torch.allclose(D(x0, 40), recursion(D, x0, 40), atol=1e-12)
    assert not any(key[0] == "matrix" for key in D._cache)


def test_zero_padding_has_no_fourier_form():
    with pytest.raises(ValueError, match="no Fourier form"):
        GaussianBlurSchedule(5, [1.0], padding="zeros", method="fourier")
    with pytest.raises(ValueError, match="method must be one of"):
        GaussianBlurSchedule(5, [1.0], method="fft")


@pytest.mark.parametrize("kernel_size", [0, -1, -3, 4, 10])
def test_kernel_sizes_must_be_positive_and_odd(kernel_size):
    with pytest.raises(ValueError, match="positive odd"):
        GaussianBlurSchedule.constant(kernel_size, 5, 1.0)


def test_errors_name_the_argument_the_user_gave():
    with pytest.raises(ValueError, match=r"^sigma must be positive"):
        GaussianBlurSchedule.constant(5, 10, 0.0)
    with pytest.raises(ValueError, match=r"^scale must be positive"):
        GaussianBlurSchedule.exponential(5, 10, 0.01, scale=0.0)


def test_repr_shows_the_first_and_last_sigma_and_what_is_not_default():
    D = GaussianBlurSchedule.linear(5, 10, slope=0.5, offset=1.0)
    assert "sigma_1=1.5" in repr(D) and "sigma_T=6" in repr(D)
    assert "to_mean" not in repr(D) and "method" not in repr(D)
    other = GaussianBlurSchedule.linear(5, 10, 0.5, 1.0, to_mean=True, method="fourier")
    assert "to_mean=True" in repr(other) and "method='fourier'" in repr(other)


@pytest.mark.parametrize("kernel_size", [True, 3.0, "3"])
def test_kernel_sizes_must_be_ints(kernel_size):
    with pytest.raises(TypeError, match="kernel_size must be an int"):
        GaussianBlurSchedule(kernel_size, [1.0])


def test_every_sigma_must_be_positive():
    with pytest.raises(ValueError, match="sigmas"):
        GaussianBlurSchedule(5, [1.0, 0.0])
