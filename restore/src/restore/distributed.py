"""Distributed data parallel training under ``torchrun``: one process per GPU (gloo on CPUs)."""

from __future__ import annotations

import atexit
import math
import os
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    """Where this process runs: its rank among ``world_size`` processes and its device."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 keeps the EMA, writes checkpoints, logs and figures."""
        return self.rank == 0


def available_devices() -> list[str]:
    """The devices this machine offers, in the spelling :func:`resolve_device` takes."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(name: str, local_rank: int = 0, world_size: int = 1) -> torch.device:
    """The device ``name`` means here, always with an index for CUDA.

    ``"auto"``: this process's GPU (``LOCAL_RANK`` under torchrun), else Apple's MPS when alone,
    else the CPU. ``"cpu"``, ``"mps"``, ``"cuda"`` (this process's GPU) and ``"cuda:N"`` are
    checked against what the machine has; anything else, or a device it lacks, raises a
    ``ValueError`` that says what it has.
    """
    if not isinstance(name, str):
        raise TypeError(f"device must be a string such as 'cuda:0', got {type(name).__name__}")
    spelled = name.strip().lower()
    cuda = torch.cuda.is_available()
    if spelled == "auto":
        if cuda:
            spelled = "cuda"
        elif world_size == 1 and torch.backends.mps.is_available():
            spelled = "mps"
        else:
            spelled = "cpu"
    has = ", ".join(available_devices())
    if spelled == "cpu":
        return torch.device("cpu")
    if spelled == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"device mps is not available here (this machine has: {has})")
        return torch.device("mps")
    kind, _, index = spelled.partition(":")
    if kind != "cuda" or (index and not index.isdigit()):
        raise ValueError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:N or mps "
                         f"(this machine has: {has})")
    if not cuda:
        raise ValueError(f"device {name} is not available here: no CUDA GPU (this machine "
                         f"has: {has})")
    count = torch.cuda.device_count()
    number = int(index) if index else local_rank % count
    if number >= count:
        raise ValueError(f"device {name} is not available here: {count} CUDA GPU(s), "
                         f"cuda:0 to cuda:{count - 1}")
    return torch.device("cuda", number)


def setup(device: str = "auto") -> Context:
    """Join the process group that ``torchrun`` describes (``RANK``, ``WORLD_SIZE`` ...), if any,
    on the device :func:`resolve_device` makes of ``device``.

    The backend is NCCL on CUDA and gloo otherwise. A group joined here is left at exit, so a
    script that trains with :class:`~restore.Trainer` and returns needs no clean-up (an open gloo
    group at interpreter exit can abort the process).
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    resolved = resolve_device(device, local_rank, world_size)
    if resolved.type == "cuda":
        torch.cuda.set_device(resolved)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if resolved.type == "cuda" else "gloo")
        atexit.register(teardown)
    return Context(rank, world_size, resolved)


def describe(context: Context) -> str:
    """Where a run trains, in words: ``"a 2-core CPU"``, ``"4 x NVIDIA H200"``..."""
    if context.device.type == "cuda":
        return f"{context.world_size} x {torch.cuda.get_device_name(context.device)}"
    if context.device.type == "mps":
        return "Apple MPS"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    processes = f" x {context.world_size} processes" if context.world_size > 1 else ""
    return f"a {cores}-core CPU{processes} (no GPU)"


def mean_over_processes(value: float, context: Context) -> float:
    """The mean of a number over all processes (each sees its share of the batch)."""
    if not dist.is_initialized():
        return value
    total = torch.tensor(value, dtype=torch.float64, device=context.device)
    dist.all_reduce(total)
    return total.item() / context.world_size


def all_past(deadline: float, context: Context) -> bool:
    """Whether the time budget is spent, as rank 0 sees it, so every process stops at the same
    step."""
    if deadline == math.inf:
        return False
    past = torch.tensor(float(time.perf_counter() >= deadline), device=context.device)
    if dist.is_initialized():
        dist.broadcast(past, src=0)
    return bool(past)


def any_signal(signum: int | None, context: Context) -> int | None:
    """The stop signal any process has received (the largest number), so that all stop at the
    same step; None when none has."""
    if not dist.is_initialized():
        return signum
    value = torch.tensor(signum or 0, device=context.device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return int(value) or None


def teardown() -> None:
    """Leave the process group, if this process is in one."""
    if dist.is_initialized():
        dist.destroy_process_group()
