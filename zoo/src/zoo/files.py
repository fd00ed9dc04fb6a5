"""Weight files: safetensors only (no pickle), checked against a recorded sha256 before use."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor


class WeightsError(ValueError):
    """A weight file is missing, altered or not what the registry describes."""


def sha256(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_verified(path: str | os.PathLike[str], expected_sha256: str | None) -> dict[str, Tensor]:
    """The tensors of a safetensors file, after checking its sha256 (``None``: no check).

    Tensors stored in float16 are returned in float32.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weight file {path} does not exist")
    if expected_sha256 is not None:
        actual = sha256(path)
        if actual != expected_sha256:
            raise WeightsError(f"{path} has sha256 {actual}, not the {expected_sha256} the "
                               "registry records: the file is altered or another one; refusing "
                               "to load it")
    try:
        tensors = load_file(str(path))
    except Exception as error:  # safetensors raises its own SafetensorError
        raise WeightsError(f"{path} is not a readable safetensors file: {error}") from error
    return {k: v.float() if v.dtype == torch.float16 else v for k, v in tensors.items()}


def save_weights(tensors: dict[str, Tensor], path: str | os.PathLike[str], *,
                 half: bool = True) -> str:
    """Write tensors as safetensors (floating ones as float16 with ``half``); returns the sha256."""
    stored = {k: (v.detach().cpu().half() if half and v.is_floating_point() else v.detach().cpu())
              .contiguous() for k, v in tensors.items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(stored, str(path))
    return sha256(path)
