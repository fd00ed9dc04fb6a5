"""Loading models: ``zoo.load(name)`` from the registry, ``zoo.from_checkpoint(path)`` from a run.

Either gives the model's kind (:mod:`zoo.kinds`): a :class:`~zoo.kinds.Restorer`, a
:class:`~zoo.kinds.Generator` or a :class:`~zoo.kinds.DiffusionModel`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from restore.config import RunConfig

import samplers
from restore import UNet, UNetConfig, checkpoint

from .files import load_verified
from .kinds import Pretrained, kind_for
from .registry import get_entry, package_path
from .schedules import get_schedule

SCHEDULE_FACTORY = "zoo:schedule"
"""The degradation factory of a run on a named schedule (``zoo.schedule``)."""


def load(name: str, *, weights: str | os.PathLike[str] | None = None,
         sha256: str | None = None, precision: str = "auto",
         compile: bool = False) -> Pretrained:
    """Load a pretrained model by name, offline, from the files inside the package.

    The weight file's sha256 must match the registry's before it is read. With ``weights``, a
    file of your own (for example a retrained model) loads into the same architecture; pass its
    ``sha256`` to have it checked too. ``precision`` and ``compile``: how it samples
    (:meth:`zoo.kinds.Pretrained.set_precision`).

    Example:
        >>> import zoo
        >>> model = zoo.load("mnist-blur")
        >>> model.T, model.image_size, model.channels
        (20, 32, 1)
    """
    entry = get_entry(name)
    schedule = get_schedule(entry["schedule"])
    path = package_path(entry["file"]) if weights is None else Path(weights)
    expected = entry["sha256"] if weights is None else sha256
    state = load_verified(path, expected)
    config = {k: tuple(v) if isinstance(v, list) else v
              for k, v in entry["architecture"]["config"].items()}
    R = UNet(UNetConfig(**config))
    try:
        R.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(f"{path} does not hold {name}'s U-Net weights: {error}") from error
    prior = _load_prior(entry["prior"]) if entry.get("prior") else None
    data = entry["data"]
    options = {"prior": prior} if prior is not None else {}
    # The D the model was trained on: its schedule with the run's variant and overrides.
    _, variant, overrides = schedule_of(entry.get("run") or {}) or (None, None, {})
    model = kind_for(schedule, prior)(
        name=name, R=R.eval(), D=schedule.build(variant, **overrides), schedule=schedule,
        image_size=data["image_size"], channels=data["channels"],
        value_range=tuple(data["range"]), entry=entry, **options)
    model.set_precision(precision, compile=compile)
    return model


def _load_prior(record: dict[str, Any]) -> samplers.Prior:
    """The prior an entry records: its class by name, its state from a verified file."""
    state = load_verified(package_path(record["file"]), record["sha256"])
    return samplers.Prior.from_state(record["class"], state)


def schedule_of(run: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]] | None:
    """``(name, variant, overrides)`` of a run on a named schedule; None for another
    degradation."""
    spec = run.get("degradation") or {}
    if spec.get("factory") != SCHEDULE_FACTORY:
        return None
    arguments = dict(spec.get("arguments") or {})
    return arguments.pop("name", None), arguments.pop("variant", None), arguments


def from_checkpoint(path: str | os.PathLike[str], schedule: str | None = None, *,
                    name: str | None = None, half: bool = False, precision: str = "auto",
                    compile: bool = False, **overrides: Any) -> Pretrained:
    """A model of your own training run (its ``checkpoint.pt``, EMA weights), to sample or
    :func:`zoo.evaluate` before (or without) exporting it to the zoo.

    The checkpoint knows its run (:class:`restore.RunConfig`): its named schedule, variant and
    overrides. ``schedule`` and ``overrides`` (for example ``num_steps``) override them, and
    are needed only for checkpoints of other degradations or written before run
    configurations. ``half=True`` rounds the weights through float16, as the zoo stores them,
    so that the numbers measured are those of the exported model. Generation models loaded
    this way have no prior, so they load as restorers: :meth:`Generator.generate` needs the
    zoo's export. ``precision`` and ``compile``: how it samples
    (:meth:`zoo.kinds.Pretrained.set_precision`).
    """
    state = checkpoint.read(path)
    run = checkpoint.run_of(state)
    recorded = schedule_of(run) if run else None
    if schedule is None and recorded is None:
        why = ("was written before runs stored their configuration" if run is None
               else "trained on a degradation that is not a named schedule")
        raise ValueError(f"{path} {why}: pass schedule=NAME")
    variant, arguments = None, {}
    if recorded is not None and schedule in (None, recorded[0]):
        schedule, variant, arguments = recorded
    record = get_schedule(schedule)
    R = checkpoint.load_model(path)
    if half:
        R.load_state_dict({k: v.half().float() for k, v in R.state_dict().items()})
    name = name or Path(path).parent.name
    entry = {"name": name, "schedule": record.name, "prior": None, "run": run,
             "step": state.get("step")}
    model = kind_for(record, None)(
        name=name, R=R.eval(), D=record.build(variant, **{**arguments, **overrides}),
        schedule=record, image_size=record.image_size, channels=record.channels,
        value_range=(-1.0, 1.0), entry=entry)
    model.set_precision(precision, compile=compile)
    return model


def run_config_of(name: str) -> RunConfig:
    """The run configuration a zoo model records (``colddiff train --config NAME``)."""
    entry = get_entry(name)
    if not entry.get("run"):
        raise ValueError(f"{name} records no run configuration")
    return RunConfig.from_dict(entry["run"])

