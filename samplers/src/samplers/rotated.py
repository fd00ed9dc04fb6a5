"""Samplers for diffusion in a rotated basis: blur diffusion (Lee et al., 2022, section 3) and
blurring diffusion (Hoogeboom and Salimans, 2023).

The process ``x_i = U Abar_i^{1/2} U^T x0 + U Nbar_i^{1/2} U^T eps`` is described by any object
with the methods of :class:`RotatedDiffusion` (``degrade.BlurDiffusion`` and
``degrade.BlurringDiffusion`` have them): the signal ``Abar_i`` and the noise ``Nbar_i``,
diagonal in the basis ``U``. Blur diffusion is variance preserving, ``Nbar_i = I - Abar_i`` (the
default where ``D`` has no ``noise_variance``); blurring diffusion's noise is white,
``Nbar_i = sigma_i^2 I``. The model is a noise predictor ``eps_model(x_i, i) -> eps_hat``. With
``U = I`` and ``Abar_i = abar_i I`` the samplers are those of standard diffusion.

References: Lee et al., 2022, "Progressive Deblurring of Diffusion Models for Coarse-to-Fine
Image Synthesis", arXiv:2207.11192; Hoogeboom and Salimans, 2023, "Blurring Diffusion Models",
arXiv:2209.05557.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import torch
from torch import Tensor

from .loop import Callback, sample
from .validation import Step

EpsModel = Callable[[Tensor, Step], Tensor]
"""``eps_model(x_i, i)``: the noise that made ``x_i``, estimated."""


class RotatedDiffusion(Protocol):
    """What the samplers need of a diffusion in a rotated basis ``U``."""

    num_steps: int

    def rotate(self, x: Tensor) -> Tensor:
        """``U^T x``."""
        ...

    def unrotate(self, y: Tensor) -> Tensor:
        """``U y``."""
        ...

    def signal(self, t: Step, shape: tuple[int, ...]) -> Tensor:
        """The diagonal of ``Abar_t``, broadcastable to the rotated images."""
        ...

    def step_signal(self, t: Step, shape: tuple[int, ...]) -> Tensor:
        """The diagonal of ``A_t``, the step from ``t - 1`` to ``t`` (blur diffusion's
        :func:`reverse_diffusion` only)."""
        ...


def _diagonal(values: Tensor, like: Tensor) -> Tensor:
    dtype = like.real.dtype if like.is_complex() else like.dtype
    return values.to(like.device, dtype)


def _noise(D: RotatedDiffusion, t: Step, shape: tuple[int, ...], a_bar: Tensor) -> Tensor:
    """``Nbar_t``: ``D.noise_variance(t, shape)`` where ``D`` has it, else ``1 - Abar_t``
    (variance preserving), in ``a_bar``'s dtype."""
    if hasattr(D, "noise_variance"):
        return _diagonal(D.noise_variance(t, shape), a_bar)
    return 1 - a_bar


def _clip_noise(D: RotatedDiffusion, x_bar: Tensor, eps_bar: Tensor, a_bar: Tensor,
                n_bar: Tensor) -> Tensor:
    """The rotated noise implied by the clean image ``x0_hat`` clamped to [-1, 1].

    ``x0_hat = U Abar^{-1/2} (xbar - Nbar^{1/2} epsbar)`` is clamped in pixel space and the
    noise is solved again from ``xbar = Abar^{1/2} U^T x0_hat + Nbar^{1/2} epsbar`` (Ho et
    al.'s clipping of the predicted ``x0``, diffusers' ``clip_sample``). Where ``Abar`` is
    near 0 (fine detail late in blur diffusion) the prediction divides by almost nothing;
    clipping keeps an imperfect model's errors there from compounding from step to step.
    """
    noise = n_bar.sqrt()
    x0_bar = (x_bar - noise * eps_bar) / a_bar.sqrt()
    x0_bar = D.rotate(D.unrotate(x0_bar).clamp(-1, 1))
    return torch.where(noise > 0, (x_bar - a_bar.sqrt() * x0_bar) / noise.clamp_min(1e-30), eps_bar)


class _Estimate:
    """Hands the callback the clean image ``x0_hat`` a step implies, not the noise prediction
    the loop sees."""

    def __init__(self, D: RotatedDiffusion, callback: Callback | None) -> None:
        self.D, self.callback, self.x0_bar = D, callback, None

    def keep(self, x_bar: Tensor, eps_bar: Tensor, a_bar: Tensor, n_bar: Tensor) -> Tensor:
        """``Abar^{-1/2} (xbar - Nbar^{1/2} epsbar)``, the rotated ``x0_hat``, kept."""
        self.x0_bar = (x_bar - n_bar.sqrt() * eps_bar) / a_bar.sqrt()
        return self.x0_bar

    @property
    def report(self) -> Callback | None:
        if self.callback is None:
            return None

        def report(s: Step, x_s: Tensor, eps_hat: Tensor) -> None:
            self.callback(s, x_s, self.D.unrotate(self.x0_bar))

        return report


def _jump_terms(D: RotatedDiffusion, estimate: _Estimate, x_s: Tensor, eps_hat: Tensor,
                s: Step, s_next: Step, clip: bool) -> tuple[Tensor, ...]:
    """``(xbar, x0bar, epsbar, Abar_s, Abar_next, Nbar_s, Nbar_next)`` of a jump from ``s`` to
    ``s_next``: the rotated image, the clean image the noise prediction implies (kept for the
    callback), the rotated noise (clipped with ``clip``), the signal and noise diagonals."""
    x_bar, eps_bar = D.rotate(x_s), D.rotate(eps_hat)
    a_s = _diagonal(D.signal(s, x_s.shape), x_bar)
    a_next = _diagonal(D.signal(s_next, x_s.shape), x_bar)
    n_s, n_next = _noise(D, s, x_s.shape, a_s), _noise(D, s_next, x_s.shape, a_next)
    if clip:
        eps_bar = _clip_noise(D, x_bar, eps_bar, a_s, n_s)
    return x_bar, estimate.keep(x_bar, eps_bar, a_s, n_s), eps_bar, a_s, a_next, n_s, n_next


def _check(D: object, name: str, methods: tuple[str, ...] = ("rotate", "unrotate", "signal")
           ) -> None:
    missing = [m for m in methods if not callable(getattr(D, m, None))]
    if missing:
        raise TypeError(f"{name} needs a diffusion in a rotated basis (degrade.BlurDiffusion, "
                        f"degrade.BlurringDiffusion); {type(D).__name__} lacks "
                        f"{', '.join(missing)}")


def reverse_diffusion(
    eps_model: EpsModel,
    D: RotatedDiffusion,
    x_t: Tensor,
    t: Step,
    *,
    generator: torch.Generator | None = None,
    clip: bool = False,
    callback: Callback | None = None,
    progress: bool = False,
) -> Tensor:
    r"""The reverse diffusion sampler of eq. (19)/(20) of Lee et al. (2022), one step at a time.

    In the rotated coordinates ``xbar = U^T x``, from step ``i`` to ``i - 1``:

        xbar_{i-1} = xbar_i + (I - A_i^{1/2}) xbar_i + B_i sbar_i + B_i^{1/2} zbar,

    the unsharp mask ``H`` of eq. (10), the score step and fresh noise, with ``B_i = I - A_i``
    and the score ``sbar_i = -(I - Abar_i)^{-1/2} U^T eps_model(x_i, i)`` (the exponent -1/2,
    which eq. (16) misprints as -1). ``A_i`` and ``B_i`` are those of the forward step into
    ``i``, the paper's ``B_{i+1}`` in its own indexing (Song et al.'s reverse diffusion predictor
    for the variance-preserving SDE when ``U = I``). No noise is added on the last step.

    Args:
        eps_model: the noise predictor.
        D: the process (``degrade.BlurDiffusion``).
        x_t: images at step ``t`` (``N`` to generate: white noise, as ``Abar_N`` is near 0).
        t: an int or a ``(B,)`` tensor of steps.
        generator: the source of the noise ``z``, for reproducible samples.
        clip: use the noise implied by the predicted clean image clamped to [-1, 1] (see
            :func:`rotated_ddim`).
        callback: ``callback(i, x_i, x0_hat)`` after each step, with the clean image the noise
            prediction implies, ``x0_hat = U Abar_i^{-1/2} (xbar_i - (I - Abar_i)^{1/2} epsbar)``
            (clamped to [-1, 1] with ``clip``).
        progress: show a progress bar.
    """
    if hasattr(D, "noise_variance"):
        raise TypeError(f"reverse_diffusion is blur diffusion's variance-preserving predictor; "
                        f"{type(D).__name__} has a noise of its own (noise_variance): use "
                        "samplers.rotated_ancestral")
    _check(D, "reverse_diffusion", ("rotate", "unrotate", "signal", "step_signal"))

    estimate = _Estimate(D, callback)

    def update(x_s: Tensor, eps_hat: Tensor, s: Step, s_next: Step) -> Tensor:
        x_bar, eps_bar = D.rotate(x_s), D.rotate(eps_hat)
        a = _diagonal(D.step_signal(s, x_s.shape), x_bar)
        a_bar = _diagonal(D.signal(s, x_s.shape), x_bar)
        if clip:
            eps_bar = _clip_noise(D, x_bar, eps_bar, a_bar, 1 - a_bar)
        estimate.keep(x_bar, eps_bar, a_bar, 1 - a_bar)
        b = 1 - a
        score = -eps_bar / (1 - a_bar).sqrt()
        x_bar = (2 - a.sqrt()) * x_bar + b * score
        last = torch.as_tensor(s_next).reshape(-1) == 0
        if not bool(last.all()):
            z = torch.randn(x_s.shape, generator=generator, dtype=x_s.dtype,
                            device=generator.device if generator is not None else x_s.device)
            z_bar = D.rotate(z.to(x_s.device)) * b.sqrt()
            x_bar = x_bar + torch.where(last.to(x_s.device).view(-1, 1, 1, 1), 0, z_bar)
        return D.unrotate(x_bar)

    return sample(update, eps_model, x_t, t, num_steps=getattr(D, "num_steps", None),
                  callback=estimate.report, progress=progress, name="reverse_diffusion")


def rotated_ddim(
    eps_model: EpsModel,
    D: RotatedDiffusion,
    x_t: Tensor,
    t: Step,
    *,
    steps: Sequence[int] | Tensor | None = None,
    clip: bool = False,
    callback: Callback | None = None,
    progress: bool = False,
) -> Tensor:
    r"""A deterministic sampler in the style of DDIM (eta = 0) for a rotated diffusion.

    From step ``i`` to any earlier ``s`` (so it can skip steps), in rotated coordinates:

        xbar_s = (Abar_s / Abar_i)^{1/2} (xbar_i - Nbar_i^{1/2} epsbar)
                 + Nbar_s^{1/2} epsbar,      epsbar = U^T eps_model(x_i, i):

    the clean image implied by ``epsbar``, taken forward to ``s`` with the same noise. With
    ``U = I`` and ``Abar_i = abar_i I`` it is DDIM with eta = 0 (Song et al., 2021).

    Args:
        eps_model, D, x_t, t: as for :func:`reverse_diffusion`.
        steps: a strictly decreasing sequence from ``t`` to 0, for example
            ``range(1000, -1, -20)`` or :func:`samplers.spaced_steps` ``(1000, 50)`` for 50 steps.
        clip: clamp the predicted clean image to [-1, 1] and use the noise it implies (as
            diffusers' ``clip_sample``). Without it, blur diffusion divides the prediction of
            the finest frequencies by ``Abar^{1/2}``, near 0 late in the process, and the
            errors of an imperfect model grow from jump to jump; with it, the update shrinks
            ``xbar`` by ``((I - Abar_s) / (I - Abar_i))^{1/2} <= 1``. Off, the sampler is exactly
            DDIM at ``f = 0``.
        callback, progress: as for :func:`reverse_diffusion`.
    """
    _check(D, "rotated_ddim")
    estimate = _Estimate(D, callback)

    def update(x_s: Tensor, eps_hat: Tensor, s: Step, s_next: Step) -> Tensor:
        _, x0_bar, eps_bar, _, a_next, _, n_next = _jump_terms(D, estimate, x_s, eps_hat, s,
                                                               s_next, clip)
        return D.unrotate(a_next.sqrt() * x0_bar + n_next.sqrt() * eps_bar)

    return sample(update, eps_model, x_t, t, num_steps=getattr(D, "num_steps", None),
                  steps=steps, callback=estimate.report, progress=progress,
                  name="rotated_ddim")


def rotated_fixed_noise(
    eps_model: EpsModel,
    D: RotatedDiffusion,
    x_t: Tensor,
    t: Step,
    *,
    noise: Tensor | None = None,
    steps: Sequence[int] | Tensor | None = None,
    clip: bool = False,
    callback: Callback | None = None,
    progress: bool = False,
) -> Tensor:
    r"""TACoS on a hot diffusion with its noise fixed: Table 5's *Fixed Noise* column.

    Bansal et al. (2022), arXiv:2208.09392, section 5.1: Algorithm 2 with
    ``D(x, s) = U Abar_s^{1/2} U^T x + U (I - Abar_s)^{1/2} U^T z`` for one noise image ``z``
    drawn per generation and reused at every step, ``x0_hat`` the clean image the noise
    prediction implies. In rotated coordinates, from step ``i`` to ``s``:

        xbar_s = xbar_i + (Abar_s^{1/2} - Abar_i^{1/2}) x0bar
                 + (Nbar_s^{1/2} - Nbar_i^{1/2}) zbar    (Nbar = I - Abar for blur diffusion).

    With ``z`` the estimated noise instead (*Estimated Noise*) the same update is
    :func:`rotated_ddim` (their A.6).

    Args:
        eps_model, D, x_t, t, steps, clip, callback, progress: as for :func:`rotated_ddim`.
        noise: ``z``, shaped like ``x_t``; by default ``x_t`` itself, the white noise that
            generation starts from (``Abar_N`` is near 0).
    """
    _check(D, "rotated_fixed_noise")
    z = x_t if noise is None else noise
    if z.shape != x_t.shape:
        raise ValueError(f"noise must be shaped like x_t {tuple(x_t.shape)}, got "
                         f"{tuple(z.shape)}")
    z_bar = D.rotate(z)
    estimate = _Estimate(D, callback)

    def update(x_s: Tensor, eps_hat: Tensor, s: Step, s_next: Step) -> Tensor:
        x_bar, x0_bar, _, a_s, a_next, n_s, n_next = _jump_terms(D, estimate, x_s, eps_hat, s,
                                                                 s_next, clip)
        return D.unrotate(x_bar + (a_next.sqrt() - a_s.sqrt()) * x0_bar
                          + (n_next.sqrt() - n_s.sqrt()) * z_bar.to(x_bar))

    return sample(update, eps_model, x_t, t, num_steps=getattr(D, "num_steps", None),
                  steps=steps, callback=estimate.report, progress=progress,
                  name="rotated_fixed_noise")


def rotated_ancestral(
    eps_model: EpsModel,
    D: RotatedDiffusion,
    x_t: Tensor,
    t: Step,
    *,
    steps: Sequence[int] | Tensor | None = None,
    generator: torch.Generator | None = None,
    clip: bool = False,
    callback: Callback | None = None,
    progress: bool = False,
) -> Tensor:
    r"""Ancestral sampling: each jump draws from the Gaussian posterior ``q(x_s | x_i, x0_hat)``,
    frequency by frequency.

    Blurring diffusion's sampler (Hoogeboom and Salimans, 2023, section 3, its denoising step),
    written for any diffusion diagonal in a basis ``U``. From step ``i`` to ``s < i``, in rotated
    coordinates, with ``alpha^2 = Abar_i / Abar_s`` and ``sigma^2 = Nbar_i - alpha^2 Nbar_s``
    (the step's own noise):

        xbar_s = (alpha Nbar_s / Nbar_i) xbar_i + (Abar_s^{1/2} sigma^2 / Nbar_i) x0bar
                 + (Nbar_s sigma^2 / Nbar_i)^{1/2} zbar,

    ``x0bar = Abar_i^{-1/2} (xbar_i - Nbar_i^{1/2} epsbar)``, the posterior's mean and spread
    (DDPM's, Ho et al., 2020, in each frequency). At ``s = 0`` (``Nbar_0 = 0``) it lands on
    ``x0_hat`` with no noise. For ``U = I`` and ``Nbar = I - Abar`` it is DDPM's sampler, and
    it skips steps (``steps``) as DDPM's posterior allows.

    Args:
        eps_model, D, x_t, t: as for :func:`reverse_diffusion`; ``D`` may give its noise
            (``noise_variance``, ``degrade.BlurringDiffusion``), else ``Nbar = I - Abar``.
        steps: a strictly decreasing sequence from ``t`` to 0.
        generator: the source of the noise ``z``, for reproducible samples.
        clip, callback, progress: as for :func:`rotated_ddim`.
    """
    _check(D, "rotated_ancestral")
    estimate = _Estimate(D, callback)

    def update(x_s: Tensor, eps_hat: Tensor, s: Step, s_next: Step) -> Tensor:
        x_bar, x0_bar, _, a_s, a_next, n_s, n_next = _jump_terms(D, estimate, x_s, eps_hat, s,
                                                                 s_next, clip)
        ratio = a_s / a_next.clamp_min(1e-38)
        own = (n_s - ratio * n_next).clamp_min(0)
        spread = n_s.clamp_min(1e-38)
        mean = (ratio.sqrt() * n_next / spread) * x_bar + (a_next.sqrt() * own / spread) * x0_bar
        z = torch.randn(x_s.shape, generator=generator, dtype=x_s.dtype,
                        device=generator.device if generator is not None else x_s.device)
        z_bar = D.rotate(z.to(x_s.device))
        return D.unrotate(mean + (n_next * own / spread).sqrt() * z_bar)

    return sample(update, eps_model, x_t, t, num_steps=getattr(D, "num_steps", None),
                  steps=steps, callback=estimate.report, progress=progress,
                  name="rotated_ancestral")
