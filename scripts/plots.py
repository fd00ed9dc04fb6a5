"""Line plots drawn with PIL (the project does not depend on matplotlib): the
perception-distortion plot of ``restoration_experiment.py`` and learning curves.

``line_plot`` draws one or more series of ``(x, y, label)`` points, each point marked and
labelled, with linear axes, ticks at round numbers and a legend.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 28, 44
LEGEND_WIDTH = 220
"""The legend's column, right of the plot."""

Point = tuple[float, float, str]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten apart) covering
    ``[low, high]``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"the axis needs finite limits, got {low} and {high}")
    if high <= low:
        low, high = low - 0.5 * (abs(low) or 1), high + 0.5 * (abs(high) or 1)
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _label(value: float) -> str:
    return f"{value:g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.1e}"


def line_plot(series: Mapping[str, Sequence[Point]], path: str | Path, *, x_label: str,
              y_label: str, title: str = "", size: tuple[int, int] = (860, 440)) -> Path:
    """Draw each series as a line through its points, in order, each point marked with its
    label; write the picture to ``path`` and return it."""
    points = [p for values in series.values() for p in values]
    if not points:
        raise ValueError("nothing to plot: every series is empty")
    xs, ys = nice_ticks(min(p[0] for p in points), max(p[0] for p in points)), \
        nice_ticks(min(p[1] for p in points), max(p[1] for p in points))
    width, height = size
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    left, right = MARGIN_LEFT, width - MARGIN_RIGHT - LEGEND_WIDTH
    top, bottom = MARGIN_TOP, height - MARGIN_BOTTOM

    def at(x: float, y: float) -> tuple[float, float]:
        return (left + (x - xs[0]) / (xs[-1] - xs[0]) * (right - left),
                bottom - (y - ys[0]) / (ys[-1] - ys[0]) * (bottom - top))

    draw.rectangle((left, top, right, bottom), outline="black")
    for x in xs:
        px = at(x, ys[0])[0]
        draw.line((px, bottom, px, bottom + 4), fill="black")
        draw.text((px - 10, bottom + 6), _label(x), fill="black", font=font)
    for y in ys:
        py = at(xs[0], y)[1]
        draw.line((left - 4, py, left, py), fill="black")
        draw.text((4, py - 6), _label(y), fill="black", font=font)
    draw.text((left + (right - left) // 2 - 3 * len(x_label), height - 16), x_label,
              fill="black", font=font)
    draw.text((4, 8), y_label, fill="black", font=font)
    if title:
        draw.text((left + 80, 8), title, fill="black", font=font)
    for i, (name, values) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        placed = [at(x, y) for x, y, _ in values]
        if len(placed) > 1:
            draw.line(placed, fill=colour, width=2)
        for (px, py), (_, _, label) in zip(placed, values, strict=True):
            draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=colour)
            if label:
                draw.text((px + 4, py - 12), label, fill=colour, font=font)
        draw.rectangle((right + 10, top + 8 + 14 * i, right + 20, top + 18 + 14 * i),
                       fill=colour)
        draw.text((right + 25, top + 7 + 14 * i), name, fill="black", font=font)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
