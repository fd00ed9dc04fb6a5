"""What training on TACoS's own inputs costs: time per training step of ``restore``'s ``x0``
objective against ``x0-walk`` (:func:`restore.objectives.restore_x0_on_walk`) at shares 0.5
and 1, on this machine.

A step is what restore.Trainer does on a CPU with the CPU recipe: a batch of 32 images of
CIFAR-10's shape degraded by the ``cifar10-inpaint`` schedule (fresh masks per call), the
small U-Net at width 16, its forward and backward pass and Adam. The objectives take turns, so
noise on a shared machine hits them alike; prints the median time per step and its ratio to
``x0``.

    python benchmarks/walk_cost.py [--rounds 5] [--steps 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import torch

import zoo
from restore import UNet, restore_x0, restore_x0_on_walk

OBJECTIVES = {
    "x0": restore_x0,
    "x0-walk, share 0.5": functools.partial(restore_x0_on_walk, share=0.5),
    "x0-walk, share 1": functools.partial(restore_x0_on_walk, share=1.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5, help="training steps per round")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    D = zoo.schedule("cifar10-inpaint").resampled(torch.Generator().manual_seed(0))
    x0 = torch.rand(args.batch, 3, 32, 32) * 2 - 1
    t = torch.randint(1, D.num_steps + 1, (args.batch,))
    R = UNet.preset("small", in_channels=3, channels=16).to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(R.parameters(), lr=1e-4)

    def step(objective) -> None:
        prediction, target = objective(R, D, x0, t)
        (prediction - target).square().mean().backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    times: dict[str, list[float]] = {name: [] for name in OBJECTIVES}
    for objective in OBJECTIVES.values():
        step(objective)  # warm-up
    for _ in range(args.rounds):
        for name, objective in OBJECTIVES.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                step(objective)
            times[name].append((time.perf_counter() - start) / args.steps)
    base = statistics.median(times["x0"])
    print(f"batch {args.batch}, {args.threads} thread(s), {args.rounds} rounds of "
          f"{args.steps} steps, median per step\n")
    print("| objective | ms per step | against x0 |\n|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {1000 * median:.1f} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
