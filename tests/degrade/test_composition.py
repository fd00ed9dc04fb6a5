"""degrade.compose and ``D2 @ D1``: composed degradations (issue 15)."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from degrade import (
    Composition,
    DesaturationSchedule,
    GaussianBlurSchedule,
    GaussianMaskSchedule,
    NoiseSchedule,
    compose,
)


def blur():
    return GaussianBlurSchedule.constant(5, 20, 1.0, padding="reflect")


@given(t=st.integers(0, 20), seed=st.integers(0, 2**31))
def test_a_composition_applies_its_parts_in_order_with_their_own_parameters(t, seed):
    first, second = GaussianMaskSchedule.linear(20), GaussianMaskSchedule.linear(20, 2.0, 0.5)
    D = compose(blur(), first, second)
    assert D.param_names == ("D2_center", "D3_center")
    x = torch.rand(3, 2, 12, 12, dtype=torch.float64) * 2 - 1
    params = D.sample_params(x, generator=torch.Generator().manual_seed(seed))
    expected = second(first(blur()(x, t), t, center=params["D2_center"]), t,
                      center=params["D3_center"])
    assert torch.equal(D(x, t, **params), expected)


def test_matmul_reads_right_to_left_and_nesting_flattens():
    mask = GaussianMaskSchedule.linear(20, center="middle")
    D = mask @ blur()
    assert [type(o) for o in D.operators] == [GaussianBlurSchedule, GaussianMaskSchedule]
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    assert torch.equal(D(x, 7), mask(blur()(x, 7), 7))
    nested = compose(compose(blur(), mask), DesaturationSchedule(20))
    assert len(nested.operators) == 3
    assert D.is_linear and not compose(blur(), NoiseSchedule.linear(20)).is_linear


def test_parts_must_share_T_and_be_operators():
    with pytest.raises(ValueError, match="same T"):
        compose(blur(), GaussianMaskSchedule.linear(10))
    with pytest.raises(TypeError, match="degrade operators"):
        compose(blur(), lambda x, t: x)
    with pytest.raises(ValueError, match="at least two"):
        Composition(blur())
    with pytest.raises(TypeError):
        blur() @ (lambda x, t: x)


def test_a_composition_steps_with_its_parts_stepping_forms():
    quantised = GaussianMaskSchedule.paper_code(20)
    D = quantised @ blur()
    stepping = D.stepping()
    assert isinstance(stepping, Composition) and stepping.operators[1].bits is None
    assert stepping.operators[0] is D.operators[0] and quantised.bits == 8
    x0 = torch.rand(2, 1, 16, 16, dtype=torch.float64) * 2 - 1
    params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
    expected = quantised.unquantised()(blur()(x0, 9), 9, center=params["D2_center"])
    assert torch.allclose(stepping(x0, 9, **params), expected, atol=1e-12)
    plain = GaussianMaskSchedule.linear(20) @ blur()
    assert plain.stepping() is plain


def test_tacos_walks_a_blur_then_mask_back_to_x0_with_a_perfect_restorer():
    """The docs' example: blur followed by masking, sampled with TACoS. With R returning x0,
    each TACoS step lands exactly on D(x0, s - 1) (section 3.3), so the end is x0."""
    samplers = pytest.importorskip("samplers", reason="needs colddiff-samplers")
    D = GaussianMaskSchedule.linear(20) @ blur()
    x0 = torch.rand(4, 1, 16, 16, dtype=torch.float64) * 2 - 1
    D_drawn = D.draw(x0, generator=torch.Generator().manual_seed(0))
    x_T = D_drawn(x0, 20)
    seen = []
    out = samplers.tacos(lambda x, t: x0, D_drawn, x_T, 20,
                         callback=lambda s, x_s, x0_hat: seen.append((s, x_s)))
    assert torch.allclose(out, x0, atol=1e-10)
    for s, x_s in seen:
        assert torch.allclose(x_s, D_drawn(x0, s), atol=1e-10)


def test_the_adjoint_of_a_composition_is_the_reversed_adjoints():
    D = GaussianMaskSchedule.linear(20) @ blur()
    x, y = (torch.rand(2, 1, 12, 12, dtype=torch.float64) for _ in range(2))
    params = D.sample_params(x, generator=torch.Generator().manual_seed(3))
    left = (D(x, 9, **params) * y).sum()
    right = (x * D.adjoint(y, 9, **params)).sum()
    assert torch.isclose(left, right, atol=1e-12)
    with pytest.raises(TypeError, match="not linear"):
        compose(blur(), NoiseSchedule.linear(20)).adjoint(y, 3, D2_z=torch.zeros_like(y))
