"""The committed figures are the ones the scripts draw today: a change to an operator or a
schedule that alters a picture fails here until the figure is drawn again.

The pictures are compared at an eighth of their size, where a change of font rendering between
machines fades to a few grey levels and a changed row of images does not."""

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
pytestmark = [pytest.mark.clone, pytest.mark.mnist_data]
TOLERANCE = 24
"""The largest difference, in grey levels, of a pixel of the eighth-size pictures."""


def coarse(path: Path) -> np.ndarray:
    with Image.open(path) as picture:
        picture = picture.convert("RGB")
        size = (max(1, picture.width // 8), max(1, picture.height // 8))
        return np.asarray(picture.resize(size, Image.Resampling.BOX), dtype=np.int16)


def assert_same_picture(drawn: Path, committed: Path, command: str) -> None:
    a, b = coarse(drawn), coarse(committed)
    assert a.shape == b.shape, f"{committed.name} has another size: run {command}"
    worst = int(np.abs(a - b).max())
    assert worst <= TOLERANCE, (
        f"{committed.relative_to(ROOT)} is stale (differs by up to {worst} grey levels at an "
        f"eighth of its size): run {command}")


def test_the_forward_processes_figure_is_current(tmp_path):
    import forward_processes

    out = forward_processes.main(["--out", str(tmp_path / "forward.png")])
    assert_same_picture(out, ROOT / "docs/img/forward-processes.png",
                        "python scripts/forward_processes.py")


def test_the_gallery_figures_are_current(tmp_path):
    import gallery

    (tmp_path / "img").mkdir()
    gallery.main(["--docs", str(tmp_path)])
    for group in gallery.TITLES:
        name = f"img/gallery-{group}.png"
        assert_same_picture(tmp_path / name, ROOT / "docs" / name, "python scripts/gallery.py")
