"""The quickstart runs as written; the generated pages match what generates them."""

import os
import re
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.clone  # the docs, scripts and pages of the repository
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.mark.mnist_data
def test_quickstart_commands_run_as_written(tmp_path, monkeypatch, capsys):
    from zoo.cli import main

    text = (ROOT / "docs/quickstart.md").read_text()
    lines = [line for block in re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL)
             for line in block.splitlines() if line.strip()]
    assert lines and all(line.startswith("colddiff ") for line in lines)
    # the commands run in a fresh folder: point them at the data that ../shared/data holds
    monkeypatch.chdir(tmp_path)
    if "COLDDIFF_DATA" not in os.environ:
        monkeypatch.setenv("COLDDIFF_DATA", str(ROOT.parent / "shared" / "data"))
    for line in lines:
        assert main(shlex.split(line)[1:]) == 0, f"{line}\n{capsys.readouterr().err}"
    for written in ("blurred.png", "restored.png", "generated.png", "diffused.png",
                    "mnist-blur.md"):
        assert (tmp_path / written).stat().st_size > 0
    # the restored file is the digit (issue 30, case 7: from an 8-bit blurred file, TACoS drew
    # an "X", RMSE 0.30; the 16-bit file keeps what restoring it needs)
    from zoo.images import read_images

    original, restored = read_images([tmp_path / "digits/mnist-00.png",
                                      tmp_path / "restored/mnist-00-t10-tacos.png"], 1, 32)
    assert float(((original - restored) / 2).pow(2).mean().sqrt()) < 0.15  # RMSE in [0, 1]


@pytest.mark.mnist_data
def test_quickstart_python_runs_as_written():
    text = (ROOT / "docs/quickstart.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 2
    namespace = {}
    for block in blocks:
        exec(compile(block, "quickstart example", "exec"), namespace)


def test_model_cards_page_is_up_to_date():
    import model_cards

    assert (ROOT / "docs/models.md").read_text() == model_cards.page(), (
        "docs/models.md is stale: run python scripts/model_cards.py")


def test_gallery_lists_every_schedule():
    import gallery

    text = (ROOT / "docs/gallery.md").read_text()
    assert text == gallery.page({g: Path(f"gallery-{g}.png") for g in gallery.TITLES}), (
        "docs/gallery.md is stale: run python scripts/gallery.py")
    for group in gallery.TITLES:
        assert (ROOT / f"docs/img/gallery-{group}.png").exists()


@pytest.mark.parametrize("page", ["README.md", "docs/quickstart.md", "docs/gallery.md",
                                  "docs/samplers.md", "docs/models.md", "docs/results.md"])
def test_pictures_the_pages_show_exist(page):
    text = (ROOT / page).read_text()
    for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (ROOT / page).parent.joinpath(target).exists(), f"{page} shows missing {target}"


def test_results_page_is_up_to_date():
    import results_page

    assert (ROOT / "docs/results.md").read_text() == results_page.page(), (
        "docs/results.md is stale: run python scripts/results_page.py")


def test_indi_page_runs_as_written():
    """docs/indi.md: the path, the sampler with its noise, training on one's own pairs."""
    text = (ROOT / "docs/indi.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 3
    namespace = {}
    for block in blocks:
        exec(compile(block, "docs/indi.md", "exec"), namespace)
    assert namespace["restored"].shape == namespace["direct"].shape == (8, 1, 16, 16)


@pytest.mark.parametrize("page", ["README.md", "docs/index.md"])
def test_the_training_times_the_pages_give_are_the_cards(page):
    import zoo

    text = " ".join((ROOT / page).read_text(encoding="utf-8").split())
    said = re.search(r"the 32-px ones in (\d+) to (\d+) minutes each, the 64-px faces and cats "
                     r"in (\d+) to (\d+) hours of one core", text)
    assert said, f"{page} no longer says how long the models trained"
    small, large = (int(said[1]), int(said[2])), (int(said[3]) * 60, int(said[4]) * 60)
    minutes = {e["name"]: (e["data"]["image_size"], int(e["training"]["wall_time"].split()[0]))
               for e in zoo.list_models()}
    assert {size for size, _ in minutes.values()} == {32, 64}
    for name, (size, spent) in minutes.items():
        low, high = small if size == 32 else large
        assert low <= spent <= high, f"{name} trained {spent} min: {page} says {low}-{high}"
