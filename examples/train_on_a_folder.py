"""Train a restorer on a folder of your own images, then use the run as you use a zoo model.

`colddiff train` takes any folder of pictures (PNG, JPEG, TIFF...) with a named schedule's
degradation; its run folder then loads with `zoo.load(RUN)`, with its own image size, channels
and degradation (issue "a model is a folder"), and `colddiff restore RUN ...` works on it too.
Without --folder, this example makes a folder of 48 crops of scikit-image's photographs
(that needs scikit-image). Run:

    python examples/train_on_a_folder.py --folder my-photos --steps 2000 --out restored.png
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from restore.figures import save_grid
from zoo.cli import main as colddiff
from zoo.images import read_images

import zoo


def photo_folder(folder: Path, size: int = 32) -> Path:
    """48 crops of size x size from three of scikit-image's photographs."""
    from skimage import data as photos  # only this default needs scikit-image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in ("astronaut", "coffee", "chelsea"):
        image = getattr(photos, name)()
        for i in range(16):
            y, x = (rng.integers(0, image.shape[k] - 4 * size) for k in (0, 1))
            crop = Image.fromarray(image[y : y + 4 * size, x : x + 4 * size])
            crop.resize((size, size), Image.Resampling.LANCZOS).save(folder / f"{name}-{i}.png")
    return folder


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folder", type=Path, help="your images (default: crops of photographs)")
    p.add_argument("--steps", type=int, default=2000, help="training steps")
    p.add_argument("--run", type=Path, help="the run's folder (default: a temporary one)")
    p.add_argument("--out", default="restored.png", help="the figure")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp())
    folder = args.folder or photo_folder(work / "photos")
    run = args.run or work / "run"

    code = colddiff(["train", "cifar10-blur", "--data-folder", str(folder), "--image-size", "32",
                     "--val-count", "8", "--steps", str(args.steps), "--sample-every", "0",
                     "--no-progress", "--out", str(run)])
    if code:
        raise SystemExit(code)

    model = zoo.load(run)                     # the run's own size, channels and degradation
    x0 = read_images(sorted(folder.iterdir())[:6], model.channels, model.image_size)
    x_t = model.D(x0, model.T // 2)
    columns = [("x_t", x_t), ("direct", model.restore(x_t, model.T // 2, sampler="direct")),
               ("TACoS", model.restore(x_t, model.T // 2)), ("x0", x0)]
    print(f"wrote {save_grid(columns, args.out)}")


if __name__ == "__main__":
    main()
