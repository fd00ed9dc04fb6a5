"""Feature extractors for Frechet distances, pluggable.

FID proper uses Inception-v3 features whose weights cannot be downloaded here. The zoo ships
small classifiers trained in this project (:class:`FeatureNet`: ``mnistnet``, ``cifarnet``,
``facecatnet`` for 64-px faces and cats) and names the metric after the extractor,
``FID-mnistnet``, never plain FID. Any callable that maps
images ``(B, C, H, W)`` in [-1, 1] to features ``(B, d)`` plugs in the same way (see
docs/results.md for Inception through pytorch-fid).

Train a classifier with ``python -m zoo.maintain.features mnist`` (or ``cifar10``,
``facecatnet``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .files import load_verified

FeatureFn = Callable[[Tensor], Tensor]
"""``features(images) -> (B, d)`` for images ``(B, C, H, W)`` in [-1, 1]."""

EXTRACTORS = {"mnist": "mnistnet", "cifar10": "cifarnet", "celeba": "facecatnet",
              "afhq": "facecatnet"}
"""The shipped extractor of each data set: faces and cats share one, so that the distance
between them is measured in one space."""


class FeatureNet(nn.Module):
    """A small convolutional classifier; its features are the last hidden layer.

    On 32x32 images, three blocks of 3x3 convolutions with ReLU and max pooling (two of 32
    channels, two of 64, one of 128); on 64x64 images four (one of 32, two of 64, one of 128,
    one of 128), ending at 4x4 too.
    Then a ``feature_dim`` hidden layer (the features) and a linear classifier.
    """

    def __init__(self, channels: int = 1, num_classes: int = 10, feature_dim: int = 128,
                 image_size: int = 32) -> None:
        super().__init__()
        if image_size not in (32, 64):
            raise ValueError(f"image_size must be 32 or 64, got {image_size}")
        self.channels, self.num_classes, self.feature_dim = channels, num_classes, feature_dim
        self.image_size = image_size

        def block(c_in: int, c_out: int, convs: int) -> list[nn.Module]:
            layers: list[nn.Module] = []
            for i in range(convs):
                layers += [nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1), nn.ReLU()]
            return [*layers, nn.MaxPool2d(2)]

        if image_size == 32:
            blocks = [*block(channels, 32, 2), *block(32, 64, 2), *block(64, 128, 1)]
        else:
            blocks = [*block(channels, 32, 1), *block(32, 64, 2), *block(64, 128, 1),
                      *block(128, 128, 1)]
        self.body = nn.Sequential(*blocks, nn.Flatten(), nn.Linear(128 * 4 * 4, feature_dim),
                                  nn.ReLU())
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: Tensor) -> Tensor:
        """Features ``(B, feature_dim)`` of images in [-1, 1] (resized to the network's
        ``image_size`` if needed)."""
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f"expected (B, {self.channels}, H, W) images, got {tuple(x.shape)}")
        side = self.image_size
        if x.shape[-2:] != (side, side):
            x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False,
                              antialias=True)
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def _registry() -> dict[str, dict]:
    text = resources.files("zoo").joinpath("data/features.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_feature_net(name: str) -> FeatureNet:
    """A shipped extractor (``"mnistnet"`` or ``"cifarnet"``), verified, in eval mode."""
    registry = _registry()
    if name not in registry:
        raise KeyError(f"no feature extractor named {name!r}; shipped: {sorted(registry)}")
    entry = registry[name]
    net = FeatureNet(entry["channels"], entry["num_classes"], entry["feature_dim"],
                     entry.get("image_size", 32))
    path = resources.files("zoo").joinpath(entry["file"])
    net.load_state_dict(load_verified(Path(str(path)), entry["sha256"]))
    return net.eval()


@torch.no_grad()
def extract(features: FeatureFn, images: Tensor, batch_size: int = 250) -> Tensor:
    """``features`` applied batch by batch, as float64 ``(N, d)``."""
    if isinstance(features, nn.Module):
        features.eval()
    return torch.cat([features(images[i:i + batch_size]).double()
                      for i in range(0, len(images), batch_size)])
