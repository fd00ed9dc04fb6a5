"""Every shell command in the docs runs, with tiny budgets, or names where else it runs.

Each page's commands run in order in a fresh folder (a run trained by one line is resumed by
the next), with their budgets cut by :func:`tiny` and nothing else changed. The commands that
cannot run here (installs, CI itself, hours of work) are listed in :data:`ELSEWHERE` with the
place that runs them; a command in neither fails, and so does an entry that no page uses.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.clone, pytest.mark.e2e]

SHELL = ("bash", "console", "sh", "shell")
"""The languages of the code blocks that hold commands."""

ELSEWHERE = [
    ("*", r"pip install .*|python3 -m venv .*",
     ".ci/wheels installs torch and then the wheels in fresh environments; run.sh the editable "
     "install"),
    ("*", r"bash scripts/build_release\.sh dist", ".ci/wheels builds the wheels with it"),
    ("README.md", r"bash run\.sh test", "CI: .ci/run runs it on a clean clone"),
    ("*", r"bash run\.sh demo|colddiff demo --out demo",
     ".ci/wheels runs `colddiff demo --out DIR` from the installed wheels and compares its "
     "figures with docs/img, which run.sh demo writes (5 minutes)"),
    ("docs/restore.md", r"torchrun --nproc_per_node 4 -m restore\.train \.\.\.",
     "tests/restore/test_distributed.py trains under torchrun (2 processes, gloo)"),
    ("docs/development.md", r"python scripts/mutation\.py --workdir runs/mutation",
     "hours of mutation testing, run by hand (docs/development.md has the scores); --report "
     "runs here"),
    ("docs/indi.md", r"python -m restore\.train --data-folder photos/sharp .*|"
     r"colddiff restore runs/my-indi .*",
     "tests/zoo/test_paired_data.py runs these commands on folders of pairs it writes"),
    ("docs/quickstart.md", r"colddiff .*",
     "tests/zoo/test_zoo_docs.py runs the quickstart's commands as written and checks the "
     "restored digit"),
]

PYTHON_ELSEWHERE = {
    "docs/quickstart.md": "tests/zoo/test_zoo_docs.py",
    "docs/indi.md": "tests/zoo/test_zoo_docs.py",
    "docs/deepinv.md": "tests/degrade/test_deepinv.py, in the deepinv environment",
}
"""Pages whose Python blocks another test runs (the others: tests/scripts/test_docs.py)."""

BUDGET = {"--steps": "2", "--n": "4", "--batch": "4"}
"""Tiny values for the options that set how much work a command does."""


def pages() -> list[str]:
    found = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")),
             *sorted(ROOT.glob("*/README.md"))]
    return [str(p.relative_to(ROOT)) for p in found]


def blocks(page: str, languages: tuple[str, ...]) -> list[str]:
    pattern = r"```(?:" + "|".join(languages) + r")\n(.*?)```"
    return re.findall(pattern, (ROOT / page).read_text(), flags=re.DOTALL)


def commands(page: str) -> list[str]:
    """The commands of a page's shell blocks: continuation lines joined, comments dropped."""
    found = []
    for block in blocks(page, SHELL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                found.append(shlex.join(words))
    return found


def elsewhere(page: str, command: str) -> str | None:
    for where, pattern, reason in ELSEWHERE:
        if where in ("*", page) and re.fullmatch(pattern, command):
            return reason
    return None


def tiny(command: str) -> list[str]:
    """``command`` as this test runs it: its budget options cut to :data:`BUDGET`, training
    given ``--steps 2`` when it names none, the blur diffusion experiment 20 diffusion steps;
    programs resolved to this environment's and the repository's."""
    words = shlex.split(command)
    for i, word in enumerate(words[:-1]):
        if word in BUDGET:
            words[i + 1] = BUDGET[word]
    program, *rest = words
    if program in ("colddiff", ".venv/bin/colddiff"):
        words = [str(BIN / "colddiff"), *rest]
    elif program == "python":
        words = [sys.executable, *(str(ROOT / w) if w.startswith("scripts/") else w
                                   for w in rest)]
    trains = "train" in rest or "restore.train" in rest
    if trains and "--help" not in rest and "--steps" not in rest:
        words += ["--steps", BUDGET["--steps"]]
    if any(w.endswith("blur_diffusion_experiment.py") for w in words):
        words += ["--N", "20", "--no-progress"]
    return words


RUN_HERE = [page for page in pages()
            if any(elsewhere(page, c) is None for c in commands(page))]


@pytest.mark.mnist_data
@pytest.mark.parametrize("page", RUN_HERE)
def test_the_commands_of_a_page_run(page, tmp_path):
    env = {**os.environ, "COLDDIFF_DATA": os.environ.get(
        "COLDDIFF_DATA", str(ROOT.parent / "shared" / "data")), "NO_COLOR": "1"}
    for command in commands(page):
        if elsewhere(page, command) is not None:
            continue
        words = tiny(command)
        result = subprocess.run(words, cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, f"{page}: {command}\n{shlex.join(words)}\n" \
                                       f"{result.stderr[-2000:]}"


def test_every_command_runs_here_or_says_where():
    used = set()
    for page in pages():
        for command in commands(page):
            for index, (where, pattern, _) in enumerate(ELSEWHERE):
                if where in ("*", page) and re.fullmatch(pattern, command):
                    used.add(index)
    unused = [ELSEWHERE[i][1] for i in range(len(ELSEWHERE)) if i not in used]
    assert not unused, f"ELSEWHERE entries that no page uses: {unused}"
    assert len(RUN_HERE) >= 5, RUN_HERE


def test_every_python_block_is_run_by_a_test():
    from test_docs import PAGES

    run_by_test_docs = {getattr(p, "values", [p])[0] for p in PAGES}
    for page in pages():
        if blocks(page, ("python",)):
            assert page in run_by_test_docs or page in PYTHON_ELSEWHERE, page


def test_tiny_cuts_budgets_and_nothing_else():
    assert tiny("colddiff train mnist-blur --steps 5000 --lr 1e-4 --out runs/x")[1:] == [
        "train", "mnist-blur", "--steps", "2", "--lr", "1e-4", "--out", "runs/x"]
    assert tiny("colddiff train --config mnist-blur --out runs/again")[-2:] == ["--steps", "2"]
    assert "--steps" not in tiny("python -m restore.train --help")
    assert tiny("python scripts/blur_diffusion_experiment.py evaluate --n 500 --batch 250")[
        2:] == ["evaluate", "--n", "4", "--batch", "4", "--N", "20", "--no-progress"]
