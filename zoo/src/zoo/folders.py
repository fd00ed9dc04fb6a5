"""A model is a folder: the one format of the zoo's models and of the user's own runs.

``config.json`` says everything needed to rebuild and use the model: its ``kind``
(:data:`KINDS`), the ``objective`` it was trained on, the ``degradation`` as data (a known
factory and its arguments, :mod:`restore.degradations`), the named ``schedule`` if any, the
network (``architecture``), the images it trained on (``data``: data set, size, channels,
range), its default ``sampler``, its ``prior``, the ``training`` facts, the ``run`` that made it
and the ``metrics`` measured; ``sha256`` records the checksum of ``model.safetensors`` and of
``prior.safetensors`` where there is a prior; ``README.md`` is the model card. Files are read
by :mod:`samplers.folders`: checked, no pickled code, one-line errors.

:func:`entry_of_run` makes the same record from a training checkpoint, with the run's own image
shape, channels, objective and degradation (not the named schedule's), so that a run is a model
before it is exported.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from restore.config import DegradationSpec, RunConfig
from restore.objectives import WARM_SAMPLING_NOISE
from torch import Tensor

import samplers
from restore import checkpoint, objectives
from samplers import folders

from .schedules import NamedSchedule, is_reference, named_schedule

FORMAT = "colddiff-model-1"
"""The ``format`` of a model's ``config.json``."""
WEIGHTS, PRIOR = "model.safetensors", "prior.safetensors"
KINDS = ("restorer", "generator", "warm-generator", "diffusion", "soft-generator")
"""What a model is: a restorer, a restorer with a prior (cold generation), a one-step denoiser
with a prior (warm generation), a noise predictor (blur diffusion) or a soft diffusion restorer
with a prior (soft score matching and the Momentum Sampler)."""
SCHEDULE_FACTORY = "zoo:schedule"
"""The degradation factory of a run on a named schedule (``zoo.schedule``)."""
DATASET_LABELS = {"mnist": "MNIST", "cifar10": "CIFAR-10 (JPEG copy)",
                  "celeba": "CelebA (64x64 subset)", "afhq": "AFHQ cats (64x64)"}
NATIVE_SIZES = {"mnist": 28, "cifar10": 32, "celeba": 64, "afhq": 64}
"""The side of each named data set's images, where a run does not resize them."""


def kind_of(objective: str, has_prior: bool) -> str:
    """The kind of model an objective makes (:data:`restore.objectives.OBJECTIVES`), given
    whether it has a prior over ``x_T``."""
    made = objectives.get(objective).kind
    if made == "diffusion":
        return "diffusion"
    if made == "warm":
        return "warm-generator"
    if made == "soft" and has_prior:
        return "soft-generator"
    return "generator" if has_prior else "restorer"


def needs_prior(objective: str, schedule: NamedSchedule | None) -> bool:
    """Whether a run's model generates from a prior: a warm objective, or a named schedule
    whose task is generation."""
    return objectives.get(objective).kind == "warm" or (
        schedule is not None and schedule.task == "generation")


def schedule_of(degradation: dict[str, Any] | None) -> NamedSchedule | None:
    """The named schedule a degradation record builds, if it is one."""
    if not degradation or degradation.get("factory") != SCHEDULE_FACTORY:
        return None
    name = (degradation.get("arguments") or {}).get("name")
    return named_schedule(name) if isinstance(name, str) else None


def build_degradation(entry: dict[str, Any]) -> Any:
    """The operator a model's record names (its factory checked before anything runs).

    A named schedule that draws from the images of a data set (``celeba64-animorph``'s pool
    of AFHQ cats) is built without them, with a warning, where the data file is not here:
    the model still generates from the prior its folder holds, and ``D(x0, t)`` takes its
    ``z`` per call until the file is found."""
    spec = entry.get("degradation")
    if not isinstance(spec, dict):
        raise folders.FolderError(f"{entry.get('name')} records no degradation")
    arguments = dict(spec.get("arguments") or {})
    try:
        return DegradationSpec(spec.get("factory"), arguments).build()
    except FileNotFoundError as error:
        record = schedule_of(spec)
        variant = record.variants.get(arguments.get("variant"), {}) if record else {}
        images = [k for k, v in {**(record.arguments if record else {}), **variant}.items()
                  if is_reference(v) and k not in arguments]
        if not images:
            raise
        warnings.warn(f"{entry.get('name')}: {error}. Loaded without those images "
                      f"({', '.join(images)}): it generates from the prior its folder holds, "
                      "but D(x0, t) needs its parameters given per call until the file is "
                      "found.", stacklevel=2)
        return DegradationSpec(spec.get("factory"),
                               {**arguments, **dict.fromkeys(images)}).build()


def write(folder: str | os.PathLike[str], entry: dict[str, Any], R: torch.nn.Module,
          prior: samplers.Prior | None, card: Callable[[dict[str, Any]], str], *,
          half: bool = True) -> Path:
    """Write a model folder: the weights (float16 by default, as the zoo ships them), the prior
    (float32, or 8 bits where that loses nothing), ``config.json`` and the card."""
    tensors = {WEIGHTS: R.state_dict()}
    entry = {**entry, "format": FORMAT}
    entry.pop("sha256", None)
    if prior is not None:
        tensors[PRIOR] = prior.state_dict()
        entry["prior"] = {**(entry.get("prior") or {}), "class": type(prior).__name__,
                          "arguments": prior.arguments()}
    return folders.write(folder, entry, tensors, half={WEIGHTS} if half else (), card=card)


def read(folder: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Tensor],
                                                 samplers.Prior | None]:
    """``(entry, weights, prior)`` of a model folder, every file checked."""
    entry, tensors = folders.read(folder, FORMAT)
    if WEIGHTS not in tensors:
        raise folders.FolderError(f"{folder} holds no {WEIGHTS}")
    prior = None
    if entry.get("prior"):
        if PRIOR not in tensors:
            raise folders.FolderError(f"{folder} records a prior but holds no {PRIOR}")
        record = entry["prior"]
        try:
            prior = samplers.Prior.from_state(record.get("class"), tensors[PRIOR],
                                              record.get("arguments"))
        except (KeyError, TypeError, ValueError) as error:
            raise folders.FolderError(f"{folder}: its prior: {error}") from error
    if entry.get("kind") not in KINDS:
        raise folders.FolderError(f"{folder}: kind must be one of {', '.join(KINDS)}, got "
                                  f"{entry.get('kind')!r}")
    return entry, tensors[WEIGHTS], prior


def entry_of_run(state: dict[str, Any], name: str, *, schedule: str | None = None,
                 overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record of a model folder, made from a training checkpoint's ``state``: what the run
    itself trained on wins over any named schedule. ``schedule`` names one for checkpoints that
    do not record their run (written before run configurations); ``overrides`` change the
    degradation's arguments."""
    run = checkpoint.run_of(state)
    if run is None and schedule is None:
        raise ValueError(f"{name} was written before runs stored their configuration: pass "
                         "schedule=NAME (colddiff ... --schedule NAME)")
    config = RunConfig.from_dict(run) if run else None
    spec = ({"factory": config.degradation.factory,
             "arguments": dict(config.degradation.arguments)} if config else
            {"factory": SCHEDULE_FACTORY, "arguments": {}})
    if schedule is not None and (spec["factory"] != SCHEDULE_FACTORY
                                 or spec["arguments"].get("name") != schedule):
        spec = {"factory": SCHEDULE_FACTORY, "arguments": {"name": schedule}}
    spec["arguments"].update(overrides or {})
    record = schedule_of(spec)
    objective = config.objective if config else (record.objective if record and
                                                 record.objective else "x0")
    if record is not None and record.task == "diffusion" and not config:
        objective = "noise"
    network = state.get("model_config") or {}
    shape = state.get("image_shape")
    channels = shape[0] if shape else network.get("in_channels") or (
        record.channels if record else 3)
    size = shape[1] if shape else _size_of_run(config, record)
    dataset = (config.data.name or "folder") if config else (record.dataset if record else
                                                              "unknown")
    train = checkpoint.train_config(state) if state.get("run") or "config" in state else {}
    entry = {
        "format": FORMAT, "name": name, "kind": None, "objective": objective,
        "degradation": spec, "schedule": record.name if record else None,
        "summary": f"A model of the run {name}, step {state.get('step')}.",
        "architecture": {"kind": "UNet", "config": network},
        "data": {"dataset": dataset, "dataset_label": DATASET_LABELS.get(dataset, dataset),
                 "image_size": size, "channels": channels, "range": [-1, 1],
                 "split": (f"training split less {config.data.val_count} images held out for "
                           f"validation (seed {train.get('seed', 0)})") if config else "unknown"},
        "training": {"steps": state.get("step"), "loss": train.get("loss"),
                     "hardware": state.get("hardware") or "not recorded"},
        "run": run, "prior": None, "metrics": None, "notes": "",
    }
    if objectives.get(objective).kind == "warm":
        entry["sampling"] = {"noise_std": WARM_SAMPLING_NOISE}
    return entry


def wall_seconds(log_path: Path, images_per_step: int) -> float:
    """Training time from a run's ``log.jsonl``: each logged interval of steps over the
    throughput logged at its end (resumed runs included: the intervals add up)."""
    seconds, last_step = 0.0, 0
    for line in log_path.read_text().splitlines():
        record = json.loads(line)
        if "images_per_second" in record:
            seconds += (record["step"] - last_step) * images_per_step / record["images_per_second"]
            last_step = record["step"]
    return seconds


def wall_time(seconds: float) -> str:
    """A card's wall time: whole minutes."""
    return f"{seconds / 60:.0f} min"


def _size_of_run(config: RunConfig | None, record: NamedSchedule | None) -> int:
    """The side of a run's images, for checkpoints that did not record their shape."""
    if config is not None and config.data.image_size:
        return config.data.image_size
    if config is not None and config.data.name in NATIVE_SIZES:
        return NATIVE_SIZES[config.data.name]
    if record is not None:
        return record.image_size
    raise ValueError("the checkpoint records neither its image shape nor a named data set or "
                     "schedule to read it from")
