"""The committed figures are the ones the scripts draw today: a change to an operator or a
schedule that alters a picture fails here until the figure is drawn again.

The pictures are compared at an eighth of their size, where a change of font rendering between
machines fades to a few grey levels and a changed row of images does not."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from compare_figures import TOLERANCE, difference  # noqa: E402

pytestmark = [pytest.mark.clone, pytest.mark.mnist_data]


def assert_same_picture(drawn: Path, committed: Path, command: str) -> None:
    worst = difference(drawn, committed)
    assert worst is not None, f"{committed.name} has another size: run {command}"
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


def test_compare_figures_names_the_stale_and_the_missing(tmp_path, capsys):
    import numpy as np
    from compare_figures import main
    from PIL import Image

    drawn, committed = tmp_path / "drawn", tmp_path / "committed"
    drawn.mkdir()
    committed.mkdir()
    grey = np.full((64, 64, 3), 100, dtype=np.uint8)
    for folder, level in ((drawn, 100), (committed, 100 + TOLERANCE)):
        Image.fromarray(grey).save(folder / "same.png")
        Image.fromarray(np.full_like(grey, level)).save(folder / "shifted.png")
    assert main([str(drawn), str(committed)]) == 0
    Image.fromarray(np.full_like(grey, 100 + TOLERANCE + 1)).save(committed / "shifted.png")
    Image.fromarray(grey).save(drawn / "new.png")
    capsys.readouterr()
    assert main([str(drawn), str(committed)]) == 1
    out = capsys.readouterr()
    assert "stale in" in out.err and "new.png, shifted.png" in out.err
    assert "same.png: differs by up to 0 grey levels" in out.out
