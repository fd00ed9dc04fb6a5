"""``zoo.evaluate``: the paper's tables for a zoo model, measured here.

Restoration models (Tables 1-4, 6): the first ``n`` images of a split are degraded to ``T``
(random parameters drawn from ``seed``) and restored by TACoS (Algorithm 2) and directly
(``R(x_T, T)``); each set is compared with the originals: a Frechet distance in the features of
the data set's shipped classifier (``FID-mnistnet``, ...), SSIM, RMSE and PSNR.

Generation models (Table 5, A.7): ``n`` images are generated from the fitted prior with perfect
symmetry (``noise_std = 0``) and broken symmetry (the model's ``noise_std``), by TACoS, by
Algorithm 1 and directly, and compared with ``n`` images of the split by the Frechet distance.

Diffusion models (blur-diffusion.md, Table 1): ``n`` images are generated from ``N(0, I)`` by
the stochastic sampler of eq. (19) over all ``N`` steps and by the deterministic sampler in 100
and 50 steps, each clamping its predicted clean image to [-1, 1], and by the deterministic
sampler in 100 steps without clamping; they are compared in the same way.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import torch
from torch import Tensor

import samplers

from . import metrics
from .features import EXTRACTORS, FeatureFn, extract, load_feature_net
from .pretrained import Pretrained, load


@dataclasses.dataclass
class Evaluation:
    """Measured rows of a table: ``rows[condition][metric] = value``."""

    model: str
    setting: str
    fid_name: str
    rows: dict[str, dict[str, float]]

    def table(self) -> str:
        """The rows as a Markdown table."""
        columns = [c for c in (self.fid_name, "SSIM", "RMSE", "PSNR")
                   if any(c in row for row in self.rows.values())]
        lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
        for name, row in self.rows.items():
            cells = [_format(c, row[c]) if c in row else "" for c in columns]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "table": self.table()}

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the evaluation as JSON (``.json``) or as its Markdown table (any other name)."""
        text = (json.dumps(self.to_dict(), indent=2) if str(path).endswith(".json")
                else f"{self.model}, {self.setting}\n\n{self.table()}")
        with open(path, "w") as file:
            file.write(text + "\n")


def _format(column: str, value: float) -> str:
    return f"{value:.2f}" if column == "PSNR" or column.startswith("FID") else f"{value:.3f}"


def _quality(images: Tensor, reference: Tensor, reference_features: Tensor,
             features: FeatureFn, fid_name: str) -> dict[str, float]:
    return {
        fid_name: metrics.frechet_distance_of(extract(features, images), reference_features),
        "SSIM": metrics.ssim(images, reference),
        "RMSE": metrics.rmse(images, reference),
        "PSNR": metrics.psnr(images, reference),
    }


def evaluate(name: str | Pretrained, *, n: int = 1000, split: str = "test",
             data_dir: str | os.PathLike[str] | None = None, seed: int = 0,
             batch_size: int = 250, features: FeatureFn | None = None,
             fid_name: str | None = None, progress: bool = False) -> Evaluation:
    """Measure a zoo model as the paper's tables do.

    Args:
        name: a zoo model's name, or a loaded :class:`Pretrained`.
        n: how many images of ``split`` (at least 2; FID needs more than the feature
            dimension, 128, to be meaningful).
        data_dir: the folder of the data files (default ``$COLDDIFF_DATA`` or
            ``../shared/data``).
        features: your own feature extractor (images in [-1, 1] to ``(B, d)``) instead of the
            shipped classifier; name the metric with ``fid_name`` (for example ``"FID"`` for
            Inception features).
    """
    from restore import data

    model = name if isinstance(name, Pretrained) else load(name)
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    dataset = model.schedule.dataset
    if features is None:
        extractor = EXTRACTORS.get(dataset)
        if extractor is None:
            raise ValueError(f"no shipped feature extractor for {dataset}: pass features=")
        features, fid_name = load_feature_net(extractor), f"FID-{extractor}"
    fid_name = fid_name or "FID-custom"
    images = data.load(dataset, split, data_dir, size=model.image_size)
    if n > len(images):
        raise ValueError(f"n = {n} is more than the {len(images)} images of {dataset}'s {split} "
                         "split")
    x0 = images.tensor()[:n]
    reference_features = extract(features, x0)
    if model.prior is None and not model.is_diffusion:
        generator = torch.Generator().manual_seed(seed)
        batches = range(0, n, batch_size)
        bar = samplers.ProgressBar(len(batches) * 2, f"evaluate {model.name}", enabled=progress)
        outputs: dict[str, list[Tensor]] = {"Degraded": [], "Sampled (TACoS)": [], "Direct": []}
        for start in batches:
            x = x0[start:start + batch_size]
            params = model.D.sample_params(x, generator=generator)
            x_T = model.D(x, model.T, **params)
            D = model.D.bind(**params) if params else model.D
            outputs["Degraded"].append(x_T)
            outputs["Sampled (TACoS)"].append(model.restore(x_T, sampler="tacos", D=D))
            bar.update()
            outputs["Direct"].append(model.restore(x_T, sampler="direct"))
            bar.update()
        rows = {row: _quality(torch.cat(out), x0, reference_features, features, fid_name)
                for row, out in outputs.items()}
        bar.close()
        return Evaluation(model=model.name, fid_name=fid_name, rows=rows,
                          setting=f"{n} {dataset} {split} images from t = T = {model.T}, "
                          f"degradation seed {seed}")
    if model.is_diffusion:
        many, few = min(100, model.T), min(50, model.T)
        conditions = {
            f"Stochastic, {model.T} steps (eq. 19)": {"sampler": "stochastic"},
            f"Deterministic, {many} steps": {"sampler": "ddim", "steps": many},
            f"Deterministic, {few} steps": {"sampler": "ddim", "steps": few},
            f"Deterministic, {many} steps, no clipping": {"sampler": "ddim", "steps": many,
                                                          "clip": False},
        }
    else:
        std = model.entry["prior"]["noise_std"]
        conditions = {
            "TACoS, perfect symmetry": {"sampler": "tacos", "noise_std": 0.0},
            f"TACoS, broken symmetry ({std:g})": {"sampler": "tacos", "noise_std": std},
            f"Algorithm 1, broken symmetry ({std:g})": {"sampler": "naive", "noise_std": std},
            f"Direct, broken symmetry ({std:g})": {"sampler": "direct", "noise_std": std},
        }
    rows = _generated_rows(model, conditions, n, seed, batch_size, features, reference_features,
                           fid_name, progress)
    setting = f"{n} generated images against {n} {dataset} {split} images, seed {seed}"
    return Evaluation(model=model.name, setting=setting, fid_name=fid_name, rows=rows)


def _generated_rows(model: Pretrained, conditions: dict[str, dict[str, Any]], n: int, seed: int,
                    batch_size: int, features: FeatureFn, reference_features: Tensor,
                    fid_name: str, progress: bool) -> dict[str, dict[str, float]]:
    """The Frechet distance of ``n`` images generated under each condition: the keyword
    arguments of :meth:`Pretrained.generate` (sampler, noise_std, steps, clip)."""
    batches = range(0, n, batch_size)
    bar = samplers.ProgressBar(len(batches) * len(conditions), f"evaluate {model.name}",
                               enabled=progress)
    rows = {}
    for row, options in conditions.items():
        generated = []
        for start in batches:
            count = min(batch_size, n - start)
            generated.append(model.generate(count, seed=seed * 1_000_003 + start, **options))
            bar.update()
        rows[row] = {fid_name: metrics.frechet_distance_of(
            extract(features, torch.cat(generated)), reference_features)}
    bar.close()
    return rows
