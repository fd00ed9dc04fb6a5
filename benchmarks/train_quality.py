"""Restoration quality of restore.UNet against denoising_diffusion_pytorch.Unet, same budget.

Both networks train with the same restore.Trainer (same data order, steps t, optimiser and
settings) for the same number of optimiser steps (or, with --minutes, the same wall-clock time)
on MNIST deblurring (T = 20, 11x11 kernels, sigma 7,
circular), then restore 1000 MNIST test images from t = T, directly and with TACoS. Prints one JSON
line of figures. Run each model in the benchmark environment (see docs/performance.md):

    python benchmarks/train_quality.py --model ours --steps 500 --out runs/quality-ours
    python benchmarks/train_quality.py --model reference --steps 500 --out runs/quality-reference

Equal steps is the stricter test for the faster network (at equal time it trains more steps), and
its figures do not depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from restore.figures import save_grid
from skimage.metrics import structural_similarity
from torch import nn

import samplers
from degrade import GaussianBlurSchedule
from restore import TrainConfig, Trainer, UNet, data


class IntegerSteps(nn.Module):
    """Lets a network that wants a step tensor also take an int step, as the samplers pass."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, t: int | torch.Tensor) -> torch.Tensor:
        return self.net(x, torch.as_tensor(t, device=x.device).expand(x.shape[0]))


def network(kind: str) -> nn.Module:
    if kind == "ours":
        return UNet.preset("small", in_channels=1)
    from denoising_diffusion_pytorch import Unet

    return IntegerSteps(Unet(dim=16, dim_mults=(1, 2, 4), channels=1))


def metrics(restored: torch.Tensor, x0: torch.Tensor) -> dict[str, float]:
    """RMSE over all pixels in [0, 1], PSNR from it, mean SSIM (11-pixel Gaussian, sigma 1.5)."""
    a, b = ((restored.clamp(-1, 1) + 1) / 2).double(), ((x0 + 1) / 2).double()
    rmse = (a - b).square().mean().sqrt().item()
    ssim = np.mean([structural_similarity(p[0].numpy(), q[0].numpy(), data_range=1.0,
                                          gaussian_weights=True, sigma=1.5,
                                          use_sample_covariance=False)
                    for p, q in zip(a, b, strict=True)])
    return {"rmse": rmse, "psnr": 20 * np.log10(1 / rmse), "ssim": float(ssim)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=("ours", "reference"), required=True)
    parser.add_argument("--steps", type=int, default=500, help="training budget in steps")
    parser.add_argument("--minutes", type=float, default=None, help="or in minutes")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    train = data.load("mnist", "train", args.data_dir)
    test = data.load("mnist", "test", args.data_dir)
    train_set, val_set = data.split_validation(train, 1000)
    D = GaussianBlurSchedule.constant(11, 20, 7.0)
    torch.manual_seed(0)
    model = network(args.model)
    max_seconds = args.minutes * 60 if args.minutes else None
    # The default ema_start (2000, the paper's code) keeps the average equal to the model over
    # short budgets, so the figures measure the networks, not how long the average lags.
    config = TrainConfig(steps=args.steps, max_seconds=max_seconds, lr=args.lr,
                         log_every=50, sample_every=0, checkpoint_every=10**9, progress=False)
    trainer = Trainer(model, D, train_set, args.out, config,
                      val_images=data.stack(val_set, range(8)))
    R = trainer.train()
    x0 = data.stack(test, range(1000))
    x_T, x_half = D(x0, 20), D(x0, 10)
    with torch.no_grad():
        direct = torch.cat([samplers.direct(R, chunk, 20) for chunk in x_T.split(100)])
        tacos = torch.cat([samplers.tacos(R, D, chunk, 20) for chunk in x_T.split(100)])
        half = torch.cat([samplers.direct(R, chunk, 10) for chunk in x_half.split(100)])
    save_grid([("degraded", x_T[:8]), ("direct", direct[:8]), ("TACoS", tacos[:8]),
               ("original", x0[:8])], args.out / "test-grid.png")
    records = [json.loads(line) for line in (args.out / "log.jsonl").read_text().splitlines()]
    speeds = [r["images_per_second"] for r in records if "images_per_second" in r]
    print(json.dumps({
        "model": args.model, "parameters": sum(p.numel() for p in model.parameters()),
        "torch": torch.__version__, "minutes": args.minutes, "steps": trainer.step,
        "images": trainer.step * config.batch_size * config.accumulate,
        "images_per_second": float(np.median(speeds)),
        "degraded": metrics(x_T, x0), "direct": metrics(direct, x0), "tacos": metrics(tacos, x0),
        "degraded_t10": metrics(x_half, x0), "direct_t10": metrics(half, x0),
        "final_train_loss": next(r["loss"] for r in reversed(records) if "loss" in r),
    }))


if __name__ == "__main__":
    main()
