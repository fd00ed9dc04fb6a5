"""The model registry, ``data/models.json``: one entry (the model card's facts) per model.

Each entry names a schedule, a safetensors weight file and its sha256, the U-Net configuration,
the data convention, the training run (its :class:`restore.RunConfig` under ``run``) and the
measured metrics.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any


def package_path(relative: str) -> Path:
    """A file inside the installed ``zoo`` package."""
    return Path(str(resources.files("zoo").joinpath(relative)))


def registry() -> dict[str, dict[str, Any]]:
    """The model registry: name to entry."""
    entries = json.loads(package_path("data/models.json").read_text(encoding="utf-8"))
    return {entry["name"]: entry for entry in entries}


def list_models() -> list[dict[str, Any]]:
    """The registry's entries, one dict per pretrained model."""
    return list(registry().values())


def get_entry(name: str) -> dict[str, Any]:
    """The registry entry of the model called ``name``."""
    if not isinstance(name, str):
        raise TypeError(f"a model name is a string, got {type(name).__name__}")
    models = registry()
    if name not in models:
        raise KeyError(f"no pretrained model named {name!r}{did_you_mean(name, models)} "
                       f"(shipped: {', '.join(models) or 'none'})")
    return models[name]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean a, b?"`` for the names closest to a mistyped one, or ``""``."""
    close = difflib.get_close_matches(name, list(known), n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""
