"""Algorithm 1 against Algorithm 2 (TACoS) on a zoo model: docs/img/algorithm-1-vs-2.png.

For a few shipped test images degraded to ``T``, the figure shows ``x_s`` along each sampler's
walk back to ``s = 0`` (section 3.3: Algorithm 1 compounds the restorer's errors on smooth
degradations, TACoS does not). Run from the repository root:

    python scripts/sampler_figure.py [--model mnist-blur]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from restore.figures import save_grid

import samplers
import zoo

ROOT = Path(__file__).resolve().parent.parent


def trajectory(model: zoo.Pretrained, sampler, x_T: torch.Tensor, D, shown: list[int]) -> dict:
    """``x_s`` at the ``shown`` steps of one sampler's walk from ``x_T``."""
    states = {model.T: x_T}

    def keep(s, x_s, x0_hat):
        if int(s) in shown:
            states[int(s)] = x_s.clone()

    sampler(model.R, D, x_T, model.T, callback=keep)
    return states


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="mnist-blur", help="a restoration model of the zoo")
    p.add_argument("--n", type=int, default=3, help="how many images")
    p.add_argument("--out", type=Path, default=ROOT / "docs/img/algorithm-1-vs-2.png")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    model = zoo.load(args.model)
    x0 = zoo.sample_images(model.schedule.dataset, args.n)
    D = model.D.draw(x0, generator=torch.Generator().manual_seed(args.seed))
    x_T = D(x0, model.T)
    shown = sorted({round(model.T * f) for f in (1, 0.75, 0.5, 0.25, 0)}, reverse=True)
    columns = []
    for name, sampler in (("Alg1", samplers.naive), ("Alg2", samplers.tacos)):
        states = trajectory(model, sampler, x_T, D, shown)
        columns += [(f"{name} s={s}", states[s]) for s in shown]
    columns.append(("original", x0))
    save_grid(columns, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
