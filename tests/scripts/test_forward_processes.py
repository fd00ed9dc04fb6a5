"""The main job writes the forward-process picture, with or without ../shared/data."""

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "forward_processes.py"
DATA = ROOT.parent / "shared" / "data"


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], check=True,
                          capture_output=True, text=True)


def test_writes_the_picture_from_photographs_alone(tmp_path):
    out = tmp_path / "forward.png"
    result = run("--out", str(out), "--size", "32", "--data", str(tmp_path / "missing"))
    assert f"wrote {out}" in result.stdout
    with Image.open(out) as picture:
        assert picture.mode == "RGB"
        assert picture.width > 7 * 32 and picture.height > 9 * 32
    assert "9 schedules" in result.stdout


@pytest.mark.skipif(not (DATA / "mnist.npz").exists(), reason="../shared/data is not present")
def test_adds_mnist_and_cifar_rows_when_the_data_is_there(tmp_path):
    result = run("--out", str(tmp_path / "forward.png"), "--size", "32", "--data", str(DATA))
    assert "15 schedules" in result.stdout


def test_rejects_a_bad_size(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), "--size", "50", "--out",
                             str(tmp_path / "x.png")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "multiple of 32" in result.stderr


def test_the_figures_read_the_data_folder_restore_reads(monkeypatch, tmp_path):
    """$COLDDIFF_DATA first, as restore.data.load: a clone away from ../shared/data draws the
    committed figures (test_figures.py) from the same images."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import forward_processes

    monkeypatch.setenv("COLDDIFF_DATA", str(tmp_path))
    assert forward_processes.default_data() == tmp_path
    monkeypatch.delenv("COLDDIFF_DATA")
    assert forward_processes.default_data() == DATA
