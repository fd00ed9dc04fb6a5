"""Why does TACoS restore masked images worse than one call of ``R``?

On the inpainting schedules the zoo's models restore better directly than with TACoS
(Algorithm 2 of Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms
Without Noise", arXiv:2208.09392), and by more than the paper's Table 2 says. This script
follows the TACoS walk from ``x_T`` of the first ``--n`` test images and prints, for one or more
models (zoo names or runs' ``checkpoint.pt``, rounded through float16 as the zoo stores them):

- TACoS and direct RMSE (pixels in [0, 1]), and their ratio;
- the estimate ``x0_hat = R(x_s, s)`` along the walk, against ``R`` applied to the true
  ``D(x0, s)`` at the same ``s``: where the first grows while the second falls, the walk drifts
  off the images the network was trained on;
- the walk filled in with the true-path estimates instead, what TACoS would give if the network
  did not drift.

    python benchmarks/tacos_drift.py cifar10-inpaint --n 200
    python benchmarks/tacos_drift.py mnist-inpaint runs/inpaint-exp/w16-l1/checkpoint.pt \
        --n 1000 --out docs/data/tacos-drift.json

``--out`` writes the figures as JSON (``scripts/results_page.py`` shows them in
docs/results.md); a file of the same setting keeps its notes and its other models' rows.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torch import Tensor
from zoo.metrics import rmse

import samplers
import zoo
from restore import RunConfig, data


def _load(model: str) -> zoo.Pretrained:
    if Path(model).suffix == ".pt":
        return zoo.from_checkpoint(model, half=True)
    return zoo.load(model)


def _training(model: zoo.Pretrained) -> str:
    """The run's width, loss and steps, from the checkpoint's or the card's configuration (a
    checkpoint of a run still training says how far it is: ``40,000 of 80,000 steps``)."""
    run = model.entry.get("run") or {}
    train, network = run.get("train", {}), run.get("network", {})
    steps = model.entry.get("training", {}).get("steps") or train.get("steps")
    step = model.entry.get("step")
    done = f"{steps:,} steps" if step is None or step >= steps else f"{step:,} of {steps:,} steps"
    objective = run.get("objective", "x0")
    if objective == "x0-walk":
        objective = f"x0-walk (share {run.get('walk_share', RunConfig().walk_share)})"
    return (f"width {network.get('width')}, {str(train.get('loss')).upper()}, {done}"
            + ("" if objective == "x0" else f", {objective}"))


@torch.no_grad()
def measure(model: zoo.Pretrained, x0: Tensor, *, seed: int = 0,
            checkpoints: tuple[int, ...] = ()) -> dict:
    """The figures above for ``model`` on the images ``x0``; ``checkpoints`` are the steps at
    which to compare the walk's estimate with the true path's."""
    D = model.D.draw(x0, generator=torch.Generator().manual_seed(seed))
    T = model.T
    D_step = D.stepping()
    x_T = D(x0, T)
    along: dict[int, float] = {}

    def record(reached: int, x_s: Tensor, x0_hat: Tensor) -> None:
        along[int(reached) + 1] = rmse(x0_hat, x0)  # made at the step before the one reached

    tacos = samplers.tacos(model.R, D_step, x_T, T, callback=record)
    true_path: dict[int, float] = {}
    filled = D_step(x0, T)
    for s in range(T, 0, -1):
        x0_hat = model.R(D(x0, s), s)
        if s in checkpoints:
            true_path[s] = rmse(x0_hat, x0)
        filled = filled - D_step(x0_hat, s) + D_step(x0_hat, s - 1)
    return {"tacos": rmse(tacos, x0), "direct": along[T],  # the walk's first estimate
            "filled": rmse(filled, x0), "along": along, "true_path": true_path}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="zoo names or checkpoint.pt files")
    parser.add_argument("--n", type=int, default=1000, help="how many test images")
    parser.add_argument("--seed", type=int, default=0, help="seed of the masks' centres")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| model | training | direct RMSE | TACoS RMSE | TACoS / direct | walk filled with "
          "the true path's estimates | x0_hat along the walk (true path) |")
    print("|---|---|---|---|---|---|---|")
    results = []
    for name in args.models:
        try:
            model = _load(name)
        except (KeyError, ValueError, FileNotFoundError) as error:
            parser.error(str(error).strip('"'))
        x0 = data.load(model.schedule.dataset, "test", args.data_dir,
                       size=model.image_size).tensor()[:args.n]
        T = model.T
        checkpoints = (T, (3 * T) // 4, T // 2, T // 4, 1)
        got = measure(model, x0, seed=args.seed, checkpoints=checkpoints)
        walk = ", ".join(f"s={s}: {got['along'][s]:.4f} ({got['true_path'][s]:.4f})"
                         for s in checkpoints)
        training = _training(model)
        label = str(Path(name).parent) if Path(name).suffix == ".pt" else name  # a run: its folder
        print(f"| {label} | {training} | {got['direct']:.4f} | {got['tacos']:.4f} | "
              f"{got['tacos'] / got['direct']:.2f} | {got['filled']:.4f} | {walk} |",
              flush=True)
        results.append({"model": label, "schedule": model.schedule.name, "training": training,
                        "direct": got["direct"], "tacos": got["tacos"], "filled": got["filled"],
                        "along": {s: got["along"][s] for s in checkpoints},
                        "true_path": got["true_path"]})
    if args.out:
        setting = f"the first {args.n:,} test images, mask centres from seed {args.seed}"
        args.out.write_text(json.dumps(merged(args.out, setting, results), indent=2) + "\n")


def merged(path: Path, setting: str, rows: list[dict]) -> dict:
    """The figures to write to ``path``: ``rows``, after the rows of other models that the file
    holds for the same setting, and its ``notes`` kept (a file of another setting is replaced)."""
    old = json.loads(path.read_text()) if path.exists() else {}
    if old.get("setting") != setting:
        return {"setting": setting, "rows": rows}
    names = {row["model"] for row in rows}
    kept = [row for row in old.get("rows", []) if row["model"] not in names]
    return {**old, "rows": kept + rows}


if __name__ == "__main__":
    main()
