"""A run becomes a model folder: the prior of a generation run, and ``RUN/model``.

``colddiff train`` ends with :func:`write_run_model`; ``python -m zoo.maintain.export`` uses the
same code to put a run into the zoo.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import samplers
from restore import checkpoint, data, objectives

from .folders import NATIVE_SIZES

DEFAULT_NOISE_STD = 0.002
"""The symmetry-breaking noise of cold generation (section 5.2 of Bansal et al., 2022)."""


def training_images(entry: dict[str, Any]) -> Tensor:
    """The images a model's run trained on (its whole training split), at the model's size."""
    run = entry.get("run") or {}
    source = run.get("data") or {}
    size = entry["data"]["image_size"]
    if source.get("folder"):
        folder = data.ImageFolder(source["folder"], size=size, channels=entry["data"]["channels"])
        return data.stack(folder, range(len(folder)))
    name = source.get("name") or entry["data"]["dataset"]
    if name not in NATIVE_SIZES:
        raise ValueError(f"{entry['name']}: cannot find its training images (data set {name!r})")
    return data.load(name, "train", source.get("data_dir"), size=size).tensor()


def fit_prior(entry: dict[str, Any], D: Any, noise_std: float | None = None
              ) -> tuple[samplers.Prior, dict[str, Any]]:
    """The prior over ``x_T`` of a generation model and its record: the one its schedule names
    (:attr:`zoo.NamedSchedule.prior`: section 5.3's solid colours, 2x2 images or cats); else
    for cold generation a :class:`samplers.ChannelMeanPrior` on the training images' means
    (section 5.2); for a warm model (objective ``previous``) a
    :class:`samplers.LowFrequencyPrior` on the images degraded to ``T`` without noise
    (Rissanen et al., 2023). ``noise_std``: the degradation's own noise ``sigma`` if it has
    one, else 0.002 (the paper's); 0 for a prior its schedule names, unless given (the
    generator adds it to ``x_T``: :meth:`zoo.kinds.Generator.generate`)."""
    named = _named_prior(entry, noise_std or 0.0)
    if named is not None:
        return named
    images = training_images(entry)
    kind_of_network = objectives.get(entry["objective"]).kind
    if kind_of_network == "soft":
        return _soft_prior(images, D, noise_std)
    sigma = float(getattr(D, "sigma", 0.0) or 0.0) if "noise" in getattr(
        D, "param_names", ()) else 0.0
    noise_std = (sigma or DEFAULT_NOISE_STD) if noise_std is None else noise_std
    if kind_of_network == "warm":
        t = torch.full((len(images),), D.num_steps)
        quiet = {"noise": torch.zeros_like(images)} if "noise" in D.param_names else {}
        prior = samplers.LowFrequencyPrior(4, noise_std=noise_std).fit(D(images, t, **quiet))
        kind, fitted_on = "LowFrequencyPrior (4 x 4 DCT coefficients)", "degraded to T"
    else:
        prior = samplers.ChannelMeanPrior(noise_std=noise_std).fit(images)
        kind, fitted_on = "ChannelMeanPrior (1 component)", "(their means)"
    return prior, {"class": type(prior).__name__, "arguments": prior.arguments(), "kind": kind,
                   "fitted_on": f"the {len(images):,} training images {fitted_on}",
                   "noise_std": noise_std}


def _soft_prior(images: Tensor, D: Any, noise_std: float | None
                ) -> tuple[samplers.Prior, dict[str, Any]]:
    """Soft diffusion's ``x_T = C_T x0 + s_T eta`` (Daras et al., 2022): a
    :class:`samplers.LowFrequencyPrior` on the training images corrupted to ``T`` without
    noise, and the noise level ``s_T`` as the noise it adds (unless ``noise_std`` is given)."""
    t = torch.full((len(images),), D.num_steps)
    noise_std = float(D.noise_level(D.num_steps)) if noise_std is None else noise_std
    prior = samplers.LowFrequencyPrior(4, noise_std=noise_std).fit(D.corrupt(images, t))
    return prior, {"class": type(prior).__name__, "arguments": prior.arguments(),
                   "kind": "LowFrequencyPrior (4 x 4 DCT coefficients)",
                   "fitted_on": f"the {len(images):,} training images corrupted to T "
                                "without noise (C_T x0)",
                   "noise_std": noise_std}


def _named_prior(entry: dict[str, Any], noise_std: float
                 ) -> tuple[samplers.Prior, dict[str, Any]] | None:
    """The prior a model's schedule names, fitted, and its record; None if it names none."""
    from .schedules import named_schedule, reference_images

    try:
        spec = named_schedule(entry.get("schedule") or "").prior
    except KeyError:
        return None
    if not spec:
        return None
    kind = getattr(samplers, spec["class"], None)
    if not (isinstance(kind, type) and issubclass(kind, samplers.Prior)):
        raise ValueError(f"schedule {entry['schedule']!r} names {spec['class']!r}, which is "
                         "not one of samplers' priors")
    if spec["fit_on"] == "training":
        images, fitted_on = training_images(entry), "training images"
    else:
        images = reference_images(spec["fit_on"], entry["data"]["image_size"])
        fitted_on = f"{spec['fit_on']['images']} {spec['fit_on'].get('split', 'train')} images"
    prior = kind(**spec["arguments"]).fit(images)
    return prior, {"class": spec["class"], "arguments": prior.arguments(),
                   "kind": spec["class"],
                   "fitted_on": f"the {len(images):,} {fitted_on}" if kind.learns_from_data
                   else None, "noise_std": noise_std}


def write_run_model(run: str | os.PathLike[str], out: str | os.PathLike[str] | None = None,
                    **details: Any) -> Path:
    """Write the model folder of a training run (``RUN/model`` by default): the
    moving-average weights in float16 (as the zoo stores them), the prior of a generation run
    fitted on its training images, the record and the card. ``details`` (``summary``,
    ``notes``...) join the record."""
    from .pretrained import from_checkpoint

    run = Path(run)
    path = run / checkpoint.CHECKPOINT if run.is_dir() else run
    model = from_checkpoint(path, half=True, precision="fp32")
    model.entry.update(details)
    return model.save_pretrained(Path(out) if out else path.parent / "model")
