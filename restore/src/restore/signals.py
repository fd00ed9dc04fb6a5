"""Stopping a training run on a signal, at a step boundary, so that it resumes exactly.

Ctrl-C sends SIGINT; cluster schedulers, Kubernetes and torchrun send SIGTERM before they kill
a job. Within :class:`StopSignals` either signal only asks the loop to stop: it finishes the
optimiser step under way, writes a checkpoint and raises :class:`Interrupted`. A second signal
interrupts at once, with the last checkpoint standing.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The run stopped on ``signum`` after writing its checkpoint."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class StopSignals:
    """Within the block, SIGINT and SIGTERM set :attr:`signum` instead of interrupting (in the
    main thread; elsewhere Python delivers no signals and this does nothing)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            self._restore()
            raise KeyboardInterrupt(f"a second {signal.Signals(signum).name}: stopped at once")
        self.signum = signum
