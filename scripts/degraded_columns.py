"""The "Degraded" column of the paper's Tables 1-4 and 6, measured for every named schedule.

For each named MNIST and CIFAR-10 schedule with a row in those tables, and the 64-px CelebA
schedules of the tables' CelebA rows (issue 29), degrade the whole test set to ``t = T``
(random parameters drawn from seed 0, batch by batch) and compare with the clean images: RMSE
and SSIM over pixels in [0, 1] (``zoo.metrics``; MNIST resized to 32x32 as the paper's code
does). Writes ``docs/data/degraded-columns.json``, which ``scripts/results_page.py`` puts beside
the paper's values and ``tests/scripts/test_degraded_columns.py`` checks. Run from the
repository root:

    python scripts/degraded_columns.py

It measures the full test sets (10,000 images; 1,200 CelebA faces: three minutes) and, for the
test, the first 1000 images of each.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from zoo.schedules import named_schedule

import samplers
from restore import data
from zoo import metrics

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs/data/degraded-columns.json"

PAPER = {
    "mnist-blur": ("Table 1", 0.287, 0.287),
    "cifar10-blur": ("Table 1", 0.315, 0.136),
    "mnist-inpaint": ("Table 2", 0.490, 0.262),
    "cifar10-inpaint": ("Table 2", 0.615, 0.143),
    "mnist-sr": ("Table 3", 0.178, 0.231),
    "cifar10-sr": ("Table 3", 0.279, 0.146),
    "cifar10-snow": ("Table 4", 0.419, 0.327),
    "cifar10-color": ("Table 6", 0.937, 0.078),
    "celeba64-blur": ("Table 1", 0.254, 0.193),
    "celeba64-inpaint": ("Table 2", 0.663, 0.155),
    "celeba64-sr": ("Table 3", 0.335, 0.225),
    "celeba64-snow": ("Table 4", 0.338, 0.283),
    "celeba64-color": ("Table 6", 0.942, 0.089),
}
"""The paper's Degraded (table, SSIM, RMSE) for each schedule (cold-diffusion.md); the CelebA
rows are the paper's at 128 px, for our 64-px schedules calibrated to them."""


def degraded(name: str, x0: torch.Tensor, *, seed: int = 0,
             batch_size: int = 1000) -> dict[str, float]:
    """RMSE and SSIM of ``D(x0, T)`` against ``x0``, pooled over batches (RMSE over all
    pixels, SSIM the mean over images)."""
    D = named_schedule(name).build()
    generator = torch.Generator().manual_seed(seed)
    squares, ssims = 0.0, 0.0
    for start in range(0, len(x0), batch_size):
        x = x0[start:start + batch_size]
        x_T = D.draw(x, generator=generator)(x, D.num_steps)
        squares += metrics.rmse(x_T, x) ** 2 * len(x)
        ssims += metrics.ssim(x_T, x) * len(x)
    return {"rmse": (squares / len(x0)) ** 0.5, "ssim": ssims / len(x0)}


def test_images(dataset: str, size: int, n: int | None) -> torch.Tensor:
    images = data.load(dataset, "test", size=size)
    return data.stack(images, range(len(images) if n is None else min(n, len(images))))


def measure(n: int | None) -> dict[str, dict]:
    rows, cache = {}, {}
    bar = samplers.ProgressBar(len(PAPER), "schedules", unit="schedules")
    with bar:
        for name, (table, paper_ssim, paper_rmse) in PAPER.items():
            record = named_schedule(name)
            key = (record.dataset, record.image_size)
            if key not in cache:
                cache[key] = test_images(*key, n)
            x0 = cache[key]
            ours = degraded(name, x0)
            rows[name] = {"table": table, "n": len(x0), "rmse": round(ours["rmse"], 4),
                          "ssim": round(ours["ssim"], 4), "paper_rmse": paper_rmse,
                          "paper_ssim": paper_ssim}
            bar.update(postfix=name)
    return rows


SUBSET = 1000
"""The test recomputes the first this many images of each test set."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows = measure(None)
    for name, row in rows.items():
        print(f"{name:16s} RMSE {row['rmse']:.4f} (paper {row['paper_rmse']:.3f}, "
              f"{row['rmse'] - row['paper_rmse']:+.4f})  SSIM {row['ssim']:.4f} "
              f"(paper {row['paper_ssim']:.3f}, {row['ssim'] - row['paper_ssim']:+.4f})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {"full": rows, f"first_{SUBSET}": measure(SUBSET)}
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
