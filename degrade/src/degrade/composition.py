"""Composition of degradations: ``D(x, t) = D_k(... D_2(D_1(x, t), t) ..., t)``.

Cold diffusion (Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms
Without Noise", arXiv:2208.09392, section 3.1) needs only ``x_t = D(x0, t)`` with ``D(x, 0) = x``.
Both hold for a composition of operators with the same ``T``, so blur followed by masking, or
blur followed by a little noise (warm diffusion), is again a degradation that every sampler
takes.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ._validation import Step
from .base import Degradation, Shape


class Composition(Degradation):
    """``D(x, t) = D_k(... D_2(D_1(x, t), t) ..., t)`` for operators with the same ``T``.

    Make it with :func:`compose` or ``D2 @ D1``. Its random parameters are those of its parts,
    each named ``D<i>_<name>`` (``i`` counting from 1 in the order of application), so that two
    parts with a parameter of the same name stay apart. It is linear when every part is, with
    the adjoint ``D_1^* (D_2^* (... D_k^* y))``.

    Examples:
        >>> import torch
        >>> from degrade import GaussianBlurSchedule, GaussianMaskSchedule, compose
        >>> blur = GaussianBlurSchedule.constant(5, 10, 1.0)
        >>> D = GaussianMaskSchedule.linear(10) @ blur
        >>> D.param_names, D.is_linear
        (('D2_center',), True)
        >>> x0 = torch.rand(2, 1, 16, 16) * 2 - 1
        >>> D.draw(x0, generator=torch.Generator().manual_seed(0))(x0, 10).shape
        torch.Size([2, 1, 16, 16])
    """

    def __init__(self, *operators: Degradation) -> None:
        if len(operators) < 2:
            raise ValueError(f"a composition needs at least two operators, got {len(operators)}")
        for operator in operators:
            if not isinstance(operator, Degradation):
                raise TypeError(f"compose takes degrade operators, got "
                                f"{type(operator).__name__}")
        steps = {operator.num_steps for operator in operators}
        if len(steps) > 1:
            raise ValueError(f"the operators of a composition must have the same T, got "
                             f"{[operator.num_steps for operator in operators]}")
        super().__init__(operators[0].num_steps)
        self.operators = nn.ModuleList(operators)
        self.names = [{name: f"D{i}_{name}" for name in operator.param_names}
                      for i, operator in enumerate(operators, start=1)]
        self.param_names = tuple(n for names in self.names for n in names.values())
        self.is_linear = all(operator.is_linear for operator in operators)
        channels = {operator.channels for operator in operators} - {None}
        if len(channels) > 1:
            raise ValueError(f"the operators need different numbers of channels: {channels}")
        self.channels = channels.pop() if channels else None

    def check_image_size(self, height: int, width: int) -> None:
        for operator in self.operators:
            operator.check_image_size(height, width)

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {names[name]: size for operator, names in self._named()
                for name, size in operator.param_shapes(shape).items()}

    def _sample(self, shape: Shape, generator: torch.Generator | None,
                dtype: torch.dtype) -> dict[str, Tensor]:
        return {names[name]: value for operator, names in self._named()
                for name, value in operator._sample(shape, generator, dtype).items()}

    def _named(self) -> list[tuple[Degradation, dict[str, str]]]:
        return list(zip(self.operators, self.names, strict=True))

    def _parts(self, params: dict[str, Tensor]) -> list[dict[str, Tensor]]:
        return [{name: params[full] for name, full in names.items()} for names in self.names]

    def degrade(self, x: Tensor, t: Tensor, **params: Tensor) -> Tensor:
        for operator, own in zip(self.operators, self._parts(params), strict=True):
            x = operator(x, t, **own)
        return x

    def adjoint(self, y: Tensor, t: Step, **params: Tensor) -> Tensor:
        """The parts' adjoints in reverse order (each closed form where the part has one)."""
        if not self.is_linear:
            raise TypeError("a composition with a part that is not linear has no adjoint")
        params = self._check_params(params, y)
        for operator, own in reversed(list(zip(self.operators, self._parts(params), strict=True))):
            y = operator.adjoint(y, t, **own)
        return y

    def stepping(self) -> Degradation:
        """The composition of the parts' :meth:`~Degradation.stepping` forms."""
        parts = [operator.stepping() for operator in self.operators]
        if all(part is operator for part, operator in zip(parts, self.operators, strict=True)):
            return self
        return Composition(*parts)

    def extra_repr(self) -> str:
        return f"T={self.num_steps}, applied first to last"


def compose(*operators: Degradation) -> Composition:
    """``D(x, t) = D_k(... D_1(x, t) ..., t)``: apply ``operators`` in order, at the same ``t``.

    Nested compositions are flattened, so ``compose(compose(a, b), c)`` is ``compose(a, b, c)``.
    ``D2 @ D1`` is ``compose(D1, D2)``.
    """
    flat: list[Degradation] = []
    for operator in operators:
        flat.extend(operator.operators if isinstance(operator, Composition) else [operator])
    return Composition(*flat)
