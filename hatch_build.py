"""Release metadata shared by colddiff's five projects, from one place: ``[tool.colddiff]`` below.

The development project (this folder's ``pyproject.toml``) and the four packages (``degrade``,
``samplers``, ``restore``, ``zoo``) take their version, authors, URLs, keywords and classifiers
from the ``[tool.colddiff]`` table of this folder's ``pyproject.toml``, and pin the sibling
packages they need to that same version (``colddiff-samplers==0.2.0``), so that their wheels
install from an index or a folder of wheels, on any machine.

Each package's own ``hatch_build.py`` runs :func:`fill` from here. A source distribution carries
the result in its ``PKG-INFO``, which hatchling reads instead of running the hook, so a wheel
builds from an sdist with no clone around it.
"""

import sys
from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface

if sys.version_info >= (3, 11):
    import tomllib
else:  # hatchling brings tomli on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent
FIELDS = ("version", "authors", "classifiers", "urls")


def release() -> dict[str, Any]:
    """The ``[tool.colddiff]`` table: the one place the version and shared metadata are written."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["colddiff"]


def fill(metadata: dict[str, Any], config: dict[str, Any]) -> None:
    """Set the shared fields, and pin the sibling packages the project names to this version.

    ``config`` is the project's ``[tool.hatch.metadata.hooks.custom]`` table. Its ``requires``
    and ``siblings`` (colddiff package names) make ``dependencies``; its ``extras`` and
    ``sibling-extras`` make ``optional-dependencies``. Keywords add to the shared ones.
    """
    shared = release()
    for field in FIELDS:
        metadata[field] = shared[field]
    metadata["keywords"] = [*shared["keywords"], *config.get("keywords", [])]

    def pinned(names: list[str]) -> list[str]:
        return [f"{name}=={shared['version']}" for name in names]

    if "requires" in config or "siblings" in config:
        siblings = pinned(config.get("siblings", []))
        metadata["dependencies"] = [*config.get("requires", []), *siblings]
    if "extras" in config or "sibling-extras" in config:
        extras = {name: pinned(names) for name, names in config.get("sibling-extras", {}).items()}
        metadata["optional-dependencies"] = {**config.get("extras", {}), **extras}


class ReleaseMetadata(MetadataHookInterface):
    """The development project's hook; the packages' hooks call :func:`fill` the same way."""

    def update(self, metadata: dict[str, Any]) -> None:
        fill(metadata, self.config)
