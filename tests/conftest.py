"""Hypothesis profiles: derandomized and without a database in CI (CI=true), random locally.
Tests marked ``mnist_data`` are skipped, with the reason, where the MNIST file is not found."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing a test runs may download
import pytest
from hypothesis import settings
from restore.data import FILES, data_path

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")


def _has_mnist() -> bool:
    try:
        data_path(FILES["mnist"])
    except FileNotFoundError:
        return False
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _has_mnist():
        return
    skip = pytest.mark.skip(reason="MNIST is not in $COLDDIFF_DATA or ../shared/data")
    for item in items:
        if "mnist_data" in item.keywords:
            item.add_marker(skip)
