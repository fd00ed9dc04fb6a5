"""A deepinv solver on our blur: degrade's operator at step t as a deepinv LinearPhysics,
inverted by deepinv's least squares, beside TACoS with a zoo restorer.

Needs deepinv (which needs torchvision: `bash benchmarks/setup_deepinv_env.sh` makes an
environment for it). Run:

    python examples/deepinv_solver.py --t 5 --out deepinv.png
"""

import argparse

from degrade.deepinv import to_physics
from restore.figures import save_grid

import zoo


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--t", type=int, default=5, help="the blur's step")
    p.add_argument("--out", default="deepinv.png", help="the figure")
    args = p.parse_args(argv)

    model = zoo.load("mnist-blur")                   # R and D of the paper's MNIST deblurring
    x0 = zoo.sample_images("mnist", 6)
    physics = to_physics(model.D, args.t)            # y = A x, with A = D(., t)
    y = physics.A(x0)
    least_squares = physics.A_dagger(y)              # deepinv's solver
    print(f"adjointness test: {float(physics.adjointness_test(x0)):.1e}")
    tacos = model.restore(y, args.t)
    columns = [("y = D(x0, t)", y), ("deepinv A_dagger", least_squares.clamp(-1, 1)),
               ("TACoS", tacos), ("x0", x0)]
    print(f"wrote {save_grid(columns, args.out)}")


if __name__ == "__main__":
    main()
