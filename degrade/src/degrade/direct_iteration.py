"""Inversion by Direct Iteration (InDI): the straight path from a clean image to its observation.

Delbracio and Milanfar (2023), section 3: ``x_t = (1 - t) x + t y`` for ``t`` in [0, 1], where
``y`` is the degraded observation of the clean ``x`` (a blurred, downsampled, compressed or noisy
photograph), with optional noise ``t sigma_t eta``. Restoration walks this path back from ``y``
in small steps (:func:`samplers.indi`); a restorer trained on it with section 3.1 of Bansal et al.
(2022), ``R(x_t, t) ~ x``, is InDI's network.

References: Delbracio and Milanfar, 2023, "Inversion by Direct Iteration: An Alternative to
Denoising Diffusion for Image Restoration", TMLR, arXiv:2303.11435; Bansal et al., 2022,
"Cold Diffusion: Inverting Arbitrary Image Transforms Without Noise", arXiv:2208.09392.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from ._validation import as_levels, check_image, check_num_steps
from .base import Degradation, Shape, white_noise
from .bound import BoundDegradation

Endpoint = Callable[[Tensor], Tensor]
"""``y = A(x)``: how a clean image is observed."""


class DirectIteration(Degradation):
    r"""InDI's path ``D(x, t) = (1 - t/T) x + (t/T) y + (t/T) sigma_t noise`` (section 3 of
    Delbracio and Milanfar, 2023, with their continuous time ``t/T``).

    ``y``, the observation at ``t = T``, comes from one of two places:

    * an ``endpoint``: a :class:`Degradation` taken at its last step, ``y = A(x, A.T)``, whose
      random parameters become this operator's (blur, super-resolution, snow: paired data made
      on the fly), or any callable ``y = A(x)``;
    * the data: with ``endpoint=None``, ``y`` is the random parameter ``y`` of shape
      ``(B, C, H, W)``, the observed image paired with each clean one (bind it with
      ``D.bind(y=...)``, or :meth:`observing` to walk back from an observation).

    ``sigma`` adds InDI's noise ``(t/T) sigma_t noise``, ``noise ~ N(0, I)`` the parameter
    ``noise``: a number for a constant ``sigma_t`` (InDI's own scheme), or ``sigma_1 ..
    sigma_T``, which must not increase with ``t`` so that every step back can add the missing
    variance (``sigma_t = sigma / sqrt(t/T)`` makes the noise a Brownian motion). The sampler
    takes the same values (:func:`samplers.indi`, ``sigma=D.sigma``).

    ``D(x, 0) = x`` and ``D(x, T) = y`` (plus ``sigma_T noise``). The operator is linear in
    ``x`` when the endpoint is a linear :class:`Degradation` and there is no noise.

    Args:
        endpoint: the degradation whose last step is the observation, a callable ``y = A(x)``,
            or None for paired data.
        num_steps: ``T``, the number of steps of the walk.
        sigma: the noise level, a number or ``sigma_1 .. sigma_T`` (non-increasing, >= 0).

    Examples:
        >>> import torch
        >>> from degrade import DirectIteration, GaussianBlurSchedule
        >>> blur = GaussianBlurSchedule.constant(kernel_size=11, num_steps=20, sigma=2.0)
        >>> D = DirectIteration(blur, num_steps=10)
        >>> x = torch.rand(2, 3, 16, 16) * 2 - 1
        >>> bool(torch.equal(D(x, 10), blur(x, 20))), bool(torch.equal(D(x, 0), x))
        (True, True)
        >>> paired = DirectIteration(None, num_steps=10).bind(y=blur(x, 20))
        >>> bool(torch.allclose(paired(x, 5), (x + blur(x, 20)) / 2))
        True
    """

    def __init__(
        self,
        endpoint: Degradation | Endpoint | None,
        num_steps: int,
        sigma: float | Sequence[float] | Tensor = 0.0,
    ) -> None:
        super().__init__(check_num_steps(num_steps))
        if endpoint is not None and not callable(endpoint):
            raise TypeError("endpoint must be a Degradation, a callable y = A(x) or None, got "
                            f"{type(endpoint).__name__}")
        self.endpoint = endpoint
        self.sigma = _sigmas(sigma, self.num_steps)
        self.noisy = bool((self.sigma > 0).any())
        inner = endpoint.param_names if isinstance(endpoint, Degradation) else ()
        if self.noisy and "noise" in inner:
            raise ValueError("the endpoint has a 'noise' parameter of its own, which would clash "
                             "with InDI's noise: fold one into the other (sigma=0, or an "
                             "endpoint without noise)")
        self.param_names = (("y",) if endpoint is None else inner) + \
            (("noise",) if self.noisy else ())
        self.is_linear = (isinstance(endpoint, Degradation) and endpoint.is_linear
                          and not self.noisy)
        self.differentiable = not isinstance(endpoint, Degradation) or endpoint.differentiable
        self.register_buffer("_sigma", torch.cat([self.sigma[:1], self.sigma]), persistent=False)

    def check_image_size(self, height: int, width: int) -> None:
        if isinstance(self.endpoint, Degradation):
            self.endpoint.check_image_size(height, width)

    def param_shapes(self, shape: Shape) -> dict[str, tuple[int, ...]]:
        shapes = self.endpoint.param_shapes(shape) if isinstance(self.endpoint, Degradation) \
            else {}
        if self.endpoint is None:
            shapes["y"] = tuple(shape)
        if self.noisy:
            shapes["noise"] = tuple(shape)
        return shapes

    def _sample(
        self, shape: Shape, generator: torch.Generator | None, dtype: torch.dtype
    ) -> dict[str, Tensor]:
        params = {}
        if isinstance(self.endpoint, Degradation):
            params = self.endpoint._sample(shape, generator, dtype)
        if self.noisy:
            params["noise"] = white_noise(shape, generator, dtype)
        return params

    def observe(self, x: Tensor, **params: Tensor) -> Tensor:
        """The observation ``y`` of the clean images ``x`` (the endpoint's last step), without
        noise: ``D(x, T)`` when ``sigma = 0``."""
        if self.endpoint is None:
            return params["y"]
        if isinstance(self.endpoint, Degradation):
            inner = {name: params[name] for name in self.endpoint.param_names}
            return self.endpoint(x, self.endpoint.num_steps, **inner)
        y = self.endpoint(x)
        if not isinstance(y, Tensor) or y.shape != x.shape:
            raise ValueError(f"the endpoint must return images of the shape of x "
                             f"{tuple(x.shape)}, got {getattr(y, 'shape', type(y).__name__)}")
        return y.to(x.dtype)

    def degrade(self, x: Tensor, t: Tensor, **params: Tensor) -> Tensor:
        fraction = (t.to(torch.float64) / self.num_steps).to(x.dtype).view(-1, 1, 1, 1)
        out = (1 - fraction) * x + fraction * self.observe(x, **params)
        if self.noisy:
            sigma = self._sigma.to(x.device)[t.to(x.device)].to(x.dtype).view(-1, 1, 1, 1)
            out = out + fraction * sigma * params["noise"]
        return out

    def ending_at(self, x_T: Tensor) -> BoundDegradation | Degradation:
        """The path toward the observation ``y = x_T`` (paired data, ``endpoint=None``), without
        noise, so that ``D(x, T) = x_T``: the ``D`` with which TACoS walks back from an
        observation. An operator with an endpoint walks with ``A(x0_hat)`` instead and returns
        itself when it has no random parameters (:meth:`Degradation.ending_at`)."""
        if self.endpoint is not None:
            return super().ending_at(x_T)
        check_image(x_T, name="x_T")
        params = {"y": x_T}
        if self.noisy:
            params["noise"] = torch.zeros_like(x_T)
        return self.bind(**params)

    def observing(
        self, y: Tensor, *, generator: torch.Generator | None = None
    ) -> tuple[Tensor, BoundDegradation | Degradation]:
        """Where InDI's walk back from an observation ``y`` starts, and the path to walk with:
        ``x_T = y + sigma_T eta``, ``eta ~ N(0, I)`` drawn from ``generator``, and this path
        with its ``noise`` bound to ``eta`` (and ``y`` to the observations, for paired data), so
        that ``D(x, T) = x_T`` for every ``x`` observed as ``y``. That is the start
        ``x_1 = y + sigma_1 eta`` of section 3 of Delbracio and Milanfar (2023): a restorer of a
        noisy path saw noise at ``t = T`` in training and must see it in restoration too.
        Without noise it is ``(y, self.ending_at(y))``. An endpoint with random parameters of
        its own (an inpainting mask) raises ``TypeError``: bind them with :meth:`bind`."""
        if not self.noisy:
            return y, self.ending_at(y)
        check_image(y, name="y")
        inner = self.endpoint.param_names if isinstance(self.endpoint, Degradation) else ()
        if inner:
            raise TypeError(f"the endpoint's random parameters ({', '.join(inner)}) cannot be "
                            "read from y: bind them yourself, D.bind(**params)")
        eta = white_noise(tuple(y.shape), generator, y.dtype).to(y.device)
        params = {"noise": eta} | ({"y": y} if self.endpoint is None else {})
        return y + self.sigma[-1].item() * eta, self.bind(**params)

    def extra_repr(self) -> str:
        endpoint = "y" if self.endpoint is None else getattr(
            self.endpoint, "__name__", type(self.endpoint).__name__)
        noise = f", sigma={self.sigma[-1].item():g}..{self.sigma[0].item():g}" if self.noisy \
            else ""
        return f"T={self.num_steps}, endpoint={endpoint}{noise}"


def _sigmas(sigma: float | Sequence[float] | Tensor, num_steps: int) -> Tensor:
    """``sigma_1 .. sigma_T`` as float64, checked: non-negative and non-increasing in ``t``."""
    return as_levels("sigma", sigma, num_steps, symbol="sigma", increasing=False,
                     why="each step back adds the variance sigma_{t-1}^2 - sigma_t^2 (section "
                         "3 of Delbracio and Milanfar, 2023)")
