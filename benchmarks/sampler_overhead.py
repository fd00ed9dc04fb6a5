"""Overhead of the sampling loop: time of samplers.tacos over T steps / (T x time of one R call).

R is a small convolutional network and D a degrade.GaussianBlurSchedule, on the same batch of
16 RGB images of 32x32. A ratio of 1 means the loop and its two calls of D cost nothing next to R.
A script, not a test; all timings come from this one run.

    python benchmarks/sampler_overhead.py [--repeats 5]
"""

from __future__ import annotations

import argparse

import torch
from timing import median_seconds
from torch import nn

import samplers
from degrade import GaussianBlurSchedule


class SmallNet(nn.Module):
    """Three 3x3 convolutions of 64 channels: a stand-in for a trained restorer."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.SiLU(),
                                    nn.Conv2d(64, 64, 3, padding=1), nn.SiLU(),
                                    nn.Conv2d(64, 3, 3, padding=1))

    def forward(self, x: torch.Tensor, t: int | torch.Tensor) -> torch.Tensor:
        return x + self.layers(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each sampler")
    args = parser.parse_args()
    torch.manual_seed(0)
    R = SmallNet().eval()
    x = torch.rand(16, 3, 32, 32) * 2 - 1
    schedules = {
        20: GaussianBlurSchedule.constant(11, 20, 7.0),
        50: GaussianBlurSchedule.linear(11, 50, 0.01, 0.35, padding="reflect"),
        300: GaussianBlurSchedule.exponential(27, 300, 0.01),
    }
    with torch.no_grad():
        one_call = median_seconds(lambda: R(x, 1), 50)
        one_d = median_seconds(lambda: schedules[300](x, 150), 50)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; batch 16 x 3 x 32 x 32")
    print(f"one call of R: {one_call * 1e3:.2f} ms; "
          f"one call of D (T = 300): {one_d * 1e3:.3f} ms\n")
    print("| T | schedule | tacos (ms) | T x R (ms) | ratio | naive ratio |")
    print("|---|---|---|---|---|---|")
    for T, D in schedules.items():
        D(x, T)  # fill the per-size cache
        tacos = median_seconds(lambda D=D, T=T: samplers.tacos(R, D, D(x, T), T), args.repeats)
        naive = median_seconds(lambda D=D, T=T: samplers.naive(R, D, D(x, T), T), args.repeats)
        print(f"| {T} | {D.padding}, sigma {D.sigmas[0]:.2f} to {D.sigmas[-1]:.2f} | "
              f"{tacos * 1e3:.1f} | {T * one_call * 1e3:.1f} | {tacos / (T * one_call):.3f} | "
              f"{naive / (T * one_call):.3f} |")


if __name__ == "__main__":
    main()
