"""Cold sampling: Algorithm 1 (naive) and Algorithm 2 (TACoS) of Bansal et al. (2022), section 3.2.

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392; for the optional noise term, Rissanen, Heinonen and Solin, 2023,
"Generative Modelling With Inverse Heat Dissipation", arXiv:2206.13397.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from .loop import Callback, Restorer, restore_once, sample
from .validation import Step

Degradation = Callable[[Tensor, Step], Tensor]
"""``D(x, s)``: any degradation callable; a ``num_steps`` attribute, if present, bounds ``t``."""


def tacos(
    R: Restorer,
    D: Degradation,
    x_t: Tensor,
    t: Step,
    *,
    steps: Sequence[int] | Tensor | None = None,
    callback: Callback | None = None,
    progress: bool = False,
    noise_std: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Transformation Agnostic Cold Sampling (Algorithm 2 of Bansal et al. (2022)).

    For ``s = t, t - 1, ..., 1``: ``x0_hat = R(x_s, s)`` and
    ``x_{s-1} = x_s - D(x0_hat, s) + D(x0_hat, s - 1)``. With ``steps`` the walk skips steps,
    ``x_{s'} = x_s - D(x0_hat, s) + D(x0_hat, s')``. For ``D(x, s) = x + s e`` it returns ``x0``
    whatever ``R`` is (section 3.3).

    Args:
        R: the restorer ``R(x, s)``, any callable; an ``nn.Module`` runs in eval mode.
        D: the degradation ``D(x, s)``, any callable (bind random parameters first, for
            example ``D.bind(**params)`` for a ``degrade`` operator).
        x_t: the degraded images ``(B, C, H, W)``.
        t: their step: an int, or an integer tensor of shape ``(B,)``. ``R`` and ``D`` are called
            with steps of the same form.
        steps: a strictly decreasing sequence from ``t`` (``max(t)`` for a tensor) to 0.
        callback: ``callback(s, x_s, x0_hat)`` after each step.
        progress: show a progress bar.
        noise_std: fresh Gaussian noise of this standard deviation added after each step
            that lands on ``s >= 1``, seeded by ``generator`` (warm diffusion; Rissanen et al.
            (2023) sample with 0.013). 0, the default, is Algorithm 2 exactly.
        generator: the random generator of that noise.

    Returns:
        ``x_0``, the restored images.

    Examples:
        >>> import torch, samplers
        >>> e = torch.randn(1, 3, 8, 8)
        >>> D = lambda x, s: x + s * e
        >>> R = lambda x, s: torch.tanh(x)  # a poor restorer
        >>> x0 = torch.rand(2, 3, 8, 8)
        >>> bool(torch.allclose(samplers.tacos(R, D, D(x0, 10), 10), x0, atol=1e-5))
        True
    """

    def update(x_s: Tensor, x0_hat: Tensor, s: Step, s_next: Step) -> Tensor:
        return x_s - D(x0_hat, s) + D(x0_hat, s_next)

    return sample(update, R, x_t, t, num_steps=getattr(D, "num_steps", None), steps=steps,
                  callback=callback, progress=progress, name="tacos", noise_std=noise_std,
                  generator=generator)


def naive(
    R: Restorer,
    D: Degradation,
    x_t: Tensor,
    t: Step,
    *,
    steps: Sequence[int] | Tensor | None = None,
    callback: Callback | None = None,
    progress: bool = False,
    noise_std: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Naive sampling (Algorithm 1 of Bansal et al. (2022)): ``x_{s-1} = D(R(x_s, s), s - 1)``.

    The standard update of diffusion models, written for any ``D``; with ``steps``,
    ``x_{s'} = D(x0_hat, s')``. It compounds the errors of an imperfect ``R`` on smooth cold
    degradations (section 3.3); use :func:`tacos` there. Arguments as for :func:`tacos`
    (``noise_std`` adds noise after each step as there).
    """

    def update(x_s: Tensor, x0_hat: Tensor, s: Step, s_next: Step) -> Tensor:
        return D(x0_hat, s_next)

    return sample(update, R, x_t, t, num_steps=getattr(D, "num_steps", None), steps=steps,
                  callback=callback, progress=progress, name="naive", noise_std=noise_std,
                  generator=generator)


def direct(R: Restorer, x_t: Tensor, t: Step, *, num_steps: int | None = None) -> Tensor:
    """The one-shot reconstruction ``R(x_t, t)`` (the "Direct" columns of the paper's tables).

    Runs without autograd and with an ``nn.Module`` in eval mode, like the loops.
    """
    return restore_once(R, x_t, t, num_steps=num_steps)


def previous_step(
    R: Restorer,
    x_t: Tensor,
    t: Step,
    *,
    num_steps: int | None = None,
    callback: Callback | None = None,
    progress: bool = False,
    noise_std: float = 0.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Inverse heat dissipation's sampler: ``x_{s-1} = R(x_s, s) + noise_std z``.

    For a network that predicts the image one step less degraded (``restore``'s ``previous``
    objective; eq. 6 and Algorithm 2 of Rissanen, Heinonen and Solin, 2023, "Generative
    Modelling With Inverse Heat Dissipation", arXiv:2206.13397), walking every step from ``t``
    to 0. The noise, fresh at each step to ``s >= 1`` and seeded by ``generator``, is what
    makes the walk generate varied images (they sample with ``delta = 0.013`` for images in
    [0, 1]: 0.026 for images in [-1, 1]). The callback's ``x0_hat`` is ``R``'s prediction of
    ``x_{s-1}``. Arguments otherwise as for :func:`tacos`; ``num_steps`` bounds ``t``.
    """

    def update(x_s: Tensor, previous: Tensor, s: Step, s_next: Step) -> Tensor:
        return previous

    return sample(update, R, x_t, t, num_steps=num_steps, callback=callback, progress=progress,
                  name="previous_step", noise_std=noise_std, generator=generator)
