"""Speed of the closed-form blur against the paper's recursion (a script, not a test).

The generation schedule of section 5.2 of cold-diffusion.md: T = 300, 27x27 kernels,
sigma_t = exp(0.01 t), circular padding, on a batch of 16 RGB images of 128x128. Prints the time
of D(x, 300) and D(x, 1) (closed form) and of the recursion that applies the 300 kernels one by one,
as the paper's code does, with the ratios. All timings come from this one run, side by side.

    python benchmarks/degrade_speed.py [--repeats 20] [--naive-repeats 2]
"""

from __future__ import annotations

import argparse
import platform
import time

import torch
from timing import median_seconds

from degrade import GaussianBlurSchedule


def recursion(D: GaussianBlurSchedule, x: torch.Tensor, t: int) -> torch.Tensor:
    for s in range(1, t + 1):
        x = D.step(x, s)
    return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed calls of the closed form")
    parser.add_argument("--naive-repeats", type=int, default=2, help="timed runs of the recursion")
    args = parser.parse_args()

    torch.manual_seed(0)
    x = torch.rand(16, 3, 128, 128) * 2 - 1
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor()}")
    print("batch 16 x 3 x 128 x 128, T = 300, 27x27, sigma_t = exp(0.01 t)\n")
    ways = [("circular", "auto"), ("circular", "matrix"), ("circular", "fourier"),
            ("reflect", "auto"), ("reflect", "fourier"), ("zeros", "auto")]
    rows = []
    with torch.inference_mode():
        operators = {}
        for padding, method in ways:
            D = GaussianBlurSchedule.exponential(27, 300, 0.01, padding=padding, method=method)
            start = time.perf_counter()
            D(x, 300)
            operators[padding, method] = (D, time.perf_counter() - start)
        for D, _ in operators.values():  # warm every path before timing any
            median_seconds(lambda D=D: D(x, 300), 3)
        per_image = torch.randint(1, 301, (16,), generator=torch.Generator().manual_seed(0))
        for (padding, method), (D, first) in operators.items():
            way = f"{padding}, {method}"
            rows.append((way, "D(x, 300)", median_seconds(lambda D=D: D(x, 300), args.repeats)))
            rows.append((way, "D(x, 1)", median_seconds(lambda D=D: D(x, 1), args.repeats)))
            rows.append((way, "D(x, t), t per image",
                         median_seconds(lambda D=D: D(x, per_image), args.repeats)))
            rows.append((way, "first call (fills the per-size cache)", first))
        D = operators["circular", "auto"][0]
        naive = median_seconds(lambda: recursion(D, x, 300), args.naive_repeats)
        error = (recursion(D, x, 300) - D(x, 300)).abs().max().item()

    print("| padding, method | call | time (ms) |")
    print("|---|---|---|")
    for way, call, seconds in rows:
        print(f"| {way} | {call} | {seconds * 1e3:.2f} |")
    print(f"| circular | recursion of 300 kernels (the paper's code) | {naive * 1e3:.0f} |")
    closed_300 = next(s for w, c, s in rows if w == "circular, auto" and c == "D(x, 300)")
    closed_1 = next(s for w, c, s in rows if w == "circular, auto" and c == "D(x, 1)")
    print(f"\nD(x, 300) / D(x, 1), circular, auto: {closed_300 / closed_1:.2f}")
    print(f"recursion at t = 300 / closed form D(x, 300): {naive / closed_300:.0f}x")
    print(f"max |recursion - closed form| at t = 300: {error:.2e}")


if __name__ == "__main__":
    main()
