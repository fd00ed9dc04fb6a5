"""The one sampling loop that every sampler of this package shares.

A sampler walks a schedule of steps ``t = s_0 > s_1 > ... > s_n = 0``. At each step it asks the
restorer for ``x0_hat = R(x_s, s)`` and applies its update rule to get ``x_{s'}``; the samplers
differ only in that rule (Algorithms 1 and 2 of Bansal et al. (2022), the estimated-noise sampler of
A.6). Everything else lives here once: input checks, per-image steps, step skipping, callbacks,
the progress bar, no autograd, eval mode, and stopping on NaN.

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from .progress import ProgressBar
from .validation import (
    Step,
    check_count,
    check_images,
    check_noise_std,
    check_schedule,
    check_start,
)

Restorer = Callable[[Tensor, Step], Tensor]
"""``R(x, s)``: an estimate of the clean image ``x0`` from ``x_s``."""

Update = Callable[[Tensor, Tensor, Step, Step], Tensor]
"""``update(x_s, x0_hat, s, s_next) -> x_{s_next}``: a sampler's rule."""

Callback = Callable[[Step, Tensor, Tensor], None]
"""``callback(s, x_s, x0_hat)``: called after each step with the step reached, the images there
and the estimate that led there."""


def spaced_steps(t: int, count: int) -> list[int]:
    """``count`` evenly spaced jumps from ``t`` down to 0: the ``steps`` of a skipping sampler.

    The steps ``round(t (1 - k / count))``, ``k = 0..count``, without repeats (so fewer than
    ``count`` jumps when ``count > t``), for example ``spaced_steps(1000, 50)`` for DDIM's 50
    steps (``[1000, 980, ..., 20, 0]``).
    """
    t, count = check_count(t, "t"), check_count(count, "count", 1)
    steps = torch.linspace(t, 0, count + 1, dtype=torch.float64).round().long()
    return steps.unique_consecutive().tolist()


def sample(
    update: Update,
    R: Restorer,
    x_t: Tensor,
    t: Step,
    *,
    num_steps: int | None = None,
    steps: Sequence[int] | Tensor | None = None,
    callback: Callback | None = None,
    progress: bool = False,
    name: str = "sampling",
    noise_std: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Walk from ``x_t`` at step ``t`` down to step 0 with ``update``; return ``x_0``.

    ``R`` and the update rule see the step ``s`` in the form ``t`` was given: an int for an int,
    an int64 tensor of shape ``(B,)`` for a tensor. With a tensor, image ``i`` waits until the
    walk reaches ``t[i]`` and then moves with it, so the batch gives what each image would alone.

    Args:
        update: the sampler's rule.
        R: the restorer; an ``nn.Module`` is put in eval mode for the call and restored after.
        x_t: the degraded images, ``(B, C, H, W)``.
        t: their step.
        num_steps: ``T``, to check ``t`` against, if known.
        steps: a strictly decreasing sequence from ``t`` (or ``max(t)``) to 0 to visit; every
            step by default. Fewer steps mean fewer calls of ``R``.
        callback: called as ``callback(s, x_s, x0_hat)`` after each step.
        progress: show a progress bar on standard error.
        name: the sampler's name, for the progress bar and error messages.
        noise_std: add fresh Gaussian noise of this standard deviation to ``x_{s'}`` after
            each update that lands on a step ``s' >= 1`` (not on ``x_0``): the stochastic
            sampling of warm (blur plus noise) diffusion (Rissanen, Heinonen and Solin, 2023,
            "Generative Modelling With Inverse Heat Dissipation", arXiv:2206.13397, sampling
            with ``delta = 0.013``). 0, the default, is the deterministic sampler exactly.
        generator: the random generator of that noise (seed it for reproducible samples).

    Raises:
        ValueError: when ``x_t`` holds NaN or infinite values.
        FloatingPointError: when NaN or infinite values appear on the way (from ``R`` or the
            update), naming the step. ``R``'s output is taken in ``x_t``'s dtype.
    """
    x_t = check_images(x_t)
    t = check_start(t, x_t.shape[0], num_steps)
    _check_input(x_t, name)
    noise_std = check_noise_std(noise_std, name)
    per_image = isinstance(t, Tensor)
    start = int(t.max()) if per_image else t
    schedule = check_schedule(steps, start)
    current: Step = t.to(x_t.device) if per_image else t
    x = x_t
    with torch.no_grad(), _eval_mode(R), ProgressBar(
        len(schedule) - 1, name, enabled=progress, unit="steps"
    ) as bar:
        for s_next in schedule[1:]:
            if per_image:
                moving = current > s_next
                target = torch.where(moving, s_next, current)
            else:
                target = s_next
            x0_hat = _check_estimate(R(x, current), x, current, name)
            new = update(x, x0_hat, current, target)
            if noise_std:
                new = _add_noise(new, target, noise_std, generator)
            if per_image:
                new = torch.where(moving.view(-1, *([1] * (x.dim() - 1))), new, x)
            _check_finite(new, current, target, name)
            x, current = new, target
            if callback is not None:
                callback(current, x, x0_hat)
            bar.update()
    return x


def _add_noise(x: Tensor, s: Step, noise_std: float,
               generator: torch.Generator | None) -> Tensor:
    """``x + noise_std z`` for the images whose step ``s`` is at least 1."""
    device = generator.device if generator is not None else x.device
    z = torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype).to(x.device)
    if isinstance(s, Tensor):
        return x + noise_std * z * (s >= 1).view(-1, *([1] * (x.dim() - 1))).to(x.dtype)
    return x + noise_std * z if s >= 1 else x


def restore_once(R: Restorer, x_t: Tensor, t: Step, *, num_steps: int | None = None) -> Tensor:
    """``R(x_t, t)`` without autograd and in eval mode, with the checks of :func:`sample`."""
    x_t = check_images(x_t)
    t = check_start(t, x_t.shape[0], num_steps)
    _check_input(x_t, "direct")
    with torch.no_grad(), _eval_mode(R):
        x0_hat = R(x_t, t.to(x_t.device) if isinstance(t, Tensor) else t)
    return _check_estimate(x0_hat, x_t, t, "direct")


@contextmanager
def _eval_mode(R: Restorer) -> Iterator[None]:
    """Put every module of ``R`` in eval mode, then give each its own mode back."""
    if not isinstance(R, nn.Module):
        yield
        return
    modes = [(module, module.training) for module in R.modules()]
    R.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


def _check_input(x_t: Tensor, name: str) -> None:
    if not bool(torch.isfinite(x_t).all()):
        raise ValueError(f"{name}: x_t holds NaN or infinite values")


def _check_estimate(x0_hat: object, x: Tensor, s: Step, name: str) -> Tensor:
    """``R``'s output, checked: a tensor like ``x``, finite, in ``x``'s dtype."""
    if not isinstance(x0_hat, Tensor):
        raise TypeError(f"{name}: R(x_s, s) must return a tensor, got {type(x0_hat).__name__}")
    if x0_hat.shape != x.shape:
        raise ValueError(
            f"{name}: R(x_s, s) returned shape {tuple(x0_hat.shape)} for x_s of shape "
            f"{tuple(x.shape)} at s = {_show(s)}; R must return an image like its input"
        )
    if not bool(torch.isfinite(x0_hat).all()):
        raise FloatingPointError(f"{name}: R(x_s, s) returned NaN or infinite values at s = "
                                 f"{_show(s)}; stopped rather than return NaN images")
    return x0_hat.to(x.dtype)


def _check_finite(x: Tensor, s: Step, s_next: Step, name: str) -> None:
    """The update's result, checked (``R``'s estimate was, by :func:`_check_estimate`)."""
    if bool(torch.isfinite(x).all()):
        return
    raise FloatingPointError(
        f"{name}: NaN or infinite values in x_s at the step from s = {_show(s)} to "
        f"{_show(s_next)}: the update made them; stopped rather than return NaN images"
    )


def _show(s: Step) -> str:
    return str(s.tolist()) if isinstance(s, Tensor) else str(s)
