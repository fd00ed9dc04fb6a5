"""A zoo model inside diffusers: its restorer as the model, ColdDiffusionScheduler as the
scheduler, diffusers' own sampling loop; then the whole model as a ColdDiffusionPipeline, saved
and loaded as diffusers saves and loads pipelines.

Needs diffusers (`pip install diffusers`). TACoS (Bansal et al., 2022, arXiv:2208.09392,
Algorithm 2) runs in diffusers' `scheduler.step` form. Run:

    python examples/zoo_in_diffusers.py --steps 10 --out diffusers.png
"""

import argparse
import tempfile

import torch
from restore.figures import save_grid
from zoo.diffusers_pipeline import ColdDiffusionPipeline
from zoo.diffusers_scheduler import ColdDiffusionScheduler, pipeline_parts

import zoo


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="mnist-blur", help="a zoo restorer")
    p.add_argument("--steps", type=int, default=10, help="sampling steps")
    p.add_argument("--out", default="diffusers.png", help="the figure")
    args = p.parse_args(argv)

    model, scheduler = pipeline_parts(args.model)   # model(sample, t).sample is x0_hat
    folder = tempfile.mkdtemp()
    scheduler.save_pretrained(folder)                # scheduler_config.json, as diffusers saves
    scheduler = ColdDiffusionScheduler.from_pretrained(folder)

    dataset = "cifar10" if args.model.startswith("cifar10") else "mnist"
    x0 = zoo.sample_images(dataset, 6)
    sample = x_T = scheduler.add_noise(x0, generator=torch.Generator().manual_seed(0))  # D(x0, T)
    scheduler.set_timesteps(args.steps)
    with torch.no_grad():
        for t in scheduler.timesteps:                # diffusers' loop, unchanged
            sample = scheduler.step(model(sample, t).sample, t, sample).prev_sample

    pipeline = ColdDiffusionPipeline.from_zoo(args.model)
    pipeline.save_pretrained(folder)                 # model_index.json, unet/, scheduler/
    pipeline = ColdDiffusionPipeline.from_pretrained(folder)
    pipeline.set_progress_bar_config(disable=True)
    x_T = pipeline.scheduler.add_noise(x0, generator=torch.Generator().manual_seed(0))  # the same
    restored = pipeline(image=x_T, num_inference_steps=args.steps, output_type="pt").images
    rows = [("x_T", x_T), ("diffusers loop", sample), ("pipeline", restored),
            ("x0", x0)]
    print(f"wrote {save_grid(rows, args.out)}")


if __name__ == "__main__":
    main()
