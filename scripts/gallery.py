"""Draw the forward process of every named schedule of the zoo: docs/gallery.md and its PNGs.

One figure per data set; each row is a schedule, ``D(x0, t)`` from ``t = 0`` to ``t = T``, on a
test image of the schedule's data set (the zoo's shipped MNIST and CIFAR-10 images; CelebA and
AFHQ from ``$COLDDIFF_DATA`` or ``../shared/data`` when present, else scikit-image photographs,
resized to the schedule's size). Run from the repository root:

    python scripts/gallery.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forward_processes import Row, default_data, photo, render

import zoo

ROOT = Path(__file__).resolve().parent.parent
FILES = {"celeba": ("celeba64_subset.npz", "astronaut"), "afhq": ("afhq_cat64.npz", "chelsea")}
TITLES = {"mnist": "MNIST", "cifar10": "CIFAR-10 (JPEG copy)", "celeba": "CelebA and AFHQ"}


def test_image(dataset: str, size: int, data: Path, index: int) -> torch.Tensor:
    """Test image ``index`` of a data set as ``(1, C, size, size)`` in [-1, 1]."""
    if dataset in ("mnist", "cifar10"):
        image = zoo.sample_images(dataset, index + 1)[index:index + 1]
    else:
        file, fallback = FILES[dataset]
        if not (data / file).exists():
            return photo(fallback, size)
        from restore.data import load

        image = load(dataset, "test", data).tensor()[index:index + 1]
    if image.shape[-1] != size:
        image = F.interpolate(image, size=(size, size), mode="bilinear", antialias=True)
    return image.clamp(-1, 1)


def rows_for(group: str, data: Path) -> list[Row]:
    rows = []
    schedules = [s for s in zoo.list_schedules()
                 if (s.dataset in ("celeba", "afhq")) == (group == "celeba")
                 and (group == "celeba" or s.dataset == group)]
    for i, s in enumerate(schedules):
        x0 = test_image(s.dataset, s.image_size, data, i)
        overrides = {}
        if s.operator == "MixingSchedule":      # animorphosis: mixed with one test cat
            overrides["pool"] = test_image("afhq", s.image_size, data, 0)
        rows.append(Row(s, s.build(**overrides), x0, f", {s.task}, {s.image_size} px"))
    return rows


def page(figures: dict[str, Path]) -> str:
    lines = [
        "# Gallery: the forward process of every named schedule",
        "",
        "Made by `python scripts/gallery.py`. Each row is `D(x0, t)` of a schedule of",
        "`zoo.schedule(name)` from `t = 0` to `t = T`, on a test image of its data set (CelebA and",
        "AFHQ schedules run at 128 px on the 64 px images of `../shared/data`, upsampled).",
        "",
    ]
    for group, path in figures.items():
        lines += [f"## {TITLES[group]}", "", f"![{TITLES[group]}](img/{path.name})", ""]
    lines += ["## The schedules", "", "| name | task | data | T | what | source |",
              "|---|---|---|---|---|---|"]
    for s in zoo.list_schedules():
        lines.append(f"| `{s.name}` | {s.task} | {s.dataset} {s.image_size}px | {s.T} | "
                     f"{s.description} | {s.source} |")
    lines += ["", "## Where the paper's text and its code differ", ""]
    lines += [f"- `{s.name}`: {s.differences}" for s in zoo.list_schedules()
              if s.differences != "None known."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--docs", type=Path, default=ROOT / "docs", help="the docs folder")
    p.add_argument("--data", type=Path, default=default_data(),
                   help="the data files (default: $COLDDIFF_DATA, else ../shared/data)")
    p.add_argument("--size", type=int, default=80, help="side of each picture")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    figures = {}
    for group in TITLES:
        generator = torch.Generator().manual_seed(args.seed)
        picture = render(rows_for(group, args.data), args.size, generator)
        path = args.docs / "img" / f"gallery-{group}.png"
        picture.save(path, optimize=True)
        figures[group] = path
        print(f"wrote {path}")
    (args.docs / "gallery.md").write_text(page(figures))
    print(f"wrote {args.docs / 'gallery.md'}")


if __name__ == "__main__":
    main()
