"""Every example in examples/ runs, with a tiny budget, and draws its figure (the deepinv one
runs in .venv-deepinv: tests/degrade/test_deepinv.py)."""

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "own_degradation.py": ["--steps", "3"],
    "train_on_a_folder.py": ["--steps", "3"],
    "zoo_in_diffusers.py": ["--steps", "4"],
    "generate_faces.py": ["--n", "3", "--steps", "3"],
}
pytestmark = pytest.mark.clone


def run_example(name: str, tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "figure.png"
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args,
                             "--out", str(out)], capture_output=True, text=True, cwd=tmp_path,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    with Image.open(out) as figure:
        assert figure.width > 3 * 32 and figure.height >= 6 * 32
    return out


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_example_runs(name, tmp_path):
    if name == "zoo_in_diffusers.py":
        pytest.importorskip("diffusers", reason="the example needs diffusers")
    run_example(name, tmp_path, *EXAMPLES[name])


def test_every_example_is_run_somewhere():
    ran = {*EXAMPLES, "deepinv_solver.py"}
    assert {p.name for p in (ROOT / "examples").glob("*.py")} == ran
    deepinv_tests = (ROOT / "tests/degrade/test_deepinv.py").read_text()
    assert "deepinv_solver.py" in deepinv_tests
