"""Interop with deepinv (https://deepinv.github.io): our operators as its physics, and back.

* :func:`to_physics`: a linear operator at a fixed step ``t`` as a
  ``deepinv.physics.LinearPhysics`` (``A = D(., t)``, ``A_adjoint = D.adjoint(., t)``), so that
  deepinv's solvers (least squares, plug-and-play, unrolled networks) run on our blur, masks,
  super-resolution or compositions;
* :class:`PhysicsSchedule`: the other way round, a deepinv operator family with a strength
  parameter as a ``D(x, t)`` for our samplers and trainers.

deepinv is an optional extra, imported only when these are called: ``degrade`` itself never
needs it. deepinv needs torchvision, whose PyPI build needs PyPI's torch; see
``benchmarks/setup_deepinv_env.sh``.

References: Tachella et al., 2023, "DeepInverse: A deep learning framework for inverse problems
in imaging"; Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392, section 3.1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ._validation import Step, as_steps
from .base import Degradation


def _deepinv() -> Any:
    try:
        import deepinv
    except ImportError as error:
        raise ImportError("this needs deepinv: pip install deepinv (see "
                          "benchmarks/setup_deepinv_env.sh)") from error
    return deepinv


def to_physics(D: Degradation, t: Step, **params: Tensor) -> Any:
    """``D(., t)`` with its parameters ``params`` as a ``deepinv.physics.LinearPhysics``.

    ``A(x) = D(x, t, **params)`` and ``A_adjoint(y) = D.adjoint(y, t, **params)``. Only linear
    operators have an adjoint; others raise ``TypeError``.
    """
    if not getattr(D, "is_linear", False):
        raise TypeError(f"{type(D).__name__} is not linear: deepinv's LinearPhysics needs an "
                        "adjoint")
    deepinv = _deepinv()
    return deepinv.physics.LinearPhysics(A=lambda x, **_: D(x, t, **params),
                                         A_adjoint=lambda y, **_: D.adjoint(y, t, **params))


class PhysicsSchedule(Degradation):
    """A deepinv operator family as a degradation: ``D(x, t) = physics(t).A(x)``, ``D(x, 0) = x``.

    ``physics(t)`` builds the deepinv operator of step ``t = 1 .. T`` (for example a
    ``deepinv.physics.Blur`` whose Gaussian filter widens with ``t``); each is built once. Images
    with different steps in one batch are grouped by step. Set ``linear=True`` when every
    ``physics(t)`` is a linear one: then :meth:`adjoint` is deepinv's ``A_adjoint``.

    Example (with deepinv installed)::

        import deepinv
        D = PhysicsSchedule(lambda t: deepinv.physics.Blur(
            deepinv.physics.functional.blur.gaussian_blur(sigma=0.3 * t), padding="reflect"), 10,
            linear=True)
        x_t = D(x0, 10)
    """

    def __init__(self, physics: Callable[[int], Any], num_steps: int, *,
                 linear: bool = False) -> None:
        super().__init__(num_steps)
        if not callable(physics):
            raise TypeError(f"physics must be a callable physics(t), got {type(physics).__name__}")
        self.physics = physics
        self.is_linear = bool(linear)
        self._built: dict[int, Any] = {}

    def operator(self, t: int) -> Any:
        """The deepinv operator of step ``t`` (built on first use)."""
        if t not in self._built:
            self._built[t] = self.physics(t)
        return self._built[t]

    def _by_step(self, x: Tensor, t: Tensor, method: str) -> Tensor:
        out = torch.empty_like(x)
        for step in t.unique().tolist():
            rows = t == step
            if step == 0:
                out[rows] = x[rows]
                continue
            operator = self.operator(step)
            if isinstance(operator, torch.nn.Module):  # its filters in x's dtype and device
                operator = operator.to(device=x.device, dtype=x.dtype)
            out[rows] = getattr(operator, method)(x[rows]).to(x.dtype)
        return out

    def degrade(self, x: Tensor, t: Tensor) -> Tensor:
        return self._by_step(x, t, "A")

    def adjoint(self, y: Tensor, t: Step, **params: Tensor) -> Tensor:
        """deepinv's ``A_adjoint`` of each image's step (linear families only)."""
        if not self.is_linear:
            raise TypeError("this PhysicsSchedule is not linear (linear=False): no adjoint")
        steps = as_steps(t, batch_size=y.shape[0], num_steps=self.num_steps, device=y.device)
        return self._by_step(y, steps, "A_adjoint")

    def extra_repr(self) -> str:
        return f"T={self.num_steps}, linear={self.is_linear}"
