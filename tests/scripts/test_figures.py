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


def test_figure_1_is_current_and_walks_the_models_own_generation(tmp_path):
    import figure1
    import torch
    from PIL import Image

    import zoo

    out = tmp_path / "figure-1.png"
    assert figure1.main(["--out", str(out)]) == 0
    # the forward rows (0, 2 and 4) only: the backward walk of celeba64-blur-gen from a flat
    # x_T (perfect symmetry) follows the rounding of the machine's convolutions
    height = figure1.TILE + figure1.CAPTION + figure1.GAP
    for name, path in (("drawn", out), ("committed", ROOT / "docs/img/figure-1.png")):
        picture = Image.open(path)
        for row in (0, 2, 4):
            picture.crop((0, row * height, picture.width, (row + 1) * height)).save(
                tmp_path / f"{name}-{row}.png")
    for row in (0, 2, 4):
        worst = difference(tmp_path / f"drawn-{row}.png", tmp_path / f"committed-{row}.png")
        assert worst is not None and worst <= TOLERANCE, (
            f"docs/img/figure-1.png is stale in row {row}: run python scripts/figure1.py")
    model = zoo.load("celeba64-heat-gen")
    shown = [0, 50, 100]
    states = figure1.backward(model, 3, shown)
    assert sorted(states) == shown
    assert torch.equal(states[0], model.generate(1, seed=3))
    x0 = zoo.sample_images("celeba", 1)
    assert torch.equal(figure1.forward(model, x0, 0, shown)[0], x0)
    animorph = zoo.load("celeba64-animorph")       # its forward row ends where its walk starts
    ends = figure1.forward(animorph, x0, 3, [0, animorph.T])
    assert torch.equal(ends[0], x0)
    assert torch.allclose(ends[animorph.T], figure1.backward(animorph, 3, [0])[animorph.T],
                          atol=1e-3)


def test_figure_8_draws_each_models_prior_draw_above_the_image_it_becomes(tmp_path, capsys):
    import dataclasses

    import figure8
    import torch
    from PIL import Image

    import zoo

    model = zoo.load("mnist-heat-gen")
    starts, samples = figure8.starts_and_samples(model, 2, 5)
    for i in range(2):
        seen = []

        def R(x, t, seen=seen):
            seen.append(x.clone())
            return model.R(x, t)

        walked = dataclasses.replace(model, R=R).generate(1, seed=5 + i)
        assert torch.equal(seen[0], starts[i:i + 1])          # where the walk starts
        assert torch.equal(walked, samples[i:i + 1])          # and where it ends
    out = tmp_path / "figure-8.png"
    assert figure8.main(["--models", "mnist-heat-gen", "no-such-model", "--count", "2",
                         "--out", str(out)]) == 0
    assert "no-such-model is not in the zoo yet; skipped" in capsys.readouterr().err
    picture = Image.open(out)
    assert picture.size == (figure8.LABEL_WIDTH + 2 * (figure8.TILE + figure8.GAP),
                            2 * figure8.TILE + 4 * figure8.GAP)
    with pytest.raises(SystemExit):
        figure8.main(["--models", "mnist-blur", "--count", "1", "--out", str(out)])
    with pytest.raises(SystemExit):
        figure8.main(["--models", "no-such-model", "--out", str(out)])
