"""A training run's checkpoint: written atomically, read without unpickling, and what it holds.

``checkpoint.pt`` is a dict of tensors and plain data (read with ``weights_only=True``):

* ``step``, ``model``, ``ema``, ``optimizer``, ``generator``, ``torch_rng``, ``cuda_rng``: the
  state that resumes the run exactly;
* ``config``: the :class:`restore.TrainConfig`; ``num_steps``: ``T``;
  ``model_config``: the :class:`restore.UNetConfig`;
* ``run``: the whole :class:`restore.RunConfig`, and ``hardware``: where it trained, in words
  (checkpoints written before run configurations existed lack both; everything else still loads
  from them).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

CHECKPOINT = "checkpoint.pt"


def save(state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``state`` to ``path`` atomically: to a temporary file, then renamed over the old."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)


def read(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """The checkpoint's contents (tensors and plain data only: nothing is unpickled)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    return torch.load(path, map_location=map_location, weights_only=True)


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
    model.load_state_dict(state[which])
    return model.eval()
