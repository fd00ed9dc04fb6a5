"""Hypothesis checks of sampler correctness, for the built-in samplers and for yours.

A sampler here is any function ``sampler(R, D, x_t, t, *, steps=None, callback=None)`` that walks
from ``x_t`` at step ``t`` to step 0, like :func:`samplers.tacos`. The checks draw degradations,
restorers, images and steps with hypothesis and raise ``AssertionError`` with the falsifying
example when a property of section 3 of Bansal et al. (2022) fails:

* :func:`check_perfect_restorer`: with ``R`` returning the true ``x0``, the sampler returns
  ``x0`` and passes through ``x_s = D(x0, s)`` at every step, for any ``D`` (Algorithms 1 and 2);
* :func:`check_error_tolerance`: for ``D(x, s) = x + s e``, it returns ``x0`` for any ``R``, also
  when skipping steps (section 3.3; TACoS has this property, Algorithm 1 does not);
* :func:`check_per_image_steps`: a batch with a step per image equals per-image runs.

:func:`check_sampler` runs all three. The degradations and restorers are drawn from families
written here in torch, so the checks need neither ``degrade`` nor trained models. A sampler made
for one form of ``D`` names it: ``family=StraightPath`` for InDI's straight path to an
observation (:func:`samplers.indi`), ``family=SoftPath`` for a linear corruption plus noise
(:func:`samplers.momentum`), and ``tolerant=False`` where section 3.3's property is not
claimed.

Examples:
    >>> import samplers
    >>> from samplers.testing import check_sampler
    >>> check_sampler(samplers.tacos, max_examples=5)

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "samplers.testing needs hypothesis: pip install 'colddiff-samplers[testing]'"
    ) from error

__all__ = [
    "AffineDegradation",
    "LinearDrift",
    "RandomRestorer",
    "SoftPath",
    "StraightPath",
    "check_error_tolerance",
    "check_per_image_steps",
    "check_perfect_restorer",
    "check_sampler",
]

Sampler = Callable[..., Tensor]
Family = Callable[[int, tuple[int, ...], int], Callable[..., Tensor]]
"""``family(num_steps, shape, seed) -> D``: a random degradation of one form."""
SHAPE = (3, 2, 6, 6)
_SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
_TOLERANCE = 1e-8


def check_sampler(sampler: Sampler, *, steps: bool = True, tolerant: bool = True,
                  family: Family | None = None, max_examples: int = 20) -> None:
    """Run every check of this module on ``sampler``.

    Args:
        sampler: ``sampler(R, D, x_t, t, *, steps=None, callback=None) -> x_0``.
        steps: also check walks that skip steps (the sampler must accept ``steps=``).
        tolerant: check section 3.3's tolerance of errors in ``R`` (TACoS has it; Algorithm 1
            and InDI do not claim it).
        family: the degradations the sampler is made for, ``family(num_steps, shape, seed)``:
            :class:`AffineDegradation` (any ``D``, the default) or :class:`StraightPath`.
        max_examples: hypothesis draws per check.
    """
    check_perfect_restorer(sampler, family=family, max_examples=max_examples)
    if tolerant:
        check_error_tolerance(sampler, steps=steps, max_examples=max_examples)
    check_per_image_steps(sampler, family=family, max_examples=max_examples)


def check_perfect_restorer(sampler: Sampler, *, family: Family | None = None,
                           max_examples: int = 20) -> None:
    """With ``R(x_s, s) = x0``, the walk visits ``x_s = D(x0, s)`` and ends at ``x0``, for every
    ``D`` of the ``family`` (any smooth ``D`` by default: :class:`AffineDegradation`)."""
    family = family or AffineDegradation

    @_settings(max_examples)
    @given(seed=_SEEDS, t=st.integers(0, 12), num_steps=st.integers(12, 20))
    def perfect(seed: int, t: int, num_steps: int) -> None:
        D = family(num_steps, SHAPE, seed)
        x0 = _images(seed + 1)
        visited = []
        x_0 = sampler(lambda x, s: x0.clone(), D, D(x0, t), t,
                      callback=lambda s, x_s, x0_hat: visited.append((s, x_s.clone())))
        assert [s for s, _ in visited] == list(range(t - 1, -1, -1)), (
            f"the callback saw steps {[s for s, _ in visited]}, expected {t - 1} down to 0"
        )
        for s, x_s in visited:
            error = _max_error(x_s, D(x0, s))
            assert error <= _TOLERANCE, f"x_s differs from D(x0, s) by {error} at s = {s}"
        assert _max_error(x_0, x0) <= _TOLERANCE, (
            f"with a perfect restorer the sampler ended {_max_error(x_0, x0)} away from x0"
        )

    perfect()


def check_error_tolerance(sampler: Sampler, *, steps: bool = True, max_examples: int = 20) -> None:
    """For ``D(x, s) = x + s e`` the sampler returns ``x0`` whatever ``R`` is (section 3.3)."""

    @_settings(max_examples)
    @given(seed=_SEEDS, t=st.integers(1, 15), data=st.data())
    def tolerant(seed: int, t: int, data: Any) -> None:
        D = LinearDrift(SHAPE, seed)
        R = RandomRestorer(SHAPE, seed + 1, num_steps=D.num_steps)
        x0 = _images(seed + 2)
        kwargs = {}
        if steps:
            inner = data.draw(st.sets(st.integers(1, t - 1)) if t > 1 else st.just(set()),
                              label="skipped-to steps")
            kwargs["steps"] = [t, *sorted(inner, reverse=True), 0]
        x_0 = sampler(R, D, D(x0, t), t, **kwargs)
        error = _max_error(x_0, x0)
        assert error <= _TOLERANCE * 100, (
            f"for D(x, s) = x + s e the sampler ended {error} away from x0 "
            f"(t = {t}, {kwargs or 'every step'}): it is not tolerant of errors in R"
        )

    tolerant()


def check_per_image_steps(sampler: Sampler, *, family: Family | None = None,
                          max_examples: int = 20) -> None:
    """``t`` of shape ``(B,)`` gives what each image gives alone with its own ``t`` (``D`` from
    the ``family``, :class:`AffineDegradation` by default)."""
    family = family or AffineDegradation

    @_settings(max_examples)
    @given(seed=_SEEDS, starts=st.lists(st.integers(0, 10), min_size=SHAPE[0],
                                        max_size=SHAPE[0]))
    def per_image(seed: int, starts: list[int]) -> None:
        D = family(10, SHAPE, seed)
        R = RandomRestorer(SHAPE, seed + 1, num_steps=10)
        x0 = _images(seed + 2)
        t = torch.tensor(starts)
        x_0 = sampler(R, D, D(x0, t), t)
        for i, start in enumerate(starts):
            alone = sampler(R, D, D(x0[i : i + 1], start), start)
            error = _max_error(x_0[i : i + 1], alone)
            assert error <= _TOLERANCE, (
                f"image {i} of a batch with t = {starts} ends {error} away from its own run "
                f"from t = {start}"
            )

    per_image()


class AffineDegradation:
    r"""``D(x, s) = a_s x + b_s tanh(x) + c_s e``: a random smooth, nonlinear family with
    ``D(x, 0) = x`` (``a_0 = 1``, ``b_0 = c_0 = 0``). Steps are ints or ``(B,)`` tensors."""

    def __init__(self, num_steps: int, shape: tuple[int, ...], seed: int) -> None:
        generator = _generator(seed)
        self.num_steps = num_steps
        coefficients = torch.rand(3, num_steps + 1, generator=generator, dtype=torch.float64)
        coefficients[0] = 0.5 + coefficients[0]
        coefficients[:, 0] = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
        self.a, self.b, self.c = coefficients
        self.e = torch.randn(1, *shape[1:], generator=generator, dtype=torch.float64)

    def __call__(self, x: Tensor, s: int | Tensor) -> Tensor:
        a, b, c = (_per_image(v, s, x) for v in (self.a, self.b, self.c))
        return a * x + b * torch.tanh(x) + c * self.e


class StraightPath:
    r"""``D(x, s) = (1 - s/T) x + (s/T) y(x)``, ``y(x) = a tanh(x) + e`` with random ``a`` and
    ``e``: InDI's straight path to a nonlinear observation of ``x`` (Delbracio and Milanfar,
    2023, arXiv:2303.11435, section 3). Steps are ints or ``(B,)`` tensors."""

    def __init__(self, num_steps: int, shape: tuple[int, ...], seed: int) -> None:
        generator = _generator(seed)
        self.num_steps = num_steps
        self.a = torch.randn(1, *shape[1:], generator=generator, dtype=torch.float64)
        self.e = torch.randn(1, *shape[1:], generator=generator, dtype=torch.float64)

    def __call__(self, x: Tensor, s: int | Tensor) -> Tensor:
        fraction = _per_image(torch.arange(self.num_steps + 1, dtype=x.dtype) / self.num_steps,
                              s, x)
        return (1 - fraction) * x + fraction * (self.a * torch.tanh(x) + self.e)


class SoftPath:
    r"""``D(x, s) = C_s x + s_s e``: a random linear corruption ``C_s x = a_s x + b_s
    roll(x)`` (``a_0 = 1``, ``b_0 = 0``) plus a fixed noise image ``e`` scaled by a random
    non-decreasing level ``s_s`` (``s_0 = 0``): soft diffusion's ``x_t = C_t x0 + s_t eta``
    (Daras et al., 2022, arXiv:2209.05442), with :meth:`corrupt` and :meth:`noise_level` as
    :func:`samplers.momentum` reads them. Steps are ints or ``(B,)`` tensors."""

    def __init__(self, num_steps: int, shape: tuple[int, ...], seed: int) -> None:
        generator = _generator(seed)
        self.num_steps = num_steps
        self.a, self.b = torch.rand(2, num_steps + 1, generator=generator, dtype=torch.float64)
        self.a += 0.5
        self.a[0], self.b[0] = 1.0, 0.0
        levels = torch.rand(num_steps, generator=generator, dtype=torch.float64).cumsum(0)
        self.levels = torch.cat([torch.zeros(1, dtype=torch.float64), levels])
        self.e = torch.randn(1, *shape[1:], generator=generator, dtype=torch.float64)

    def corrupt(self, x: Tensor, s: int | Tensor) -> Tensor:
        return _per_image(self.a, s, x) * x + _per_image(self.b, s, x) * x.roll(1, -1)

    def noise_level(self, s: int | Tensor) -> Tensor:
        return self.levels[s.cpu() if isinstance(s, Tensor) else s]

    def __call__(self, x: Tensor, s: int | Tensor) -> Tensor:
        return self.corrupt(x, s) + _per_image(self.levels, s, x) * self.e


class LinearDrift:
    """``D(x, s) = x + s e`` for a random constant ``e``: the model problem of section 3.3."""

    def __init__(self, shape: tuple[int, ...], seed: int, num_steps: int = 15) -> None:
        self.num_steps = num_steps
        self.e = torch.randn(1, *shape[1:], generator=_generator(seed), dtype=torch.float64)

    def __call__(self, x: Tensor, s: int | Tensor) -> Tensor:
        return x + _per_image(torch.arange(self.num_steps + 1, dtype=x.dtype), s, x) * self.e


class RandomRestorer:
    r"""A random "restorer" ``R(x, s) = tanh(w_s x + v_s)``: an arbitrary, batch-independent
    function of ``x`` and ``s``, nothing like an inverse of ``D``."""

    def __init__(self, shape: tuple[int, ...], seed: int, num_steps: int) -> None:
        generator = _generator(seed)
        self.w = torch.randn(num_steps + 1, *shape[1:], generator=generator, dtype=torch.float64)
        self.v = torch.randn(num_steps + 1, *shape[1:], generator=generator, dtype=torch.float64)

    def __call__(self, x: Tensor, s: int | Tensor) -> Tensor:
        index = s if isinstance(s, Tensor) else torch.full((x.shape[0],), s)
        return torch.tanh(self.w[index] * x + self.v[index])


def _per_image(values: Tensor, s: int | Tensor, x: Tensor) -> Tensor:
    picked = values[s] if not isinstance(s, Tensor) else values[s.cpu()].view(-1, 1, 1, 1)
    return picked.to(x.dtype)


def _images(seed: int) -> Tensor:
    return torch.rand(SHAPE, generator=_generator(seed), dtype=torch.float64) * 2 - 1


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed % 2**63)


def _max_error(a: Tensor, b: Tensor) -> float:
    return float((a - b).abs().max())


def _settings(max_examples: int) -> settings:
    return settings(max_examples=max_examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
