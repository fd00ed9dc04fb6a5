"""The run's ``log.jsonl``: a line per window of steps, each step logged once.

Each line holds the step, the window's mean loss (over the processes too), the throughput and
the learning rate; the grids add lines with the validation loss and the grid's path, relative
to the run's folder (so that a run folder can move).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from samplers.folders import write_atomically

from . import distributed


def _record(line: str) -> dict | None:
    """A line of the log as a record, or None for a line torn by a crash or a full disk."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def trim(log: Path, step: int | None) -> None:
    """Keep each step once: a resumed run (``step``) drops the lines past its checkpoint, and
    any line torn by a crash or a full disk; a new run (None) moves an old log aside to
    ``log.jsonl.previous`` rather than append to it. The log is rewritten atomically (a crash
    here leaves the old one whole)."""
    if not log.exists():
        return
    if step is None:
        os.replace(log, log.with_name(log.name + ".previous"))
        return
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    records = [(line, _record(line)) for line in lines if line.strip()]
    kept = [line for line, record in records
            if record is not None and record.get("step", 0) <= step]
    write_atomically(log, "".join(line + "\n" for line in kept))


class Window:
    """The loss and throughput since the last line of the log."""

    def __init__(self, images_per_step: int) -> None:
        self.images_per_step = images_per_step
        self.loss, self.steps, self.start = 0.0, 0, time.perf_counter()

    def add(self, loss: float) -> None:
        self.loss, self.steps = self.loss + loss, self.steps + 1

    def speed(self) -> float:
        """Images per second."""
        return self.steps * self.images_per_step / max(time.perf_counter() - self.start, 1e-9)

    def close(self, context: distributed.Context) -> dict[str, float]:
        """The window's mean loss (averaged over the processes) and speed; restart."""
        record = {"loss": distributed.mean_over_processes(self.loss / self.steps, context),
                  "images_per_second": self.speed()}
        self.loss, self.steps, self.start = 0.0, 0, time.perf_counter()
        return record
