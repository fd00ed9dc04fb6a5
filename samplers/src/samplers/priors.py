"""Priors over fully degraded images ``x_T``, for generation from scratch (5.2 and 5.3).

Each prior is fitted on training images (``fit``), draws ``x_T`` for a sampler (``sample``), and
saves to a pretrained folder (``save_pretrained``, ``from_pretrained``: its class, constructor
arguments and a checked safetensors file; no pickled code).
"""

from __future__ import annotations

import inspect
import warnings
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor

from . import folders
from .mixture import fit_gaussian_mixture, sample_gaussian_mixture
from .validation import check_count, check_images, check_noise_std

FORMAT = "colddiff-prior-1"
"""The ``format`` of a prior's ``config.json``."""
FILE = "prior.safetensors"


_KINDS: list[type[Prior]] = []
"""Every kind of prior, the base excepted: the classes :meth:`Prior.from_state` builds."""


class Prior:
    """Base of the priors: a distribution over ``x_T`` images of shape ``(C, H, W)``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            _KINDS.append(cls)

    _fields: ClassVar[tuple[str, ...]] = ()
    """Names of the tensors that make up the fitted prior."""

    learns_from_data: ClassVar[bool] = True
    """Whether :meth:`fit` learns what it draws from the images (False where it records only
    their shape, and draws the same for every data set)."""

    def fit(self, images: Tensor) -> Prior:
        """Fit on training images ``(N, C, H, W)`` in [-1, 1]; returns ``self``."""
        raise NotImplementedError

    def sample(self, n: int, *, generator: torch.Generator | None = None,
               noise_std: float | None = None) -> Tensor:
        """Draw ``n`` images ``x_T`` of shape ``(n, C, H, W)``.

        ``noise_std`` adds Gaussian noise of that standard deviation, drawn after the images
        from the same ``generator``, to break the symmetry between pixels (section 5.2); by
        default the prior's own ``noise_std`` (0 unless it has one). ``n = 0`` gives an empty
        batch.
        """
        self._check_fitted()
        n = check_count(n, "n")
        std = check_noise_std(float(getattr(self, "noise_std", 0.0)) if noise_std is None
                              else noise_std)
        if n == 0:
            return torch.empty(0, *self.image_shape)
        x_T = self._draw(n, generator)
        if std > 0:
            x_T = x_T + std * torch.randn(x_T.shape, generator=generator)
        return x_T

    def _draw(self, n: int, generator: torch.Generator | None) -> Tensor:
        """``n`` images of the fitted distribution, without the symmetry-breaking noise."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Tensor]:
        """The fitted prior as plain tensors."""
        self._check_fitted()
        return {name: getattr(self, name) for name in self._fields}

    def load_state_dict(self, state: dict[str, Tensor]) -> Prior:
        missing = [name for name in self._fields if name not in state]
        if missing:
            raise KeyError(f"{type(self).__name__} state lacks {missing}")
        for name in self._fields:
            setattr(self, name, state[name])
        return self

    def arguments(self) -> dict[str, Any]:
        """The constructor's arguments, as plain data: ``type(prior)(**prior.arguments())``
        makes the same kind of prior, unfitted."""
        names = [n for n in inspect.signature(type(self).__init__).parameters if n != "self"]
        values = {name: getattr(self, name) for name in names}
        return {k: v.item() if isinstance(v, Tensor) else v for k, v in values.items()}

    def save_pretrained(self, folder: str | PathLike[str]) -> Path:
        """Write the fitted prior as a pretrained folder (:mod:`samplers.folders`):
        ``config.json`` (its class and :meth:`arguments`) and ``prior.safetensors``, its
        sha256 recorded."""
        config = {"format": FORMAT, "class": type(self).__name__, "arguments": self.arguments()}
        return folders.write(folder, config, {FILE: self.state_dict()})

    @classmethod
    def from_pretrained(cls, folder: str | PathLike[str]) -> Prior:
        """Read a prior of :meth:`save_pretrained`, checked; ``Prior.from_pretrained`` returns
        the saved kind, a subclass only its own."""
        config, tensors = folders.read(folder, FORMAT)
        if FILE not in tensors:
            raise folders.FolderError(f"{folder} holds no {FILE}")
        try:
            return cls.from_state(config.get("class"), tensors[FILE], config.get("arguments"))
        except (TypeError, ValueError, KeyError) as error:
            raise folders.FolderError(f"{folder}: {error}") from error

    def save(self, path: str | PathLike[str]) -> None:
        """Deprecated: :meth:`save_pretrained`, which this calls (``path`` becomes a folder)."""
        warnings.warn("Prior.save is deprecated: use save_pretrained(folder), whose files are "
                      "checked when read", DeprecationWarning, stacklevel=2)
        self.save_pretrained(path)

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Prior:
        """Deprecated: :meth:`from_pretrained`. Also reads the single ``.pt`` files that
        earlier versions of :meth:`save` wrote (tensors only; their constructor arguments were
        not saved, so they come back with the defaults)."""
        warnings.warn("Prior.load is deprecated: use from_pretrained(folder)", DeprecationWarning,
                      stacklevel=2)
        if Path(path).is_dir():
            return cls.from_pretrained(path)
        state = torch.load(path, weights_only=True, map_location="cpu")
        try:
            return cls.from_state(state.pop("prior", None), state)
        except ValueError as error:
            raise ValueError(f"{path} does not hold a {cls.__name__}") from error

    @classmethod
    def from_state(cls, kind: str | None, state: dict[str, Tensor],
                   arguments: dict[str, Any] | None = None) -> Prior:
        """The prior of class name ``kind`` (``"ChannelMeanPrior"``...), built with
        ``arguments`` and holding ``state``."""
        kinds = {prior.__name__: prior for prior in _KINDS}
        prior = kinds.get(kind)
        if prior is None or not issubclass(prior, cls):
            known = ", ".join(k for k, p in kinds.items() if issubclass(p, cls))
            raise ValueError(f"{kind!r} is not a kind of {cls.__name__} (kinds: {known})")
        if arguments is not None and not isinstance(arguments, dict):
            raise ValueError(f"the arguments of a {kind} are a JSON object, got {arguments!r}")
        return prior(**(arguments or {})).load_state_dict(state)

    def _check_fitted(self) -> None:
        if any(getattr(self, name, None) is None for name in self._fields):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(images) first")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of the images it draws."""
        self._check_fitted()
        return tuple(int(n) for n in self.shape)


class ChannelMeanPrior(Prior):
    r"""A Gaussian mixture over per-image channel means: ``x_T`` for blur generation (5.2).

    Blurred to its end, an image becomes constant at its channel means; a ``k``-component
    mixture fitted to those means (one by default, as the paper) draws new constant images.
    ``noise_std`` adds Gaussian noise of that standard deviation to break the symmetry between
    pixels (0.002 in the paper: "broken symmetry"; 0: "perfect symmetry").

    Examples:
        >>> import torch
        >>> from samplers import ChannelMeanPrior
        >>> prior = ChannelMeanPrior().fit(torch.rand(100, 3, 16, 16) * 2 - 1)
        >>> prior.sample(4, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([4, 3, 16, 16])
    """

    _fields = ("weights", "means", "covariances", "shape", "noise_std")

    def __init__(self, components: int = 1, noise_std: float = 0.0) -> None:
        components = check_count(components, "components", 1)
        check_noise_std(noise_std)
        self.components = components
        self.weights = self.means = self.covariances = self.shape = None
        self.noise_std = torch.tensor(float(noise_std))

    def fit(self, images: Tensor, *, generator: torch.Generator | None = None) -> ChannelMeanPrior:
        """Fit the mixture to the channel means of ``images`` by expectation-maximisation."""
        images = _training_images(images)
        means = images.double().mean(dim=(-2, -1))
        self.weights, self.means, self.covariances = fit_gaussian_mixture(
            means, self.components, generator=generator
        )
        self.shape = torch.tensor(images.shape[1:])
        return self

    def load_state_dict(self, state: dict[str, Tensor]) -> ChannelMeanPrior:
        """As :meth:`Prior.load_state_dict`; the mixture is kept in float64, as :meth:`fit`
        makes it, whatever precision it was stored in."""
        mixture = ("weights", "means", "covariances")
        return super().load_state_dict({k: v.double() if k in mixture else v
                                        for k, v in state.items()})

    def _draw(self, n: int, generator: torch.Generator | None) -> Tensor:
        """Constant images at channel means drawn from the mixture."""
        channels, height, width = self.image_shape
        levels = sample_gaussian_mixture(self.weights, self.means, self.covariances, n, generator)
        return levels.float()[:, :, None, None].expand(n, channels, height, width).clone()


class _ShapeOnly(Prior):
    """A prior whose fit records only the images' shape: what it draws does not depend on the
    data."""

    _fields = ("shape",)
    learns_from_data = False

    def __init__(self) -> None:
        self.shape = None

    def fit(self, images: Tensor) -> _ShapeOnly:
        self.shape = torch.tensor(_training_images(images).shape[1:])
        return self


class SolidColorPrior(_ShapeOnly):
    """A random solid colour per image, uniform in [-1, 1] per channel: for fade generation (5.3).

    ``fit`` only records the image shape (the paper draws colours uniformly).
    """

    def _draw(self, n: int, generator: torch.Generator | None) -> Tensor:
        channels, height, width = self.image_shape
        colours = torch.rand(n, channels, 1, 1, generator=generator) * 2 - 1
        return colours.expand(n, channels, height, width).clone()


class WhiteNoisePrior(_ShapeOnly):
    """White noise ``N(0, I)`` of the images' shape: ``x_T`` for hot generation, the Gaussian
    diffusion of Table 5 (Bansal et al., 2022, arXiv:2208.09392, sections 5.1 and 5.2) that
    ``degrade.NoiseSchedule`` ends at.

    ``fit`` only records the image shape: the noise is the same for every data set.

    Examples:
        >>> import torch
        >>> from samplers import WhiteNoisePrior
        >>> prior = WhiteNoisePrior().fit(torch.zeros(2, 3, 16, 16))
        >>> x_T = prior.sample(500, generator=torch.Generator().manual_seed(0))
        >>> tuple(x_T.shape), round(float(x_T.std()), 2)
        ((500, 3, 16, 16), 1.0)
    """

    def _draw(self, n: int, generator: torch.Generator | None) -> Tensor:
        return torch.randn(n, *self.image_shape, generator=generator)


class ImagePoolPrior(Prior):
    """Images drawn from a second data set: ``x_T`` for mixing, or animorphosis (5.3)."""

    _fields = ("images", "shape")

    def __init__(self) -> None:
        self.images = self.shape = None

    def fit(self, images: Tensor) -> ImagePoolPrior:
        self.images = _training_images(images).detach().clone()
        self.shape = torch.tensor(images.shape[1:])
        return self

    def _draw(self, n: int, generator: torch.Generator | None) -> Tensor:
        index = torch.randint(len(self.images), (n,), generator=generator)
        return self.images[index]

    def state_dict(self) -> dict[str, Tensor]:
        """The pool as 8-bit pixels where that loses nothing (images decoded from 8-bit files:
        a quarter of the float32 bytes), else as they are."""
        state = super().state_dict()
        pixels = _eight_bit(self.images)
        return state if pixels is None else {**state, "images": pixels}

    def load_state_dict(self, state: dict[str, Tensor]) -> ImagePoolPrior:
        super().load_state_dict(state)
        if self.images.dtype == torch.uint8:
            self.images = self.images.float() / 127.5 - 1
        return self


def _eight_bit(images: Tensor) -> Tensor | None:
    """``images`` in [-1, 1] as the 8-bit pixels ``u`` with ``u / 127.5 - 1 == images``
    exactly, or None where float32 images are not such pixels."""
    if images.dtype != torch.float32:
        return None
    pixels = ((images + 1) * 127.5).round().clamp(0, 255)
    return pixels.to(torch.uint8) if torch.equal(pixels / 127.5 - 1, images) else None


def _training_images(images: Tensor) -> Tensor:
    """The images a prior is fitted on: checked, and finite (a NaN would surface much later,
    in a Cholesky factorisation or as NaN samples)."""
    images = check_images(images, "images")
    if not bool(torch.isfinite(images).all()):
        raise ValueError("the images to fit a prior on hold NaN or infinite values")
    return images

