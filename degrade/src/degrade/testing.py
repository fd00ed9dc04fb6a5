"""Property checks for any degradation ``D(x, t)``: the built-in operators or your own.

Each check draws inputs with hypothesis and raises ``AssertionError`` (with the falsifying
example) when ``D`` breaks the protocol of section 3.1 of Bansal et al. (2022):

* :func:`check_identity`: ``D(x, 0) == x`` exactly;
* :func:`check_output_like_input`: shape, dtype and device of ``x`` kept, values finite;
* :func:`check_per_image_steps`: a batch with a step per image equals the per-image calls;
* :func:`check_deterministic`: fixed parameters give the same output, the same generator seed
  the same parameters;
* :func:`check_linearity`: ``D(a x + b y, t) = a D(x, t) + b D(y, t)`` where ``D`` is linear;
* :func:`check_adjoint`: ``<D(x, t), y> = <x, D.adjoint(y, t)>`` where ``D`` is linear;
* :func:`check_differentiable`: ``gradcheck`` in float64.

:func:`check_degradation` runs them all. ``D`` may be a :class:`degrade.Degradation` or any
callable ``D(x, t)`` with a ``num_steps`` attribute (or pass ``num_steps=``); operators with
random parameters provide ``sample_params(x, generator=...)``, and each parameter's first axis
is the batch.

Examples:
    >>> import torch
    >>> from degrade.testing import check_degradation
    >>> def darken(x, t):
    ...     return x - 0.1 * (x + 1) * torch.as_tensor(t, dtype=x.dtype).reshape(-1, 1, 1, 1)
    >>> darken.num_steps = 10
    >>> check_degradation(darken, shape=(2, 1, 8, 8), linear=False, max_examples=5)

Hypothesis settings come from the active profile (load one with ``derandomize=True`` for
reproducible runs, as this project's CI does); ``max_examples`` sets the number of draws.

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "degrade.testing needs hypothesis: pip install 'colddiff-degrade[testing]'"
    ) from error

__all__ = [
    "check_adjoint",
    "check_degradation",
    "check_deterministic",
    "check_differentiable",
    "check_identity",
    "check_linearity",
    "check_output_like_input",
    "check_per_image_steps",
]

Shape = Sequence[int]
_SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
_TOLERANCE = {torch.float64: 1e-9, torch.float32: 1e-4}


def check_degradation(
    D: Callable[..., Tensor],
    shape: Shape = (2, 3, 16, 16),
    *,
    linear: bool | None = None,
    num_steps: int | None = None,
    gradcheck: bool = True,
    device: torch.device | str = "cpu",
    max_examples: int = 10,
) -> None:
    """Run every check of this module on ``D`` for images of ``shape``.

    Args:
        D: the degradation.
        shape: ``(B, C, H, W)`` of the test images, ``B >= 2``.
        linear: check linearity in ``x``; by default ``D.is_linear`` (False if absent).
        num_steps: ``T``, for callables without a ``num_steps`` attribute.
        gradcheck: run the float64 gradient check (set False for operators that are not
            differentiable on purpose).
        device: where to build the test images.
        max_examples: hypothesis draws per check.
    """
    options = {"num_steps": num_steps, "device": device, "max_examples": max_examples}
    check_identity(D, shape, **options)
    check_output_like_input(D, shape, **options)
    check_per_image_steps(D, shape, **options)
    check_deterministic(D, shape, **options)
    if linear if linear is not None else getattr(D, "is_linear", False):
        check_linearity(D, shape, **options)
        if hasattr(D, "adjoint"):
            check_adjoint(D, shape, **options)
    if gradcheck:
        check_differentiable(D, shape, **options)


def check_identity(D: Callable[..., Tensor], shape: Shape, **options: Any) -> None:
    """``D(x, 0)`` returns ``x`` exactly, for an int 0 and for a tensor of zeros."""
    _, device, runs = _options(D, options)

    @runs
    @given(seed=_SEEDS)
    def identity(seed: int) -> None:
        x, params = _draw(D, shape, seed, torch.float32, device)
        for t in (0, torch.zeros(shape[0], dtype=torch.int64, device=device)):
            out = D(x, t, **params)
            assert torch.equal(out, x), (
                f"D(x, 0) differs from x by {_max_error(out, x)} (t given as {type(t).__name__})"
            )

    identity()


def check_output_like_input(
    D: Callable[..., Tensor], shape: Shape, **options: Any
) -> None:
    """``D(x, t)`` has the shape, dtype and device of ``x``, and finite values."""
    T, device, runs = _options(D, options)

    @runs
    @given(seed=_SEEDS, t=st.integers(0, T), dtype=st.sampled_from([torch.float32, torch.float64]))
    def like_input(seed: int, t: int, dtype: torch.dtype) -> None:
        x, params = _draw(D, shape, seed, dtype, device)
        out = D(x, t, **params)
        assert isinstance(out, Tensor), f"D(x, {t}) returned {type(out).__name__}, not a tensor"
        assert out.shape == x.shape, f"D(x, {t}) has shape {tuple(out.shape)}, x {tuple(x.shape)}"
        assert out.dtype == x.dtype, f"D(x, {t}) has dtype {out.dtype}, x {x.dtype}"
        assert out.device == x.device, f"D(x, {t}) is on {out.device}, x on {x.device}"
        assert bool(torch.isfinite(out).all()), f"D(x, {t}) has NaN or infinite values"

    like_input()


def check_per_image_steps(
    D: Callable[..., Tensor], shape: Shape, **options: Any
) -> None:
    """``D(x, t)`` with ``t`` of shape ``(B,)`` equals ``D(x[i:i+1], t[i])`` for each image."""
    T, device, runs = _options(D, options)
    batch = shape[0]

    @runs
    @given(seed=_SEEDS, steps=st.lists(st.integers(0, T), min_size=batch, max_size=batch))
    def per_image(seed: int, steps: list[int]) -> None:
        x, params = _draw(D, shape, seed, torch.float64, device)
        t = torch.tensor(steps, device=device)
        out = D(x, t, **params)
        for i, step in enumerate(steps):
            alone = D(x[i : i + 1], step, **{k: v[i : i + 1] for k, v in params.items()})
            error = _max_error(out[i : i + 1], alone)
            assert error <= _tolerance(alone), (
                f"image {i} of a batch with t = {steps} differs from D(x[{i}:{i + 1}], {step}) "
                f"by {error}"
            )

    per_image()


def check_deterministic(
    D: Callable[..., Tensor], shape: Shape, **options: Any
) -> None:
    """Equal inputs and parameters give equal outputs; equal seeds give equal parameters."""
    T, device, runs = _options(D, options)

    @runs
    @given(seed=_SEEDS, t=st.integers(0, T))
    def deterministic(seed: int, t: int) -> None:
        x, params = _draw(D, shape, seed, torch.float32, device)
        _, again = _draw(D, shape, seed, torch.float32, device)
        for name, value in params.items():
            assert torch.equal(value, again[name]), (
                f"sample_params drew different {name!r} from the same generator seed"
            )
        first, second = D(x, t, **params), D(x, t, **params)
        assert torch.equal(first, second), (
            f"two calls of D(x, {t}) with the same parameters differ by {_max_error(first, second)}"
        )

    deterministic()


def check_linearity(D: Callable[..., Tensor], shape: Shape, **options: Any) -> None:
    """``D(a x + b y, t) = a D(x, t) + b D(y, t)`` for the same parameters (float64)."""
    T, device, runs = _options(D, options)
    scalars = st.floats(-2, 2, allow_nan=False, allow_infinity=False)

    @runs
    @given(seed=_SEEDS, t=st.integers(0, T), a=scalars, b=scalars)
    def linear(seed: int, t: int, a: float, b: float) -> None:
        x, params = _draw(D, shape, seed, torch.float64, device)
        y = _image(shape, seed + 1, torch.float64, device)
        combined = D(a * x + b * y, t, **params)
        expected = a * D(x, t, **params) + b * D(y, t, **params)
        error = _max_error(combined, expected)
        assert error <= _tolerance(expected), (
            f"D is not linear at t = {t}: D(a x + b y) - (a D(x) + b D(y)) reaches {error} "
            f"for a = {a}, b = {b}"
        )

    linear()


def check_adjoint(D: Callable[..., Tensor], shape: Shape, **options: Any) -> None:
    """``<D(x, t), y> = <x, D.adjoint(y, t)>`` for the same parameters (float64), for a
    linear ``D`` with an ``adjoint`` method."""
    T, device, runs = _options(D, options)
    if not hasattr(D, "adjoint"):
        raise AssertionError("D is linear but has no adjoint(y, t, **params) method")

    @runs
    @given(seed=_SEEDS, t=st.integers(0, T))
    def adjoint(seed: int, t: int) -> None:
        x, params = _draw(D, shape, seed, torch.float64, device)
        y = _image(shape, seed + 1, torch.float64, device)
        forward = (D(x, t, **params) * y).sum()
        backward = (x * D.adjoint(y, t, **params)).sum()
        error = abs(float(forward - backward))
        scale = max(1.0, float(x.abs().sum()), float(y.abs().sum()))
        assert error <= 1e-10 * scale, (
            f"<D(x, {t}), y> = {float(forward)} but <x, D.adjoint(y, {t})> = {float(backward)}"
        )

    adjoint()


def check_differentiable(
    D: Callable[..., Tensor], shape: Shape, **options: Any
) -> None:
    """Gradients of ``D(x, t)`` with respect to ``x`` match finite differences (float64); for
    an operator that rounds (``D.differentiable`` False) the gradient must reach ``x``, finite
    and not all zero, and finite differences do not apply."""
    T, device, runs = _options(D, options)
    exact = getattr(D, "differentiable", True)

    @runs
    @given(seed=_SEEDS, t=st.integers(1, T))
    def differentiable(seed: int, t: int) -> None:
        x, params = _draw(D, shape, seed, torch.float64, device)
        x.requires_grad_(True)
        out = D(x, t, **params)
        assert out.requires_grad, f"D(x, {t}) is detached from x: no gradient flows"
        if not exact:
            (gradient,) = torch.autograd.grad(out.sum(), x)
            assert bool(torch.isfinite(gradient).all()) and bool(gradient.abs().sum() > 0), \
                f"D(x, {t}) rounds, and its gradient does not reach x"
            return
        try:
            torch.autograd.gradcheck(lambda image: D(image, t, **params), (x,), fast_mode=True)
        except RuntimeError as error:
            raise AssertionError(f"gradcheck failed at t = {t}: {error}") from error

    differentiable()


def _options(D: Callable[..., Tensor], options: dict[str, Any]):
    num_steps = options.get("num_steps") or getattr(D, "num_steps", None)
    if num_steps is None:
        raise TypeError("D has no num_steps attribute: pass num_steps=T")
    runs = settings(
        max_examples=options.get("max_examples", 10),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    return int(num_steps), torch.device(options.get("device", "cpu")), runs


def _image(shape: Shape, seed: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    generator = torch.Generator().manual_seed(seed % 2**63)
    return (torch.rand(tuple(shape), generator=generator, dtype=dtype) * 2 - 1).to(device)


def _draw(
    D: Callable[..., Tensor],
    shape: Shape,
    seed: int,
    dtype: torch.dtype,
    device: torch.device,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Images in [-1, 1] and, for random operators, parameters from the same seed."""
    x = _image(shape, seed, dtype, device)
    sample = getattr(D, "sample_params", None)
    if sample is None:
        return x, {}
    return x, sample(x, generator=torch.Generator().manual_seed(seed % 2**63))


def _max_error(a: Tensor, b: Tensor) -> float:
    return float((a.detach().double() - b.detach().double()).abs().max())


def _tolerance(reference: Tensor) -> float:
    scale = max(1.0, float(reference.detach().abs().max()))
    return _TOLERANCE.get(reference.dtype, 1e-2) * scale
