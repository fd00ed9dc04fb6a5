"""Every built-in operator passes every check of ``degrade.testing``."""

import pytest
import torch
from operators import OPERATORS, SHAPE
from torch.utils._python_dispatch import TorchDispatchMode

import degrade
from degrade import testing


@pytest.mark.parametrize("make", OPERATORS)
@pytest.mark.parametrize(
    "check",
    [
        testing.check_identity,
        testing.check_output_like_input,
        testing.check_per_image_steps,
        testing.check_deterministic,
        testing.check_differentiable,
    ],
    ids=lambda check: check.__name__.removeprefix("check_"),
)
def test_protocol(make, check):
    check(make(), SHAPE, max_examples=8)


@pytest.mark.parametrize("make", OPERATORS)
def test_linear_where_declared(make):
    D = make()
    if D.is_linear:
        testing.check_linearity(D, SHAPE, max_examples=8)
    else:
        with pytest.raises(AssertionError, match="not linear"):
            testing.check_linearity(D, SHAPE, max_examples=20)


@pytest.mark.parametrize("make", OPERATORS)
def test_the_adjoint_of_every_linear_operator(make):
    """``<D(x, t), y> = <x, D.adjoint(y, t)>`` for every linear built-in (issue 15); operators
    that are not linear have none."""
    D = make()
    if D.is_linear:
        testing.check_adjoint(D, SHAPE, max_examples=8)
    else:
        with pytest.raises(TypeError, match="not linear"):
            D.adjoint(torch.zeros(SHAPE), 1, **D.sample_params(SHAPE))


def test_a_wrong_adjoint_is_caught():
    class Transposed(degrade.GaussianBlurSchedule):
        def adjoint(self, y, t, **params):
            return super().adjoint(y.transpose(-1, -2), t, **params)

    D = Transposed(5, [0.5, 3.0], padding="zeros")
    with pytest.raises(AssertionError, match="adjoint"):
        testing.check_adjoint(D, SHAPE, max_examples=5)


class _CountOps(TorchDispatchMode):
    """Counts the ATen operations run inside the block."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("make", OPERATORS)
def test_cost_does_not_grow_with_t(make):
    """The closed forms run the same operations for t = 1 and t = T (after the first call)."""
    D = make()
    x = torch.rand(SHAPE) * 2 - 1
    params = D.sample_params(x, generator=torch.Generator().manual_seed(0))
    D(x, D.num_steps, **params)  # fill the per-size caches
    counts = {}
    for t in (1, D.num_steps):
        with _CountOps() as ops:
            D(x, t, **params)
        counts[t] = ops.count
    assert counts[1] == counts[D.num_steps], counts


def test_the_operator_list_covers_every_exported_operator():
    """An operator exported by ``degrade`` but missing from ``operators.OPERATORS`` would miss
    every generic test; bases (classes other exported operators derive from) are exempt."""
    import degrade

    exported = [getattr(degrade, name) for name in degrade.__all__]
    operators = {c for c in exported if isinstance(c, type) and issubclass(c, degrade.Degradation)}
    bases = {c for c in operators if any(o is not c and issubclass(o, c) for o in operators)}
    covered = {type(param.values[0]()) for param in OPERATORS}
    assert operators - bases - covered == set()
