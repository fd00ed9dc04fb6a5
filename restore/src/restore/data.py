"""Image data sets for training restorers: every item is a ``(C, H, W)`` float tensor in [-1, 1].

* :class:`MNIST`: ``mnist.npz`` or MNIST's own idx files, resized to 32x32 (bilinear) as in the
  paper's code;
* :class:`JpegArchive`: the colour sets packed as JPEG files in one ``.npz`` (CIFAR-10, CelebA,
  AFHQ in ``../shared/data``, see its README);
* :class:`ImageFolder`: a folder of images, or of class sub-folders of images;
* :class:`TensorImages`: any in-memory tensor;
* :class:`PairedImages`: clean images with their observations (paired data, as InDI trains on),
  whose items carry the observation as a parameter of ``D``.

:func:`load` opens the named sets; :func:`split_validation` carves a validation split from the
training data (test sets are for final reports only); :class:`HorizontalFlips` flips images at
random, reproducibly. Decoded images are cached as ``uint8`` arrays (in ``$COLDDIFF_CACHE``, or
``~/.cache/colddiff``), so a second start is fast.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset, Subset

from . import memory
from .arrays import read_mnist, resize_uint8
from .cache import cached, fingerprint
from .errors import worded
from .images import ColourToGreyWarning, from_uint8, read_image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
FILES = {
    "mnist": "mnist.npz",
    "cifar10": "cifar10_jpeg.npz",
    "celeba": "celeba64_subset.npz",
    "afhq": "afhq_cat64.npz",
}
SPLITS = ("train", "test")


class ImageArray(Dataset):
    """A data set over a ``uint8`` array ``(N, H, W, C)``: items are ``(C, H, W)`` in [-1, 1]."""

    def __init__(self, images: np.ndarray, labels: np.ndarray | None = None) -> None:
        if images.dtype != np.uint8 or images.ndim != 4:
            raise ValueError(f"expected uint8 images (N, H, W, C), got {images.dtype} "
                             f"{images.shape}")
        self.images = images
        self.labels = labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Tensor:
        image = torch.from_numpy(np.array(self.images[index]))  # the cache is read-only
        return from_uint8(image, channels_last=True)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of the items."""
        _, height, width, channels = self.images.shape
        return channels, height, width

    def tensor(self) -> Tensor:
        """All images as one ``(N, C, H, W)`` tensor in [-1, 1]."""
        return from_uint8(np.array(self.images), channels_last=True)


class MNIST(ImageArray):
    """MNIST digits, 1 channel, resized from 28x28 to ``size`` (bilinear) as the paper's code does.

    Args:
        path: ``mnist.npz`` (keys ``x_train``, ``x_test``) or a folder with MNIST's idx files
            (``train-images-idx3-ubyte`` and ``t10k-images-idx3-ubyte``, optionally ``.gz``).
        split: ``"train"`` (60,000) or ``"test"`` (10,000).
        size: side of the images; 28 keeps them as they are.
    """

    def __init__(self, path: str | os.PathLike[str], split: str = "train", size: int = 32) -> None:
        path = _existing(path, "MNIST")
        _check_split(split)
        images, labels = read_mnist(path, split)
        if size != 28:
            memory.check(len(images) * size ** 2 + 2 * 4096 * size ** 2 * 4,
                         f"resizing {len(images):,} MNIST images to {size} px")
            images = cached(("mnist-resized", fingerprint(path), split, size),
                             lambda: resize_uint8(images, size))
        super().__init__(images[..., None], labels)


class JpegArchive(ImageArray):
    """Images packed as JPEG files in one ``.npz``: ``<split>_jpeg`` holds the files' bytes end to
    end and ``<split>_offsets`` the ``N + 1`` offsets (the format of ``../shared/data``).

    Decoding takes seconds to minutes the first time; the decoded array is cached.
    """

    def __init__(self, path: str | os.PathLike[str], split: str = "train") -> None:
        path = _existing(path, Path(path).stem)
        _check_split(split)
        with np.load(path) as archive:
            if f"{split}_jpeg" not in archive.files:
                raise ValueError(f"{path} has no {split!r} split; it holds {archive.files}")
            labels = archive[f"{split}_labels"] if f"{split}_labels" in archive.files else None

            def decode() -> np.ndarray:
                jpeg, offsets = archive[f"{split}_jpeg"], archive[f"{split}_offsets"]
                return np.stack([_decode(jpeg[offsets[i]:offsets[i + 1]].tobytes())
                                 for i in range(len(offsets) - 1)])

            images = cached(("jpeg", fingerprint(path), split), decode)
        super().__init__(images, labels)


class ImageFolder(ImageArray):
    """Every image in a folder, or in its class sub-folders (labels in sorted folder order).

    Args:
        root: the folder.
        size: resize every image to ``size x size`` (bilinear); needed when sizes differ.
        channels: 1 (grey) or 3 (RGB).
    """

    def __init__(self, root: str | os.PathLike[str], size: int | None = None,
                 channels: int = 3) -> None:
        root = _existing(root, "the image folder")
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels}")
        files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise FileNotFoundError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under {root}")
        classes = sorted({p.parent.relative_to(root).as_posix() for p in files})
        labels = np.array([classes.index(p.parent.relative_to(root).as_posix()) for p in files])

        if size is not None:
            memory.check(len(files) * channels * size ** 2 * 2,
                         f"reading {len(files):,} images at {size} px")

        def read() -> np.ndarray:
            arrays = []
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ColourToGreyWarning)
                for p in files:
                    pixels = read_image(p, channels, size)
                    if pixels.dtype != np.uint8:   # 16-bit or float: the nearest 8 bits
                        pixels = np.round(pixels * 255).astype(np.uint8)
                    arrays.append(pixels)
            grey = sum(issubclass(w.category, ColourToGreyWarning) for w in caught)
            if grey:
                warnings.warn(f"{grey:,} of the {len(files):,} images under {root} are in colour "
                              "and were made grey (channels=1)", ColourToGreyWarning,
                              stacklevel=3)
            shapes = {a.shape for a in arrays}
            if len(shapes) > 1:
                raise worded(ValueError, f"images under {root} have different sizes "
                             f"{sorted(shapes)[:3]}...: {{}} resizes them", "size=",
                             "--image-size")
            return np.stack(arrays)

        stamp = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
        images = cached(("folder", stamp, size, channels), read)
        super().__init__(images, labels if len(classes) > 1 else None)
        self.classes = classes
        self.files = [p.relative_to(root).as_posix() for p in files]


class TensorImages(Dataset):
    """Images already in memory: ``(N, C, H, W)`` floats in [-1, 1], or ``uint8`` in 0..255."""

    def __init__(self, images: Tensor) -> None:
        if not isinstance(images, Tensor) or images.dim() != 4:
            raise ValueError("images must be a tensor of shape (N, C, H, W)")
        self.images = from_uint8(images) if images.dtype == torch.uint8 else images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Tensor:
        return self.images[index]

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])


class PairedImages(Dataset):
    """Clean images paired with their observations: item ``i`` is ``(clean[i], {name:
    observed[i]})``, the observation carried as the parameter ``name`` of ``D``.

    The trainer calls ``D(x0, t, **carried)`` with each batch's observations, so a degradation
    that takes the observation as a parameter trains on the pairs: ``degrade.DirectIteration``
    with ``endpoint=None`` (InDI, Delbracio and Milanfar, 2023, arXiv:2303.11435), whose
    parameter is ``y``. Both sets are ``(N, C, H, W)`` floats in [-1, 1] (or ``uint8``), of the
    same shape, in the same order.

    Examples:
        >>> import torch
        >>> from restore import PairedImages
        >>> clean = torch.rand(8, 3, 16, 16) * 2 - 1
        >>> pairs = PairedImages(clean, clean.flip(-1))
        >>> x0, carried = pairs[0]
        >>> tuple(x0.shape), sorted(carried)
        ((3, 16, 16), ['y'])
    """

    def __init__(self, clean: Tensor, observed: Tensor, name: str = "y") -> None:
        self.clean = TensorImages(clean).images
        self.observed = TensorImages(observed).images
        if self.clean.shape != self.observed.shape:
            raise ValueError(f"the clean images {tuple(self.clean.shape)} and their "
                             f"observations {tuple(self.observed.shape)} must have one shape")
        if not name.isidentifier():
            raise ValueError(f"name must be a parameter name of D, got {name!r}")
        self.name = name

    @classmethod
    def from_folders(cls, clean: str | os.PathLike[str], observed: str | os.PathLike[str], *,
                     size: int | None = None, channels: int = 3,
                     name: str = "y") -> PairedImages:
        """The images of folder ``clean`` paired with those of folder ``observed``: one
        observation per image, under the same relative name (``a/0001.png`` with
        ``a/0001.jpg``: the suffixes may differ). ``size`` and ``channels`` as for
        :class:`ImageFolder`; an image without its observation, or one twice, is an error."""
        images = ImageFolder(clean, size=size, channels=channels)
        observations = ImageFolder(observed, size=size, channels=channels)
        where = _by_stem(observations.files, observed)
        missing = [f for f in images.files if _stem(f) not in where]
        if missing:
            raise ValueError(f"{len(missing):,} of the {len(images):,} images under {clean} "
                             f"have no observation under {observed} (the same relative name, "
                             f"any suffix): {', '.join(missing[:3])}"
                             + ("..." if len(missing) > 3 else ""))
        order = [where[_stem(f)] for f in _unique_stems(images.files, clean)]
        return cls(images.tensor(), observations.tensor()[order], name=name)

    def __len__(self) -> int:
        return len(self.clean)

    def __getitem__(self, index: int) -> tuple[Tensor, dict[str, Tensor]]:
        return self.clean[index], {self.name: self.observed[index]}

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.clean.shape[1:])


class HorizontalFlips(Dataset):
    """Flip each image left-right with probability ``p``, reproducibly.

    The flip of item ``i`` in epoch ``e`` depends only on ``(seed, e, i)``, so a resumed or
    distributed run sees the same flips; the trainer calls :meth:`set_epoch`. The observation
    of a pair (:class:`PairedImages`) flips with its image.
    """

    def __init__(self, dataset: Dataset, p: float = 0.5, seed: int = 0) -> None:
        self.dataset, self.p, self.seed, self.epoch = dataset, p, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Tensor | tuple[Tensor, dict[str, Tensor]]:
        item = self.dataset[index]
        key = hashlib.blake2b(f"{self.seed}:{self.epoch}:{index}".encode(), digest_size=8)
        if int.from_bytes(key.digest(), "little") / 2**64 >= self.p:
            return item
        if isinstance(item, tuple):  # a pair (PairedImages): the observation flips with it
            image, carried = item
            return image.flip(-1), {name: value.flip(-1) for name, value in carried.items()}
        return item.flip(-1)


def load(name: str, split: str = "train", data_dir: str | os.PathLike[str] | None = None,
         size: int | None = None) -> ImageArray:
    """One of the named sets (``mnist``, ``cifar10``, ``celeba``, ``afhq``) from ``data_dir``.

    ``data_dir`` defaults to ``$COLDDIFF_DATA``, then ``../shared/data`` from the working folder.
    MNIST comes at 32x32 unless ``size`` says otherwise.
    """
    if name not in FILES:
        raise ValueError(f"unknown data set {name!r}; the named sets are {sorted(FILES)}")
    path = data_path(FILES[name], data_dir)
    if name == "mnist":
        return MNIST(path, split, size=size or 32)
    return JpegArchive(path, split)


def data_path(filename: str, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where a named file is: in ``data_dir`` if given, else ``$COLDDIFF_DATA`` or
    ``../shared/data``."""
    if data_dir is not None:
        candidates = [Path(data_dir)]
    else:
        candidates = [Path(d) for d in (os.environ.get("COLDDIFF_DATA"),) if d]
        candidates.append(Path.cwd().parent / "shared" / "data")
    for folder in candidates:
        if (folder / filename).exists():
            return folder / filename
    tried = ", ".join(str(folder / filename) for folder in candidates)
    raise worded(FileNotFoundError,
                 f"{filename} not found (looked at {tried}). Put the file there, set "
                 "COLDDIFF_DATA to its folder or give the folder ({})",
                 "data_dir=; for MNIST any folder with the idx files works with "
                 "restore.data.MNIST(folder)", "--data-dir")


def held_out(val_count: int, total: int) -> int:
    """How many of ``total`` training images a run holds out for validation: ``val_count``,
    at most a tenth of them (at least one).

    Examples:
        >>> held_out(1000, 60000), held_out(1000, 4800)
        (1000, 480)
    """
    return min(val_count, max(1, total // 10))


def split_validation(dataset: Dataset, count: int, seed: int = 0) -> tuple[Subset, Subset]:
    """Split off ``count`` images, chosen at random with ``seed``: ``(train, validation)``."""
    if not 0 < count < len(dataset):
        raise ValueError(f"count must be between 1 and {len(dataset) - 1}, got {count}")
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    return Subset(dataset, sorted(order[count:])), Subset(dataset, sorted(order[:count]))


def stack(dataset: Dataset, indices: Sequence[int]) -> Tensor:
    """Items of a data set as one batch ``(len(indices), C, H, W)``."""
    return torch.stack([dataset[i] for i in indices])


def _stem(relative: str) -> str:
    """A relative file name without its suffix: what pairs an image with its observation."""
    return relative.rsplit(".", 1)[0]


def _unique_stems(files: Sequence[str], root: str | os.PathLike[str]) -> list[str]:
    """``files``, checked to hold each name once whatever the suffix (``a.png`` and
    ``a.jpg`` could not be told apart)."""
    seen: dict[str, str] = {}
    for f in files:
        if _stem(f) in seen:
            raise ValueError(f"{root} holds {seen[_stem(f)]} and {f}: one image per name, "
                             "whatever its suffix, so that each pairs with one other")
        seen[_stem(f)] = f
    return list(files)


def _by_stem(files: Sequence[str], root: str | os.PathLike[str]) -> dict[str, int]:
    """The index of each file of ``files`` by its name without suffix."""
    return {_stem(f): i for i, f in enumerate(_unique_stems(files, root))}


def _existing(path: str | os.PathLike[str], what: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what}: {path} does not exist")
    return path


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def _decode(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))
