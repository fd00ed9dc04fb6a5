"""``zoo.evaluate``: the paper's tables for a zoo model, measured here.

Restoration models (Tables 1-4, 6): the first ``n`` images of a split are degraded to ``T``
(random parameters drawn from ``seed``) and restored by TACoS (Algorithm 2) and directly
(``R(x_T, T)``); each set is compared with the originals: a Frechet distance in the features of
the data set's shipped classifier (``FID-mnistnet``, ...), SSIM, RMSE and PSNR.

Generation models (Table 5, A.7): ``n`` images are generated from the fitted prior with perfect
symmetry (``noise_std = 0``) and broken symmetry (the model's ``noise_std``), by TACoS, by
Algorithm 1 and directly, and compared with ``n`` images of the split by the Frechet distance.

Diffusion models (Lee et al., 2022, Table 1): ``n`` images are generated from ``N(0, I)`` by
the stochastic sampler of eq. (19) over all ``N`` steps and by the deterministic sampler in 100
and 50 steps, each clamping its predicted clean image to [-1, 1], and by the deterministic
sampler in 100 steps without clamping; they are compared in the same way.

References: Lee et al., 2022, "Progressive Deblurring of Diffusion Models for Coarse-to-Fine
Image Synthesis", arXiv:2207.11192.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from restore.errors import worded
from torch import Tensor

import samplers

from . import metrics
from .batch_cache import BatchCache, model_digest, tensors_digest
from .features import EXTRACTORS, FeatureFn, extract, load_feature_net
from .kinds import Pretrained
from .pretrained import load


@dataclasses.dataclass
class Evaluation:
    """Measured rows of a table: ``rows[condition][metric] = value``."""

    model: str
    setting: str
    fid_name: str
    rows: dict[str, dict[str, float]]
    blocks: dict[str, dict[str, dict[str, float]]] | None = None
    """Restorers measured with ``blocks``: ``blocks[images][row][metric]``, each block of
    images (``"0-999 (airplane)"``) measured alone."""
    also: list[Evaluation] = dataclasses.field(default_factory=list)
    """Generators measured with ``also``: the same generated images against each other
    reference set, one evaluation each (in :meth:`to_dict` as ``"also"`` where there are
    any)."""

    def table(self) -> str:
        """The rows as a Markdown table."""
        kid_name = self.fid_name.replace("FID", "KID", 1)
        columns = [c for c in (self.fid_name, kid_name, "SSIM", "RMSE", "PSNR")
                   if any(c in row for row in self.rows.values())]
        lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
        for name, row in self.rows.items():
            cells = [_format(c, row[c]) if c in row else "" for c in columns]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def block_table(self) -> str:
        """Each block's RMSE and Frechet distance by row, as a Markdown table, with whether
        every restored row beats the degraded images in both where ``Degraded`` was measured
        (empty without blocks)."""
        if not self.blocks:
            return ""
        rows = list(next(iter(self.blocks.values())))
        columns = [(metric, row) for metric in ("RMSE", self.fid_name) for row in rows
                   if metric in self.blocks[next(iter(self.blocks))][row]]
        judged = "Degraded" in rows and len(rows) > 1
        lines = ["| images | " + " | ".join(f"{m} {_short(r)}" for m, r in columns)
                 + (" | restored better in both |" if judged else " |"),
                 "|---" * (len(columns) + 1 + judged) + "|"]
        for block, measured in self.blocks.items():
            cells = [_format(m, measured[r][m]) for m, r in columns]
            if judged:
                cells.append("yes" if _improves(measured, self.fid_name) else "no")
            lines.append(f"| {block} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        made = {**dataclasses.asdict(self), "table": self.table()}
        if self.also:
            made["also"] = [other.to_dict() for other in self.also]
        else:
            del made["also"]
        if self.blocks:
            made["block_table"] = self.block_table()
        else:
            del made["blocks"]
        return made

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the evaluation as JSON (``.json``) or as its Markdown table (any other name)."""
        blocks = f"\n\nBy block:\n\n{self.block_table()}" if self.blocks else ""
        others = "".join(f"\n\n{other.setting}\n\n{other.table()}" for other in self.also)
        text = (json.dumps(self.to_dict(), indent=2) if str(path).endswith(".json")
                else f"{self.model}, {self.setting}\n\n{self.table()}{blocks}{others}")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as file:
            file.write(text + "\n")


def _short(row: str) -> str:
    return "TACoS" if row == "Sampled (TACoS)" else row


def _improves(measured: dict[str, dict[str, float]], fid_name: str) -> bool:
    """Whether every row but ``Degraded`` has a lower RMSE and Frechet distance than it."""
    degraded = measured["Degraded"]
    return all(row[metric] < degraded[metric] for name, row in measured.items()
               if name != "Degraded" for metric in ("RMSE", fid_name) if metric in row)


CLASS_NAMES = {
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"),
}
"""The class names of the named data sets whose labels are not the names themselves."""


def _block_name(first: int, last: int, labels: Any, dataset: str) -> str:
    """``"0-999 (airplane)"``: the block's images, and its class where all share one."""
    name = f"{first}-{last}"
    if labels is None:
        return name
    classes = set(labels[first:last + 1].tolist())
    if len(classes) != 1:
        return f"{name} ({len(classes)} classes)"
    label = classes.pop()
    names = CLASS_NAMES.get(dataset)
    return f"{name} ({names[label] if names else f'class {label}'})"


def _format(column: str, value: float) -> str:
    return f"{value:.2f}" if column == "PSNR" or column.startswith(("FID", "KID")) \
        else f"{value:.3f}"


def evaluate(name: str | Pretrained, *, n: int = 1000, split: str = "test",
             data_dir: str | os.PathLike[str] | None = None, seed: int = 0,
             batch_size: int = 250, features: FeatureFn | None = None,
             fid_name: str | None = None, rows: Sequence[str] | None = None,
             data_folder: str | os.PathLike[str] | None = None,
             reference: int | None = None, kid: bool = False, start: int = 0,
             blocks: int | None = None, also: Sequence[tuple[str, int]] = (),
             cache: str | os.PathLike[str] | None = None,
             progress: bool = False) -> Evaluation:
    """Measure a zoo model as the paper's tables do (the rows are the model kind's:
    :meth:`zoo.model.Pretrained.evaluation_batches`).

    Args:
        name: a zoo model's name, or a loaded model.
        n: restorers: how many images of ``split`` to degrade and restore; generators: how
            many images to generate, more than ``split`` holds if need be (at least 2; FID
            needs more than the feature dimension, 128, to be meaningful).
        data_dir: the folder of the data files (default ``$COLDDIFF_DATA`` or
            ``../shared/data``).
        seed: the seed of the degradations' random parameters, or of generation.
        batch_size: images per batch.
        features: your own feature extractor (images in [-1, 1] to ``(B, d)``) instead of the
            shipped classifier; name the metric with ``fid_name`` (for example ``"FID"`` for
            Inception features).
        rows: only the rows whose names start with one of these, or a row by its full name
            alone (all rows by default), to spare the time of the others.
        data_folder: evaluate on the images of this folder (held out from training) instead
            of the model's named data set; needed for a model trained on a folder. Where no
            feature network is shipped for the data (and ``features`` is not given), a
            restorer is measured without the Frechet distance.
        reference: generation models: compare the ``n`` generated images with the first
            ``reference`` images of ``split`` (by default ``n``, or all of ``split`` where it
            holds fewer; for example all 1,200 CelebA test faces, as issue 28's protocol asks,
            where ``n`` is 1,000).
        kid: generation models: the kernel distance (KID, :func:`zoo.metrics.
            kernel_distance_of`, unscaled: Inception KIDs are often quoted times 1,000, but
            our feature nets' features are not normalised and need no scaling) in the same
            feature space as well, a column ``KID-<net>`` in the table; unlike FID it is
            unbiased in the number of images.
        start: restorers: measure images ``start`` to ``start + n - 1`` instead of the first
            ``n``. The random parameters of degradations (mask centres, snow) are drawn from
            ``seed`` anew: other draws than the same images get in a run from image 0.
        blocks: restorers: measure each block of this many images alone as well (the last
            one may be smaller; :attr:`Evaluation.blocks`), so that a part of the split where
            a model fails is not hidden by the whole. CIFAR-10's test images are sorted by
            class: blocks of 1,000 are its ten classes.
        also: generators: other reference sets, each ``(split, count)`` (the first ``count``
            images of that split), against which the same generated images are measured too,
            in :attr:`Evaluation.also`: issue 28's AFHQ protocol measures 1,000 samples against
            the 500 test cats and ``("train", 1000)`` at the cost of one generation.
        cache: a folder that keeps each batch's images as they are made
            (:mod:`zoo.batch_cache`): run the same evaluation again with the same folder after
            a stop (a session's end, Ctrl-C) and it reads the batches made before instead of
            making them again, measuring exactly what an uninterrupted run would. A folder
            that holds another evaluation's batches (another model, seed, batch size or other
            images) is refused. Delete it when the figures are recorded.
        progress: show a progress bar.
    """
    from restore import data

    model = name if isinstance(name, Pretrained) else load(name)
    selected = model.select_rows(rows)
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    dataset = model.dataset
    if features is None and dataset in EXTRACTORS:
        features, fid_name = load_feature_net(EXTRACTORS[dataset]), f"FID-{EXTRACTORS[dataset]}"
    elif features is None and not model.paired:
        raise worded(ValueError, f"no feature network is shipped for {dataset}, and a "
                     "generator is measured by the Frechet distance alone: {}",
                     "pass features=", "evaluate it from Python with zoo.evaluate(features=...)")
    fid_name = (fid_name or "FID-custom") if features is not None else "FID"
    if data_folder is not None:
        images = data.ImageFolder(data_folder, size=model.image_size, channels=model.channels)
        split = f"folder {data_folder}"
    elif dataset not in data.FILES:
        raise worded(ValueError, f"{model.name} trained on a folder of images: give the "
                     "images to evaluate on ({})", "data_folder=", "--data-folder")
    else:
        images = data.load(dataset, split, data_dir, size=model.image_size)
    if model.paired and n > len(images):
        raise ValueError(f"n = {n} is more than the {len(images)} images of {split}")
    if model.paired and (reference is not None or kid):
        raise ValueError(f"{model.name} restores images and is measured against their "
                         "originals: reference and kid apply to generation models")
    if not model.paired and (start or blocks):
        raise ValueError(f"{model.name} generates images: start and blocks apply to "
                         "restorers, measured against the originals")
    if model.paired and not 0 <= start <= len(images) - n:
        raise ValueError(f"start must be from 0 to {len(images) - n} for {n} of the "
                         f"{len(images)} images of {split}, got {start}")
    if blocks is not None and not 2 <= blocks <= n:
        raise ValueError(f"blocks must be from 2 to n = {n} images, got {blocks}")
    count = min(n, len(images)) if reference is None else reference
    if not 2 <= count <= len(images):
        raise ValueError(f"reference must be from 2 to the {len(images)} images of {split}, "
                         f"got {count}")
    if also and (model.paired or features is None or data_folder is not None):
        raise ValueError("also measures a generator's images against more images of its named "
                         "data set, in its feature space")
    others = [_other_reference(model.dataset, other, data_dir, model.image_size)
              for other in also]
    # A generator is handed one empty row per image to draw: only their number counts.
    x0 = data.stack(images, range(start, start + n)) if model.paired else torch.empty(n, 0)
    reference_features = None if features is None else extract(
        features, x0 if model.paired else data.stack(images, range(count)))
    other_features = [extract(features, images) for images in others]
    kept = None if cache is None else BatchCache(cache, {
        "model": model.name, **model_digest(model), "n": n, "split": split, "seed": seed,
        "batch_size": batch_size, "start": start,
        "images": tensors_digest({"x0": x0}) if model.paired else "generated"})
    outputs: dict[str, list[Tensor]] = {}
    with samplers.ProgressBar(n, f"evaluate {model.name}", unit="images",
                              enabled=progress) as bar:
        batches = model.evaluation_batches(x0, seed=seed, batch_size=batch_size, rows=selected)
        for first, batch in zip(range(0, n, batch_size), batches, strict=True):
            size = min(batch_size, n - first)
            for row, make in batch.items():
                generated = None if kept is None else kept.get(row, first, size)
                if generated is None:
                    # Plain strides, as kept batches read back: a channels-last grey image
                    # passes .contiguous() yet the feature net's convolutions differ on it
                    generated = make().clone(memory_format=torch.contiguous_format)
                    if kept is not None:
                        kept.put(row, first, generated)
                outputs.setdefault(row, []).append(generated)
            bar.update(size)
    rows, measured_blocks = {}, {}
    other_rows: list[dict[str, dict[str, float]]] = [{} for _ in also]
    labels = getattr(images, "labels", None)
    for row, parts in outputs.items():
        generated = torch.cat(parts)
        generated_features = None if features is None else extract(features, generated)
        rows[row] = {} if features is None else _distances(
            generated_features, reference_features, fid_name, kid)
        for measured, real in zip(other_rows, other_features, strict=True):
            measured[row] = _distances(generated_features, real, fid_name, kid)
        if model.paired:
            rows[row].update(_paired(generated, x0))
        for first in range(0, n - 1, blocks) if blocks else ():
            last = min(first + blocks, n) - 1
            if last == first:       # one image over: nothing to measure
                continue
            part = slice(first, last + 1)
            block = _block_name(start + first, start + last, labels, dataset)
            measured_blocks.setdefault(block, {})[row] = {} if features is None else {
                fid_name: metrics.frechet_distance_of(generated_features[part],
                                                      reference_features[part])}
            measured_blocks[block][row].update(_paired(generated[part], x0[part]))
    return Evaluation(model=model.name, fid_name=fid_name, rows=rows,
                      setting=setting_of(model, n, split, seed,
                                         reference=None if model.paired else count, start=start),
                      blocks=measured_blocks or None,
                      also=[Evaluation(model=model.name, fid_name=fid_name, rows=measured,
                                       setting=setting_of(model, n, split_, seed,
                                                          reference=count_))
                            for (split_, count_), measured in zip(also, other_rows,
                                                                  strict=True)])


def _other_reference(dataset: str, other: tuple[str, int], data_dir: Any, size: int) -> Tensor:
    """The first ``count`` images of ``split`` for ``evaluate(also=[(split, count)])``."""
    from restore import data

    split, count = other
    if split not in ("train", "test"):
        raise ValueError(f"also takes (split, count) pairs with split train or test, got "
                         f"{other!r}")
    images = data.load(dataset, split, data_dir, size=size)
    if not 2 <= count <= len(images):
        raise ValueError(f"also: the count must be from 2 to the {len(images)} images of "
                         f"{split}, got {count}")
    return data.stack(images, range(count))


def _distances(generated: Tensor, real: Tensor, fid_name: str, kid: bool) -> dict[str, float]:
    """The Frechet distance between two feature sets, and with ``kid`` the kernel distance
    (over subsets of at most 1,000, as the smaller set allows)."""
    measured = {fid_name: metrics.frechet_distance_of(generated, real)}
    if kid:
        measured[fid_name.replace("FID", "KID", 1)] = metrics.kernel_distance_of(
            generated, real, subset_size=min(len(generated), len(real), 1000))
    return measured


def setting_of(model: Pretrained, n: int, split: str, seed: int, *,
               reference: int | None = None, start: int = 0) -> str:
    """The words an evaluation of ``model`` with these arguments records as its setting."""
    setting = model.evaluation_setting(n, split, seed, **({} if reference is None else
                                                           {"reference": reference}))
    if not start:
        return setting
    return setting.replace(f"{n} {model.dataset} {split} images",
                           f"{n} {model.dataset} {split} images ({start} to {start + n - 1})")


def _paired(restored: Tensor, x0: Tensor) -> dict[str, float]:
    """SSIM, RMSE and PSNR of restored images against their originals."""
    return {"SSIM": metrics.ssim(restored, x0), "RMSE": metrics.rmse(restored, x0),
            "PSNR": metrics.psnr(restored, x0)}
