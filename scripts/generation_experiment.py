"""Cold, warm, hot, blurring and soft generation on MNIST, side by side (issues 15 and 31).

    python scripts/generation_experiment.py measure --n 1000 --seeds 0 1 [--kinds hot]
    python scripts/generation_experiment.py speed
    python scripts/generation_experiment.py figure

The three zoo models (trained with the zoo's CPU recipe; their cards give the budgets):

* cold: ``mnist-heat-gen``, a restorer ``R(x_t, t) ~ x0`` for heat dissipation with one fixed
  noise image, sampled by TACoS from a channel-mean prior (Bansal et al., 2022, "Cold
  Diffusion", arXiv:2208.09392, section 5.2);
* warm: ``mnist-heat``, ``R(x_s, s) ~ x_{s-1}`` walked back with fresh noise (Rissanen,
  Heinonen and Solin, 2023, "Generative Modelling With Inverse Heat Dissipation",
  arXiv:2206.13397, Algorithm 2);
* hot: ``mnist-blur-diffusion``, a noise predictor for blur diffusion (Lee et al., 2022,
  arXiv:2207.11192) with its deterministic 100-step sampler;
* blurring: ``mnist-blurring-diffusion``, a noise predictor for blurring diffusion (Hoogeboom
  and Salimans, 2023, arXiv:2209.05557) with the paper's ancestral sampler over all 1000 steps
  (issue 31);
* soft: ``mnist-soft-heat``, a restorer trained by soft score matching on the heat blur plus
  growing noise, sampled by the Momentum Sampler from a low-frequency prior (Daras et al.,
  2022, arXiv:2209.05442; issue 31).

``measure`` writes ``docs/data/generation-mnist.json``: every evaluation row of each model
(:func:`zoo.evaluate`, FID-mnistnet of n samples against n test images; ``--rows default``: only
the default sampler's; ``--rows Deterministic``: the rows so named) for each seed;
``--kinds`` measures some models and keeps the others' rows (and a model's rows and seeds not
measured again, where its weights are the same: ``--seeds 1`` adds seed 1 to a file of seeds 0
and 1), so that two processes can share the work. ``speed`` adds the samples per second of
each model's default sampler, timed in turns in one process so that the ratios hold on a shared
machine, and how many network calls it makes per sample. ``figure`` draws
``docs/img/generation-trajectories.png``: ``x_s`` on the way from ``x_T`` to ``x_0``, as each
sampler hands it to the network.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import Tensor, nn
from zoo.folders import WEIGHTS
from zoo.images import save_grid, tile

import zoo

ROOT = Path(__file__).resolve().parent.parent
MODELS = {"cold": "mnist-heat-gen", "warm": "mnist-heat", "hot": "mnist-blur-diffusion",
          "blurring": "mnist-blurring-diffusion", "soft": "mnist-soft-heat"}
DEFAULT_ROWS = {"cold": "TACoS, broken symmetry", "warm": "Previous-step walk, noise",
                "hot": "Deterministic, 100 steps",
                "blurring": "Ancestral, 1000 steps",
                "soft": "Momentum sampler"}  # what model.generate(n) does
DATA = ROOT / "docs/data/generation-mnist.json"
FIGURE = ROOT / "docs/img/generation-trajectories.png"


class Recording(nn.Module):
    """``R`` that keeps every ``(s, x_s)`` a sampler hands it."""

    def __init__(self, R: nn.Module) -> None:
        super().__init__()
        self.R, self.seen = R, []

    def forward(self, x: Tensor, s: int | Tensor) -> Tensor:
        step = int(s.flatten()[0]) if isinstance(s, Tensor) else int(s)
        self.seen.append((step, x.detach().clone()))
        return self.R(x, s)


def samples_per_second(models: dict[str, zoo.Pretrained], n: int,
                       turns: int) -> dict[str, float]:
    """Each model's default sampler timed in turns (model by model, ``turns`` times): the
    median rate."""
    times: dict[str, list[float]] = {kind: [] for kind in models}
    for turn in range(turns):
        for kind, model in models.items():
            start = time.perf_counter()
            model.generate(n, seed=turn)
            times[kind].append(time.perf_counter() - start)
    return {kind: n / statistics.median(seconds) for kind, seconds in times.items()}


def calls_per_sample(model: zoo.Pretrained) -> int:
    """How many times the default sampler calls the network to draw one sample."""
    recording = Recording(model.R)
    dataclasses.replace(model, R=recording).generate(1, seed=0)
    return len(recording.seen)


def available() -> dict[str, str]:
    """The models of :data:`MODELS` that the zoo has (a missing one is said and skipped)."""
    shipped = {entry["name"] for entry in zoo.list_models()}
    for kind, name in MODELS.items():
        if name not in shipped:
            print(f"{kind}: {name} is not in the zoo yet; skipped", file=sys.stderr)
    return {kind: name for kind, name in MODELS.items() if name in shipped}


def chosen_rows(asked: list[str], default: str) -> list[str] | None:
    """The rows ``--rows`` asks for, as :func:`zoo.evaluate` takes them: None for ``all``,
    the default sampler's row for ``default``, else the prefixes themselves."""
    if asked == ["all"]:
        return None
    return [default if name == "default" else name for name in asked]


def merged_rows(before: dict[str, dict[str, float]],
                now: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The rows of two measurements of the same weights: each row's seeds measured now
    replace the same seeds measured before, and the other seeds stay."""
    rows = {row: dict(seeds) for row, seeds in before.items()}
    for row, seeds in now.items():
        rows.setdefault(row, {}).update(seeds)
    return {row: dict(sorted(seeds.items(), key=lambda item: int(item[0])))
            for row, seeds in rows.items()}


def measure(args: argparse.Namespace) -> None:
    """Evaluate the models of ``args.kinds`` and write their rows into :data:`DATA`, keeping
    the other models' rows when ``n`` is the same and the seeds are among the file's (so
    that the models can be measured in separate processes, one core each)."""
    kinds = available()
    models = {kind: zoo.load(kinds[kind]) for kind in args.kinds or kinds if kind in kinds}
    measured = {}
    for kind, model in models.items():
        training = model.entry["training"]
        default = next(row for row in model.row_names() if row.startswith(DEFAULT_ROWS[kind]))
        rows: dict[str, dict[str, float]] = {}
        for seed in args.seeds:
            evaluation = zoo.evaluate(model, n=args.n, seed=seed, data_dir=args.data_dir,
                                      rows=chosen_rows(args.rows, default),
                                      progress=not args.no_progress)
            for row, values in evaluation.rows.items():
                rows.setdefault(row, {})[str(seed)] = round(values[evaluation.fid_name], 2)
            print(f"{kind} ({model.name}), seed {seed}\n{evaluation.table()}", flush=True)
        measured[kind] = {
            "model": model.name, "how": model.how, "steps": training["steps"],
            "wall_time": training["wall_time"], "batch": training["batch"],
            "optimiser": training["optimiser"], "loss": training["loss"],
            "parameters": model.entry["architecture"]["parameters"], "default_row": default,
            "weights": model.entry["sha256"][WEIGHTS], "rows": rows}
    out = json.loads(DATA.read_text()) if DATA.exists() else {}  # read late: another process
    if out.get("n") != args.n or not set(args.seeds) <= set(out.get("seeds", [])):
        out = {"n": args.n, "seeds": args.seeds, "fid_name": "FID-mnistnet", "models": {}}
    for kind, entry in measured.items():  # the same weights: the rows and seeds not measured
        before = out["models"].get(kind, {})  # now stay
        if before.get("weights") == entry["weights"]:
            entry["rows"] = merged_rows(before["rows"], entry["rows"])
    merged = out["models"] | measured
    out["models"] = {kind: merged[kind] for kind in MODELS if kind in merged}
    DATA.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {DATA}")


def speed(args: argparse.Namespace) -> None:
    """Time every measured model's default sampler in turns, in this one process, and write
    the rates into :data:`DATA`."""
    if not DATA.exists():
        raise SystemExit(f"{DATA} does not exist: run measure first")
    out = json.loads(DATA.read_text())
    models = {kind: zoo.load(m["model"]) for kind, m in out["models"].items()}
    for kind, rate in samples_per_second(models, args.speed_n, args.turns).items():
        out["models"][kind]["samples_per_second"] = round(rate, 1)
        out["models"][kind]["calls_per_sample"] = calls_per_sample(models[kind])
    out["speed"] = (f"{args.speed_n} samples per call, median of {args.turns} turns, one "
                    "process, models in turn")
    DATA.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {DATA}")


def figure(args: argparse.Namespace) -> None:
    columns = []
    for kind, name in available().items():
        model = zoo.load(name)
        recording = Recording(model.R)
        final = dataclasses.replace(model, R=recording).generate(args.count, seed=args.seed)
        seen = dict(recording.seen)  # the last visit of each step
        T = max(seen)
        for fraction in (1, 0.8, 0.6, 0.4, 0.2, 0.1):
            s = min(seen, key=lambda step: abs(step - fraction * T))
            columns.append((f"{kind} s={s}", tile(seen[s].clamp(-1, 1), 1)))
        columns.append((f"{kind} x0", tile(final, 1)))
    save_grid(columns, FIGURE, scale=2)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure", help="FID of every row for each seed, and samples per second")
    m.add_argument("--n", type=int, default=1000, help="samples (and test images) per seed")
    m.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    m.add_argument("--kinds", nargs="+", choices=list(MODELS),
                   help="measure only these models (default: all that the zoo has)")
    m.add_argument("--rows", nargs="+", default=["all"], metavar="ROWS",
                   help="all: every row of a model's table; default: only its default "
                   "sampler's; or the rows whose names start with these (Deterministic)")
    m.add_argument("--data-dir", help="the data files (default: $COLDDIFF_DATA)")
    m.add_argument("--no-progress", action="store_true")
    m.set_defaults(run=measure)
    t = sub.add_parser("speed", help="samples per second of each measured model, in turns")
    t.add_argument("--speed-n", type=int, default=50, help="samples per timed call")
    t.add_argument("--turns", type=int, default=3, help="timed calls per model")
    t.set_defaults(run=speed)
    f = sub.add_parser("figure", help="the trajectories from x_T to x_0")
    f.add_argument("--count", type=int, default=4, help="samples per model")
    f.add_argument("--seed", type=int, default=0)
    f.set_defaults(run=figure)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    args.run(args)


if __name__ == "__main__":
    main()
