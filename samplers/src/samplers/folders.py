"""Pretrained folders: the one format in which colddiff saves networks, priors and models.

A folder holds ``config.json``, one or more safetensors files and, for a whole model, a
``README.md`` (its card). ``config.json`` records the sha256 of every tensor file under
``"sha256"``; :func:`read` checks each before it loads it, loads no pickled code, and refuses
a missing, altered or foreign file in one line. The layout is the one huggingface_hub's
``PyTorchModelHubMixin`` reads and writes (``config.json`` beside ``model.safetensors``), so a
folder can be pushed to the Hub as it is.

This module lives in ``samplers``, the package that ``restore`` and ``zoo`` both import, so that
the U-Net (``restore``), the priors (here) and whole models (``zoo``) are saved and checked by
the same code.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, BinaryIO

import torch
from torch import Tensor

CONFIG = "config.json"
CARD = "README.md"


class FolderError(ValueError):
    """A folder or file that is not a usable pretrained folder: missing, altered, foreign."""


def sha256(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: str | os.PathLike[str],
                     content: bytes | str | Callable[[BinaryIO], object]) -> None:
    """Replace ``path`` with ``content`` whole or not at all.

    ``content`` (bytes, text written as UTF-8, or a function that writes to a binary file)
    goes to a temporary file beside ``path``, which is flushed to disk (``fsync``) and only then
    renamed over ``path``, and the rename itself is made durable. A crash or a full disk at any
    point leaves the old file as it was and no temporary file behind; the ``OSError`` (or the
    writer's own error) is raised.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            if callable(content):
                content(file)
            else:
                file.write(content.encode("utf-8") if isinstance(content, str) else content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def save_tensors(tensors: dict[str, Tensor], path: str | os.PathLike[str], *,
                 half: bool = False) -> str:
    """Write tensors as safetensors (floating ones as float16 with ``half``), atomically
    (:func:`write_atomically`); their sha256."""
    from safetensors.torch import save

    stored = {k: (v.detach().cpu().half() if half and v.is_floating_point() else v.detach().cpu())
              .contiguous() for k, v in tensors.items()}
    data = save(stored)
    write_atomically(path, data)
    return hashlib.sha256(data).hexdigest()


def load_tensors(path: str | os.PathLike[str], expected_sha256: str | None) -> dict[str, Tensor]:
    """The tensors of a safetensors file, after checking its sha256 (``None``: no check, for a
    file of your own). The bytes hashed are the bytes loaded (the file is read once). Tensors
    stored in float16 come back in float32."""
    from safetensors.torch import load

    path = Path(path)
    if not path.is_file():
        raise FolderError(f"{path} does not exist")
    data = path.read_bytes()
    if expected_sha256 is not None:
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected_sha256:
            raise FolderError(f"{path} has sha256 {actual[:16]}..., not the "
                              f"{str(expected_sha256)[:16]}... recorded: the file is altered or "
                              "another one; refusing to load it")
    try:
        tensors = load(data)
    except Exception as error:  # safetensors raises its own SafetensorError
        raise FolderError(f"{path} is not a readable safetensors file: {error}") from error
    return {k: v.float() if v.dtype == torch.float16 else v for k, v in tensors.items()}


def write(folder: str | os.PathLike[str], config: dict[str, Any],
          tensors: dict[str, dict[str, Tensor]], *, half: Collection[str] = (),
          card: Callable[[dict[str, Any]], str] | None = None) -> Path:
    """Write a pretrained folder: each ``tensors[file]`` as safetensors (the files named in
    ``half`` in float16), then ``config.json`` (``config`` with the files' sha256 under
    ``"sha256"``), then ``card(config.json's content)`` as ``README.md``. Returns the
    folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digests = {file: save_tensors(state, folder / file, half=file in half)
               for file, state in tensors.items()}
    written = {**config, "sha256": digests}
    write_atomically(folder / CONFIG, json.dumps(written, indent=2) + "\n")
    if card is not None:
        write_atomically(folder / CARD, card(written))
    return folder


def read_config(folder: str | os.PathLike[str], format: str | None = None) -> dict[str, Any]:
    """A pretrained folder's ``config.json``, checked to be a JSON object (of ``format``, if
    given, under the key ``"format"``) with a ``"sha256"`` record."""
    folder = Path(folder)
    path = folder / CONFIG
    if not path.is_file():
        what = "no such folder" if not folder.exists() else f"it has no {CONFIG}"
        raise FolderError(f"{folder} is not a pretrained folder: {what}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FolderError(f"{path} is not JSON: {error}") from error
    if not isinstance(config, dict) or not isinstance(config.get("sha256"), dict):
        raise FolderError(f"{path} is not a colddiff configuration (no sha256 record)")
    if format is not None and config.get("format") != format:
        raise FolderError(f"{folder} holds a {config.get('format') or 'foreign'!s} folder, not "
                          f"a {format}")
    return config


def read(folder: str | os.PathLike[str], format: str | None = None
         ) -> tuple[dict[str, Any], dict[str, dict[str, Tensor]]]:
    """``(config, tensors by file)`` of a pretrained folder, every file checked against the
    sha256 that ``config.json`` records (:func:`read_config`)."""
    config = read_config(folder, format)
    tensors = {}
    for file, digest in config["sha256"].items():
        if not isinstance(file, str) or Path(file).name != file or not file.endswith(
                ".safetensors"):
            raise FolderError(f"{Path(folder) / CONFIG} lists {file!r}: only safetensors files "
                              "inside the folder are read")
        if not (isinstance(digest, str) and len(digest) == 64):
            raise FolderError(f"{Path(folder) / CONFIG} records no sha256 for {file} (got "
                              f"{digest!r}): every file is checked")
        if (Path(folder) / file).is_symlink():
            raise FolderError(f"{Path(folder) / file} is a link: a folder's files are read only "
                              "where they are")
        tensors[file] = load_tensors(Path(folder) / file, digest)
    return config, tensors
