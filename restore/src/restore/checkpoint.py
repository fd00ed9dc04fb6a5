"""A training run's checkpoint: written atomically, read without unpickling, and what it holds.

``checkpoint.pt`` is a dict of tensors and plain data (read with ``weights_only=True``):

* ``step``, ``model``, ``ema``, ``optimizer``, ``generator``, ``torch_rng``, ``cuda_rng``: the
  state that resumes the run exactly;
* ``run``: the whole :class:`restore.RunConfig` (its ``train`` section is the
  :class:`restore.TrainConfig`, stored once); ``num_steps``: ``T``; ``image_shape``: the
  ``(C, H, W)`` it trained on; ``model_config``: the :class:`restore.UNetConfig`;
  ``hardware``: where it trained, in words.

:func:`compose` is the one place that lays these keys out, and :func:`train_config` reads the
optimisation back. Checkpoints of earlier versions still load: those written before run
configurations hold the :class:`restore.TrainConfig` as ``config`` and lack ``run``,
``hardware`` and ``image_shape``; later ones until this version hold ``config`` beside
``run``.

It is written inside an envelope with the sha256 of its content (:data:`FORMAT`); :func:`read`
refuses an empty, truncated, altered or foreign file in one line. Checkpoints written before
the envelope still load.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
from pathlib import Path
from typing import Any

import torch
from samplers.folders import write_atomically
from torch import nn

CHECKPOINT = "checkpoint.pt"


FORMAT = "colddiff-checkpoint-1"
"""The envelope of a checkpoint: ``{"format", "sha256", "payload"}``, the payload being the
``torch.save`` bytes of the state and ``sha256`` their digest."""

REQUIRED = ("step", "model", "ema", "optimizer", "generator", "torch_rng")
"""What every training checkpoint holds (and ``run`` or, written before it, ``config``)."""


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint: empty, truncated, altered, foreign."""


def save(state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``state`` to ``path`` atomically, with a checksum of its content.

    The state goes to a temporary file that is flushed to disk and renamed over the old
    checkpoint only once it is complete (:func:`samplers.folders.write_atomically`); a failed
    write (a full disk, a folder made read-only) removes the temporary file,
    leaves the old checkpoint as it was and raises an ``OSError`` that says why.
    """
    path = Path(path)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    envelope = {"format": FORMAT, "sha256": hashlib.sha256(payload).hexdigest(),
                "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8)}
    try:
        write_atomically(path, lambda file: torch.save(envelope, file))
    except (OSError, RuntimeError) as error:
        cause = getattr(error, "strerror", None) or (str(error).splitlines() or ["?"])[0]
        raise OSError(f"could not write the checkpoint {path} ({cause}); the previous one, if "
                      "any, is unchanged") from error


def read(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """The checkpoint's contents, checked: tensors and plain data only (nothing is unpickled),
    the checksum verified, the keys of a training checkpoint present.

    Raises:
        FileNotFoundError: no file at ``path``.
        CheckpointError: an empty, truncated, altered or foreign file, in one line.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises EOFError, RuntimeError, UnpicklingError...
        raise CheckpointError(f"{path} is not a readable checkpoint (empty, truncated or not a "
                              f"torch file: {type(error).__name__})") from error
    if isinstance(state, dict) and state.get("format") == FORMAT:
        payload = state.get("payload")
        if not isinstance(payload, torch.Tensor) or payload.dtype != torch.uint8:
            raise CheckpointError(f"{path} is a damaged checkpoint: it holds no payload")
        data = payload.numpy().tobytes()
        if hashlib.sha256(data).hexdigest() != state.get("sha256"):
            raise CheckpointError(f"{path} is corrupt: its content does not match its "
                                  "checksum; resume from another copy or start a new run")
        try:
            state = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
        except Exception as error:  # a forged payload: pickled code, or not a torch file
            raise CheckpointError(f"{path} holds a payload that is not plain tensors and data "
                                  f"({type(error).__name__}); nothing in it was run") from error
    elif isinstance(state, dict) and map_location != "cpu":
        state = torch.load(path, map_location=map_location, weights_only=True)
    missing = [key for key in REQUIRED if not isinstance(state, dict) or key not in state]
    if isinstance(state, dict) and not (state.get("run") or "config" in state):
        missing.append("run")
    if missing:
        raise CheckpointError(f"{path} is not a colddiff training checkpoint (it lacks "
                              f"{', '.join(missing)})")
    _check_values(path, state)
    return state


def _check_values(path: Any, state: dict[str, Any]) -> None:
    """Refuse, in one line, a checkpoint whose values have the wrong kind (a forged one with a
    valid checksum): the step, the random states, the weights and the optimiser's."""
    step = state["step"]
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise CheckpointError(f"{path} holds step {step!r}, not a whole number >= 0")
    expected = torch.Generator().get_state()
    for key in ("generator", "torch_rng"):
        value = state[key]
        if not (isinstance(value, torch.Tensor) and value.dtype == torch.uint8
                and value.shape == expected.shape):
            raise CheckpointError(f"{path} holds a {key} state that is not a random generator's")
    for key in ("model", "ema"):
        if not isinstance(state[key], dict) or not all(
                isinstance(v, torch.Tensor) for v in state[key].values()):
            raise CheckpointError(f"{path} holds {key} weights that are not tensors")
    if not isinstance(state["optimizer"], dict) or not {"state", "param_groups"} <= set(
            state["optimizer"]):
        raise CheckpointError(f"{path} holds no optimiser state")


def check_optimizer(optimizer: torch.optim.Optimizer) -> None:
    """Refuse a loaded optimiser state whose moments do not have their parameters' shapes
    (``load_state_dict`` checks only the number of parameters)."""
    for parameter, moments in optimizer.state.items():
        for name, value in moments.items():
            if isinstance(value, torch.Tensor) and value.dim() and \
                    value.shape != parameter.shape:
                raise ValueError(f"its {name} has shape {tuple(value.shape)} for a parameter "
                                 f"of shape {tuple(parameter.shape)}")


def compose(*, step: int, model: dict[str, Any], ema: dict[str, Any],
            optimizer: dict[str, Any], scaler: dict[str, Any], generator: torch.Tensor,
            train: dict[str, Any], num_steps: int | None, model_config: dict | None,
            image_shape: list[int] | None, run: dict[str, Any] | None,
            hardware: str) -> dict[str, Any]:
    """A training checkpoint's state: what resumes the run exactly (the weights, their moving
    average, the optimiser, the random states) and what describes it (see the module's text).
    The optimisation ``train`` is stored once: inside ``run`` when there is one, else as
    ``config``."""
    state = {"step": step, "model": model, "ema": ema, "optimizer": optimizer,
             "scaler": scaler, "generator": generator, "torch_rng": torch.get_rng_state(),
             "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
             "num_steps": num_steps, "model_config": model_config, "image_shape": image_shape,
             "run": run, "hardware": hardware}
    if run is None or run.get("train") != train:
        state["config"] = train
    return state


FIXED_ON_RESUME = ("batch_size", "accumulate", "seed", "loss")
"""The optimisation settings a resume may not change, for runs without a run configuration."""

RESUMABLE = ("out", "data.data_dir", "train.steps", "train.checkpoint_every", "train.log_every",
             "train.sample_every", "train.num_workers", "train.progress", "train.max_seconds",
             "train.device", "train.compile")
"""What may change when a run resumes (where it writes, how long, how often it reports, where
it computes); anything else changes what the run means: the degradation and its ``T``, the
data, the image shape and the split, the network, the objective, the optimisation, the moving
average, the precision."""


def _flat(values: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(values, dict) or not values:
        return {prefix: values}
    return {k: v for key, value in values.items()
            for k, v in _flat(value, f"{prefix}.{key}" if prefix else key).items()}


def resume_changes(path: Any, state: dict[str, Any], train: dict[str, Any],
                   run: dict[str, Any] | None) -> dict[str, list[Any]]:
    """What resuming ``state`` with the run ``run`` (optimisation ``train``) changes, as
    ``{field: [before, now]}``; a change outside :data:`RESUMABLE` is refused in one line."""
    from .config import RunConfig

    before, now = state.get("run"), run
    if before is None or now is None:  # runs without a configuration: their optimisation
        before = {"train": {k: train_config(state)[k] for k in FIXED_ON_RESUME}}
        now = {"train": {k: train[k] for k in FIXED_ON_RESUME}}
        old = _flat(before)
    else:                               # a field added since the checkpoint had its default
        defaults = {key: value for key, value in _flat(RunConfig().to_dict()).items()
                    if not isinstance(value, dict)}
        old = {**defaults, **_flat(before)}
    new = _flat(now)
    changes = {key: [old.get(key), new.get(key)] for key in sorted({*old, *new})
               if old.get(key) != new.get(key)}
    refused = [f"{key} ({a!r} to {b!r})" for key, (a, b) in changes.items()
               if key not in RESUMABLE]
    if refused:
        raise ValueError(f"{path} cannot resume with another {', '.join(refused)}: that "
                         "changes what the run means; resume with the same settings or start "
                         "a new run in another folder")
    return changes


def train_config(state: dict[str, Any]) -> dict[str, Any]:
    """The :class:`restore.TrainConfig` (as a dict) a checkpoint was trained with."""
    return state["config"] if "config" in state else state["run"]["train"]


def run_of(state: dict[str, Any]) -> dict[str, Any] | None:
    """The run configuration a checkpoint stores, as a dict; None for older checkpoints."""
    return state.get("run")


def model_config(model: nn.Module) -> dict | None:
    """The network's configuration as plain data, if it has one (a :class:`restore.UNet`)."""
    config = getattr(model, "config", None)
    if dataclasses.is_dataclass(config):
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(config).items()}
    return None


def load_model(path: str | os.PathLike[str], model: nn.Module | None = None,
               which: str = "ema") -> nn.Module:
    """The trained network of a checkpoint, in eval mode: the moving average by default.

    Builds a :class:`restore.UNet` from the configuration saved in the checkpoint unless a
    ``model`` of the right shape is given.
    """
    if which not in ("ema", "model"):
        raise ValueError(f'which must be "ema" or "model", got {which!r}')
    state = read(path)
    if model is None:
        from .unet import UNet, UNetConfig

        if not state.get("model_config"):
            raise ValueError(f"{path} holds no U-Net configuration: pass the model to load into")
        model = UNet(UNetConfig(**{k: tuple(v) if isinstance(v, list) else v
                                   for k, v in state["model_config"].items()}))
    load_weights(model, state[which], path)
    return model.eval()


def load_weights(model: nn.Module, weights: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """``model.load_state_dict(weights)``, refusing weights of another architecture in one
    line."""
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        detail = next((line.strip() for line in str(error).splitlines()[1:] if line.strip()),
                      str(error))
        raise CheckpointError(f"{path} holds the weights of another network "
                              f"({detail[:160]})") from error


WEIGHT_SOURCES = "colddiff.weights"
"""The entry-point group of installed sources of starting weights: ``zoo`` declares ``zoo``,
so that ``init = "zoo:cifar10-color"`` starts from that zoo model's network."""


def initial_weights(source: str) -> dict[str, Any]:
    """The weights a run starts from (``RunConfig.init``): a run's ``checkpoint.pt`` (its
    moving average), a model folder (``UNet.save_pretrained``'s, or a zoo model's), or
    ``"<source>:<name>"`` of an installed source (``"zoo:cifar10-color"``)."""
    from importlib import metadata

    from .unet import UNet

    path = Path(source)
    prefix, _, name = source.partition(":")
    if not path.exists() and name and len(prefix) > 1:
        points = {p.name: p for p in metadata.entry_points(group=WEIGHT_SOURCES)}
        if prefix not in points:
            raise ValueError(f"init {source!r}: no installed source of weights is called "
                             f"{prefix!r} (installed: {', '.join(sorted(points)) or 'none'})")
        try:
            path = Path(points[prefix].load()(name))
        except KeyError as error:
            raise ValueError(f"init {source!r}: {error.args[0] if error.args else error}") \
                from error
    if not path.exists():
        raise FileNotFoundError(f"init {source!r}: no such checkpoint or model folder")
    if path.is_dir():
        return UNet.from_pretrained(path).state_dict()
    return read(path)["ema"]
