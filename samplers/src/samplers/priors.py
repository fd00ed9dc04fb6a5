"""Priors over fully degraded images ``x_T``, for generation from scratch (5.2 and 5.3).

Each prior is fitted on training images (``fit``), draws ``x_T`` for a sampler (``sample``), and
saves to a file of plain tensors (``save``, ``load``; no pickled code).
"""

from __future__ import annotations

import math
from os import PathLike
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from ._validation import check_images, check_noise_std


class Prior:
    """Base of the priors: a distribution over ``x_T`` images of shape ``(C, H, W)``."""

    _fields: ClassVar[tuple[str, ...]] = ()
    """Names of the tensors that make up the fitted prior."""

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
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a whole number >= 0, got {n!r}")
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

    def save(self, path: str | PathLike[str]) -> None:
        """Write the prior to ``path`` as a dict of tensors (loadable with ``weights_only``)."""
        torch.save({"prior": type(self).__name__, **self.state_dict()}, path)

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Prior:
        """Read a prior written by :meth:`save`; ``Prior.load`` returns the saved kind."""
        state = torch.load(path, weights_only=True, map_location="cpu")
        try:
            return cls.from_state(state.pop("prior", None), state)
        except ValueError as error:
            raise ValueError(f"{path} does not hold a {cls.__name__}") from error

    @classmethod
    def from_state(cls, kind: str | None, state: dict[str, Tensor]) -> Prior:
        """The prior of class name ``kind`` (``"ChannelMeanPrior"``...) holding ``state``."""
        kinds = {prior.__name__: prior for prior in _PRIORS}
        prior = kinds.get(kind)
        if prior is None or not issubclass(prior, cls):
            known = ", ".join(k for k, p in kinds.items() if issubclass(p, cls))
            raise ValueError(f"{kind!r} is not a kind of {cls.__name__} (kinds: {known})")
        return prior().load_state_dict(state)

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

    Example:
        >>> import torch
        >>> from samplers import ChannelMeanPrior
        >>> prior = ChannelMeanPrior().fit(torch.rand(100, 3, 16, 16) * 2 - 1)
        >>> prior.sample(4, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([4, 3, 16, 16])
    """

    _fields = ("weights", "means", "covariances", "shape", "noise_std")

    def __init__(self, components: int = 1, noise_std: float = 0.0) -> None:
        if isinstance(components, bool) or not isinstance(components, int) or components < 1:
            raise ValueError(f"components must be a whole number >= 1, got {components!r}")
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


class _LowGaussian(Prior):
    """One Gaussian over a small ``(C, k, k)`` summary of each image: the fitting and drawing
    that :class:`DownsampledPrior` and :class:`LowFrequencyPrior` share."""

    mean: Tensor | None
    covariance: Tensor | None

    def _fit_low(self, low: Tensor, images: Tensor) -> _LowGaussian:
        _, means, covariances = fit_gaussian_mixture(low.flatten(1), 1)
        self.mean, self.covariance = means[0], covariances[0]
        self.shape = torch.tensor(images.shape[1:])
        return self

    def _draw_low(self, n: int, generator: torch.Generator | None) -> Tensor:
        """``n`` summaries ``(n, C, k, k)``, float64."""
        channels = self.image_shape[0]
        size = math.isqrt(len(self.mean) // channels)
        low = sample_gaussian_mixture(torch.ones(1, dtype=torch.float64), self.mean[None],
                                      self.covariance[None], n, generator)
        return low.view(n, channels, size, size)


class DownsampledPrior(_LowGaussian):
    r"""A Gaussian over fully downsampled images: ``x_T`` for super-resolution generation (5.3).

    Images are averaged down to ``final_size x final_size`` per channel (what the
    super-resolution schedule ends at, 2x2 in the paper), one Gaussian is fitted to those
    ``C * final_size^2`` numbers, and draws are shown at full size by nearest-neighbour
    upsampling, as the schedule shows its images.
    """

    _fields = ("mean", "covariance", "shape")

    def __init__(self, final_size: int = 2) -> None:
        if final_size < 1:
            raise ValueError(f"final_size must be at least 1, got {final_size}")
        self.final_size = final_size
        self.mean = self.covariance = self.shape = None

    def fit(self, images: Tensor) -> DownsampledPrior:
        images = _training_images(images)
        height, width = images.shape[-2:]
        if height % self.final_size or width % self.final_size:
            raise ValueError(
                f"images of {height}x{width} cannot be averaged down to "
                f"{self.final_size}x{self.final_size}"
            )
        return self._fit_low(F.adaptive_avg_pool2d(images.double(), self.final_size), images)

    def _draw(self, n: int, generator: torch.Generator | None) -> Tensor:
        height, width = self.image_shape[1:]
        return F.interpolate(self._draw_low(n, generator).float(), size=(height, width),
                             mode="nearest")


class LowFrequencyPrior(_LowGaussian):
    r"""A Gaussian over the lowest ``size x size`` DCT coefficients: ``x_T`` for heat dissipation.

    Images blurred by the heat equation to its last step keep only their lowest frequencies
    (Rissanen, Heinonen and Solin, 2023, "Generative Modelling With Inverse Heat Dissipation",
    arXiv:2206.13397, section 2). Fitted on such images, one Gaussian over the first
    ``size x size`` coefficients of each channel's orthonormal 2-D DCT-II (the constant one
    included) draws new ones, the other coefficients zero; ``noise_std`` then adds the noise
    the degradation carries (their ``sigma``). With ``size = 1`` it is :class:`ChannelMeanPrior`
    with one component.

    Example:
        >>> import torch
        >>> from samplers import LowFrequencyPrior
        >>> prior = LowFrequencyPrior(4).fit(torch.rand(100, 1, 16, 16) * 2 - 1)
        >>> prior.sample(3, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([3, 1, 16, 16])
    """

    _fields = ("mean", "covariance", "shape", "noise_std")

    def __init__(self, size: int = 4, noise_std: float = 0.0) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a whole number >= 1, got {size!r}")
        check_noise_std(noise_std)
        self.size = size
        self.mean = self.covariance = self.shape = None
        self.noise_std = torch.tensor(float(noise_std))

    def fit(self, images: Tensor) -> LowFrequencyPrior:
        """Fit the Gaussian to the low-frequency coefficients of ``images`` ``(N, C, H, W)``."""
        images = _training_images(images).double()
        height, width = images.shape[-2:]
        if self.size > min(height, width):
            raise ValueError(f"size {self.size} exceeds the images' {height}x{width}")
        rows, columns = _dct(height)[:self.size], _dct(width)[:self.size]
        return self._fit_low(rows @ images @ columns.T, images)

    def _draw(self, n: int, generator: torch.Generator | None) -> Tensor:
        height, width = self.image_shape[1:]
        low = self._draw_low(n, generator)
        size = low.shape[-1]
        rows, columns = _dct(height)[:size], _dct(width)[:size]
        return (rows.T @ low @ columns).float()


def _dct(size: int) -> Tensor:
    """The orthonormal DCT-II matrix (float64): ``C @ v`` transforms, ``C.T @ c`` inverts."""
    k = torch.arange(size, dtype=torch.float64)[:, None]
    j = torch.arange(size, dtype=torch.float64)[None, :]
    matrix = torch.cos(math.pi * k * (2 * j + 1) / (2 * size)) * math.sqrt(2 / size)
    matrix[0] /= math.sqrt(2)
    return matrix


class SolidColorPrior(Prior):
    """A random solid colour per image, uniform in [-1, 1] per channel: for fade generation (5.3).

    ``fit`` only records the image shape (the paper draws colours uniformly).
    """

    _fields = ("shape",)

    def __init__(self) -> None:
        self.shape = None

    def fit(self, images: Tensor) -> SolidColorPrior:
        self.shape = torch.tensor(_training_images(images).shape[1:])
        return self

    def _draw(self, n: int, generator: torch.Generator | None) -> Tensor:
        channels, height, width = self.image_shape
        colours = torch.rand(n, channels, 1, 1, generator=generator) * 2 - 1
        return colours.expand(n, channels, height, width).clone()


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


def _training_images(images: Tensor) -> Tensor:
    """The images a prior is fitted on: checked, and finite (a NaN would surface much later,
    in a Cholesky factorisation or as NaN samples)."""
    images = check_images(images, "images")
    if not bool(torch.isfinite(images).all()):
        raise ValueError("the images to fit a prior on hold NaN or infinite values")
    return images


_PRIORS = (ChannelMeanPrior, DownsampledPrior, LowFrequencyPrior, SolidColorPrior,
           ImagePoolPrior)


def fit_gaussian_mixture(
    data: Tensor,
    components: int,
    *,
    iterations: int = 200,
    tolerance: float = 1e-8,
    regularization: float = 1e-6,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Maximum-likelihood Gaussian mixture of ``data`` ``(N, D)`` by expectation-maximisation.

    Starts from k-means++ centres; ``regularization`` is added to each covariance's diagonal.
    Returns ``(weights (k,), means (k, D), covariances (k, D, D))`` in float64.
    """
    data = data.double()
    n, dim = data.shape
    if n < components:
        raise ValueError(f"cannot fit {components} components to {n} points")
    ridge = regularization * torch.eye(dim, dtype=torch.float64)
    if components == 1:
        centred = data - data.mean(0)
        covariance = centred.T @ centred / n + ridge
        return torch.ones(1, dtype=torch.float64), data.mean(0, keepdim=True), covariance[None]
    means = _kmeans_plus_plus(data, components, generator)
    covariances = ((data - data.mean(0)).T @ (data - data.mean(0)) / n + ridge).expand(
        components, dim, dim).clone()
    weights = torch.full((components,), 1 / components, dtype=torch.float64)
    previous = -math.inf
    for _ in range(iterations):
        log_density = torch.distributions.MultivariateNormal(
            means, covariance_matrix=covariances).log_prob(data[:, None, :]) + weights.log()
        log_likelihood = torch.logsumexp(log_density, dim=1)
        responsibilities = (log_density - log_likelihood[:, None]).exp()
        counts = responsibilities.sum(0) + 1e-12
        weights = counts / n
        means = responsibilities.T @ data / counts[:, None]
        centred = data[None] - means[:, None]
        covariances = torch.einsum("kn,kni,knj->kij", responsibilities.T, centred, centred)
        covariances = covariances / counts[:, None, None] + ridge
        mean_log_likelihood = log_likelihood.mean().item()
        if mean_log_likelihood - previous < tolerance:
            break
        previous = mean_log_likelihood
    return weights, means, covariances


def sample_gaussian_mixture(
    weights: Tensor, means: Tensor, covariances: Tensor, n: int,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Draw ``n`` points from a Gaussian mixture: ``(n, D)`` float64."""
    component = torch.multinomial(weights.double(), n, replacement=True, generator=generator)
    scale = torch.linalg.cholesky(covariances.double())
    noise = torch.randn(n, means.shape[1], dtype=torch.float64, generator=generator)
    return means.double()[component] + (scale[component] @ noise[:, :, None])[:, :, 0]


def _kmeans_plus_plus(data: Tensor, k: int, generator: torch.Generator | None) -> Tensor:
    """k-means++ seeding: each next centre drawn with probability proportional to distance^2."""
    first = torch.randint(len(data), (1,), generator=generator)
    centres = data[first]
    for _ in range(1, k):
        distance2 = torch.cdist(data, centres).min(dim=1).values ** 2
        if float(distance2.sum()) == 0:
            following = torch.randint(len(data), (1,), generator=generator)
        else:
            following = torch.multinomial(distance2, 1, generator=generator)
        centres = torch.cat([centres, data[following]])
    return centres
