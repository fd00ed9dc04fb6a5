"""A degradation with its random parameters fixed (:class:`BoundDegradation`, made by
``D.bind`` and ``D.draw``) or drawn afresh at every call (:class:`ResampledDegradation`, made by
``D.resampled()``, as training sees a random degradation: A.5 of Bansal et al., 2022, "Cold
Diffusion: Inverting Arbitrary Image Transforms Without Noise", arXiv:2208.09392).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ._validation import Step

if TYPE_CHECKING:
    from .base import Degradation, DegradationFn


class BoundDegradation:
    """A degradation with its random parameters fixed: a plain ``D(x, t)`` callable.

    Made by :meth:`Degradation.bind`; the samplers take it like any other ``D``.
    """

    def __init__(self, D: Degradation, params: Mapping[str, Tensor]) -> None:
        self.D = D
        self.params = dict(params)
        self.num_steps = D.num_steps
        self.is_linear = D.is_linear

    def __call__(self, x: Tensor, t: Step) -> Tensor:
        return self.D(x, t, **self.params)

    def adjoint(self, y: Tensor, t: Step) -> Tensor:
        """The adjoint of the bound operator at step ``t`` (:meth:`Degradation.adjoint`)."""
        return self.D.adjoint(y, t, **self.params)

    def select(self, index: slice | Tensor) -> BoundDegradation:
        """The same degradation for the images ``index`` of the batch: every parameter has the
        batch on its first axis, so ``D.select(i)(x[i], t) == D(x, t)[i]``. This is how a
        large batch is restored a part at a time."""
        return self.D.bind(**{name: value[index] for name, value in self.params.items()})

    def stepping(self) -> BoundDegradation:
        """:meth:`Degradation.stepping`, with the same parameters bound."""
        stepping = self.D.stepping()
        return self if stepping is self.D else stepping.bind(**self.params)

    def __repr__(self) -> str:
        return f"{self.D!r}.bind({', '.join(self.params)})"


class ResampledDegradation:
    """A ``D(x, t)`` callable that draws new random parameters at every call.

    This is how training sees a random degradation (A.5: "the seed matrix is resampled for each
    individual training batch"). Made by :meth:`Degradation.resampled`.
    """

    def __init__(self, D: Degradation, generator: torch.Generator | None) -> None:
        self.D = D
        self.generator = generator
        self.num_steps = D.num_steps

    def __call__(self, x: Tensor, t: Step, **given: Tensor) -> Tensor:
        """``D(x, t)`` with fresh parameters, except the ``given`` ones (the noise a
        noise-predicting objective draws itself, the observed images paired data carries)."""
        return self.D(x, t, **self.D.sample_params(x, generator=self.generator, given=given))

    def draw(self, like: Tensor, *, given: Mapping[str, Tensor] | None = None) -> DegradationFn:
        """One draw for the images ``like``, fixed (:meth:`Degradation.draw`), from this
        callable's generator, the ``given`` parameters bound as they are: for training
        objectives that degrade the same images several times alike."""
        return self.D.draw(like, generator=self.generator, given=given)

    def __repr__(self) -> str:
        return f"{self.D!r}.resampled()"
