"""The optimisation of a run, as plain data: :class:`TrainConfig`, and :func:`option`, which
attaches a command-line option to a field of any section of :class:`restore.RunConfig`.

The defaults are the paper's (Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image
Transforms Without Noise", arXiv:2208.09392, appendix A.1): Adam at 2e-5, batches of 32 with
gradients accumulated over 2, L1 loss, an exponential moving average of the weights with decay
0.995 updated every 10 steps from step 2000, 700,000 steps.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from .precision import PRECISIONS


def option(flag: str | None = None, help: str = "", **argparse: Any) -> dict[str, Any]:
    """A field's command-line option: its flag (default ``--field-name``), help and any extra
    ``argparse`` settings (``choices``, ``metavar``...)."""
    return {"flag": flag, "help": help, "argparse": argparse}


LR_SCHEDULES = ("constant", "cosine")
"""How the learning rate changes over a run (:meth:`TrainConfig.learning_rate`)."""


@dataclasses.dataclass
class TrainConfig:
    """The optimisation of a run, as plain data (saved in every checkpoint).

    Args:
        steps: optimiser steps to train for (700,000 in the paper; far fewer on a CPU).
        batch_size: images per micro-batch, over all processes.
        accumulate: micro-batches whose gradients add up to one optimiser step.
        lr: Adam's (peak) learning rate.
        lr_schedule: ``"constant"`` (the paper) or ``"cosine"``: after the warm-up the rate
            falls along half a cosine from ``lr`` to 0 at ``steps`` (Loshchilov and Hutter,
            2017, "SGDR: Stochastic Gradient Descent with Warm Restarts", arXiv:1608.03983).
        warmup: optimiser steps over which the rate rises linearly from ``lr / warmup`` to
            ``lr`` (0: none, the paper).
        loss: ``"l1"`` (the paper) or ``"l2"`` (the noise objective).
        final_share: the share of each batch trained at ``t = T`` rather than at a ``t``
            uniform in ``1..T`` (0: all uniform, the paper). ``R(x_T, T)`` is what direct
            restoration and TACoS's first step ask of the network, and at ``t = T`` it is
            hardest (colourisation: a grey image, where no colour is left to scale up).
        ema_decay: decay of the weights' moving average.
        ema_every: optimiser steps between updates of the average.
        ema_start: before this step the average is reset to the model (the paper's code).
        seed: seeds the validation split, the initial weights, the data order, the steps ``t``
            and the torch random state.
        checkpoint_every: optimiser steps between checkpoints (one more at the end).
        log_every: optimiser steps between lines of ``log.jsonl``.
        sample_every: optimiser steps between validation grids (0: only at the end).
        num_workers: data-loading processes.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``...
        precision: ``"auto"`` (bf16 autocast on a GPU that supports it, float32 elsewhere,
            CPUs with native bf16 included: there bf16 restores 6 % worse directly,
            docs/performance.md), ``"bf16"`` (on a CPU without AVX512-BF16, AMX or Arm BF16
            it is emulated, 10 to 25 times slower), ``"fp16"`` (autocast to float16 with a
            gradient scaler, for GPUs without bf16) or ``"fp32"``.
        channels_last: store images and weights channels-last (``"auto"``: chosen with the
            precision, contiguous for 16-bit autocast on a CPU, where bf16 gains most, and
            channels-last otherwise; see docs/performance.md).
        compile: compile the network with ``torch.compile`` (inductor; 45 to 65 s at the
            start, then 1.08 to 1.12 times faster per step on a 2-core CPU; see
            docs/performance.md). Without a compiler the run goes on uncompiled and says so.
        progress: show a progress bar.
        max_seconds: stop (with a checkpoint) after this much training time, even before
            ``steps``; None for no limit.
    """

    steps: int = dataclasses.field(default=700_000, metadata=option(
        "--steps", "optimiser steps"))
    batch_size: int = dataclasses.field(default=32, metadata=option(
        "--batch", "images per micro-batch"))
    accumulate: int = dataclasses.field(default=2, metadata=option(
        "--accumulate", "micro-batches per optimiser step"))
    lr: float = dataclasses.field(default=2e-5, metadata=option("--lr", "Adam's learning rate"))
    lr_schedule: str = dataclasses.field(default="constant", metadata=option(
        "--lr-schedule", "the learning rate over the run", choices=LR_SCHEDULES))
    warmup: int = dataclasses.field(default=0, metadata=option(
        "--warmup", "steps of linear learning-rate warm-up"))
    loss: str = dataclasses.field(default="l1", metadata=option(
        "--loss", "l1 for restorers (the paper), l2 for noise predictors", choices=("l1", "l2")))
    final_share: float = dataclasses.field(default=0.0, metadata=option(
        "--final-share", "share of each batch trained at t = T (the rest uniform in 1..T)"))
    ema_decay: float = dataclasses.field(default=0.995, metadata=option(
        "--ema-decay", "decay of the weights' moving average"))
    ema_every: int = dataclasses.field(default=10, metadata=option(
        "--ema-every", "steps between updates of the moving average"))
    ema_start: int = dataclasses.field(default=2000, metadata=option(
        "--ema-start", "steps before the moving average starts"))
    seed: int = dataclasses.field(default=0, metadata=option("--seed", "seed of every draw"))
    checkpoint_every: int = dataclasses.field(default=1000, metadata=option(
        "--checkpoint-every", "steps between checkpoints"))
    log_every: int = dataclasses.field(default=50, metadata=option(
        "--log-every", "steps between lines of log.jsonl"))
    sample_every: int = dataclasses.field(default=1000, metadata=option(
        "--sample-every", "steps between validation grids (0: at the end only)"))
    num_workers: int = dataclasses.field(default=0, metadata=option(
        "--workers", "data-loading processes"))
    device: str = dataclasses.field(default="auto", metadata=option(
        "--device", "auto, cpu, cuda, cuda:1, mps"))
    precision: str = dataclasses.field(default="auto", metadata=option(
        "--precision", "autocast precision", choices=PRECISIONS))
    channels_last: bool | str = dataclasses.field(default="auto", metadata=option(
        "--channels-last", "channels-last memory format", choices=("auto", "yes", "no")))
    compile: bool = dataclasses.field(default=False, metadata=option(
        "--compile", "compile the network with torch.compile (pays from a few thousand steps)"))
    progress: bool = dataclasses.field(default=True, metadata=option(
        "--progress", "show a progress bar"))
    max_seconds: float | None = dataclasses.field(default=None, metadata=option(
        "--max-seconds", "stop with a checkpoint after this much training time"))

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "accumulate", "ema_every", "checkpoint_every",
                     "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("sample_every", "num_workers", "ema_start", "warmup"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be at least 0, got {getattr(self, name)}")
        if self.loss not in ("l1", "l2"):
            raise ValueError(f'loss must be "l1" or "l2", got {self.loss!r}')
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got "
                             f"{self.precision!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got "
                             f"{self.lr_schedule!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number, got {self.lr}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or \
                not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be a whole number from 0 to 2**63 - 1, got {self.seed}")
        if not 0 <= self.final_share <= 1:
            raise ValueError(f"final_share must be in [0, 1], got {self.final_share}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        self.channels_last = {"yes": True, "no": False}.get(self.channels_last,
                                                            self.channels_last)
        if self.channels_last not in (True, False, "auto"):
            raise ValueError(f'channels_last must be True, False or "auto", got '
                             f"{self.channels_last!r}")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise ValueError(f"max_seconds must be a positive number, got {self.max_seconds}")

    def learning_rate(self, step: int) -> float:
        """The rate of optimiser step ``step`` (0-based): warm-up, then ``lr_schedule``. A
        function of the step alone, so that a resumed run continues it exactly.

        Examples:
            >>> config = TrainConfig(steps=101, lr=1e-3, warmup=10, lr_schedule="cosine")
            >>> [round(config.learning_rate(s), 6) for s in (0, 9, 10, 55, 100)]
            [0.0001, 0.001, 0.001, 0.0005, 0.0]
        """
        rate = self.lr * min(1.0, (step + 1) / self.warmup) if self.warmup else self.lr
        if self.lr_schedule == "cosine" and step >= self.warmup:
            progress = (step - self.warmup) / max(1, self.steps - 1 - self.warmup)
            rate *= 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        return rate
