"""Which training recipe reaches the lowest validation error in a fixed CPU budget?

Each recipe trains a restorer for a named schedule (``mnist-blur``, ``cifar10-blur``) for the
same wall time on one thread, from the same seed, through ``colddiff train``'s own code path
(``restore.run.build`` of the schedule's run configuration with the recipe's settings). A cosine
schedule needs the run's length in steps: a probe of 20 steps measures the recipe's speed first
and the run gets the steps that fit in the budget at that speed. Then the moving-average weights
restore the run's 1000 held-out validation images from ``t = T``, directly and with TACoS, and
the script prints RMSE (pixels in [0, 1]).

    python benchmarks/recipe.py mnist-blur --recipe paper --minutes 8 --out runs/recipe
    python benchmarks/recipe.py mnist-blur --report --out runs/recipe

Run two recipes at a time, one thread each, so that both see the same load; ``--report``
prints the table of every finished run of the schedule.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
import time
from pathlib import Path

import torch
from restore.run import build
from zoo.metrics import rmse
from zoo.schedules import named_schedule

from restore import data
from zoo import from_checkpoint

RECIPES: dict[str, dict] = {
    "paper": dict(lr=2e-5, batch_size=32, accumulate=2),
    "zoo-1e-4": dict(lr=1e-4, batch_size=32, accumulate=2),
    "cos-5e-4": dict(lr=5e-4, batch_size=32, accumulate=1, lr_schedule="cosine", warmup=100),
    "cos-1e-3": dict(lr=1e-3, batch_size=32, accumulate=1, lr_schedule="cosine", warmup=100),
    "cos-2e-3": dict(lr=2e-3, batch_size=32, accumulate=1, lr_schedule="cosine", warmup=100),
    "cos-1e-3-b64": dict(lr=1e-3, batch_size=64, accumulate=1, lr_schedule="cosine",
                         warmup=100),
    "cos-1e-3-l2": dict(lr=1e-3, batch_size=32, accumulate=1, lr_schedule="cosine", warmup=100,
                        loss="l2"),
    "cos-1e-3-w16": dict(lr=1e-3, batch_size=32, accumulate=1, lr_schedule="cosine",
                         warmup=100, width=16),
    "cos-2e-3-w16": dict(lr=2e-3, batch_size=32, accumulate=1, lr_schedule="cosine",
                         warmup=100, width=16),
    "cos-1e-3-w16-l2": dict(lr=1e-3, batch_size=32, accumulate=1, lr_schedule="cosine",
                            warmup=100, width=16, loss="l2"),
    "cos-2e-3-w16-l2": dict(lr=2e-3, batch_size=32, accumulate=1, lr_schedule="cosine",
                            warmup=100, width=16, loss="l2"),
    # the CPU recipe in float32 whatever "auto" chooses on this machine (issue 25's baseline)
    "cos-2e-3-w16-l2-fp32": dict(lr=2e-3, batch_size=32, accumulate=1, lr_schedule="cosine",
                                 warmup=100, width=16, loss="l2", precision="fp32"),
    # channels-last: where bf16 is emulated (AVX2) this layout emulates it fastest
    "cos-2e-3-w16-l2-bf16": dict(lr=2e-3, batch_size=32, accumulate=1, lr_schedule="cosine",
                                 warmup=100, width=16, loss="l2", precision="bf16",
                                 channels_last=True),
    # contiguous: where bf16 is native (AVX512-BF16, AMX) this layout gains most (issue 25)
    "cos-2e-3-w16-l2-bf16-contiguous": dict(lr=2e-3, batch_size=32, accumulate=1,
                                            lr_schedule="cosine", warmup=100, width=16,
                                            loss="l2", precision="bf16", channels_last=False),
    "cos-1e-3-w48": dict(lr=1e-3, batch_size=32, accumulate=1, lr_schedule="cosine",
                         warmup=100, width=48),
    "cos-1e-3-b16": dict(lr=1e-3, batch_size=16, accumulate=1, lr_schedule="cosine",
                         warmup=100),
    "cos-1e-3-ema": dict(lr=1e-3, batch_size=32, accumulate=1, lr_schedule="cosine",
                         warmup=100, ema_decay=0.999, ema_every=1, ema_start=0),
}
"""Settings that differ from the schedule's run configuration (the paper's recipe: Adam 2e-5,
batches of 32 accumulated over 2, L1, EMA 0.995 every 10 steps from step 2000)."""


def configure(schedule: str, recipe: str, out: Path, steps: int, seconds: float | None,
              seed: int = 0):
    config = named_schedule(schedule).run_config()
    settings = dict(RECIPES[recipe])
    width = settings.pop("width", None)
    train = dataclasses.replace(config.train, **settings, steps=steps, max_seconds=seconds,
                                seed=seed,
                                progress=False, checkpoint_every=10**9, log_every=50,
                                sample_every=0, device="cpu")
    return dataclasses.replace(config, out=str(out), train=train,
                               network=dataclasses.replace(config.network, width=width))


def seconds_per_step(schedule: str, recipe: str) -> float:
    """The recipe's time per optimiser step, over 20 steps after 3 of warm-up."""
    folder = Path(tempfile.mkdtemp())
    try:
        trainer = build(configure(schedule, recipe, folder / "probe", 23, None))
        return trainer.seconds_per_step(steps=20, warmup=3)
    finally:
        shutil.rmtree(folder)


def evaluate(path: Path, schedule: str, tacos_n: int = 1000, seed: int = 0) -> dict[str, float]:
    """Direct RMSE from ``t = T`` on the run's 1000 validation images (the split of its
    ``seed``), TACoS RMSE on the first ``tacos_n`` of them."""
    model = from_checkpoint(path)
    record = named_schedule(schedule)
    images = data.load(record.dataset, "train", size=record.image_size)
    _, val_set = data.split_validation(images, 1000, seed=seed)
    x0 = data.stack(val_set, range(len(val_set)))
    figures: dict[str, list[float]] = {"direct": [], "tacos": [], "degraded": []}
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for start in range(0, len(x0), 250):
            x = x0[start:start + 250]
            D = model.D.draw(x, generator=generator)
            x_T = D(x, model.T)
            figures["degraded"].append(rmse(x_T, x) ** 2)
            figures["direct"].append(rmse(model.restore(x_T, sampler="direct"), x) ** 2)
            if start < tacos_n:
                restored = model.restore(x_T, sampler="tacos", D=D)
                figures["tacos"].append(rmse(restored, x) ** 2)
    return {k: (sum(v) / len(v)) ** 0.5 for k, v in figures.items()}


def run(schedule: str, recipe: str, minutes: float, out: Path, tacos_n: int = 1000,
        steps: int | None = None, seed: int = 0) -> dict:
    torch.set_num_threads(1)
    folder = out / schedule / (recipe if seed == 0 else f"{recipe}-seed{seed}")
    if folder.exists():
        shutil.rmtree(folder)
    seconds = 60 * minutes
    if steps is None:
        per_step = seconds_per_step(schedule, recipe)
        steps = int(seconds / per_step)
        print(f"{recipe}: {per_step:.3f} s per step, {steps} steps in {minutes} min", flush=True)
    start = time.perf_counter()
    # The budget is the steps the probe measured; the time limit is only a safety net, so that
    # a machine busier later in the run does not cut one recipe's cosine short.
    trainer = build(configure(schedule, recipe, folder, steps, 2 * seconds, seed))
    trainer.train()
    wall = time.perf_counter() - start
    result = {"schedule": schedule, "recipe": recipe if seed == 0 else f"{recipe}-seed{seed}",
              "seed": seed, "settings": RECIPES[recipe],
              "minutes": minutes, "steps": trainer.step, "planned_steps": steps,
              "wall_s": round(wall, 1), "tacos_n": tacos_n,
              **evaluate(folder / "checkpoint.pt", schedule, tacos_n, seed)}
    (folder / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result), flush=True)
    return result


def report(schedule: str, out: Path) -> None:
    """The table of every finished run of ``schedule``, best direct RMSE first."""
    rows = [json.loads(p.read_text()) for p in sorted((out / schedule).glob("*/result.json"))]
    rows.sort(key=lambda r: r["direct"])
    print(f"| recipe ({schedule}) | lr | batch | loss | width | steps | training (s) | "
          f"direct RMSE | TACoS RMSE (first {rows[0]['tacos_n'] if rows else 0}) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        s = {"batch_size": 32, "accumulate": 2, "loss": "l1", "width": 32,
             "lr_schedule": "constant", **r["settings"]}
        rate = f"{s['lr']:g} {'cosine' if s['lr_schedule'] == 'cosine' else 'constant'}"
        print(f"| {r['recipe']} | {rate} | {s['batch_size']} x {s['accumulate']} | "
              f"{s['loss'].upper()} | {s['width']} | {r['steps']} | {r['wall_s']:.0f} | "
              f"{r['direct']:.4f} | {r['tacos']:.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("schedule")
    parser.add_argument("--recipe", choices=sorted(RECIPES))
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--out", type=Path, default=Path("runs/recipe"))
    parser.add_argument("--tacos-n", type=int, default=1000,
                        help="validation images restored by TACoS (all 1000 directly)")
    parser.add_argument("--steps", type=int, help="train this many steps instead of those the "
                        "probe finds for the budget (equal steps for recipes of equal cost)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run (weights, data "
                        "order, steps t); another seed shows how far runs scatter")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.report:
        report(args.schedule, args.out)
    else:
        run(args.schedule, args.recipe, args.minutes, args.out, args.tacos_n, args.steps,
            args.seed)


if __name__ == "__main__":
    main()
