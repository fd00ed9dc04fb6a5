"""Checks on the samplers' inputs: the images, the starting step, the step schedule and the
standard deviation of added noise."""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence

import torch
from torch import Tensor

Step = int | Tensor
"""A step: a Python int, or an integer tensor of shape ``(B,)`` (a step per image)."""


def check_count(value: object, name: str, minimum: int = 0) -> int:
    """A whole number ``>= minimum`` as a Python int: an ``int`` or any integer scalar
    (``np.int64``, a 0-d integer tensor), not a bool or a float such as 2.5."""
    if isinstance(value, Tensor) and value.dim() == 0 and not value.is_floating_point() \
            and value.dtype != torch.bool:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def check_noise_std(noise_std: object, where: str | None = None) -> float:
    """A finite, non-negative standard deviation of added noise (samplers and priors): any real
    number (``np.float32`` too), not a bool."""
    if isinstance(noise_std, bool) or not isinstance(noise_std, numbers.Real) or \
            not math.isfinite(noise_std) or noise_std < 0:
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}noise_std must be a finite number >= 0, got {noise_std!r}")
    return float(noise_std)


def check_images(x: object, name: str = "x_t") -> Tensor:
    """Check that ``x`` is a floating-point tensor with a batch axis."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() < 2:
        raise ValueError(f"{name} must have a batch axis, (B, C, H, W); got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} holds no images: its batch axis is empty")
    return x


def check_start(t: object, batch_size: int, num_steps: int | None) -> Step:
    """Check the starting step: an int, or an integer tensor of shape ``(B,)``, in ``0..T``."""
    limit = f" <= T = {num_steps}" if num_steps is not None else ""
    if isinstance(t, bool) or (isinstance(t, Tensor) and t.dtype == torch.bool):
        raise TypeError("t must be an integer step, got a bool")
    if isinstance(t, Tensor):
        if t.is_floating_point() or t.is_complex():
            raise TypeError(f"t must be an integer tensor, got dtype {t.dtype}: use t.long()")
        if t.dim() != 1 or t.shape[0] != batch_size:
            raise ValueError(
                f"a tensor t must have shape (B,) = ({batch_size},), one step per image; "
                f"got shape {tuple(t.shape)}"
            )
        if bool((t < 0).any()) or (num_steps is not None and bool((t > num_steps).any())):
            raise ValueError(f"t must satisfy 0 <= t{limit}, got {t.tolist()}")
        return t.long()
    if not isinstance(t, numbers.Integral):
        raise TypeError(f"t must be an int or an integer tensor of shape (B,), got {t!r}")
    if t < 0 or (num_steps is not None and t > num_steps):
        raise ValueError(f"t must satisfy 0 <= t{limit}, got {t}")
    return int(t)


def check_schedule(steps: Sequence[int] | Tensor | None, start: int) -> list[int]:
    """The steps to visit, from ``start`` down to 0: every step by default, else ``steps``."""
    if steps is None:
        return list(range(start, -1, -1))
    if isinstance(steps, Tensor):
        steps = steps.tolist()
    steps = list(steps)
    if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in steps):
        raise TypeError(f"steps must be integers, got {steps}")
    steps = [int(s) for s in steps]
    if not steps or steps[0] != start:
        first = steps[0] if steps else "nothing"
        raise ValueError(f"steps must start at t = {start}, got {first}")
    if steps[-1] != 0:
        raise ValueError(f"steps must end at 0, got {steps[-1]}")
    for before, after in itertools.pairwise(steps):
        if after >= before:
            raise ValueError(
                f"steps must be strictly decreasing: {before} is followed by {after} in {steps}"
            )
    return steps
