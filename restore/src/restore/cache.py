"""A disk cache for decoded and resized data sets (``$COLDDIFF_CACHE``, ~/.cache/colddiff).

Decoding 60,000 JPEGs or resizing MNIST takes seconds to minutes; the result is kept as a
``.npy`` file under a hash of what made it, written atomically and read memory-mapped.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import numpy as np
from samplers.folders import write_atomically


def cache_dir() -> Path:
    """Where decoded arrays are cached: ``$COLDDIFF_CACHE`` or ``~/.cache/colddiff``."""
    return Path(os.environ.get("COLDDIFF_CACHE", Path.home() / ".cache" / "colddiff"))


def cached(key: object, make) -> np.ndarray:
    """``make()``, cached on disk under a hash of ``key`` (written atomically)."""
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
    path = cache_dir() / f"{digest}.npy"
    if path.exists():
        try:
            return np.load(path, mmap_mode="r")
        except (ValueError, OSError, EOFError):  # truncated or damaged: make it again
            try:
                path.unlink()
            except OSError as error:
                raise ValueError(f"the cache file {path} is damaged and cannot be removed "
                                 f"({error.strerror}): delete it, or set COLDDIFF_CACHE "
                                 "elsewhere") from error
    array = make()
    with contextlib.suppress(OSError):  # a read-only home or a full disk: trains uncached
        write_atomically(path, lambda file: np.save(file, array))
    return array


def fingerprint(path: Path) -> tuple[str, int, int]:
    """What identifies a file's version in a cache key: its path, size and modification time."""
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns
