"""The four packages install alone, under prefixed names, and pull nothing they do not need."""

import ast
import os
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
with open(ROOT / "pyproject.toml", "rb") as _f:
    RELEASE = tomllib.load(_f)["tool"]["colddiff"]
VERSION = RELEASE["version"]
PACKAGES = {
    "degrade": {"torch>=2.2", "hypothesis>=6.80; extra == 'testing'"},
    "samplers": {"numpy>=1.24", "safetensors>=0.4", "scipy>=1.10", "torch>=2.2",
                 "hypothesis>=6.80; extra == 'testing'"},
    "restore": {f"colddiff-samplers=={VERSION}", "numpy>=1.24", "pillow>=10.1", "torch>=2.2",
                f"colddiff-degrade=={VERSION}; extra == 'cli'"},
    "zoo": {f"colddiff-degrade=={VERSION}", f"colddiff-restore=={VERSION}",
            f"colddiff-samplers=={VERSION}", "numpy>=1.24", "pillow>=10.1",
            "safetensors>=0.4", "torch>=2.2"},
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each package's sdist, and its wheel built from that sdist unpacked outside the clone,
    as an index builds it (scripts/build_release.sh, without build isolation: no index here)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "build_release.sh"), str(out), "--no-isolation"],
        check=True, env={**os.environ, "PYTHON": sys.executable},
    )
    return out


@pytest.fixture(scope="module")
def wheels(built):
    return {path.name.split("-")[0]: path for path in built.glob("*.whl")}


def _metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        metadata_file = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(metadata_file).decode())


@pytest.mark.parametrize("name", PACKAGES)
def test_wheel_metadata(wheels, name):
    """Siblings by name and version, never by a path into the clone; the release's metadata."""
    wheel = wheels[f"colddiff_{name}"]
    metadata = _metadata(wheel)
    with zipfile.ZipFile(wheel) as archive:
        top_level = {n.split("/")[0] for n in archive.namelist() if ".dist-info" not in n}
    assert metadata["Name"] == f"colddiff-{name}"
    assert metadata["Version"] == VERSION
    requires = {r.replace('"', "'").replace(" ;", ";") for r in metadata.get_all("Requires-Dist")}
    assert requires == PACKAGES[name]
    assert top_level == {name}
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL"))
    assert urls == RELEASE["urls"]
    assert metadata["License-Expression"] == "MIT"
    assert set(metadata.get_all("Classifier")) == set(RELEASE["classifiers"])
    assert set(RELEASE["keywords"]) <= set(metadata["Keywords"].split(","))
    assert metadata["Author"] == RELEASE["authors"][0]["name"]
    assert "](../" not in metadata.get_payload(), "the README links into the clone"


@pytest.mark.parametrize("name", PACKAGES)
def test_sdist_carries_its_metadata(built, name):
    """The sdist's PKG-INFO holds the pinned siblings, so a wheel builds from it alone."""
    with tarfile.open(built / f"colddiff_{name}-{VERSION}.tar.gz") as archive:
        names = archive.getnames()
        pkg_info = archive.extractfile(f"colddiff_{name}-{VERSION}/PKG-INFO").read().decode()
    metadata = Parser().parsestr(pkg_info)
    assert metadata["Version"] == VERSION
    wheel = _metadata(built / f"colddiff_{name}-{VERSION}-py3-none-any.whl")
    assert set(metadata.get_all("Requires-Dist")) == set(wheel.get_all("Requires-Dist"))
    assert not any("/training/" in n for n in names), "a run's checkpoint in the sdist"


def test_the_version_is_written_once():
    """Only pyproject.toml's [tool.colddiff] names the version; every project reads it."""
    for pyproject in [ROOT / "pyproject.toml", *(ROOT / n / "pyproject.toml" for n in PACKAGES)]:
        with open(pyproject, "rb") as f:
            project = tomllib.load(f)["project"]
        assert "version" not in project and "version" in project["dynamic"], pyproject
    for name in PACKAGES:
        init = (ROOT / name / "src" / name / "__init__.py").read_text()
        assert "__version__ = _version(" in init and VERSION not in init
    import degrade
    import restore
    import samplers
    import zoo

    assert {m.__version__ for m in (degrade, samplers, restore, zoo)} == {VERSION}


def test_the_packages_share_one_metadata_hook():
    """Each package's hatch_build.py is the same file, which runs the repository's fill()."""
    hooks = {(ROOT / name / "hatch_build.py").read_text() for name in PACKAGES}
    assert len(hooks) == 1


def test_changelog_and_citation():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{VERSION}] - " in changelog
    assert f"[{VERSION}]: " in changelog
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "software"
    cited = {i["value"] for ref in citation["references"] for i in ref["identifiers"]}
    assert cited == {"arXiv:2208.09392", "arXiv:2207.11192"}


def test_zoo_wheel_ships_its_data_weights_and_command(wheels):
    """zoo works offline from the wheel alone: registries, weights, samples, the console script."""
    with zipfile.ZipFile(wheels["colddiff_zoo"]) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt")))
    for required in ("zoo/data/schedules.json", "zoo/data/features.json",
                     "zoo/data/samples.npz", "zoo/models/mnist-blur/config.json",
                     "zoo/models/mnist-blur/model.safetensors", "zoo/models/mnist-blur/README.md",
                     "zoo/models/mnist-heat/prior.safetensors",
                     "zoo/weights/mnistnet.safetensors",
                     f"colddiff_zoo-{VERSION}.dist-info/licenses/DATA-LICENSES.md"):
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
