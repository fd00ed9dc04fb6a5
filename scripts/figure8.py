"""Figure 8 of cold diffusion at 64 px: what the other cold generators draw (section 5.3).

One row per generation model: ``x_T`` drawn by its prior (a cat for animorphosis, a solid colour
for inpainting, a 2x2 image for super-resolution) above the image its default sampler walks it
back to, for ``--count`` seeds (Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image
Transforms Without Noise", arXiv:2208.09392, section 5.3 and Figure 8; the paper works at
128 px). Models not in the zoo yet are said and skipped. Run from the repository root:

    python scripts/figure8.py [--models celeba64-animorph ...] [--count 8] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forward_processes import to_tile

import zoo

ROOT = Path(__file__).resolve().parent.parent
MODELS = ["celeba64-animorph", "celeba64-inpaint-gen", "celeba64-sr-gen"]
TILE, GAP, LABEL_WIDTH = 96, 4, 210


def starts_and_samples(model: zoo.Pretrained, count: int, seed: int) -> tuple[Tensor, Tensor]:
    """``(x_T, x_0)`` of ``count`` images, image ``i`` exactly as
    ``model.generate(1, seed=seed + i)`` draws and walks it."""
    starts, samples = [], []
    for i in range(count):
        generator = torch.Generator().manual_seed(seed + i)
        x_T = model.prior.sample(1, generator=generator, noise_std=0.0)
        std = model.entry["prior"]["noise_std"]
        starts.append(x_T + std * torch.randn(x_T.shape, generator=generator))
        samples.append(model.generate(1, seed=seed + i))
    return torch.cat(starts), torch.cat(samples)


def render(rows: list[tuple[str, Tensor, Tensor]]) -> Image.Image:
    """Each model's ``x_T`` above its samples, labelled."""
    columns = max(len(samples) for _, _, samples in rows)
    height = 2 * TILE + 3 * GAP
    canvas = Image.new("RGB", (LABEL_WIDTH + columns * (TILE + GAP), len(rows) * height + GAP),
                       "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for r, (label, starts, samples) in enumerate(rows):
        top = GAP + r * height
        draw.multiline_text((GAP, top + 4), label, fill="black", font=font)
        for c in range(len(samples)):
            left = LABEL_WIDTH + c * (TILE + GAP)
            for k, image in enumerate((starts[c:c + 1], samples[c:c + 1])):
                tile = Image.fromarray(to_tile(image.clamp(-1, 1), TILE))
                canvas.paste(tile, (left, top + k * (TILE + GAP)))
    return canvas


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=MODELS,
                   help="cold generation models of the zoo (or model folders)")
    p.add_argument("--count", type=int, default=8, help="images per model")
    p.add_argument("--seed", type=int, default=0, help="the seed of the first image")
    p.add_argument("--out", type=Path, default=ROOT / "docs/img/figure-8.png")
    args = p.parse_args(argv)
    if args.count < 1:
        p.error(f"--count must be at least 1, got {args.count}")
    shipped = {entry["name"] for entry in zoo.list_models()}
    rows = []
    for name in args.models:
        if name not in shipped and not Path(name).is_dir():
            print(f"{name} is not in the zoo yet; skipped", file=sys.stderr)
            continue
        model = zoo.load(name)
        if model.kind != "generator":
            p.error(f"{name} is a {model.kind}, not a cold generation model")
        starts, samples = starts_and_samples(model, args.count, args.seed)
        rows.append((f"{model.name}\ntop: x_T from the prior\nbottom: {model.how}",
                     starts, samples))
    if not rows:
        p.error("none of the models is in the zoo yet")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    render(rows).save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
