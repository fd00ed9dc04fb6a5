"""Mutation testing of the core modules with cosmic-ray: which small bugs the tests catch.

Copies the working tree into ``--workdir`` (the mutants are written into files, so never into
the tree you work in), then for each session runs cosmic-ray over its modules with its tests,
the copy's sources first on ``PYTHONPATH``, and prints the score per module and every surviving
mutant. Needs ``pip install cosmic-ray`` (the ``mutation`` extra). Sessions run one after
another and resume where they stopped:

    python scripts/mutation.py --workdir runs/mutation             # every session
    python scripts/mutation.py --workdir runs/mutation samplers    # some
    python scripts/mutation.py --workdir runs/mutation --report    # the table only
    python scripts/mutation.py --workdir runs/mutation --retest    # new tests vs the survivors

``--retest`` copies the tests (only: the mutants' positions hold while the sources stay) into
the work folder again and runs the surviving mutants once more.

The operators applied are arithmetic (``+ -``, ``* /``, ``** -> *``), comparison boundaries and
negations (``< <=``, ``> >=``, ``== !=``, ``is``/``is not``), ``not`` added or removed, unary
minus made plus, ``and``/``or`` swapped, ``True``/``False`` swapped, and loops that never run.
Number replacement (``n -> n +- 1`` for every literal) is left out: it doubles the count, and
most of its mutants sit in defaults, bounds of error checks and message formats.
"""

from __future__ import annotations

import argparse
import linecache
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
D, S, R, Z = ("degrade/src/degrade", "samplers/src/samplers", "restore/src/restore",
              "zoo/src/zoo")
SESSIONS = {
    "blur": ([f"{D}/blur.py", f"{D}/kernels.py"],
             "tests/degrade/test_blur.py tests/degrade/test_protocol.py "
             "-k 'blur and not diffusion'"),
    "mask": ([f"{D}/mask.py"],
             "tests/degrade/test_mask.py tests/degrade/test_protocol.py -k 'mask or fade'"),
    "operators": ([f"{D}/super_resolution.py", f"{D}/desaturation.py", f"{D}/noise.py",
                   f"{D}/mixing.py"],
                  "tests/degrade/test_super_resolution.py tests/degrade/test_desaturation.py "
                  "tests/degrade/test_interpolation.py tests/degrade/test_protocol.py "
                  "-k 'super or desaturation or noise or mixing or interpolation'"),
    "blur-diffusion": ([f"{D}/blur_diffusion.py"], "tests/zoo/test_blur_diffusion.py"),
    "protocol": ([f"{D}/base.py"],
                 "tests/degrade/test_binding.py tests/degrade/test_bad_input.py "
                 "tests/degrade/test_protocol.py"),
    "samplers": ([f"{S}/cold.py", f"{S}/loop.py", f"{S}/hot.py", f"{S}/rotated.py"],
                 "tests/samplers/test_samplers.py tests/zoo/test_blur_diffusion.py"),
    "metrics": ([f"{Z}/metrics.py", f"{Z}/files.py"],
                "tests/zoo/test_zoo_metrics.py tests/zoo/test_zoo_pretrained.py"),
    "training": ([f"{R}/ema.py", f"{R}/objectives.py", f"{R}/trainer.py"],
                 "tests/restore/test_trainer.py"),
}
KEPT = ("Add_Sub", "Sub_Add", "Mul_Div", "Div_Mul", "Pow_Mul")
COMPARED = ("Eq_NotEq", "NotEq_Eq", "Lt_LtE", "LtE_Lt", "Gt_GtE", "GtE_Gt", "Is_IsNot",
            "IsNot_Is")
EXCLUDED = [
    f"core/ReplaceBinaryOperator_(?!({'|'.join(KEPT)})$).*",
    f"core/ReplaceComparisonOperator_(?!({'|'.join(COMPARED)})$).*",
    "core/ReplaceUnaryOperator_(?!(USub_UAdd|Delete_Not)$).*",
    "core/ExceptionReplacer", "core/RemoveDecorator", "core/VariableReplacer",
    "core/VariableInserter", "core/ReplaceBreakWithContinue", "core/ReplaceContinueWithBreak",
    "core/NumberReplacer",
]


def config(name: str, workdir: Path) -> Path:
    modules, tests = SESSIONS[name]
    data = os.environ.get("COLDDIFF_DATA", ROOT.parent / "shared" / "data")
    sources = os.pathsep.join(str(workdir / "tree" / p)
                              for p in ("degrade/src", "samplers/src", "restore/src", "zoo/src"))
    text = "\n".join([
        "[cosmic-ray]",
        f"module-path = [{', '.join(repr(m) for m in modules)}]",
        "timeout = 300.0",
        "excluded-modules = []",
        f'test-command = "env PYTHONPATH={sources} COLDDIFF_DATA={data} CI=true '
        f'OMP_NUM_THREADS=1 {sys.executable} '
        f'-m pytest -x -q -p no:cacheprovider {tests}"',
        "",
        "[cosmic-ray.distributor]",
        'name = "local"',
        "",
        "[cosmic-ray.filters.operators-filter]",
        "exclude-operators = [" + ", ".join(repr(e).replace("'", '"') for e in EXCLUDED) + "]",
        "",
    ])
    path = workdir / f"{name}.toml"
    path.write_text(text)
    return path


def run(name: str, workdir: Path) -> None:
    tree, session = workdir / "tree", workdir / f"{name}.sqlite"
    toml = config(name, workdir)
    scripts = Path(sys.executable).parent
    cosmic = [str(scripts / "cosmic-ray")]
    if not session.exists():
        subprocess.run([*cosmic, "init", str(toml), str(session)], cwd=tree, check=True)
        subprocess.run([str(scripts / "cr-filter-operators"), str(session), str(toml)],
                       cwd=tree, check=True)
        baseline = subprocess.run([*cosmic, "baseline", str(toml)], cwd=tree)
        if baseline.returncode:
            session.unlink()
            raise SystemExit(f"{name}: the tests fail without mutants; fix them first")
    subprocess.run([*cosmic, "exec", str(toml), str(session)], cwd=tree, check=True)


def forget_survivors(workdir: Path, names: list[str]) -> None:
    """Make the surviving mutants pending again, with the current tests."""
    tests = workdir / "tree" / "tests"
    shutil.rmtree(tests)
    shutil.copytree(ROOT / "tests", tests, ignore=shutil.ignore_patterns("__pycache__"))
    for name in names:
        session = workdir / f"{name}.sqlite"
        if session.exists():
            with sqlite3.connect(session) as db:
                db.execute("delete from work_results where test_outcome = 'SURVIVED'")


def report(workdir: Path, names: list[str]) -> None:
    total_killed = total = 0
    survivors = []
    print(f"{'session':<16} {'module':<22} {'killed':>7} {'survived':>9} {'score':>7}")
    for name in names:
        session = workdir / f"{name}.sqlite"
        if not session.exists():
            continue
        rows = sqlite3.connect(session).execute(
            "select m.module_path, m.operator_name, m.start_pos_row, r.test_outcome "
            "from mutation_specs m join work_results r on m.job_id = r.job_id "
            "where r.worker_outcome != 'SKIPPED' and m.operator_name != 'core/NumberReplacer'"
        ).fetchall()
        by_module: dict[str, list[int]] = {}
        for module, operator, line, outcome in rows:
            counts = by_module.setdefault(module, [0, 0])
            counts[outcome != "KILLED"] += 1
            if outcome != "KILLED":
                code = linecache.getline(str(workdir / "tree" / module), line).strip()
                survivors.append(f"{module}:{line} {operator.split('/')[-1]}: {code}")
        for module, (killed, survived) in sorted(by_module.items()):
            print(f"{name:<16} {Path(module).name:<22} {killed:>7} {survived:>9} "
                  f"{killed / max(1, killed + survived):>7.1%}")
            total_killed, total = total_killed + killed, total + killed + survived
    print(f"{'all':<16} {'':<22} {total_killed:>7} {total - total_killed:>9} "
          f"{total_killed / max(1, total):>7.1%}")
    print("\nsurviving mutants:")
    print("\n".join(f"  {s}" for s in survivors) or "  none")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sessions", nargs="*", metavar="SESSION",
                   help=f"the sessions to run (default: all): {', '.join(SESSIONS)}")
    p.add_argument("--workdir", type=Path, default=ROOT / "runs" / "mutation")
    p.add_argument("--report", action="store_true", help="only print the scores")
    p.add_argument("--retest", action="store_true",
                   help="run the surviving mutants again against the current tests")
    args = p.parse_args(argv)
    unknown = sorted(set(args.sessions) - set(SESSIONS))
    if unknown:
        p.error(f"unknown session(s) {', '.join(unknown)}; the sessions: {', '.join(SESSIONS)}")
    names = args.sessions or list(SESSIONS)
    tree = args.workdir / "tree"
    if args.retest:
        forget_survivors(args.workdir.resolve(), names)
    if not args.report:
        if not tree.exists():
            ignore = shutil.ignore_patterns(".venv*", ".git", "runs", "__pycache__", "*.egg-info")
            shutil.copytree(ROOT, tree, ignore=ignore)
        for name in names:
            run(name, args.workdir.resolve())
    report(args.workdir.resolve(), names)


if __name__ == "__main__":
    main()
