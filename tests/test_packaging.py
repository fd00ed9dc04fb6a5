"""The four packages install alone, under prefixed names, and pull nothing they do not need."""

import ast
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "degrade": {"torch>=2.2", "hypothesis>=6.80; extra == 'testing'"},
    "samplers": {"numpy>=1.24", "safetensors>=0.4", "scipy>=1.10", "torch>=2.2",
                 "hypothesis>=6.80; extra == 'testing'"},
    "restore": {"colddiff-samplers@ {root}/samplers", "numpy>=1.24", "pillow>=10.1", "torch>=2.2",
                "colddiff-degrade@ {root}/degrade; extra == 'cli'"},
    "zoo": {"colddiff-degrade@ {root}/degrade", "colddiff-restore@ {root}/restore",
            "colddiff-samplers@ {root}/samplers", "numpy>=1.24", "pillow>=10.1",
            "safetensors>=0.4", "torch>=2.2"},
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """Build each package's wheel from its own folder, as `pip install ./<name>` does."""
    out = tmp_path_factory.mktemp("wheels")
    folders = [str(ROOT / name) for name in PACKAGES]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--wheel-dir", str(out), *folders],
        check=True,
    )
    return {path.name.split("-")[0]: path for path in out.glob("*.whl")}


@pytest.mark.parametrize("name", PACKAGES)
def test_wheel_metadata(wheels, name):
    wheel = wheels[f"colddiff_{name}"]
    with zipfile.ZipFile(wheel) as archive:
        metadata_file = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_file).decode())
        top_level = {n.split("/")[0] for n in archive.namelist() if ".dist-info" not in n}
    assert metadata["Name"] == f"colddiff-{name}"
    requires = {r.replace('"', "'").replace(" @ ", "@ ").replace(" ;", ";")
                for r in metadata.get_all("Requires-Dist")}
    assert requires == {r.replace("{root}", ROOT.as_uri()) for r in PACKAGES[name]}
    assert top_level == {name}


def test_zoo_wheel_ships_its_data_weights_and_command(wheels):
    """zoo works offline from the wheel alone: registries, weights, samples, the console script."""
    with zipfile.ZipFile(wheels["colddiff_zoo"]) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt")))
    for required in ("zoo/data/schedules.json", "zoo/data/features.json",
                     "zoo/data/samples.npz", "zoo/models/mnist-blur/config.json",
                     "zoo/models/mnist-blur/model.safetensors", "zoo/models/mnist-blur/README.md",
                     "zoo/models/mnist-heat/prior.safetensors",
                     "zoo/weights/mnistnet.safetensors"):
        assert required in names
    assert b"colddiff = zoo.cli:main" in entry_points


@pytest.mark.parametrize("name", ["samplers", "restore"])
def test_package_does_not_import_degrade(name):
    """samplers takes any callables and restore any callable D: neither imports degrade.

    Only restore's command line, ``python -m restore.train``, and the factories a configuration
    may name (``restore.degradations``, when it names one of degrade's operators) import
    degrade, inside their functions (test_trainer.py trains with degrade blocked).
    """
    for path in (ROOT / name / "src" / name).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        nodes = tree.body if path.name in ("train.py", "degradations.py") else ast.walk(tree)
        for node in nodes:
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            assert not any(m.split(".")[0] == "degrade" for m in modules), f"{path} imports degrade"


def test_importing_degrade_needs_neither_numpy_nor_hypothesis():
    code = (
        "import sys; sys.modules['numpy'] = None; sys.modules['hypothesis'] = None; "
        "import degrade, torch; "
        "D = degrade.GaussianBlurSchedule.exponential(5, 10, 0.1); "
        "D(torch.zeros(1, 1, 8, 8), 10)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
