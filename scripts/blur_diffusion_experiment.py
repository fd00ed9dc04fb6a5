"""Blur diffusion against standard diffusion at equal budget (issue 6, blur-diffusion.md Table 1).

Three subcommands, each resumable:

    python scripts/blur_diffusion_experiment.py train --variant blur --steps 20000 --out runs/bd
    python scripts/blur_diffusion_experiment.py train --variant standard --steps 20000 --out runs/bd
    python scripts/blur_diffusion_experiment.py evaluate --out runs/bd --n 1000
    python scripts/blur_diffusion_experiment.py figure --out runs/bd

``blur`` is the zoo's schedule ``mnist-blur-diffusion``, the paper's best setting (sigma 0.4,
quartic f with f(N) = 0.14, linear betas 1e-4 to 0.02, N = 1000); ``standard`` is
``mnist-diffusion``, the same with f = 0. Both train a U-Net noise predictor on MNIST at 32x32
with eq. (18) (L2). ``evaluate`` runs :func:`zoo.evaluate` on each run's EMA weights rounded to
float16 (as the zoo ships them) and writes ``results.json`` and ``<variant>/evaluation.json``:
FID-mnistnet (the zoo's MNIST classifier features, not Inception) of n samples against n test
images, for 1000-step stochastic sampling (eq. 19) and the deterministic sampler in 100 and 50
steps. ``figure`` draws the coarse-to-fine trajectories (the paper's Figure 1).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import restore.run
import torch
from restore.figures import save_grid
from zoo.folders import wall_seconds

import samplers
import zoo
from degrade import BlurDiffusion
from restore import NetworkConfig, RunConfig, TrainConfig, checkpoint, load_model

VARIANTS = {"blur": "mnist-blur-diffusion", "standard": "mnist-diffusion"}
LABELS = {"blur": "blur", "standard": "std"}


def process(variant: str, num_steps: int) -> BlurDiffusion:
    return zoo.schedule(VARIANTS[variant], num_steps=num_steps)


def run_config(args: argparse.Namespace) -> RunConfig:
    """The training run of one variant, as data (its config.json)."""
    schedule = zoo.named_schedule(VARIANTS[args.variant])
    config = schedule.run_config(**({} if args.N == schedule.T else {"num_steps": args.N}))
    data = dataclasses.replace(config.data, data_dir=str(args.data_dir) if args.data_dir else None)
    train = TrainConfig(steps=args.steps, batch_size=args.batch, accumulate=1, lr=args.lr,
                        loss="l2", ema_decay=0.9999 if args.steps > 50_000 else 0.999,
                        ema_every=1, ema_start=0, seed=args.seed, checkpoint_every=250,
                        log_every=50, sample_every=args.sample_every, device=args.device,
                        progress=not args.no_progress)
    return dataclasses.replace(config, out=str(args.out / args.variant), data=data,
                               network=NetworkConfig(args.preset, args.channels), train=train)


def train(args: argparse.Namespace) -> None:
    restore.run.train(run_config(args), resume=args.resume)


def evaluate(args: argparse.Namespace) -> None:
    results = {}
    for variant, schedule in VARIANTS.items():
        path = args.out / variant / "checkpoint.pt"
        if not path.exists():
            print(f"{variant}: no checkpoint in {path.parent}; train it first", file=sys.stderr)
            continue
        model = zoo.from_checkpoint(path, schedule, name=variant, half=True, num_steps=args.N)
        evaluation = zoo.evaluate(model, n=args.n, seed=args.seed, batch_size=args.batch,
                                  data_dir=args.data_dir, progress=not args.no_progress)
        evaluation.save(args.out / variant / "evaluation.json")
        state = checkpoint.read(path)
        step, config = state["step"], checkpoint.train_config(state)
        batch = config["batch_size"] * config["accumulate"]
        seconds = wall_seconds(path.parent / "log.jsonl", batch)
        results[variant] = {"schedule": schedule, "steps_trained": step, "batch": batch,
                            "parameters": model.R.num_parameters(),
                            "training_minutes": round(seconds / 60, 1),
                            "setting": evaluation.setting, "fid_name": evaluation.fid_name,
                            "rows": {row: values[evaluation.fid_name]
                                     for row, values in evaluation.rows.items()}}
        print(f"{variant} ({step} steps), {evaluation.setting}\n{evaluation.table()}", flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")


def figure(args: argparse.Namespace) -> None:
    columns = []
    for variant in VARIANTS:
        R, D = load_model(args.out / variant / "checkpoint.pt"), process(variant, args.N)
        x_N = torch.randn(4, 1, 32, 32, generator=torch.Generator().manual_seed(args.seed))
        shown = {round(args.N * f) for f in (1, 0.8, 0.6, 0.4, 0.2, 0.1, 0)}
        states = {args.N: x_N}

        def keep(s, x_s, x0_hat, states=states, shown=shown):
            if int(s) in shown:
                states[int(s)] = x_s.clone()

        samplers.rotated_ddim(R, D, x_N, args.N, steps=range(args.N, -1, -10), clip=True,
                              callback=keep)
        columns += [(f"{LABELS[variant]} {s}", states[s].clamp(-1, 1)) for s in sorted(
            states, reverse=True)]
    save_grid(columns, args.out / "trajectories.png")
    print(f"wrote {args.out / 'trajectories.png'}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=("train", "evaluate", "figure"))
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--variant", choices=sorted(VARIANTS), default="blur")
    p.add_argument("--N", type=int, default=1000, help="diffusion steps")
    p.add_argument("--steps", type=int, default=20_000, help="training steps")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--preset", default="small")
    p.add_argument("--channels", type=int, help="base width of the U-Net (default: the preset's)")
    p.add_argument("--n", type=int, default=1000, help="samples for FID")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sample-every", type=int, default=2000)
    p.add_argument("--device", default="auto")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    {"train": train, "evaluate": evaluate, "figure": figure}[args.command](args)


if __name__ == "__main__":
    main()
