"""The Python examples in the README and the docs run as written."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["README.md", "docs/degrade.md", "docs/samplers.md", "docs/restore.md",
         pytest.param("zoo/README.md", marks=pytest.mark.mnist_data),  # evaluates on MNIST
         "docs/blur-diffusion.md", "docs/diffusers.md", "degrade/README.md",
         "samplers/README.md", "docs/soft-diffusion.md"]


@pytest.mark.parametrize("page", PAGES)
def test_examples_run(page):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(), flags=re.DOTALL)
    assert blocks, f"{page} has no Python example"
    namespace = {}
    for block in blocks:
        exec(compile(block, f"{page} example", "exec"), namespace)
