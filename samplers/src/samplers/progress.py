"""A small progress bar on standard error (samplers depends on torch alone, so no tqdm)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``name: 37/300 [###.......]  12%  14.2 it/s  eta 18s``, redrawn at most 10 times a second.

    On a terminal the line is redrawn in place; elsewhere (logs, CI) one line is written at the
    end. ``postfix`` adds text such as the loss.
    """

    def __init__(self, total: int, name: str, *, enabled: bool = True,
                 stream: TextIO | None = None, unit: str = "it") -> None:
        self.total, self.name, self.enabled, self.unit = total, name, enabled, unit
        self.stream = stream if stream is not None else sys.stderr
        self.count = 0
        self.postfix = ""
        self._start = time.perf_counter()
        self._drawn = 0.0
        self._live = enabled and getattr(self.stream, "isatty", lambda: False)()

    def update(self, count: int = 1, postfix: str | None = None) -> None:
        self.count += count
        if postfix is not None:
            self.postfix = postfix
        now = time.perf_counter()
        if self._live and (now - self._drawn >= 0.1 or self.count >= self.total):
            self._drawn = now
            self.stream.write("\r" + self._line(now))
            self.stream.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        self.stream.write(("\r" if self._live else "") + self._line(time.perf_counter()) + "\n")
        self.stream.flush()

    def _line(self, now: float) -> str:
        elapsed = max(now - self._start, 1e-9)
        rate = self.count / elapsed
        fraction = self.count / self.total if self.total else 1.0
        bar = "#" * round(10 * fraction)
        eta = (self.total - self.count) / rate if rate > 0 else 0.0
        line = (f"{self.name}: {self.count}/{self.total} [{bar:.<10}] {fraction:4.0%} "
                f"{rate:.1f} {self.unit}/s eta {eta:.0f}s")
        return line + (f" {self.postfix}" if self.postfix else "")

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
