"""Weight files: safetensors only (no pickle), checked against a recorded sha256 before use.

The checks are :mod:`samplers.folders`', the one place that reads and writes the files of every
model, network and prior; these names remain for the feature networks and for callers of
earlier versions."""

from __future__ import annotations

import os

from samplers.folders import FolderError, load_tensors, save_tensors, sha256
from torch import Tensor

WeightsError = FolderError
"""A weight file is missing, altered or not what its record describes."""

load_verified = load_tensors
"""The tensors of a safetensors file, after checking its sha256 (None: no check)."""

__all__ = ["WeightsError", "load_verified", "save_weights", "sha256"]


def save_weights(tensors: dict[str, Tensor], path: str | os.PathLike[str], *,
                 half: bool = True) -> str:
    """Write tensors as safetensors (floating ones as float16 with ``half``); returns the sha256."""
    return save_tensors(tensors, path, half=half)
