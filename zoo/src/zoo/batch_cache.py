"""A folder that keeps the images of a long evaluation batch by batch, so that it resumes.

Measuring a 64-px generator over 1,000 samples of a 750-step TACoS walk takes hours of a CPU
core; a session's end or a Ctrl-C must not throw that work away. :func:`zoo.evaluate` with
``cache=FOLDER`` writes each batch of each row to ``FOLDER`` as soon as it is made (one
safetensors file each, written atomically), and reads the batches it finds there instead of
making them again. Every batch is seeded on its own (generators) or its random degradation is
drawn anew in order (restorers), so a resumed evaluation measures exactly the images an
uninterrupted one would.

``FOLDER/cache.json`` records what the batches are of: the model (a hash of its weights, its
prior and its degradation) and the evaluation's arguments (its images, seed, batch size). A
folder holding another evaluation's batches is refused rather than mixed in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from samplers.folders import load_tensors, save_tensors, write_atomically
from torch import Tensor

KEY_FILE = "cache.json"


def tensors_digest(tensors: dict[str, Tensor]) -> str:
    """A sha256 of named tensors (their names, dtypes, shapes and values)."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        value = tensors[name].detach().cpu()
        digest.update(f"{name}:{value.dtype}:{tuple(value.shape)};".encode())
        exact = value.float() if value.dtype == torch.bfloat16 else value  # numpy has no bf16
        digest.update(exact.numpy().tobytes())  # in C order, whatever the layout
    return digest.hexdigest()


def model_digest(model: Any) -> dict[str, str]:
    """What a model's outputs depend on: hashes of its network's weights and its prior's state,
    and its record's degradation, prior and objective."""
    network = model.R.state_dict() if isinstance(model.R, torch.nn.Module) else {}
    prior = getattr(model, "prior", None)
    record = {k: model.entry.get(k) for k in ("degradation", "prior", "objective", "schedule")}
    return {"weights": tensors_digest(network),
            "prior": tensors_digest(prior.state_dict()) if prior is not None else "none",
            "record": hashlib.sha256(json.dumps(record, sort_keys=True, default=str)
                                     .encode()).hexdigest()}


class BatchCache:
    """The batches of one evaluation kept in ``folder`` (see the module's docstring).

    Args:
        folder: where the batches go (made if missing).
        key: what the evaluation is (JSON-serialisable); a folder already holding another
            key's batches raises ``ValueError``.
    """

    def __init__(self, folder: str | os.PathLike[str], key: dict[str, Any]) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise NotADirectoryError(f"cache: {self.folder} is a file, not a folder")
        self.key = json.loads(json.dumps(key, sort_keys=True, default=str))
        path = self.folder / KEY_FILE
        if path.is_file():
            held = json.loads(path.read_text())
            if held != self.key:
                differ = sorted(k for k in held.keys() | self.key.keys()
                                if held.get(k) != self.key.get(k))
                raise ValueError(f"cache: {self.folder} holds the batches of another "
                                 f"evaluation (it differs in {', '.join(differ)}); give "
                                 "another folder, or delete this one to start again")
        elif self.folder.is_dir() and any(self.folder.glob("*.safetensors")):
            raise ValueError(f"cache: {self.folder} holds batches without {KEY_FILE}; give "
                             "another folder, or delete this one to start again")
        else:
            write_atomically(path, json.dumps(self.key, indent=2, sort_keys=True) + "\n")

    def path(self, row: str, first: int) -> Path:
        """The file of ``row``'s batch that starts at image ``first``."""
        slug = re.sub(r"[^a-z0-9]+", "-", row.lower()).strip("-")
        tag = hashlib.sha256(row.encode()).hexdigest()[:8]  # rows differing in case or marks
        return self.folder / f"{slug}-{tag}-{first:07d}.safetensors"

    def get(self, row: str, first: int, count: int) -> Tensor | None:
        """The batch kept for ``row`` from image ``first``, or ``None``."""
        path = self.path(row, first)
        if not path.is_file():
            return None
        images = load_tensors(path, None)["images"]
        if len(images) != count:
            raise ValueError(f"cache: {path} holds {len(images)} images where the batch has "
                             f"{count}; delete {self.folder} to start again")
        return images

    def put(self, row: str, first: int, images: Tensor) -> None:
        """Keep ``row``'s batch from image ``first``."""
        save_tensors({"images": images}, self.path(row, first))


@contextlib.contextmanager
def kept_on_interrupt(folder: str | os.PathLike[str] | None, program: str) -> Iterator[None]:
    """Say on standard error, where a Ctrl-C stops an evaluation with a ``cache`` folder, that
    its batches are kept there and how to go on; the interrupt goes on up."""
    try:
        yield
    except KeyboardInterrupt:
        if folder is not None:
            print(f"{program}: the batches made so far are kept in {folder}: run the same "
                  "command again to go on from them", file=sys.stderr)
        raise
