"""Whether figures drawn today are the committed ones: each PNG of DRAWN against the file of
the same name in COMMITTED, at an eighth of their size, where a change of font rendering between
machines fades to a few grey levels and a changed row of images does not.

    python scripts/compare_figures.py DRAWN COMMITTED

Prints each figure's largest difference and exits 1 when one is over :data:`TOLERANCE` (or
missing). ``tests/scripts/test_figures.py`` checks the scripts' figures this way; ``.ci/wheels``
checks the figures of ``colddiff demo``, drawn by the installed wheels, against ``docs/img``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

TOLERANCE = 24
"""The largest difference, in grey levels, of a pixel of the eighth-size pictures."""


def coarse(path: Path) -> np.ndarray:
    """The picture at an eighth of its size (box filter), RGB, as integers."""
    with Image.open(path) as picture:
        picture = picture.convert("RGB")
        size = (max(1, picture.width // 8), max(1, picture.height // 8))
        return np.asarray(picture.resize(size, Image.Resampling.BOX), dtype=np.int16)


def difference(drawn: Path, committed: Path) -> int | None:
    """The largest difference of the two pictures at an eighth of their size; None when their
    sizes differ."""
    a, b = coarse(drawn), coarse(committed)
    return int(np.abs(a - b).max()) if a.shape == b.shape else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("drawn", type=Path)
    p.add_argument("committed", type=Path)
    args = p.parse_args(argv)
    stale = []
    for drawn in sorted(args.drawn.glob("*.png")):
        committed = args.committed / drawn.name
        worst = difference(drawn, committed) if committed.exists() else None
        print(f"{drawn.name}: " + ("missing or of another size" if worst is None
                                   else f"differs by up to {worst} grey levels"))
        if worst is None or worst > TOLERANCE:
            stale.append(drawn.name)
    if stale:
        print(f"stale in {args.committed}: {', '.join(stale)} (draw them again)",
              file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
