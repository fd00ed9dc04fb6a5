"""The documentation site (mkdocs.yml) builds in strict mode, every page is in its navigation,
and its API reference documents every public name of the four packages."""

import importlib
import os
import subprocess
import sys
import types
import zlib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from mkdocs_roles import plain  # noqa: E402

pytestmark = pytest.mark.clone

PUBLIC = ["degrade", "degrade.testing", "samplers", "samplers.testing", "restore", "zoo",
          "zoo.diffusers_pipeline", "zoo.diffusers_scheduler"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                             str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def inventory(site: Path) -> set[str]:
    """The names in the site's ``objects.inv`` (Sphinx's inventory, version 2)."""
    header, body = (site / "objects.inv").read_bytes().split(b"zlib.\n", 1)
    assert b"# Sphinx inventory version 2" in header
    return {line.split(" ", 1)[0] for line in zlib.decompress(body).decode().splitlines()}


def home(value: object, path: str) -> str:
    """Where ``value`` is defined: a module's name, an object's module and qualified name."""
    if isinstance(value, types.ModuleType):
        return value.__name__
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else path


def public_names() -> list[tuple[str, str]]:
    """(its path in the package, where it is defined) for every public name: those of
    ``__all__``, or a module's own functions and classes when it has none."""
    names = []
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        public = getattr(module, "__all__", None) or [
            name for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", None) == module_name]
        names += [(f"{module_name}.{name}", home(getattr(module, name), f"{module_name}.{name}"))
                  for name in public]
    return names


def test_the_api_reference_documents_every_public_name(site):
    documented = inventory(site)
    missing = [path for path, home in public_names()
               if path not in documented and home not in documented]
    assert not missing, f"not in docs/api: {missing}"
    assert len(public_names()) > 90


def test_every_page_is_in_the_navigation():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)

    def pages(entries):
        for entry in entries:
            for value in (entry.values() if isinstance(entry, dict) else [entry]):
                yield from pages(value) if isinstance(value, list) else [value]

    listed = set(pages(config["nav"]))
    on_disk = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert listed == on_disk


def test_sphinx_roles_show_as_code():
    assert plain("see :func:`samplers.tacos` and :meth:`~zoo.Pretrained.restore`") == \
        "see `samplers.tacos` and `restore`"
    assert plain(":class:`UNet`, ``x0`` and `code`") == "`UNet`, ``x0`` and `code`"
