"""Hypothesis profiles: derandomized and without a database in CI (CI=true), random locally.

Tests are grouped by package (tests/degrade, tests/samplers, tests/restore, tests/zoo) so that CI
can run each group with only that package and its dependencies installed, from a copy of the
tests away from the repository (.ci/wheels). Two markers skip, with the reason, what such a run
cannot have: ``mnist_data`` (MNIST from $COLDDIFF_DATA or ../shared/data) and ``clone`` (the
repository's own files: docs, scripts, committed runs).
"""

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing a test runs may download
import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")

ROOT = Path(__file__).resolve().parent.parent


MARKERS = [
    "e2e: end-to-end runs in a real process (a few seconds each; CI runs them)",
    "mnist_data: needs MNIST from $COLDDIFF_DATA or ../shared/data (skipped without)",
    "clone: needs the repository's files beside the tests (skipped without)",
]
WARNINGS = [
    "error::DeprecationWarning:degrade.*",
    # the doctest collector imports every module, the deprecated shim included
    "ignore:zoo.schedulers is deprecated:DeprecationWarning",
]


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    for line in WARNINGS:
        config.addinivalue_line("filterwarnings", line)
    try:
        import restore.images  # noqa: F401
    except ImportError:  # colddiff-restore is not installed here: no image is made grey
        return
    # a colour image made grey where a test does not expect it
    config.addinivalue_line("filterwarnings", "error::restore.images.ColourToGreyWarning")


def in_the_clone() -> bool:
    """Whether the tests sit in the repository, beside its docs, scripts and packages."""
    pyproject = ROOT / "pyproject.toml"
    return pyproject.is_file() and "[tool.colddiff]" in pyproject.read_text()


def _has_mnist() -> bool:
    try:
        from restore.data import FILES, data_path
    except ImportError:  # colddiff-restore is not installed: nothing can read MNIST
        return False
    try:
        data_path(FILES["mnist"])
    except FileNotFoundError:
        return False
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = {
        "mnist_data": None if _has_mnist() else "MNIST is not in $COLDDIFF_DATA or ../shared/data",
        "clone": None if in_the_clone() else "needs the repository's files beside the tests",
    }
    for marker, reason in missing.items():
        if reason is None:
            continue
        for item in items:
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))
