"""InDI's small-step restoration: Inversion by Direct Iteration (Delbracio and Milanfar, 2023).

References: Delbracio and Milanfar, 2023, "Inversion by Direct Iteration: An Alternative to
Denoising Diffusion for Image Restoration", TMLR, arXiv:2303.11435.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from .cold import Degradation
from .loop import Callback, Restorer, sample
from .validation import Step


def indi(
    R: Restorer,
    D: Degradation,
    x_t: Tensor,
    t: Step,
    *,
    steps: Sequence[int] | Tensor | None = None,
    sigma: float | Sequence[float] | Tensor = 0.0,
    callback: Callback | None = None,
    progress: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Walk InDI's straight path ``x_s = (1 - s/T) x0 + (s/T) y`` back from the observation.

    Section 3 of Delbracio and Milanfar (2023), in steps ``s`` of ``T``: with
    ``x0_hat = R(x_s, s)``,

    ``x_{s'} = ((s - s') / s) x0_hat + (s' / s) x_s + (s' / T) sqrt(sigma_{s'}^2 - sigma_s^2) z``,

    their ``x_{t - delta} = (delta / t) F(x_t, t) + (1 - delta / t) x_t + (t - delta)
    sqrt(sigma_{t-delta}^2 - sigma_t^2) z`` with ``t = s/T`` and ``delta = (s - s')/T``. The
    update needs neither ``D`` nor ``y``: the path's end is implied by ``x_s`` and ``x0_hat``,
    so InDI restores paired data whose degradation has no formula. With the true ``x0`` as
    ``R`` it visits ``D(x0, s)`` and ends at ``x0`` (with noise: in distribution on the way,
    exactly at the end, where ``s' / T = 0``).

    Args:
        R: the restorer ``R(x_s, s) ~ x0`` trained on the path (``degrade.DirectIteration``).
        D: the path; only its ``num_steps`` (``T``) is read.
        x_t: the images at step ``t``: the observations ``y`` at ``t = T``.
        t: their step, an int or an integer tensor of shape ``(B,)``.
        steps: a strictly decreasing sequence from ``t`` to 0 (fewer calls of ``R``).
        sigma: the path's noise level, as the operator's: a number (no fresh noise; InDI's
            constant scheme) or ``sigma_1 .. sigma_T``, non-increasing in ``t``
            (``D.sigma`` of ``degrade.DirectIteration``).
        callback: ``callback(s, x_s, x0_hat)`` after each step.
        progress: show a progress bar.
        generator: the random generator of the fresh noise.

    Returns:
        ``x_0``, the restored images.

    Examples:
        >>> import torch, samplers
        >>> x0, y = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
        >>> class Path:
        ...     num_steps = 10
        ...     def __call__(self, x, s):
        ...         return (1 - s / 10) * x + s / 10 * y
        >>> D = Path()
        >>> visited = []
        >>> x_0 = samplers.indi(lambda x, s: x0, D, y, 10,
        ...                     callback=lambda s, x_s, x0_hat: visited.append(x_s))
        >>> bool(torch.allclose(visited[3], D(x0, 6))), bool(torch.allclose(x_0, x0))
        (True, True)
    """
    num_steps = getattr(D, "num_steps", None)
    if not isinstance(num_steps, int) or isinstance(num_steps, bool) or num_steps < 1:
        raise TypeError("indi reads T from D.num_steps: give D a positive int num_steps "
                        f"attribute, got {num_steps!r}")
    sigmas = _sigmas(sigma, num_steps)
    noisy = bool((sigmas > 0).any())

    def update(x_s: Tensor, x0_hat: Tensor, s: Step, s_next: Step) -> Tensor:
        now, then = _column(s, x_s), _column(s_next, x_s)
        keep = torch.where(now > 0, then / now.clamp(min=1), torch.ones_like(now))
        new = keep * x_s + (1 - keep) * x0_hat
        if noisy:
            variance = (sigmas[_index(s_next)] ** 2 - sigmas[_index(s)] ** 2).clamp(min=0)
            scale = then / num_steps * variance.sqrt().to(x_s).view(-1, 1, 1, 1)
            device = generator.device if generator is not None else x_s.device
            z = torch.randn(x_s.shape, generator=generator, device=device, dtype=x_s.dtype)
            new = new + scale * z.to(x_s.device)
        return new

    return sample(update, R, x_t, t, num_steps=num_steps, steps=steps, callback=callback,
                  progress=progress, name="indi")


def _column(s: Step, x: Tensor) -> Tensor:
    """The step as a float column ``(B, 1, 1, 1)`` (or a scalar tensor) in ``x``'s dtype."""
    return torch.as_tensor(s, dtype=x.dtype, device=x.device).view(-1, *([1] * (x.dim() - 1)))


def _index(s: Step) -> Tensor:
    return torch.as_tensor(s).cpu().view(-1)


def _sigmas(sigma: float | Sequence[float] | Tensor, num_steps: int) -> Tensor:
    """``sigma_0 .. sigma_T`` (``sigma_0 = sigma_1``, never used with a non-zero weight),
    float64, checked: finite, non-negative, not increasing with ``t``."""
    if isinstance(sigma, bool):
        raise TypeError(f"sigma must be a number or a sequence of numbers, got {sigma!r}")
    try:
        values = torch.as_tensor(sigma, dtype=torch.float64).detach().cpu().reshape(-1)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"sigma must be a number or a sequence of numbers, got {sigma!r}") \
            from error
    if values.numel() == 1:
        values = values.expand(num_steps)
    if values.numel() != num_steps:
        raise ValueError(f"sigma must be a number or sigma_1 .. sigma_T ({num_steps} values), "
                         f"got {values.numel()}")
    if not bool(torch.isfinite(values).all()) or bool((values < 0).any()):
        raise ValueError("sigma must be finite and non-negative")
    if bool((values[1:] > values[:-1]).any()):
        raise ValueError("sigma_s must not increase with s: each step back adds the variance "
                         "sigma_{s'}^2 - sigma_s^2 (section 3 of Delbracio and Milanfar, 2023)")
    return torch.cat([values[:1], values])
