"""The samplers a zoo model can use, by name: the one list that the command line reads.

Cold samplers (for restorers ``R(x_t, t) ~ x0``; Bansal et al., 2022, "Cold Diffusion:
Inverting Arbitrary Image Transforms Without Noise", arXiv:2208.09392, section 3.2) are called
as ``run(R, D, x_t, t, progress=...)``. Diffusion samplers (for noise predictors; Lee et al.,
2022, "Progressive Deblurring of Diffusion Models for Coarse-to-Fine Image Synthesis",
arXiv:2207.11192, section 3) as ``run(eps_model, D, x_N, T, generator=..., steps=...,
clip=..., progress=...)``. Warm samplers (for networks predicting ``x_{s-1}``; Rissanen,
Heinonen and Solin, 2023, arXiv:2206.13397) as ``run(R, D, x_T, T, noise_std=...,
generator=..., progress=...)``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

import degrade
import samplers


def _any(D: Any) -> bool:
    return True


def _straight(D: Any) -> bool:
    """InDI's straight path (``degrade.DirectIteration``)."""
    return isinstance(D, degrade.DirectIteration)


def _soft(D: Any) -> bool:
    """A linear corruption plus noise, with ``corrupt`` and ``noise_level``
    (``degrade.SoftCorruption``)."""
    return all(callable(getattr(D, m, None)) for m in ("corrupt", "noise_level"))


def variance_preserving(D: Any) -> bool:
    """Blur diffusion's variance-preserving steps, with ``step_signal`` (``degrade.BlurDiffusion``;
    eq. 19 needs them)."""
    return callable(getattr(D, "step_signal", None))


def _interpolating(D: Any) -> bool:
    """``D(x, t) = a_t x + b_t z`` that tells ``coefficients`` (``degrade.NoiseSchedule``,
    ``degrade.MixingSchedule``), bound or not."""
    path = D.D if isinstance(D, degrade.BoundDegradation) else D
    return callable(getattr(path, "coefficients", None))


@dataclasses.dataclass(frozen=True)
class Sampler:
    """A named sampler: its ``family`` (``"cold"`` or ``"diffusion"``), a title for figures,
    one line of help, the function, and which degradations it walks back (``applies(D)``: a
    model's operator; every one by default)."""

    name: str
    family: str
    title: str
    help: str
    run: Callable[..., Tensor]
    applies: Callable[[Any], bool] = _any


def _direct(R: Any, D: Any, x_t: Tensor, t: Any, *, progress: bool = False) -> Tensor:
    return samplers.direct(R, x_t, t, num_steps=getattr(D, "num_steps", None))


def _indi(R: Any, D: Any, x_t: Tensor, t: Any, *, steps: Any = None,
          progress: bool = False) -> Tensor:
    """InDI's small steps (Delbracio and Milanfar, 2023, arXiv:2303.11435), with the noise of
    the path ``D`` where it is a ``degrade.DirectIteration`` that has one."""
    path = D.D if isinstance(D, degrade.BoundDegradation) else D
    sigma = path.sigma if isinstance(path, degrade.DirectIteration) and path.noisy else 0.0
    return samplers.indi(R, D, x_t, t, steps=steps, sigma=sigma, progress=progress)


def _estimated(R: Any, D: Any, x_t: Tensor, t: Any, *, steps: Any = None,
               progress: bool = False) -> Tensor:
    """Hot diffusion with the noise re-estimated at each step (A.6 of cold diffusion; DDIM):
    Table 5's "Estimated Noise", on the operator itself (the sampler estimates ``z``)."""
    path = D.D if isinstance(D, degrade.BoundDegradation) else D
    return samplers.estimated_noise(R, path, x_t, t, steps=steps, progress=progress)


def _momentum(R: Any, D: Any, x_t: Tensor, t: Any, *, steps: Any = None,
              progress: bool = False, generator: Any = None, stochastic: bool = True) -> Tensor:
    """Soft diffusion's Momentum Sampler (Daras et al., 2022, arXiv:2209.05442) on the
    operator itself (a bound noise is not needed: the sampler estimates it)."""
    soft = D.D if isinstance(D, degrade.BoundDegradation) else D
    return samplers.momentum(R, soft, x_t, t, steps=steps, stochastic=stochastic,
                             generator=generator, progress=progress)


def _spaced(T: int, steps: int | None) -> list[int]:
    """``steps`` jumps (100 or ``T`` by default) evenly spaced from ``T`` to 0."""
    steps = min(100, T) if steps is None else steps
    if not 1 <= steps <= T:
        raise ValueError(f"steps must be between 1 and {T}, got {steps}")
    return samplers.spaced_steps(T, steps)


def _ddim(eps_model: Any, D: Any, x_N: Tensor, T: int, *, generator: Any = None,
          steps: int | None = None, clip: bool = True, progress: bool = False) -> Tensor:
    return samplers.rotated_ddim(eps_model, D, x_N, T, steps=_spaced(T, steps), clip=clip,
                                 progress=progress)


def _fixed(eps_model: Any, D: Any, x_N: Tensor, T: int, *, generator: Any = None,
           steps: int | None = None, clip: bool = True, progress: bool = False) -> Tensor:
    return samplers.rotated_fixed_noise(eps_model, D, x_N, T, steps=_spaced(T, steps), clip=clip,
                                        progress=progress)


def _stochastic(eps_model: Any, D: Any, x_N: Tensor, T: int, *, generator: Any = None,
                steps: int | None = None, clip: bool = True, progress: bool = False) -> Tensor:
    if steps not in (None, T):
        raise ValueError(f"the stochastic sampler takes all {T} steps, got steps={steps}")
    return samplers.reverse_diffusion(eps_model, D, x_N, T, generator=generator, clip=clip,
                                      progress=progress)


def _ancestral(eps_model: Any, D: Any, x_N: Tensor, T: int, *, generator: Any = None,
               steps: int | None = None, clip: bool = True, progress: bool = False) -> Tensor:
    return samplers.rotated_ancestral(eps_model, D, x_N, T, steps=_spaced(T, steps or T),
                                      generator=generator, clip=clip, progress=progress)


def _previous(R: Any, D: Any, x_T: Tensor, T: int, *, noise_std: float = 0.0,
              generator: Any = None, progress: bool = False) -> Tensor:
    return samplers.previous_step(R, x_T, T, num_steps=D.num_steps, noise_std=noise_std,
                                  generator=generator, progress=progress)


SAMPLERS: dict[str, Sampler] = {s.name: s for s in (
    Sampler("tacos", "cold", "TACoS (Alg. 2)", "Algorithm 2 (TACoS), the default",
            samplers.tacos),
    Sampler("naive", "cold", "Algorithm 1", "Algorithm 1, the standard update", samplers.naive),
    Sampler("direct", "cold", "direct R", "one call R(x_t, t)", _direct),
    Sampler("indi", "cold", "InDI", "InDI's small steps along the straight path (paired "
            "data), skips steps (--steps)", _indi, _straight),
    Sampler("estimated", "cold", "estimated noise", "TACoS with the noise z re-estimated at "
            "each step (A.6; DDIM for Gaussian noise), skips steps (--steps)", _estimated,
            _interpolating),
    Sampler("momentum", "cold", "momentum", "soft diffusion's Momentum Sampler (a linear "
            "corruption plus noise), skips steps (--steps)", _momentum, _soft),
    Sampler("momentum-deterministic", "cold", "momentum (deterministic)", "the Momentum "
            "Sampler with the estimated noise kept instead of fresh noise, skips steps "
            "(--steps)", functools.partial(_momentum, stochastic=False), _soft),
    Sampler("previous", "warm", "previous-step walk", "x_{s-1} = R(x_s, s) plus fresh noise "
            "(inverse heat dissipation), the default", _previous),
    Sampler("ddim", "diffusion", "deterministic", "deterministic, skips steps (--steps), blur "
            "diffusion's default", _ddim),
    Sampler("fixed", "diffusion", "fixed noise (TACoS)", "TACoS with the starting noise fixed "
            "(Table 5's Fixed Noise), skips steps (--steps)", _fixed),
    Sampler("stochastic", "diffusion", "stochastic (eq. 19)", "blur diffusion's eq. 19, every "
            "step", _stochastic, variance_preserving),
    Sampler("ancestral", "diffusion", "ancestral", "a draw from the Gaussian posterior of each "
            "frequency, every step or --steps, blurring diffusion's default", _ancestral),
)}


def names(family: str | None = None) -> tuple[str, ...]:
    """The samplers' names, of one family or all."""
    return tuple(name for name, s in SAMPLERS.items() if family in (None, s.family))


def get(name: str, family: str, model: str) -> Sampler:
    """The sampler ``name``, which must be of ``family`` (the model's)."""
    sampler = SAMPLERS.get(name)
    if sampler is None or sampler.family != family:
        raise ValueError(f"{model} takes the samplers {', '.join(names(family))}, got {name!r}")
    return sampler


def walking_back(D: Any, x_T: Tensor, noise: Tensor) -> Any:
    """The ``D(x, t)`` a cold sampler walks back with from ``x_T + noise``, a prior's draw and
    its symmetry-breaking noise (sections 5.2 and 5.3): the operator carrying ``noise`` where
    it has a noise term of its own (``degrade.Degradation.carrying``); else, where its random
    parameters are what it ends at (a cat to mix with, a colour to fade to), those read from
    ``x_T + noise`` (``degrade.Degradation.ending_at``); else the operator itself."""
    carried = D.carrying(noise) if hasattr(D, "carrying") else D
    if carried is D and getattr(D, "param_names", ()) and hasattr(D, "ending_at"):
        return D.ending_at(x_T + noise)
    return carried


def drawn(D: Any, x0: Tensor, prior: Any, seed: int) -> Any:
    """``D`` with its random parameters for ``x0`` drawn from ``seed``; where they are what it
    ends at (the cat of animorphosis) and a ``prior`` is given, read from the prior's draw
    instead (:meth:`degrade.Degradation.ending_at`), so that ``D(x0, T)`` is an ``x_T`` the
    model generates from and no data file is needed."""
    generator = torch.Generator().manual_seed(seed)
    if prior is not None and getattr(D, "param_names", ()):
        try:
            return D.ending_at(prior.sample(len(x0), generator=generator, noise_std=0.0))
        except TypeError:  # parameters that x_T does not determine: drawn below
            generator = torch.Generator().manual_seed(seed)
    return D.draw(x0, generator=generator)
