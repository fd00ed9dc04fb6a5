"""Training speed: images per second of a training step of restore.UNet presets and of
denoising_diffusion_pytorch.Unet at a similar parameter count, on this machine.

A step is what restore.Trainer does: D(x0, t) for a batch of MNIST digits at 32x32 (T = 20, 11x11
blur, sigma 7), the network's forward and backward pass, Adam and the moving average (every 10
steps, as in the paper). Same batch, same data, same torch for every network; the networks take
turns, so noise on a shared machine hits them alike. Prints the images per second, the ratio to
the reference network, and the share of the step spent in D.

denoising-diffusion-pytorch pulls torchvision (and a multi-GB torch build here), so it lives in a
separate virtual environment, never in this project's requirements; without it only our presets
are timed. See docs/performance.md for the set-up.

    python benchmarks/train_speed.py [--batch 32] [--rounds 5] [--steps 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from restore.ema import EMA
from torch import nn

from degrade import GaussianBlurSchedule
from restore import UNet


class IntegerSteps(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(x, t)


def networks() -> dict[str, tuple[nn.Module, torch.memory_format]]:
    found = {
        "restore.UNet tiny": (UNet.preset("tiny", in_channels=1), torch.channels_last),
        "restore.UNet small": (UNet.preset("small", in_channels=1), torch.channels_last),
        "restore.UNet small, contiguous": (UNet.preset("small", in_channels=1),
                                           torch.contiguous_format),
    }
    try:
        from denoising_diffusion_pytorch import Unet
    except ImportError:
        print("denoising_diffusion_pytorch is not installed: timing our presets only\n")
        return found
    for layout in (torch.contiguous_format, torch.channels_last):
        name = "reference Unet(dim=16, dim_mults=(1, 2, 4))" + (
            ", channels_last" if layout == torch.channels_last else "")
        found[name] = (IntegerSteps(Unet(dim=16, dim_mults=(1, 2, 4), channels=1)), layout)
    return found


def images(batch: int) -> torch.Tensor:
    try:
        from restore import data

        return data.stack(data.load("mnist", "train"), range(batch))
    except FileNotFoundError:
        return torch.rand(batch, 1, 32, 32) * 2 - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="turns per network")
    parser.add_argument("--steps", type=int, default=5, help="training steps per turn")
    args = parser.parse_args()
    torch.manual_seed(0)
    D = GaussianBlurSchedule.constant(11, 20, 7.0)
    x0 = images(args.batch)
    runs = {}
    for name, (model, layout) in networks().items():
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-5)
        runs[name] = (model.to(memory_format=layout), layout, optimizer, EMA(model, start=0))
    counter = {"step": 0}

    def step(model, layout, optimizer, ema):
        t = torch.randint(1, 21, (args.batch,))
        x_t = D(x0, t).contiguous(memory_format=layout)
        loss = (model(x_t, t) - x0).abs().mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        counter["step"] += 1
        if counter["step"] % 10 == 0:
            ema.update(model, counter["step"])

    for run in runs.values():  # warm up every network before timing any
        step(*run)
    timings = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                step(*run)
            timings[name].append((time.perf_counter() - start) / args.steps)
    t = torch.randint(1, 21, (args.batch,))
    d_time = statistics.median(_time(lambda: D(x0, t)) for _ in range(50))

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch} "
          f"of 1 x 32 x 32, median of {args.rounds} turns of {args.steps} steps\n")
    print("| network | parameters | images/s | share of the step in D |")
    print("|---|---|---|---|")
    speeds = {}
    for name, (model, *_rest) in runs.items():
        seconds = statistics.median(timings[name])
        speeds[name] = args.batch / seconds
        parameters = sum(p.numel() for p in model.parameters())
        print(f"| {name} | {parameters:,} | {speeds[name]:.1f} | {d_time / seconds:.1%} |")
    references = [s for n, s in speeds.items() if n.startswith("reference")]
    if references:
        ours = speeds["restore.UNet small"]
        print(f"\nrestore.UNet small / best reference layout: {ours / max(references):.2f}x")
        print(f"restore.UNet small / reference as it ships (contiguous): "
              f"{ours / references[0]:.2f}x")


def _time(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
