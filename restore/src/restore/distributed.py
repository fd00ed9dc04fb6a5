"""Distributed data parallel training under ``torchrun``: one process per GPU (gloo on CPUs)."""

from __future__ import annotations

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


def setup(device: str = "auto") -> Context:
    """Join the process group that ``torchrun`` describes (``RANK``, ``WORLD_SIZE`` ...), if any.

    The backend is NCCL when CUDA is available and gloo otherwise. ``device="auto"`` picks this
    process's GPU (``LOCAL_RANK``), else Apple's MPS when alone, else the CPU.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        if torch.cuda.is_available():
            device = f"cuda:{local_rank % torch.cuda.device_count()}"
        elif world_size == 1 and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    resolved = torch.device(device)
    if resolved.type == "cuda":
        torch.cuda.set_device(resolved)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if resolved.type == "cuda" else "gloo")
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


def teardown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
