"""This package's release metadata: ``fill`` of the repository's ``hatch_build.py``.

Runs where the package is built from the repository (``pip install ./<package>``, ``python -m
build``). A wheel built from this package's sdist takes the metadata from ``PKG-INFO`` instead.
"""

import runpy
from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface


class PackageMetadata(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        shared = runpy.run_path(str(Path(self.root).resolve().parent / "hatch_build.py"))
        shared["fill"](metadata, self.config)
