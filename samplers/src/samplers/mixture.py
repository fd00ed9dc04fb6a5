"""Gaussian mixtures fitted by expectation-maximisation, for the priors over ``x_T``.

:class:`samplers.ChannelMeanPrior` fits one to the channel means of training images (section
5.2 of Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392, which uses a single Gaussian; more components are offered).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


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
