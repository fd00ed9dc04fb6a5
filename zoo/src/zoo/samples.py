"""Test images shipped inside the package, so that the demos need no data files.

``data/samples.npz`` holds the first 64 test images of MNIST (28x28, as published) and of the
CIFAR-10 JPEG copy (32x32), with their labels, and the first 16 of the 64-px CelebA and AFHQ
cat subsets (``python -m zoo.maintain.samples`` writes it from the data files).
"""

from __future__ import annotations

import numpy as np
from restore.arrays import resize_uint8
from restore.images import from_uint8
from torch import Tensor

from .registry import package_path

DATASETS = ("mnist", "cifar10", "celeba", "afhq")


def sample_images(dataset: str, n: int = 64, size: int | None = None) -> Tensor:
    """The first ``n`` shipped test images of ``dataset``, ``(n, C, H, W)`` in [-1, 1].

    MNIST is resized to 32x32 (bilinear, rounded to uint8) unless ``size`` says otherwise, the
    same images as ``restore.data.load("mnist", "test", size=32)``.
    """
    if dataset not in DATASETS:
        raise ValueError(f"the zoo ships test images of {', '.join(DATASETS)}, not {dataset!r}")
    with np.load(package_path("data/samples.npz")) as archive:
        images = archive[f"{dataset}_images"]
    if not 1 <= n <= len(images):
        raise ValueError(f"n must be between 1 and {len(images)}, got {n}")
    images = images[:n]
    if dataset == "mnist":
        images = resize_uint8(images, size or 32)[..., None]
    elif size not in (None, images.shape[1]):
        raise ValueError(f"the {dataset} samples are {images.shape[1]}x{images.shape[1]}; size "
                         f"{size} is not offered")
    return from_uint8(images, channels_last=True)
