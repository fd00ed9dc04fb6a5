"""InDI against cold diffusion on the same observations (issue 31, section 4).

Restores the same CIFAR-10 observations with a zoo restorer of cold diffusion (TACoS in 1 to
``T`` steps, and direct restoration; Bansal et al., 2022, arXiv:2208.09392, Algorithm 2) and
with InDI restorers trained on the straight path toward those observations (Delbracio and
Milanfar, 2023, arXiv:2303.11435, section 3; ``cifar10-blur-indi``, ``cifar10-sr-indi``, with
or without noise) in 1 to 100 steps, and measures distortion (RMSE, SSIM, PSNR against the
originals) and perception (FID-cifarnet of the restored images against the originals):

    python scripts/restoration_experiment.py measure --task blur --indi runs/cifar10-blur-indi \\
        [--noisy runs/cifar10-blur-indi-noisy] --n 1000
    python scripts/restoration_experiment.py measure --task blur --noisy cifar10-blur-indi-noisy \\
        --only noisy --n 1000
    python scripts/restoration_experiment.py plot

``measure`` writes one task's rows into ``docs/data/restoration-cifar10.json`` (the other task's
rows, and the verdicts under ``notes`` that docs/results.md prints, stay); with ``--only`` it
measures those methods alone and keeps the task's stored rows of the others, which must have been
measured on the same images with the same seed. ``plot`` draws
``docs/img/perception-distortion-TASK.png``: RMSE against FID, one
line per method through its step counts. The images are every ``10000 / n``-th test image (the
test set is sorted by class), degraded with seed 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from zoo.features import EXTRACTORS, extract, load_feature_net

import degrade
import zoo
from restore import data
from zoo import metrics

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plots import line_plot

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "docs/data/restoration-cifar10.json"
TASKS = {"blur": "cifar10-blur", "sr": "cifar10-sr"}
STEPS = (1, 2, 5, 10, 25, 50, 100)
ROLES = {"cold": "cold", "indi": "InDI", "noisy": "InDI, noisy"}
PATH_STEPS = {"T": lambda T: T, "T - 1": lambda T: T - 1, "0.9 T": lambda T: round(0.9 * T),
              "0.5 T": lambda T: round(0.5 * T), "0.1 T": lambda T: max(1, round(0.1 * T))}


def test_images(n: int, source: str) -> tuple[Tensor, str]:
    """``n`` CIFAR-10 test images spread over the classes, and how they were chosen."""
    if source == "shipped":
        return zoo.sample_images("cifar10", n), f"the first {n} shipped test images"
    images = data.load("cifar10", "test").tensor()
    stride = len(images) // n
    return images[::stride][:n], f"every {stride}th of the {len(images):,} test images"


def observed(cold: zoo.Pretrained, x0: Tensor, seed: int) -> tuple[Tensor, Any]:
    """The cold model's observations ``y = D(x0, T)`` and its drawn ``D``."""
    D = cold.D_train.draw(x0, generator=torch.Generator().manual_seed(seed))
    return D(x0, cold.T), D


def indi_start(indi: zoo.Pretrained, cold: zoo.Pretrained, y: Tensor, x0: Tensor,
               seed: int) -> tuple[Tensor, Any]:
    """An InDI model's starting images (``y``, plus its path's noise) and drawn path, checked
    to end at the cold model's observations ``y``."""
    path = indi.D_train
    if not isinstance(path, degrade.DirectIteration) or not isinstance(
            path.endpoint, degrade.Degradation):
        raise ValueError(f"{indi.name} is not a restorer of InDI's path toward an operator")
    if not torch.allclose(path.endpoint(x0, path.endpoint.num_steps), y, atol=1e-5):
        raise ValueError(f"{indi.name}'s path does not end at {cold.name}'s observations")
    drawn = path.draw(x0, generator=torch.Generator().manual_seed(seed + 1))
    return drawn(x0, indi.T), drawn


def scores(restored: Tensor, x0: Tensor, net: Any, reference: Tensor) -> dict[str, float]:
    return {"RMSE": metrics.rmse(restored, x0), "SSIM": metrics.ssim(restored, x0),
            "PSNR": metrics.psnr(restored, x0),
            "FID": metrics.frechet_distance_of(extract(net, restored), reference)}


@torch.no_grad()
def path_error(model: zoo.Pretrained, D: Any, x0: Tensor) -> dict[str, float]:
    """The RMSE of one call of ``R(x_t, t)`` against ``x0`` at the steps ``PATH_STEPS`` of the
    model's own path ``x_t = D(x0, t)``: how hard each step of its training task is."""
    errors = {}
    for label, step in PATH_STEPS.items():
        t = step(model.T)
        errors[label] = metrics.rmse(model.R(D(x0, t), torch.full((len(x0),), t)), x0)
    return errors


def step_counts(asked: list[int], T: int) -> list[int]:
    """The step counts a model of ``T`` steps runs: those asked for up to ``T``, and ``T``
    itself (every step, the sampler's default)."""
    return sorted({k for k in asked if k <= T} | {T})


def measure(args: argparse.Namespace, stored: dict[str, Any] | None = None) -> dict[str, Any]:
    cold = zoo.load(TASKS[args.task])
    x0, chosen = test_images(args.n, args.images)
    if args.only:
        check_same(stored, {"n": args.n, "images": chosen, "seed": args.seed})
    net = load_feature_net(EXTRACTORS["cifar10"])
    reference = extract(net, x0)
    rows: list[dict[str, Any]] = []

    def row(method: str, steps: int | None, make) -> None:
        start = time.perf_counter()
        restored = make()
        rows.append({"method": method, "steps": steps, "calls": steps or 0,
                     **scores(restored, x0, net, reference),
                     "seconds": round(time.perf_counter() - start, 1)})
        print(json.dumps(rows[-1]), flush=True)

    roles = [ROLES[option] for option in args.only or ROLES]
    models: dict[str, zoo.Pretrained] = {}
    paths: dict[str, dict[str, float]] = {}
    y, D = observed(cold, x0, args.seed)
    if "cold" in roles:
        models["cold"], paths["cold"] = cold, path_error(cold, D, x0)
        row("degraded", None, lambda: y)
        row(f"direct ({cold.name})", 1, lambda: cold.restore(y, sampler="direct"))
        for k in step_counts(args.steps, cold.T):
            row(f"TACoS ({cold.name})", k, lambda k=k: cold.restore(y, sampler="tacos", D=D,
                                                                      steps=k))
    for option, source in (("indi", args.indi), ("noisy", args.noisy)):
        label = ROLES[option]
        if label not in roles or (source is None and not args.only):
            continue
        if source is None:
            raise SystemExit(f"--only {option} needs --{option} MODEL")
        indi = zoo.load(source)
        models[label] = indi
        start, path = indi_start(indi, cold, y, x0, args.seed)
        paths[label] = path_error(indi, path, x0)
        for k in step_counts(args.steps, indi.T):
            row(f"{label} ({indi.name})", k,
                lambda k=k, indi=indi, start=start, path=path: indi.restore(
                    start, sampler="indi", D=path, steps=k))
    return {"n": args.n, "images": chosen, "seed": args.seed, "rows": rows, "path_error": paths,
            "models": {label: {"name": m.name, **{k: m.entry["training"].get(k) for k in
                                                  ("steps", "batch", "optimiser", "wall_time")}}
                       for label, m in models.items()}}


def role(method: str) -> str:
    """The role (a value of ``ROLES``) of a row's method: ``"InDI, noisy (NAME)"`` is
    ``"InDI, noisy"``; the degraded, direct and TACoS rows are the cold model's."""
    name = method.rsplit(" (", 1)[0]
    return name if name in ROLES.values() else "cold"


def check_same(stored: dict[str, Any] | None, setting: dict[str, Any]) -> None:
    """Refuse to merge new rows into a task's stored ones (``--only``) unless those exist and
    were measured with the same ``n``, images and seed."""
    if stored is None:
        raise SystemExit("--only keeps the task's stored rows of the other methods, but there "
                         "are none: measure the task without --only first")
    if any(stored.get(key) != value for key, value in setting.items()):
        raise SystemExit("--only would mix rows of different images: the stored ones have "
                         + ", ".join(f"{k} {stored.get(k)!r}" for k in setting) + "; these "
                         + ", ".join(f"{k} {v!r}" for k, v in setting.items()))


def merged(stored: dict[str, Any], new: dict[str, Any], only: list[str]) -> dict[str, Any]:
    """A task's stored results with the rows, path errors and models of the roles ``only``
    replaced by ``new``'s, in the order of ``ROLES``."""
    replaced = {ROLES[r] for r in only}
    order = list(ROLES.values())
    rows = [r for r in stored["rows"] if role(r["method"]) not in replaced] + new["rows"]
    rows.sort(key=lambda r: order.index(role(r["method"])))

    def combine(key: str) -> dict[str, Any]:
        kept = {k: v for k, v in stored.get(key, {}).items() if k not in replaced}
        both = kept | new[key]
        return {k: both[k] for k in order if k in both}

    return new | {"rows": rows, "path_error": combine("path_error"),
                  "models": combine("models")}


def plot(results: dict[str, Any], task: str, out: Path) -> Path:
    """RMSE (distortion) against FID (perception): one line per method through its steps."""
    series: dict[str, list[tuple[float, float, str]]] = {}
    for r in results["rows"]:
        name = r["method"] if r["method"] != "degraded" else "degraded (input)"
        label = "" if r["steps"] in (None, 1) and "TACoS" not in name and "InDI" not in name \
            else str(r["steps"])
        series.setdefault(name, []).append((r["RMSE"], r["FID"], label))
    return line_plot(series, out, x_label="RMSE (distortion)", y_label="FID-cifarnet",
                     title=f"cifar10-{task}: {results['n']} test images; points: steps")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = p.add_subparsers(dest="command", required=True)
    m = commands.add_parser("measure", help="restore and score one task")
    m.add_argument("--task", choices=tuple(TASKS), required=True)
    m.add_argument("--indi", help="the InDI restorer of the task (zoo name or run folder)")
    m.add_argument("--noisy", help="an InDI restorer trained with noise on the path")
    m.add_argument("--n", type=int, default=1000, help="how many test images")
    m.add_argument("--images", choices=("test", "shipped"), default="test",
                   help="the test set, or the zoo's 64 shipped test images (quick checks)")
    m.add_argument("--steps", type=int, nargs="+", default=list(STEPS))
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--only", nargs="+", choices=tuple(ROLES),
                   help="measure only these methods; keep the task's stored rows of the others")
    m.add_argument("--data", type=Path, default=DATA)
    f = commands.add_parser("plot", help="draw the perception-distortion plots")
    f.add_argument("--data", type=Path, default=DATA)
    f.add_argument("--img", type=Path, default=ROOT / "docs/img")
    args = p.parse_args(argv)
    if args.command == "measure":
        results = json.loads(args.data.read_text()) if args.data.exists() else {}
        new = measure(args, results.get(args.task))
        results[args.task] = merged(results[args.task], new, args.only) if args.only else new
        args.data.parent.mkdir(parents=True, exist_ok=True)
        args.data.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.data}")
    else:
        data = json.loads(args.data.read_text())
        for task in (task for task in TASKS if task in data):
            out = args.img / f"perception-distortion-{task}.png"
            print(f"wrote {plot(data[task], task, out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
