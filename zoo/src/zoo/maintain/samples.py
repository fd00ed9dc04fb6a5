"""``python -m zoo.maintain.samples``: write the test images the zoo ships (``data/samples.npz``).

The first :data:`COUNTS` test images of each data set, as the data files hold them (MNIST
28x28, CIFAR-10 32x32, CelebA and AFHQ 64x64, ``uint8``, channels last), with their labels
where the data set has labels. Needs the data files (``$COLDDIFF_DATA`` or ``../shared/data``).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np

from restore import data

from ..registry import package_path

COUNTS = {"mnist": 64, "cifar10": 64, "celeba": 16, "afhq": 16}
"""How many test images of each data set are shipped (the 64-px faces and cats cost 12 KB
each)."""


def arrays(data_dir: str | None = None) -> dict[str, np.ndarray]:
    """The arrays of ``samples.npz``: ``{dataset}_images`` and, where labelled,
    ``{dataset}_labels``."""
    out = {}
    for dataset, count in COUNTS.items():
        test = data.load(dataset, "test", data_dir, size=28 if dataset == "mnist" else None)
        images = np.asarray(test.images[:count])
        out[f"{dataset}_images"] = images[..., 0] if dataset == "mnist" else images
        if test.labels is not None:
            out[f"{dataset}_labels"] = np.asarray(test.labels[:count], dtype=np.uint8)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.maintain.samples",
                                description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", help="the data files' folder (default: $COLDDIFF_DATA or "
                   "../shared/data)")
    p.add_argument("--out", type=Path, default=package_path("data/samples.npz"))
    args = p.parse_args(argv)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays(args.data_dir))
    args.out.write_bytes(buffer.getvalue())
    print(f"wrote {args.out} ({len(buffer.getvalue()) / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
