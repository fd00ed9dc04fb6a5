"""One training process per run folder: ``RUN/.lock`` holds the process ID of the run that
trains there, so that a second run into the same ``--out`` is refused instead of logging every
step twice and overwriting the other's checkpoint. A lock left by a killed run (its process no
longer exists) is taken over, so it never blocks a resume; the temporary files such a run left
(``.checkpoint.pt.<pid>.tmp``, a half-written log) are removed."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

LOCK = ".lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user
        return True
    return True


def _owner(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def held(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the run folder's lock while the block runs; a live holder is refused in one line
    (a ``ValueError`` with its process ID)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    while True:
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            owner = _owner(path)
            if owner is not None and owner != os.getpid() and _alive(owner):
                raise ValueError(f"{folder} is being trained by process {owner}: wait for it, "
                                 "stop it, or train into another folder") from None
            path.unlink(missing_ok=True)  # left by a run that no longer exists
            continue
        with os.fdopen(descriptor, "w") as file:
            file.write(f"{os.getpid()}\n")
        break
    for leftover in folder.glob(".*.tmp"):  # a crash mid-write of a process that is gone
        leftover.unlink(missing_ok=True)
    try:
        yield path
    finally:
        if _owner(path) == os.getpid():
            path.unlink(missing_ok=True)
