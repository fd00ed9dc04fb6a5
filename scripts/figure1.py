"""Figure 1 of cold diffusion at 64 px: forward and backward rows of the zoo's face generators.

For each generation model, two rows under the same steps ``t = 0 .. T``: **forward**, ``D(x0,
t)`` of a shipped CelebA test face; **backward**, the TACoS walk ``x_s`` of one generated face,
from its prior draw ``x_T`` (right) to ``x_0`` (left), exactly the walk of
``model.generate(1, seed=seed)`` (Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary
Image Transforms Without Noise", arXiv:2208.09392, Figure 1 and Algorithm 2; the paper works at
128 px). Run from the repository root:

    python scripts/figure1.py [--models celeba64-blur-gen celeba64-heat-gen celeba64-animorph]
        [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forward_processes import steps_to_show, to_tile

import samplers
import zoo
from zoo import sampling

ROOT = Path(__file__).resolve().parent.parent
TILE, GAP, LABEL_WIDTH, CAPTION = 96, 4, 210, 16


def backward(model: zoo.Pretrained, seed: int, shown: list[int]) -> dict[int, Tensor]:
    """``x_s`` at the ``shown`` steps of the model's own generation of one image with ``seed``
    (the draws of :meth:`zoo.kinds.Generator.generate`), ``x_T`` and ``x_0`` included."""
    generator = torch.Generator().manual_seed(seed)
    std = model.entry["prior"]["noise_std"]
    x_T = model.prior.sample(1, generator=generator, noise_std=0.0)
    noise = std * torch.randn(x_T.shape, generator=generator)
    D = sampling.walking_back(model.D_train, x_T, noise)
    states = {model.T: x_T + noise}

    def keep(s: int, x_s: Tensor, x0_hat: Tensor) -> None:
        if int(s) in shown:
            states[int(s)] = x_s.clone()

    with torch.no_grad():
        samplers.tacos(model.network, D, x_T + noise, model.T, callback=keep)
    return states


def forward(model: zoo.Pretrained, x0: Tensor, seed: int, shown: list[int]) -> dict[int, Tensor]:
    """``D(x0, t)`` at the ``shown`` steps, with one draw of the degradation's random
    parameters (the noise of heat dissipation); where those are what it ends at (the cat of
    animorphosis), read from one draw of the model's own prior, so that the row ends at an
    ``x_T`` the model generates from, and needs no data file."""
    D = sampling.drawn(model.D_train, x0, model.prior, seed)
    return {t: D(x0, t) for t in shown}


def rows_of(model: zoo.Pretrained, x0: Tensor, seed: int) -> list[tuple[str, dict[int, Tensor]]]:
    shown = steps_to_show(model.T)
    return [(f"{model.name}\nforward: D(x0, t)", forward(model, x0, seed, shown)),
            (f"{model.name}\nbackward: TACoS from\nthe prior (a new face)",
             backward(model, seed, shown))]


def render(rows: list[tuple[str, dict[int, Tensor]]]) -> Image.Image:
    """The rows as one picture, each tile captioned with its step."""
    columns = max(len(states) for _, states in rows)
    row_height = TILE + CAPTION + GAP
    canvas = Image.new("RGB", (LABEL_WIDTH + columns * (TILE + GAP), len(rows) * row_height + GAP),
                       "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for r, (label, states) in enumerate(rows):
        top = GAP + r * row_height
        draw.multiline_text((GAP, top + 4), label, fill="black", font=font)
        for c, t in enumerate(sorted(states)):
            left = LABEL_WIDTH + c * (TILE + GAP)
            canvas.paste(Image.fromarray(to_tile(states[t].clamp(-1, 1), TILE)), (left, top))
            draw.text((left + 2, top + TILE + 2), f"t = {t}", fill="black", font=font)
    return canvas


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+",
                   default=["celeba64-blur-gen", "celeba64-heat-gen", "celeba64-animorph"],
                   help="generation models of the zoo (or model folders)")
    p.add_argument("--image", type=int, default=0, help="which shipped test face goes forward")
    p.add_argument("--seed", type=int, default=0, help="the seed of the generated faces")
    p.add_argument("--out", type=Path, default=ROOT / "docs/img/figure-1.png")
    args = p.parse_args(argv)
    rows = []
    for name in args.models:
        model = zoo.load(name)
        if model.kind != "generator":
            p.error(f"{name} is a {model.kind}, not a cold generation model")
        x0 = zoo.sample_images(model.dataset, args.image + 1)[args.image:args.image + 1]
        rows += rows_of(model, x0, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    render(rows).save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
