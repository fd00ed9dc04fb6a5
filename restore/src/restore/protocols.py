"""What ``restore`` needs of a degradation, as Protocols: a plain ``D(x, t)`` callable, and what
one with random parameters must offer besides (``degrade``'s operators do; ``restore`` does not
import ``degrade``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor


@runtime_checkable
class RandomDegradation(Protocol):
    """A degradation ``D(x, t, **params)`` whose random parameters (mask centres, snow, noise:
    :attr:`param_names`) are drawn outside it, as cold diffusion's appendix A.5 needs them for
    training ("resampled for each individual training batch") and sampling (one draw, fixed).
    """

    num_steps: int
    param_names: tuple[str, ...]

    def __call__(self, x: Tensor, t: Any, **params: Tensor) -> Tensor:
        """``D(x, t)`` with the parameters given."""

    def draw(self, like: Tensor, *, generator: torch.Generator | None = None
             ) -> Callable[[Tensor, Any], Tensor]:
        """One draw of the parameters for ``like``, fixed: a plain ``D(x, t)``."""

    def resampled(self, generator: torch.Generator | None = None
                  ) -> Callable[[Tensor, Any], Tensor]:
        """A ``D(x, t)`` that draws fresh parameters at every call (for training)."""

    def stepping(self) -> Any:
        """The form a cold sampler steps with."""


def check_random(operator: Any) -> RandomDegradation:
    """``operator``, if it offers all of :class:`RandomDegradation`; else a one-line
    ``TypeError`` naming what it lacks."""
    missing = [name for name in ("num_steps", "draw", "resampled", "stepping")
               if not hasattr(operator, name)]
    if missing:
        raise TypeError(f"{type(operator).__name__} has random parameters "
                        f"{list(operator.param_names)} but lacks {', '.join(missing)}: a random "
                        "degradation offers draw, resampled and stepping "
                        "(restore.protocols.RandomDegradation; degrade.Degradation has them)")
    return operator
