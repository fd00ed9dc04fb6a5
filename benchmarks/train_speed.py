"""Training speed on this machine: every precision and layout, torch.compile, threads, data.

A step is what ``restore.Trainer`` does with the CPU recipe's network (the small U-Net at width
16): a batch of 32 RGB images degraded by ``D(x0, t)``, forward under the chosen autocast,
backward, Adam, the moving average every 10 steps. The settings take turns, so load on a
shared machine hits them alike; each prints images per second and its ratio to the baseline,
float32 channels-last on one thread (the trainer's default before ``restore.precision``).

    python benchmarks/train_speed.py [--sizes 32 64] [--rounds 5] [--steps 3] [--compile]
    python benchmarks/train_speed.py --against-reference

``--compile`` adds a torch.compile'd row (its compile time printed apart). The data section
times a batch of CelebA at 64 px from the decoded cache, and the decoding itself, against the
step. ``--against-reference`` times our presets against denoising_diffusion_pytorch's ``Unet``
(the paper's code's network), which lives in its own environment (docs/performance.md).
"""

from __future__ import annotations

import argparse
import copy
import io
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image
from restore.ema import EMA
from restore.precision import Numerics, choose, cpu_has_bf16, for_training
from timing import median_seconds
from torch import nn

from degrade import GaussianBlurSchedule
from restore import UNet, data

BASELINE = "fp32, channels-last"


class Setting:
    """One way to train: a network of its own, its numerics, its optimizer and moving average."""

    def __init__(self, network: nn.Module, numerics: Numerics, threads: int = 1,
                 compiled: bool = False) -> None:
        self.numerics, self.threads = numerics, threads
        self.model = network.to(memory_format=numerics.memory_format)
        self.forward: Callable = torch.compile(self.model) if compiled else self.model
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.ema = EMA(self.model, start=0)
        self.steps = 0

    def step(self, x0: torch.Tensor, D: Callable) -> None:
        torch.set_num_threads(self.threads)
        t = torch.randint(1, D.num_steps + 1, (len(x0),))
        x_t = D(x0, t).contiguous(memory_format=self.numerics.memory_format)
        with self.numerics.autocast("cpu"):
            prediction = self.forward(x_t, t)
        loss = (prediction.float() - x0).square().mean()
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.steps += 1
        if self.steps % 10 == 0:
            self.ema.update(self.model, self.steps)


def settings(channels: int, compiled: bool) -> dict[str, Setting]:
    torch.manual_seed(0)
    base = UNet.preset("small", in_channels=channels, channels=16)
    made = {}
    for precision in ("fp32", "bf16"):
        for channels_last in (True, False):
            name = f"{precision}, {'channels-last' if channels_last else 'contiguous'}"
            made[name] = Setting(copy.deepcopy(base), choose(precision, channels_last))
    default = for_training("auto", "auto", "cpu")  # what a training run gets here
    made[f"default now (auto: {default.precision}, "
         f"{'channels-last' if default.channels_last else 'contiguous'})"] = Setting(
        copy.deepcopy(base), default)
    made[f"{BASELINE}, 2 threads"] = Setting(copy.deepcopy(base), choose("fp32", True), 2)
    if compiled:
        made[f"{BASELINE}, compiled"] = Setting(copy.deepcopy(base), choose("fp32", True),
                                                compiled=True)
    return made


def time_settings(size: int, args: argparse.Namespace) -> dict[str, float]:
    """Images per second of each setting at ``size`` px, taking turns."""
    x0 = torch.rand(args.batch, 3, size, size) * 2 - 1
    D = GaussianBlurSchedule.exponential(13 if size > 32 else 11, 300, 0.01, scale=size / 128,
                                         padding="circular", to_mean=True)
    runs = settings(3, args.compile)
    for name, run in runs.items():  # warm up (and compile) every setting before timing any
        start = time.perf_counter()
        run.step(x0, D)
        run.step(x0, D)
        if "compiled" in name:
            print(f"{size} px: compiling took {time.perf_counter() - start:.1f} s (with 2 "
                  "steps)", flush=True)
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                run.step(x0, D)
            seconds[name].append((time.perf_counter() - start) / args.steps)
    torch.set_num_threads(1)
    return {name: args.batch / statistics.median(s) for name, s in seconds.items()}


def data_pipeline(step_seconds: float, batch: int) -> None:
    """The data's share of a 64-px step: a batch from the decoded cache, and the decoding that
    fills the cache once."""
    try:
        images = data.load("celeba", "train")
        path = data.data_path(data.FILES["celeba"])
    except FileNotFoundError as error:
        print(f"\n(no data section: {error})")
        return
    indices = torch.randperm(len(images))[:batch].tolist()
    per_batch = median_seconds(lambda: data.stack(images, indices), 5)
    with np.load(path) as archive:
        jpeg, offsets = archive["train_jpeg"], archive["train_offsets"]
        files = [jpeg[offsets[i]:offsets[i + 1]].tobytes() for i in range(200)]
    start = time.perf_counter()
    for file in files:
        np.asarray(Image.open(io.BytesIO(file)).convert("RGB"))
    per_image = (time.perf_counter() - start) / len(files)
    print(f"\nCelebA 64 px, batch {batch}: {per_batch * 1000:.1f} ms from the decoded cache, "
          f"{per_batch / step_seconds:.1%} of a float32 training step; decoding the "
          f"{len(images):,} training JPEGs once (then cached): {per_image * len(images):.1f} s")


def against_reference(batch: int, rounds: int, steps: int) -> None:
    """Our presets against the paper's code's network, MNIST deblurring at 32 px."""
    try:
        from denoising_diffusion_pytorch import Unet
    except ImportError:
        print("denoising_diffusion_pytorch is not installed here: see docs/performance.md")
        return

    class IntegerSteps(nn.Module):
        def __init__(self, net: nn.Module) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            return self.net(x, t)

    fp32 = choose("fp32", True)
    runs = {"restore.UNet small": Setting(UNet.preset("small", in_channels=1), fp32),
            "restore.UNet small, width 16": Setting(
                UNet.preset("small", in_channels=1, channels=16), fp32),
            "reference Unet(dim=16, dim_mults=(1, 2, 4))": Setting(
                IntegerSteps(Unet(dim=16, dim_mults=(1, 2, 4), channels=1)),
                choose("fp32", False))}
    x0 = torch.rand(batch, 1, 32, 32) * 2 - 1
    D = GaussianBlurSchedule.constant(11, 20, 7.0)
    for run in runs.values():
        run.step(x0, D)
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            for _ in range(steps):
                run.step(x0, D)
            seconds[name].append((time.perf_counter() - start) / steps)
    print("| network | parameters | images/s |\n|---|---|---|")
    for name, run in runs.items():
        parameters = sum(p.numel() for p in run.model.parameters())
        print(f"| {name} | {parameters:,} | {batch / statistics.median(seconds[name]):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="turns per setting")
    parser.add_argument("--steps", type=int, default=3, help="training steps per turn")
    parser.add_argument("--compile", action="store_true", help="add a torch.compile'd row")
    parser.add_argument("--against-reference", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.against_reference:
        against_reference(args.batch, args.rounds, args.steps)
        return
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}"
          f", native bf16: {'yes' if cpu_has_bf16() else 'no'}; batch {args.batch} of RGB, "
          f"width-16 small U-Net, median of {args.rounds} turns of {args.steps} steps\n")
    for size in args.sizes:
        speeds = time_settings(size, args)
        base = speeds[BASELINE]
        print(f"\n| {size} px | images/s | against {BASELINE} |\n|---|---|---|")
        for name, speed in speeds.items():
            print(f"| {name} | {speed:.1f} | {speed / base:.2f}x |")
        if size == 64:
            data_pipeline(args.batch / base, args.batch)


if __name__ == "__main__":
    main()
