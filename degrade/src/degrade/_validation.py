"""Input checks shared by every operator, so that bad input fails early with a clear message."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
from torch import Tensor

Step = int | Tensor
"""A step ``t``: a Python int, or an integer tensor of shape ``(B,)`` (a step per image)."""


def check_image(x: object, *, channels: int | None = None, name: str = "x") -> Tensor:
    """Check that ``x`` is a ``(B, C, H, W)`` floating-point tensor with the required channels."""
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape (B, C, H, W), got {type(x).__name__}"
        )
    if x.dim() != 4:
        raise ValueError(
            f"{name} must have 4 dimensions (B, C, H, W), got shape {tuple(x.shape)}"
            + (": add a batch axis with x[None]" if x.dim() == 3 else "")
        )
    if not x.is_floating_point():
        hint = ": convert 8-bit images with x.float() / 127.5 - 1" if x.dtype == torch.uint8 else ""
        raise TypeError(f"{name} must be a floating-point tensor in [-1, 1], got {x.dtype}{hint}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"this operator needs {channels}-channel images, got {x.shape[1]} channel(s)"
        )
    if 0 in x.shape[1:]:
        raise ValueError(f"{name} has no pixels: shape {tuple(x.shape)} (C, H and W must be at "
                         "least 1)")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} holds NaN or infinite values: degradations take finite "
                         "images in [-1, 1]")
    return x


def as_steps(t: object, *, batch_size: int, num_steps: int, device: torch.device) -> Tensor:
    """Return ``t`` as a ``(B,)`` int64 tensor on ``device``, checking ``0 <= t <= num_steps``."""
    if isinstance(t, bool) or (isinstance(t, Tensor) and t.dtype == torch.bool):
        raise TypeError("t must be an integer step, got a bool")
    if isinstance(t, Tensor):
        if t.is_floating_point() or t.is_complex():
            raise TypeError(f"t must be an integer tensor, got dtype {t.dtype}: use t.long()")
        if t.dim() == 0:
            t = t.expand(batch_size)
        elif t.dim() != 1 or t.shape[0] != batch_size:
            raise ValueError(
                f"a tensor t must have shape (B,) = ({batch_size},), one step per image; "
                f"got shape {tuple(t.shape)}"
            )
        steps = t.to(device=device, dtype=torch.int64)
        if steps.numel() and (bool((steps < 0).any()) or bool((steps > num_steps).any())):
            bad = steps[(steps < 0) | (steps > num_steps)][0].item()
            raise ValueError(f"t must satisfy 0 <= t <= T = {num_steps}, got a step of {bad}")
        return steps
    if isinstance(t, numbers.Integral):
        t = int(t)
        if not 0 <= t <= num_steps:
            raise ValueError(f"t must satisfy 0 <= t <= T = {num_steps}, got {t}")
        return torch.full((batch_size,), t, dtype=torch.int64, device=device)
    if isinstance(t, numbers.Real):
        raise TypeError(f"t must be an integer step, got {t!r}: steps are whole numbers 0..T")
    raise TypeError(f"t must be an int or an integer tensor of shape (B,), got {type(t).__name__}")


MAX_STEPS = 1_000_000
"""The most steps ``T`` an operator takes: the papers use 3 to 1,000."""


def check_num_steps(num_steps: object) -> int:
    """Check that ``T`` is a positive integer."""
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral):
        raise TypeError(f"the number of steps T must be an int, got {num_steps!r}")
    if num_steps < 1:
        raise ValueError(f"the number of steps T must be at least 1, got {num_steps}")
    if num_steps > MAX_STEPS:
        raise ValueError(f"the number of steps T must be at most {MAX_STEPS:,}, got "
                         f"{num_steps:,}: operators keep tables of a few numbers per step")
    return int(num_steps)


def as_schedule(
    name: str, values: Sequence[float] | Tensor, *, positive: bool = False
) -> Tensor:
    """Return per-step schedule values as a 1-D float64 tensor, refusing NaN and infinities."""
    try:
        tensor = torch.as_tensor(values, dtype=torch.float64).detach().cpu().clone()
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"{name} must be a sequence of numbers, got {values!r}") from error
    if tensor.dim() != 1 or tensor.numel() == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence, got shape {tuple(tensor.shape)}"
        )
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name} must be finite, got {tensor.tolist()}")
    if positive and bool((tensor <= 0).any()):
        raise ValueError(f"{name} must be positive, got {tensor.tolist()}")
    return tensor


def check_number(name: str, value: object, *, positive: bool = False) -> float:
    """Check that a scalar parameter is a finite real number (and positive if asked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """Half-precision inputs are computed in float32 (FFTs and cumulative products need it)."""
    return dtype if dtype in (torch.float32, torch.float64) else torch.float32


def as_levels(name: str, values: object, num_steps: int, *, symbol: str, increasing: bool,
              why: str) -> Tensor:
    """Per-step levels ``v_1 .. v_T`` (one number for every step, or ``T`` of them) as a
    float64 tensor, checked: finite, non-negative and monotone in ``t`` (non-decreasing when
    ``increasing``, else non-increasing; ``why`` says why in the error)."""
    if isinstance(values, numbers.Real) and not isinstance(values, bool):
        value = check_number(name, values)
        if value < 0:
            raise ValueError(f"{name} must be non-negative, got {value:g}")
        return torch.full((num_steps,), value, dtype=torch.float64)
    levels = as_schedule(name, values)
    if len(levels) != num_steps:
        raise ValueError(f"{name} must be a number or {symbol}_1 .. {symbol}_T ({num_steps} "
                         f"values), got {len(levels)}")
    if bool((levels < 0).any()):
        raise ValueError(f"{name} must be non-negative")
    wrong = levels[1:] < levels[:-1] if increasing else levels[1:] > levels[:-1]
    if bool(wrong.any()):
        change = "decrease" if increasing else "increase"
        raise ValueError(f"{symbol}_t must not {change} with t: {why}")
    return levels
