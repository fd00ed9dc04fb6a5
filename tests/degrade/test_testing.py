"""degrade.testing catches operators that break the protocol, and passes those that keep it."""

import pytest
import torch

from degrade import testing

SHAPE = (2, 1, 8, 8)


def operator(function, num_steps=5):
    function.num_steps = num_steps
    return function


def steps(t, x):
    return torch.as_tensor(t, dtype=x.dtype, device=x.device).reshape(-1, 1, 1, 1)


def darken(x, t):
    return x - 0.1 * (x + 1) * steps(t, x)


def test_a_correct_user_operator_passes():
    testing.check_degradation(operator(darken), SHAPE, max_examples=5)


def test_a_linear_user_operator_passes_the_linearity_check():
    fade = operator(lambda x, t: x * (1 - 0.1 * steps(t, x)))
    testing.check_degradation(fade, SHAPE, linear=True, max_examples=5)


def test_num_steps_is_required():
    with pytest.raises(TypeError, match="num_steps"):
        testing.check_degradation(lambda x, t: x, SHAPE)


class _WrongBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 0.5

    @staticmethod
    def backward(ctx, grad):
        return grad


BROKEN = {
    "identity": (testing.check_identity, lambda x, t: x * (1 - 1e-3)),
    "identity-copy": (testing.check_identity, lambda x, t: x + 0 * steps(t, x) + 1e-7),
    "shape": (testing.check_output_like_input, lambda x, t: x[..., 1:, :] if t else x),
    "dtype": (testing.check_output_like_input, lambda x, t: x.float() if t else x),
    "nan": (testing.check_output_like_input, lambda x, t: x / 0 if t else x),
    "per-image": (testing.check_per_image_steps,
                  lambda x, t: darken(x, t.max() if torch.is_tensor(t) else t)),
    "random": (testing.check_deterministic, lambda x, t: x + torch.randn_like(x) * steps(t, x)),
    "not-linear": (testing.check_linearity, lambda x, t: x + 0.1 * steps(t, x)),
    "detached": (testing.check_differentiable, lambda x, t: (x * 0.5).detach()),
    "wrong-gradient": (testing.check_differentiable, lambda x, t: _WrongBackward.apply(x)),
}


@pytest.mark.parametrize("name", BROKEN)
def test_broken_operators_are_caught(name):
    check, function = BROKEN[name]
    with pytest.raises(AssertionError):
        check(operator(function), SHAPE, max_examples=10)
