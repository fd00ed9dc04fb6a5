"""Soft diffusion's Momentum Sampler: a denoising step, then a TACoS-like corruption step
(Daras et al., 2022).

The diffusion is ``x_t = C_t x0 + s_t eta`` for linear corruptions ``C_t`` and noise levels
``s_t`` (``degrade.SoftCorruption``). Any object with the methods of :class:`SoftDiffusion` will
do: this package never imports ``degrade``.

References: Daras, Delbracio, Talebi, Dimakis and Milanfar, 2022, "Soft Diffusion: Score
Matching for General Corruptions", arXiv:2209.05442 (TMLR 2023), the Momentum Sampler;
Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without Noise",
arXiv:2208.09392, Algorithm 2 (TACoS); Song, Meng and Ermon, 2021, "Denoising Diffusion
Implicit Models", arXiv:2010.02502 (the deterministic variant's noise step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch
from torch import Tensor

from .loop import Callback, Restorer, sample
from .validation import Step


class SoftDiffusion(Protocol):
    """What :func:`momentum` needs of a diffusion ``x_t = C_t x0 + s_t eta``."""

    num_steps: int

    def corrupt(self, x: Tensor, t: Step) -> Tensor:
        """``C_t x``, the linear corruption without noise; ``C_0 x = x``."""
        ...

    def noise_level(self, t: Step) -> Tensor:
        """``s_t`` (``s_0 = 0``), a number per image."""
        ...


def momentum(
    R: Restorer,
    D: SoftDiffusion,
    x_t: Tensor,
    t: Step,
    *,
    steps: Sequence[int] | Tensor | None = None,
    stochastic: bool = True,
    callback: Callback | None = None,
    progress: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Soft diffusion's Momentum Sampler (Daras et al., 2022) from ``x_t`` to ``x_0``.

    From step ``s`` to ``s'`` with ``x0_hat = R(x_s, s)`` and ``y_s = C_s x0_hat``:

    1. a denoising step at the corruption of ``s``, the reverse-diffusion step of the
       variance-exploding SDE from noise level ``s_s`` to ``s_{s'}`` with the score
       ``(y_s - x_s) / s_s^2`` that soft score matching learns:
       ``z = x_s + (1 - s_{s'}^2 / s_s^2) (y_s - x_s) + sqrt(s_s^2 - s_{s'}^2) eta``;
    2. a corruption step, TACoS's (Algorithm 2 of Bansal et al., 2022):
       ``x_{s'} = z - C_s x0_hat + C_{s'} x0_hat``.

    Without noise (``s_s = 0``) the first step does nothing and the sampler is TACoS exactly.
    The step to ``s' = 0`` (``s_0 = 0``) adds no fresh noise and ends at ``x0_hat``, as the
    loop's other samplers do. ``stochastic=False`` replaces step 1 by DDIM's
    deterministic one (Song et al., 2021): the noise ``x_s - y_s`` the network implies is kept
    and scaled to the next level, ``z = y_s + (s_{s'} / s_s) (x_s - y_s)``; with the true
    ``x0`` as ``R`` it then visits ``D(x0, s)`` with the same noise at every step. That variant
    is ours, not the paper's.

    Args:
        R: the restorer ``R(x_s, s) ~ x0`` (``restore``'s ``soft`` objective trains one).
        D: the diffusion, with :meth:`SoftDiffusion.corrupt` and
            :meth:`SoftDiffusion.noise_level` (``degrade.SoftCorruption``).
        x_t: the images at step ``t``.
        t: their step, an int or an integer tensor of shape ``(B,)``.
        steps: a strictly decreasing sequence from ``t`` to 0 (fewer calls of ``R``).
        stochastic: the paper's sampler (fresh noise at each step); False for the
            deterministic variant.
        callback: ``callback(s, x_s, x0_hat)`` after each step.
        progress: show a progress bar.
        generator: the random generator of the fresh noise.

    Returns:
        ``x_0``, the generated or restored images.

    Examples:
        >>> import torch, samplers
        >>> x0 = torch.rand(2, 1, 8, 8) * 2 - 1
        >>> class Fade:  # C_t x = (1 - t/10) x, s_t = 0.05 t
        ...     num_steps = 10
        ...     def corrupt(self, x, t):
        ...         return (1 - t / 10) * x
        ...     def noise_level(self, t):
        ...         return torch.as_tensor(0.05 * t, dtype=torch.float64)
        >>> D = Fade()
        >>> x_T = D.corrupt(x0, 10) + D.noise_level(10) * torch.randn_like(x0)
        >>> x_0 = samplers.momentum(lambda x, s: x0, D, x_T, 10)
        >>> bool(torch.allclose(x_0, x0))
        True
    """
    num_steps = getattr(D, "num_steps", None)
    missing = [m for m in ("corrupt", "noise_level") if not callable(getattr(D, m, None))]
    if missing:
        raise TypeError("momentum needs a soft diffusion x_t = C_t x0 + s_t eta "
                        f"(degrade.SoftCorruption); {type(D).__name__} lacks "
                        f"{', '.join(missing)}")

    def update(x_s: Tensor, x0_hat: Tensor, s: Step, s_next: Step) -> Tensor:
        y_s = D.corrupt(x0_hat, s)
        now, then = _level(D, s, x_s), _level(D, s_next, x_s)
        ratio = torch.where(now > 0, then / now.clamp(min=torch.finfo(now.dtype).tiny),
                            torch.ones_like(now))
        if stochastic:
            z = y_s + ratio**2 * (x_s - y_s)
            fresh = (now**2 - then**2).clamp(min=0).sqrt() * _above_zero(s_next, now)
            if bool((fresh > 0).any()):
                device = generator.device if generator is not None else x_s.device
                eta = torch.randn(x_s.shape, generator=generator, device=device,
                                  dtype=x_s.dtype).to(x_s.device)
                z = z + fresh * eta
        else:
            z = y_s + ratio * (x_s - y_s)
        return z - y_s + D.corrupt(x0_hat, s_next)

    return sample(update, R, x_t, t, num_steps=num_steps, steps=steps, callback=callback,
                  progress=progress, name="momentum")


def _above_zero(s: Step, like: Tensor) -> Tensor:
    """1 where the step ``s`` is at least 1, 0 where it is 0, shaped as ``like``: the step to
    ``x_0`` lands on the estimate and adds no fresh noise."""
    return (torch.as_tensor(s, device=like.device) > 0).to(like.dtype).view(like.shape)


def _level(D: SoftDiffusion, s: Step, x: Tensor) -> Tensor:
    """``s_s`` as a column ``(B, 1, 1, 1)`` (a scalar tensor for an int step), in ``x``'s
    dtype."""
    level = torch.as_tensor(D.noise_level(s)).to(x.device, x.dtype)
    return level.view(-1, *([1] * (x.dim() - 1))) if isinstance(s, Tensor) else level.reshape(())
