"""Generating faces from nothing but their colours: the cold diffusion paper's headline (Bansal
et al., 2022, arXiv:2208.09392, section 5.2 and Table 5) at 64 px.

Both face generators blur a face until only its channel means are left. To generate, they draw
those three means from a Gaussian fitted on the training faces (the prior), and TACoS
(Algorithm 2) walks the blur back, one step at a time. `celeba64-heat-gen` (the default, the
better of the two in Table 5 at 64 px) blurs by the heat equation over 100 steps with one fixed
noise image carried in D; `--model celeba64-blur-gen` runs the paper's own Gaussian blur
schedule over 300 steps, without noise. The columns: x_T's colours (the prior's draw), the face
TACoS makes of it, and real test faces for comparison. Run:

    python examples/generate_faces.py --n 8 --out faces.png      # about half a minute

`--steps` takes fewer, evenly spaced steps (faster, blurrier). The weights come under CelebA's
terms: non-commercial research only.
"""

import argparse

import torch
from restore.figures import save_grid

import zoo


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=8, help="faces to generate (at most 16)")
    p.add_argument("--model", default="celeba64-heat-gen",
                   choices=["celeba64-heat-gen", "celeba64-blur-gen"])
    p.add_argument("--steps", type=int, default=None, help="TACoS steps (default: all, T)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="faces.png", help="the figure")
    args = p.parse_args(argv)

    model = zoo.load(args.model)
    faces = model.generate(args.n, seed=args.seed, steps=args.steps, progress=True)
    # generate() draws x_T from the prior with this seed: the same draw, to show it
    x_T = model.prior.sample(args.n, generator=torch.Generator().manual_seed(args.seed),
                             noise_std=0.0)
    real = zoo.sample_images("celeba", args.n)
    columns = [("x_T (prior)", x_T), ("TACoS", faces), ("real faces", real)]
    print(f"wrote {save_grid(columns, args.out)}")


if __name__ == "__main__":
    main()
