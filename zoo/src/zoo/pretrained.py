"""Loading models: ``zoo.load(source)`` for a zoo name, a model folder, a run folder, a
checkpoint or (with huggingface_hub) a Hub repository.

Every source becomes the same record (:mod:`zoo.folders`) and then the model's kind
(:mod:`zoo.kinds`): a :class:`~zoo.kinds.Restorer`, :class:`~zoo.kinds.Generator`,
:class:`~zoo.kinds.WarmGenerator`, :class:`~zoo.kinds.SoftGenerator` or
:class:`~zoo.kinds.DiffusionModel`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import torch
from restore.config import RunConfig
from samplers.folders import CONFIG, FolderError, read_config

import samplers
from restore import UNet, UNetConfig, checkpoint

from . import folders
from .kinds import CLASSES, Pretrained
from .registry import get_entry, model_folder, registry


def locate(source: str | os.PathLike[str]) -> tuple[str, Path]:
    """What ``source`` names: ``("folder", path)`` for a model folder (a shipped name, a
    folder, a run's ``model/`` folder, a Hub repository ``hf://user/repo``) or
    ``("checkpoint", path)`` for a run without one or a checkpoint file. A name that is none of
    these is an error that lists the models; nothing is downloaded unless ``hf://`` asks."""
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"a model name is a string or a path, got {type(source).__name__}")
    if isinstance(source, str) and source in registry():
        return "folder", model_folder(source)
    path = Path(source)
    if path.is_file():
        return "checkpoint", path
    if (path / "config.json").is_file() and not (path / checkpoint.CHECKPOINT).is_file():
        return "folder", path
    if (path / checkpoint.CHECKPOINT).is_file():
        model = path / "model"
        if (model / "config.json").is_file() and (model / "config.json").stat().st_mtime >= \
                (path / checkpoint.CHECKPOINT).stat().st_mtime:
            return "folder", model
        return "checkpoint", path / checkpoint.CHECKPOINT
    if isinstance(source, str) and source.startswith(HUB):
        return "folder", _from_hub(source.removeprefix(HUB))
    if path.exists():
        raise FolderError(f"{path} is neither a model folder (config.json) nor a run folder "
                          "(checkpoint.pt)")
    if isinstance(source, str) and source.count("/") == 1 and not source.startswith("."):
        raise KeyError(f"no model named {source!r}: no shipped model and no such folder or "
                       f"file (a Hub repository is written {HUB}{source})")
    get_entry(str(source))  # raises: no such model, with the closest names
    raise AssertionError("unreachable")


HUB = "hf://"
"""The prefix of a Hugging Face Hub repository: ``zoo.load("hf://user/repo")``."""


def _from_hub(repo_id: str) -> Path:
    """A Hub repository's files, through huggingface_hub's cache (``HF_HUB_OFFLINE=1``: from
    the cache alone)."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError as error:
        raise KeyError(f"no pretrained model named {repo_id!r}, and no such folder; a Hub "
                       "repository needs huggingface_hub: pip install huggingface_hub") \
            from error
    try:
        return Path(snapshot_download(repo_id))
    except Exception as error:  # the hub raises many kinds: offline, missing, unauthorised
        raise KeyError(f"{repo_id!r} is no shipped model or folder, and the Hub did not give "
                       f"it: {type(error).__name__}: {str(error).splitlines()[0]}") from error


def load(source: str | os.PathLike[str], *, weights: str | os.PathLike[str] | None = None,
         sha256: str | None = None, precision: str = "auto", compile: bool = False,
         schedule: str | None = None) -> Pretrained:
    """Load a model, offline, from any of its sources (:func:`locate`): a shipped model's name
    (``"mnist-blur"``), a model folder (:meth:`Pretrained.save_pretrained`, ``RUN/model``), a
    training run's folder or its ``checkpoint.pt`` (the moving-average weights, as
    :func:`from_checkpoint`), or a Hub repository ``"hf://user/repo"`` with huggingface_hub
    (its cache only, with ``HF_HUB_OFFLINE=1``).

    Every file is checked against the sha256 its folder records before it is read. With
    ``weights``, a safetensors file of your own loads into the same architecture; pass its
    ``sha256`` to have it checked too. ``precision`` and ``compile``: how it samples
    (:meth:`zoo.model.Pretrained.set_precision`). ``schedule``: for checkpoints written before
    runs recorded their configuration.

    Examples:
        >>> import zoo
        >>> model = zoo.load("mnist-blur")
        >>> model.T, model.image_size, model.channels
        (20, 32, 1)
    """
    what, path = locate(source)
    if what == "checkpoint":
        if weights is not None:
            raise ValueError("weights= replaces a model folder's weights; a checkpoint has its "
                             "own")
        return from_checkpoint(path, schedule, precision=precision, compile=compile)
    entry, state, prior = folders.read(path)
    if weights is not None:
        state = samplers.folders.load_tensors(weights, sha256)
    return build(entry, state, prior, precision=precision, compile=compile,
                 source=path if weights is None else weights)


def from_pretrained(source: str | os.PathLike[str], **options: Any) -> Pretrained:
    """:func:`load`, under the name the Hub's libraries use; as theirs, a ``"user/repo"`` that
    is no local folder is looked up on the Hub (``hf://user/repo`` in :func:`load`)."""
    if isinstance(source, str) and source.count("/") == 1 and not Path(source).exists() \
            and source not in registry():
        source = HUB + source
    return load(source, **options)


def _difference(expected: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> str:
    """How ``state`` differs from the tensors a network expects, in a few words ("" if not)."""
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    reshaped = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    parts = []
    if reshaped:
        first = reshaped[0]
        parts.append(f"{len(reshaped)} tensor(s) of another shape ({first}: "
                     f"{tuple(state[first].shape)}, expected {tuple(expected[first].shape)})")
    if missing:
        parts.append(f"{len(missing)} missing ({missing[0]}...)")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected ({unexpected[0]}...)")
    if parts:
        return "; ".join(parts) + ": another architecture?"
    return ""


def build(entry: dict[str, Any], state: dict[str, torch.Tensor], prior: samplers.Prior | None,
          *, precision: str = "auto", compile: bool = False,
          source: Path | str = "") -> Pretrained:
    """The model a record describes: its U-Net holding ``state``, its degradation, prior and
    kind."""
    name = entry.get("name") or Path(source).name
    try:
        R = UNet(UNetConfig.from_dict(entry["architecture"]["config"]))
    except (KeyError, TypeError, ValueError) as error:
        raise FolderError(f"{source or name} records no usable U-Net architecture: "
                          f"{str(error).strip().splitlines()[0][:200]}") from error
    difference = _difference(R.state_dict(), state)
    if difference:
        raise FolderError(f"{source or name} does not hold {name}'s U-Net weights: "
                          f"{difference}")
    R.load_state_dict(state)
    kind = entry.get("kind") or folders.kind_of(entry.get("objective", "x0"), prior is not None)
    with_prior = kind in ("generator", "warm-generator", "soft-generator")
    if with_prior and prior is None:
        raise FolderError(f"{name} is a {kind} but has no prior")
    data = entry["data"]
    options = {"prior": prior} if with_prior else {}
    model = CLASSES[kind](
        name=name, R=R.eval(), D_train=folders.build_degradation(entry),
        schedule=folders.schedule_of(entry.get("degradation")), image_size=data["image_size"],
        channels=data["channels"], value_range=tuple(data["range"]), entry=entry, **options)
    model.set_precision(precision, compile=compile)
    return model


def from_checkpoint(path: str | os.PathLike[str], schedule: str | None = None, *,
                    name: str | None = None, half: bool = False, precision: str = "auto",
                    compile: bool = False, prior: samplers.Prior | None = None,
                    **overrides: Any) -> Pretrained:
    """A model of your own training run (its ``checkpoint.pt``, EMA weights), to sample,
    :func:`zoo.evaluate` or :meth:`~Pretrained.save_pretrained` before (or without)
    exporting it.

    The run's own image shape, channels, objective and degradation make the model
    (:func:`zoo.folders.entry_of_run`); a run on your own degradation needs no schedule, only
    its factory registered if it is not ``degrade``'s. ``schedule`` names one for checkpoints
    written before runs recorded their configuration; ``overrides`` change the degradation's
    arguments (``num_steps``). ``half=True`` rounds the weights through float16, as the zoo
    stores them. A generation run (a warm objective, or a schedule whose task is generation)
    needs a prior over ``x_T``: pass ``prior``, or it is fitted on the run's training images
    (a few seconds), as ``colddiff train`` does when it writes ``RUN/model``.
    """
    state = checkpoint.read(path)
    name = name or Path(path).resolve().parent.name
    entry = folders.entry_of_run(state, name, schedule=schedule, overrides=overrides)
    log = Path(path).parent / "log.jsonl"
    if log.is_file() and ("config" in state or state.get("run")):
        train = checkpoint.train_config(state)
        per_step = train.get("batch_size", 32) * train.get("accumulate", 1)
        entry["training"]["wall_time"] = folders.wall_time(folders.wall_seconds(log, per_step))
    weights = state["ema"]
    if half:
        weights = {k: v.half().float() if v.is_floating_point() else v for k, v in weights.items()}
    record = folders.schedule_of(entry["degradation"])
    if prior is None and folders.needs_prior(entry["objective"], record):
        from .export import fit_prior

        print(f"fitting the prior of {name}...", file=sys.stderr)
        prior, entry["prior"] = fit_prior(entry, folders.build_degradation(entry))
        fitted_on = entry["prior"]["fitted_on"]
        print(f"the prior: {entry['prior']['kind']}" + (f", fitted on {fitted_on}"
                                                        if fitted_on else ""), file=sys.stderr)
    elif prior is not None:
        entry["prior"] = {"class": type(prior).__name__, "arguments": prior.arguments(),
                          "noise_std": float(getattr(prior, "noise_std", 0.0)),
                          "kind": type(prior).__name__, "fitted_on": "given"}
    entry["kind"] = folders.kind_of(entry["objective"], prior is not None)
    return build(entry, weights, prior, precision=precision, compile=compile, source=path)


def run_config_of(model: str | os.PathLike[str]) -> RunConfig:
    """The run configuration a model records (``colddiff train --config MODEL``): ``model`` is
    a zoo model's name or a model folder (``RUN/model``, a kept stage of a zoo model)."""
    path = Path(model)
    if path.is_dir():
        entry = read_config(path, folders.FORMAT)
    elif path.name == CONFIG and path.is_file():
        entry = read_config(path.parent, folders.FORMAT)
    else:
        entry = get_entry(str(model))
    if not entry.get("run"):
        raise ValueError(f"{model} records no run configuration")
    return RunConfig.from_dict(entry["run"])

