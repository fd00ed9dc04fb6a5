"""The degradation protocol ``x_t = D(x0, t)`` of section 3.1 of Bansal et al. (2022).

Every operator of this package derives from :class:`Degradation`, which holds what they share
once: the checks on ``x``, ``t`` and the random parameters, the exact identity ``D(x, 0) = x``,
and the ways to turn an operator with random parameters into a plain ``D(x, t)`` callable.

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

import torch
from torch import Tensor, nn

from ._validation import Step, as_steps, check_image, check_num_steps
from .bound import BoundDegradation, ResampledDegradation

Shape = tuple[int, int, int, int]


class Degradation(nn.Module):
    """A degradation ``D(x, t)`` with ``T = num_steps`` steps (section 3.1 of Bansal et al. (2022)).

    ``x`` is a ``(B, C, H, W)`` floating-point tensor in [-1, 1] and ``t`` a Python int or an
    integer tensor of shape ``(B,)`` with ``0 <= t <= T``. ``D(x, 0)`` returns ``x`` exactly, and
    the output has the shape, dtype and device of ``x``.

    Operators whose definition in the paper is random (mask centres, snow, noise, ...) take their
    randomness as explicit keyword parameters, named in :attr:`param_names`: draw them with
    :meth:`sample_params` and pass them to every call, ``D(x, t, **params)``, so that
    ``D(x0_hat, s)`` and ``D(x0_hat, s - 1)`` in a sampler use the same draw. :meth:`bind` fixes
    them once and returns a plain ``D(x, t)`` callable; :meth:`resampled` returns one that draws
    fresh parameters at every call, as training does.

    Subclasses implement :meth:`degrade` and, if random, :meth:`param_shapes` and
    :meth:`_sample`.
    """

    is_linear: ClassVar[bool] = False
    """True when ``D(x, t)`` is linear in ``x`` for fixed ``t`` and parameters."""

    differentiable: bool = True
    """True where the gradient of ``D(x, t)`` in ``x`` is exact; False where ``D`` rounds (the
    quantised masks), whose gradient passes straight through the rounding."""

    channels: ClassVar[int | None] = None
    """The number of channels the operator needs, or None for any."""

    param_names: tuple[str, ...] = ()
    """Names of the random parameters that :meth:`forward` takes as keywords. Additive Gaussian
    noise is called ``noise`` in every operator that has it."""

    renamed: ClassVar[dict[str, str]] = {}
    """Former names of random parameters, still accepted with a ``DeprecationWarning`` for one
    release: former name to name (``{"eps": "noise"}``)."""

    def __init__(self, num_steps: int) -> None:
        super().__init__()
        self.num_steps = check_num_steps(num_steps)

    @property
    def T(self) -> int:
        """The number of steps ``T``; the same as :attr:`num_steps`."""
        return self.num_steps

    def forward(self, x: Tensor, t: Step, **params: Tensor) -> Tensor:
        """Return ``x_t = D(x, t)``; ``params`` are the operator's random parameters, if any."""
        check_image(x, channels=self.channels)
        self.check_image_size(x.shape[-2], x.shape[-1])
        steps = as_steps(t, batch_size=x.shape[0], num_steps=self.num_steps, device=x.device)
        params = self._check_params(self._current_names(params), x)
        if not bool(steps.any()):
            return x
        out = self.degrade(x, steps, **params)
        at_zero = steps == 0
        if bool(at_zero.any()):
            out = torch.where(at_zero.view(-1, 1, 1, 1), x, out)
        return out

    def degrade(self, x: Tensor, t: Tensor, **params: Tensor) -> Tensor:
        """Compute ``D(x, t)`` for checked input; ``t`` is an int64 tensor of shape ``(B,)``.

        Entries of ``t`` equal to 0 may occur; their output is replaced by ``x``.
        """
        raise NotImplementedError

    def adjoint(self, y: Tensor, t: Step, **params: Tensor) -> Tensor:
        """The adjoint of a linear ``D`` at step ``t``: ``<D(x, t), y> = <x, D.adjoint(y, t)>``.

        The default differentiates ``<D(x, t), y>`` with respect to ``x`` (exact for a linear
        operator, one forward and one backward pass); operators with a cheaper closed form
        override it. ``params`` are the random parameters, as for ``D(x, t, **params)``.
        Operators that are not linear raise ``TypeError``.
        """
        if not self.is_linear:
            raise TypeError(f"{type(self).__name__} is not linear in x: it has no adjoint")
        with torch.enable_grad():
            x = torch.zeros_like(y, requires_grad=True)
            (gradient,) = torch.autograd.grad(self(x, t, **params), x, grad_outputs=y,
                                              create_graph=y.requires_grad)
        return gradient

    def stepping(self) -> Degradation:
        """The operator a cold sampler steps with: the operator itself, unless it only differs
        from it in how ``x_T`` and the training inputs are stored (a quantised mask schedule
        steps with its unquantised masks, as the paper's code does, A.2)."""
        return self

    def ending_at(self, x_T: Tensor) -> DegradationFn:
        """The ``D(x, t)`` to walk back with from ``x_T`` drawn by a prior, for an operator whose
        random parameters are what it ends at (section 5.3): those parameters read from
        ``x_T`` and bound, so that ``D(x, T) = x_T`` (:meth:`degrade.MixingSchedule.ending_at`:
        ``z = x_T``; :meth:`degrade.GaussianFadeSchedule.ending_at`: the colour of ``x_T``). A
        deterministic operator returns itself; one whose parameters ``x_T`` does not determine
        raises ``TypeError``."""
        if self.param_names:
            raise TypeError(f"{type(self).__name__}'s random parameters "
                            f"({', '.join(self.param_names)}) cannot be read from x_T: bind "
                            "them yourself, D.bind(**params)")
        return self

    def carrying(self, noise: Tensor) -> DegradationFn:
        """The ``D(x, t)`` to walk back with from ``x_T + noise``, where a prior added ``noise``
        to ``x_T`` (section 5.2's symmetry-breaking noise). The operator itself, unless it has
        an additive noise term of its own: then that term is bound to ``noise``, so that
        ``D(x, T) + noise`` is what the network saw in training and TACoS's last step removes
        it (:meth:`degrade.HeatDissipation.carrying`)."""
        return self

    def __matmul__(self, inner: Degradation) -> Degradation:
        """``D2 @ D1`` is ``D(x, t) = D2(D1(x, t), t)``: :func:`degrade.compose` ``(D1, D2)``."""
        if not isinstance(inner, Degradation):
            return NotImplemented
        from .composition import compose

        return compose(inner, self)

    def check_image_size(self, height: int, width: int) -> None:
        """Raise ``ValueError`` if the operator cannot handle images of this size."""

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        """The shape of each random parameter for images of shape ``(B, C, H, W)``."""
        return {}

    def sample_params(
        self,
        like: Tensor | Sequence[int],
        *,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        given: Mapping[str, Tensor] | None = None,
    ) -> dict[str, Tensor]:
        """Draw the random parameters for a batch of images.

        Args:
            like: the images, or their shape ``(B, C, H, W)``.
            generator: the random generator to draw from (for reproducible draws).
            device: where to put the parameters; by default that of ``like`` (or the CPU).
            dtype: floating-point dtype of the parameters; by default that of ``like``
                (or float32).
            given: parameters that are not drawn but known, such as the observed images
                that paired data carries (:class:`degrade.DirectIteration`'s ``y``); they
                are returned as they are, and only the others are drawn.

        Returns:
            A dict to pass as ``D(x, t, **params)`` or ``D.bind(**params)``; empty for
            deterministic operators.
        """
        given = self._current_names(dict(given or {}))
        if isinstance(like, Tensor):
            check_image(like, channels=self.channels, name="like")
            shape = tuple(like.shape)
            device = like.device if device is None else device
            dtype = like.dtype if dtype is None else dtype
        else:
            shape = tuple(int(n) for n in like)
            if len(shape) != 4:
                raise ValueError(f"the shape must be (B, C, H, W), got {shape}")
            if self.channels is not None and shape[1] != self.channels:
                raise ValueError(
                    f"this operator needs {self.channels}-channel images, got shape {shape}"
                )
        self.check_image_size(shape[2], shape[3])
        if not self.param_names:
            return {}
        dtype = dtype if dtype is not None else torch.float32
        device = torch.device(device) if device is not None else torch.device("cpu")
        unknown = set(given) - set(self.param_names)
        if unknown:
            raise TypeError(self._params_message(unknown, set()))
        params = {} if set(given) == set(self.param_names) else \
            self._sample(shape, generator, dtype)
        params = {name: value.to(device) for name, value in params.items() if name not in given}
        missing = set(self.param_names) - set(params) - set(given)
        if missing:
            raise ValueError(f"{type(self).__name__} cannot draw its parameter(s) "
                             f"{', '.join(sorted(missing))}: pass them yourself "
                             f"(given={{...}}, D.bind(...) or D(x, t, ...))")
        return {**params, **given}

    def _sample(
        self, shape: Shape, generator: torch.Generator | None, dtype: torch.dtype
    ) -> dict[str, Tensor]:
        """Draw the parameters on the generator's device; :meth:`sample_params` moves them."""
        return {}

    def bind(self, **params: Tensor) -> BoundDegradation:
        """Fix the random parameters: ``D.bind(**D.sample_params(x, generator=g))(x, t)``."""
        params = self._current_names(params)
        unknown = set(params) - set(self.param_names)
        missing = set(self.param_names) - set(params)
        if unknown or missing:
            raise TypeError(self._params_message(unknown, missing))
        return BoundDegradation(self, params)

    def draw(self, like: Tensor, *, generator: torch.Generator | None = None,
             given: Mapping[str, Tensor] | None = None) -> DegradationFn:
        """One draw of the random parameters for the images ``like``, fixed: a plain ``D(x, t)``.

        ``D.draw(x0, generator=g)(x0, t)`` is ``D(x0, t, **D.sample_params(x0, generator=g))``;
        a deterministic operator returns itself. This is the callable a sampler needs to walk
        back from images that ``D`` degraded with one draw. ``given`` parameters are bound as
        they are (:meth:`sample_params`).
        """
        if not self.param_names:
            return self
        return self.bind(**self.sample_params(like, generator=generator, given=given))

    def resampled(self, generator: torch.Generator | None = None) -> ResampledDegradation:
        """A ``D(x, t)`` callable that draws fresh parameters at every call (for training)."""
        return ResampledDegradation(self, generator)

    def _current_names(self, params: dict[str, Tensor]) -> dict[str, Tensor]:
        """``params`` with former names (:attr:`renamed`) replaced, warning once per call."""
        old = [name for name in params if self.renamed.get(name) in self.param_names]
        if not old:
            return params
        level, frame = 2, sys._getframe(1)  # point the warning at the caller's own line
        while frame is not None and frame.f_globals.get("__name__", "").startswith(
                ("degrade.", "torch.")):
            level, frame = level + 1, frame.f_back
        for name in old:
            warnings.warn(f"{type(self).__name__}'s parameter {name!r} is now called "
                          f"{self.renamed[name]!r} (one name for the noise across operators); "
                          f"{name!r} will stop working in colddiff 0.3", DeprecationWarning,
                          stacklevel=level)
        return {self.renamed.get(name, name): value for name, value in params.items()}

    def _check_params(self, params: Mapping[str, Tensor], x: Tensor) -> dict[str, Tensor]:
        unknown = set(params) - set(self.param_names)
        missing = set(self.param_names) - set(params)
        if unknown or missing:
            raise TypeError(self._params_message(unknown, missing))
        expected = self.param_shapes(tuple(x.shape))
        checked = {}
        for name, value in params.items():
            if not isinstance(value, Tensor):
                raise TypeError(f"parameter {name!r} must be a tensor, got {type(value).__name__}")
            if tuple(value.shape) != expected[name]:
                raise ValueError(
                    f"parameter {name!r} must have shape {expected[name]} for images of shape "
                    f"{tuple(x.shape)}, got {tuple(value.shape)}: draw it with "
                    "D.sample_params(x) for the same batch"
                )
            value = value.to(x.device)
            if value.is_floating_point():
                value = value.to(x.dtype)
            checked[name] = value
        return checked

    def _params_message(self, unknown: set[str], missing: set[str]) -> str:
        name = type(self).__name__
        if not self.param_names:
            return f"{name} is deterministic and takes no parameters, got {sorted(unknown)}"
        takes = ", ".join(self.param_names)
        if unknown:
            return f"{name} got unexpected parameter(s) {sorted(unknown)}; it takes: {takes}"
        return (
            f"{name} needs its random parameters ({takes}): draw them with "
            "params = D.sample_params(x, generator=g) and call D(x, t, **params), "
            "or fix them once with D.bind(**params)"
        )

    def extra_repr(self) -> str:
        return f"T={self.num_steps}"


class GaussianNoiseDegradation(Degradation):
    """A degradation whose one random parameter is white Gaussian noise ``noise``, shaped like
    the images (blur diffusion, blurring diffusion)."""

    param_names = ("noise",)

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        return {"noise": tuple(shape)}

    def _sample(self, shape: Shape, generator: torch.Generator | None,
                dtype: torch.dtype) -> dict[str, Tensor]:
        return {"noise": white_noise(shape, generator, dtype)}


def white_noise(shape: Shape, generator: torch.Generator | None, dtype: torch.dtype) -> Tensor:
    """Standard normal noise of ``shape`` on the generator's device: the ``noise`` parameter of
    every operator with additive Gaussian noise."""
    device = generator.device if generator is not None else None
    return torch.randn(shape, generator=generator, device=device, dtype=dtype)


DegradationFn = Callable[[Tensor, Step], Tensor]
"""Any ``D(x, t)`` callable: a :class:`Degradation` without random parameters, a bound one, or a
function a user writes."""
