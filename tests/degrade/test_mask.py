"""GaussianMaskSchedule and GaussianFadeSchedule (section 4.2, A.2 and 5.3)."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from degrade import GaussianFadeSchedule, GaussianMaskSchedule


def explicit_mask(betas, t, center, height, width):
    """prod_{i<=t} (1 - exp(-d^2 / (2 beta_i))), built step by step."""
    rows = torch.arange(height, dtype=torch.float64)[:, None] - center[0]
    columns = torch.arange(width, dtype=torch.float64)[None, :] - center[1]
    distance2 = rows**2 + columns**2
    mask = torch.ones(height, width, dtype=torch.float64)
    for beta in betas[:t]:
        mask = mask * (1 - torch.exp(-distance2 / (2 * beta)))
    return mask


@given(
    t=st.integers(0, 50),
    seed=st.integers(0, 2**31),
    height=st.integers(4, 20),
    width=st.integers(4, 20),
)
def test_random_centres_match_the_explicit_product(t, seed, height, width):
    D = GaussianMaskSchedule.linear(50, beta_start=1.0, beta_step=0.1)
    x0 = torch.rand(3, 2, height, width, dtype=torch.float64) * 2 - 1
    params = D.sample_params(x0, generator=torch.Generator().manual_seed(seed))
    out = D(x0, t, **params)
    for i, center in enumerate(params["center"].tolist()):
        expected = x0[i] * explicit_mask(D.betas, t, center, height, width)
        assert torch.allclose(out[i], expected, atol=1e-12)


def test_betas_follow_a2():
    D = GaussianMaskSchedule.linear(50, beta_start=1.0, beta_step=0.1)
    assert D.betas[0].item() == 1.0
    assert D.betas[-1].item() == pytest.approx(1.0 + 49 * 0.1)


def test_centre_pixel_is_grey_and_far_pixels_survive():
    D = GaussianMaskSchedule.linear(50, center="middle")
    x0 = torch.ones(1, 1, 64, 64)
    x_T = D(x0, 50)
    assert x_T[0, 0, 32, 32].item() == 0.0
    assert x_T[0, 0, 0, 0].item() == pytest.approx(1.0, abs=1e-6)
    assert bool((x_T >= 0).all() and (x_T <= 1).all())


def test_mask_grows_with_t():
    D = GaussianMaskSchedule.linear(50, center=(5, 7))
    x0 = torch.ones(1, 1, 16, 16)
    previous = x0
    for t in range(1, 51):
        current = D(x0, t)
        assert bool((current <= previous + 1e-7).all())
        previous = current


def test_sampled_centres_cover_the_image_and_stay_inside():
    D = GaussianMaskSchedule.linear(10)
    params = D.sample_params((4000, 1, 7, 5), generator=torch.Generator().manual_seed(0))
    center = params["center"]
    assert center.dtype == torch.int64
    assert set(center[:, 0].tolist()) == set(range(7))
    assert set(center[:, 1].tolist()) == set(range(5))


def test_fade_reaches_the_colour_where_the_mask_is_zero():
    D = GaussianFadeSchedule.linear(50, beta_start=1.0, beta_step=0.1, center="middle")
    x0 = torch.rand(2, 3, 16, 16, dtype=torch.float64) * 2 - 1
    params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
    x_T = D(x0, 50, **params)
    assert torch.equal(x_T[:, :, 8, 8], params["color"])
    mask = explicit_mask(D.betas, 50, (8, 8), 16, 16)
    expected = mask * x0 + (1 - mask) * params["color"][:, :, None, None]
    assert torch.allclose(x_T, expected, atol=1e-12)
    assert bool((params["color"].abs() <= 1).all())


def test_bad_betas_and_centres_are_refused():
    with pytest.raises(ValueError, match="betas"):
        GaussianMaskSchedule([1.0, 0.0])
    for center in ("left", (1.5, 2), (True, 2), (1, 2, 3), 7):
        with pytest.raises(ValueError, match="center must be"):
            GaussianMaskSchedule.linear(5, center=center)
    x = torch.zeros(1, 1, 16, 16)
    for center in ((16, 3), (3, 16), (-1, 3)):
        with pytest.raises(ValueError, match="outside a 16x16 image"):
            GaussianMaskSchedule.linear(5, center=center)(x, 5)


def test_drawn_centres_must_be_integer_pixels_inside_the_image():
    D = GaussianMaskSchedule.linear(5)
    x = torch.zeros(1, 1, 16, 16)
    for center in (torch.tensor([[3.0, 4.0]]), torch.tensor([[True, False]])):
        with pytest.raises(TypeError, match="integer tensor"):
            D(x, 5, center=center)
    for center in ([[16, 0]], [[0, 16]], [[-1, 0]]):
        with pytest.raises(ValueError, match="inside the 16x16 image"):
            D(x, 5, center=torch.tensor(center))
    code = GaussianMaskSchedule.paper_code(5)
    code(x, 5, center=torch.tensor([[-1, -1]]))
    for center in ([[-2, 0]], [[0, 16]]):
        with pytest.raises(ValueError, match="image, or one row or column before it"):
            code(x, 5, center=torch.tensor(center))


def test_draws_need_no_generator_and_colours_span_the_range():
    x = torch.zeros(500, 3, 8, 8)
    assert GaussianMaskSchedule.linear(5).sample_params(x)["center"].shape == (500, 2)
    color = GaussianFadeSchedule.linear(5).sample_params(x)["color"]
    assert color.min() < -0.9 and color.max() > 0.9 and color.abs().max() <= 1


def test_repr_shows_the_first_and_last_beta():
    D = GaussianMaskSchedule.linear(10, beta_start=2.0, beta_step=0.5)
    assert "beta_1=2" in repr(D) and "beta_T=6.5" in repr(D)


def code_masks(n, std_step=0.1, initial=11, num_steps=50):
    """The paper's code, as its text describes it: for step i, one minus a Gaussian of standard
    deviation std_step * (i + initial) on a (2n + 1) x (2n + 1) grid with peak 1, the first row
    and column dropped (``fade_kernel[1:, 1:]``): a 2n x 2n grid whose centre is at (n-1, n-1)."""
    d = torch.arange(2 * n + 1, dtype=torch.float64) - n
    kernels = []
    for i in range(num_steps):
        std = std_step * (i + initial)
        g = torch.exp(-d**2 / (2 * std**2))
        kernel = torch.outer(g, g)
        kernels.append((1 - kernel / kernel.max())[1:, 1:])
    return torch.stack(kernels)


@given(t=st.integers(0, 50), rows=st.integers(0, 16), columns=st.integers(0, 16))
def test_paper_code_masks_are_the_codes_crops(t, rows, columns):
    """Cropping the code's masks at offset (rows, columns) in 0..n is our mask with its centre
    at (n - 1 - rows, n - 1 - columns): -1 .. n-1."""
    n = 16
    D = GaussianMaskSchedule.paper_code(50, bits=None)
    x0 = torch.rand(1, 1, n, n, dtype=torch.float64) * 2 - 1
    crops = code_masks(n)[:t, rows:rows + n, columns:columns + n]
    expected = x0[0, 0] * crops.prod(dim=0)
    center = torch.tensor([[n - 1 - rows, n - 1 - columns]])
    assert torch.allclose(D(x0, t, center=center)[0, 0], expected, atol=1e-12)


def test_paper_code_steps_and_centres():
    D = GaussianMaskSchedule.paper_code(50)
    assert D.betas[0].item() == pytest.approx(1.1**2)
    assert D.betas[-1].item() == pytest.approx(6.0**2)
    params = D.sample_params((6000, 1, 7, 5), generator=torch.Generator().manual_seed(0))
    center = params["center"]
    assert set(center[:, 0].tolist()) == set(range(-1, 7))
    assert set(center[:, 1].tolist()) == set(range(-1, 5))
    counts = torch.bincount(center[:, 0] + 1).double()
    assert counts.min() > 0.8 * counts.mean()  # uniform over the n + 1 rows


def test_quantised_masks_step_with_the_plain_masks_and_the_same_draw():
    D = GaussianMaskSchedule.paper_code(50)
    x0 = torch.rand(2, 1, 16, 16, dtype=torch.float64) * 2 - 1
    bound = D.draw(x0, generator=torch.Generator().manual_seed(0))
    stepping = bound.stepping()
    plain = GaussianMaskSchedule.paper_code(50, bits=None)
    assert stepping.D.bits is None and stepping.is_linear and D.bits == 8
    assert torch.equal(stepping(x0, 7), plain(x0, 7, **bound.params))
    assert not torch.equal(stepping(x0, 7), bound(x0, 7))
    assert plain.stepping() is plain and plain.bind(**bound.params).stepping().D is plain


def test_quantised_masks_round_down_to_8_bits_and_keep_x0_at_t_0():
    D = GaussianMaskSchedule.paper_code(50)
    assert not D.is_linear and GaussianMaskSchedule.linear(50).is_linear
    x0 = torch.rand(4, 3, 16, 16, dtype=torch.float64) * 2 - 1
    params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(D(x0, 0, **params), x0)
    floats = GaussianMaskSchedule.paper_code(50, bits=None)(x0, 7, **params)
    levels = (floats + 1) / 2 * 255
    assert torch.allclose((D(x0, 7, **params) + 1) / 2 * 255, levels.floor(), atol=1e-9)
    assert torch.equal(D.quantize(torch.tensor([-1.0, 1.0, 2.0])), torch.tensor([-1.0, 1.0, 1.0]))
    fade = GaussianFadeSchedule.linear(5, bits=4)
    faded = fade(x0, 5, **fade.sample_params(x0, generator=torch.Generator().manual_seed(1)))
    steps = (faded + 1) / 2 * 15
    assert torch.allclose(steps, steps.round(), atol=1e-9)
    for bad in (0, 17, 2.5, True):
        with pytest.raises(ValueError, match="bits"):
            GaussianMaskSchedule.linear(5, bits=bad)
    with pytest.raises(ValueError, match="center_from"):
        GaussianMaskSchedule.linear(5, center_from=-2)
    assert "center_from=-1, bits=8" in repr(D)


def test_quantised_masks_pass_the_gradient_straight_through_with_the_same_values():
    D = GaussianMaskSchedule.paper_code(50)
    assert not D.differentiable and D.unquantised().differentiable
    x = torch.rand(2, 1, 16, 16, dtype=torch.float64) * 2 - 1
    params = D.sample_params(x, generator=torch.Generator().manual_seed(0))
    plain = D(x, 30, **params)
    x.requires_grad_(True)
    out = D(x, 30, **params)
    assert torch.equal(out.detach(), plain)  # the rounded values, exactly
    (gradient,) = torch.autograd.grad(out.sum(), x)
    mask = D.unquantised()(torch.ones_like(x), 30, **params)  # the unquantised mask's gradient
    assert torch.allclose(gradient, mask.detach())
