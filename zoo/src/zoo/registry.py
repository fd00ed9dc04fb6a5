"""The model registry, derived from the model folders inside the package (``models/<name>/``).

Each folder is a model of the one format (:mod:`zoo.folders`): its ``config.json`` is the
model's record (the card's facts) and its ``README.md`` the card. Nothing else lists the models.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

MODELS = "models"
"""The package folder that holds the shipped models."""


def package_path(relative: str) -> Path:
    """A file inside the installed ``zoo`` package."""
    return Path(str(resources.files("zoo").joinpath(relative)))


def model_folder(name: str) -> Path:
    """The folder of the shipped model called ``name`` (:func:`get_entry` checks the name)."""
    get_entry(name)
    return package_path(MODELS) / name


def registry() -> dict[str, dict[str, Any]]:
    """The shipped models' records (their ``config.json``), by name, in the order of
    their ``position``."""
    entries = [json.loads(path.read_text(encoding="utf-8"))
               for path in package_path(MODELS).glob("*/config.json")]
    entries.sort(key=lambda entry: (entry.get("position", 1_000), entry["name"]))
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
        from .schedules import list_schedules

        if name in {named.name for named in list_schedules()}:
            raise KeyError(f"{name!r} is one of the paper's schedules, but no model trained on "
                           f"it is shipped: train one (colddiff train {name} --out DIR) and "
                           f"load DIR (shipped models: {', '.join(models) or 'none'})")
        raise KeyError(f"no pretrained model named {name!r}{did_you_mean(name, models)} "
                       f"(shipped: {', '.join(models) or 'none'})")
    return models[name]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean a, b?"`` for the names closest to a mistyped one, or ``""``."""
    close = difflib.get_close_matches(name, list(known), n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""
