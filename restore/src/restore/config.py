"""A training run as data: :class:`RunConfig`, with every default in one place.

A run is described by plain data that round-trips through JSON: the data set and its split
(:class:`DataConfig`), the network (:class:`NetworkConfig`), the degradation as a known
factory and its arguments (:class:`DegradationSpec`), what the network learns (``objective``)
and the optimisation (:class:`TrainConfig`). Every checkpoint stores it, a run's folder holds
it as ``config.json``, and the command-line options of ``python -m restore.train`` and
``colddiff train`` are derived from these fields (:mod:`restore.options`): each field is
settable, none is defined twice.

The optimisation defaults are the paper's (Bansal et al., 2022, "Cold Diffusion: Inverting
Arbitrary Image Transforms Without Noise", arXiv:2208.09392, appendix A.1): Adam at 2e-5,
batches of 32 with gradients accumulated over 2, L1 loss, an exponential moving average of the
weights with decay 0.995 updated every 10 steps from step 2000, 700,000 steps.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

from . import degradations, objectives
from .objectives import OBJECTIVES
from .precision import PRECISIONS


def option(flag: str | None = None, help: str = "", **argparse: Any) -> dict[str, Any]:
    """A field's command-line option: its flag (default ``--field-name``), help and any extra
    ``argparse`` settings (``choices``, ``metavar``...)."""
    return {"flag": flag, "help": help, "argparse": argparse}


@dataclasses.dataclass
class DataConfig:
    """The images a run trains on: a named data set or a folder, less a validation split."""

    name: str | None = dataclasses.field(default=None, metadata=option(
        "--data", "a named data set: mnist, cifar10, celeba, afhq (see the data README)"))
    folder: str | None = dataclasses.field(default=None, metadata=option(
        "--data-folder", "instead of --data: a folder of images (or of class sub-folders)"))
    data_dir: str | None = dataclasses.field(default=None, metadata=option(
        "--data-dir", "folder of the named data files (default: $COLDDIFF_DATA, ../shared/data)"))
    image_size: int | None = dataclasses.field(default=None, metadata=option(
        "--image-size", "resize images to this side (MNIST: 32, as the paper's code)"))
    channels: int = dataclasses.field(default=3, metadata=option(
        "--channels", "channels of --data-folder images", choices=(1, 3)))
    val_count: int = dataclasses.field(default=1000, metadata=option(
        "--val-count", "training images held out for validation"))
    hflip: bool = dataclasses.field(default=False, metadata=option(
        "--hflip", "random horizontal flips"))

    def __post_init__(self) -> None:
        if self.name is not None and self.folder is not None:
            raise ValueError("give one of --data and --data-folder, not both")
        if self.image_size is not None and self.image_size < 1:
            raise ValueError(f"image_size must be at least 1, got {self.image_size}")
        if self.val_count < 1:
            raise ValueError(f"val_count must be at least 1, got {self.val_count}")


@dataclasses.dataclass
class NetworkConfig:
    """The U-Net: a preset (:data:`restore.PRESETS`) and, optionally, another base width."""

    preset: str = dataclasses.field(default="small", metadata=option(
        "--preset", "U-Net size", choices=("tiny", "small", "base")))
    width: int | None = dataclasses.field(default=None, metadata=option(
        "--width", "base channels of the U-Net (default: the preset's)"))

    def __post_init__(self) -> None:
        if self.width is not None and self.width < 1:
            raise ValueError(f"width must be at least 1, got {self.width}")


@dataclasses.dataclass
class DegradationSpec:
    """The degradation ``D(x, t)``: a known factory called with keyword arguments (data).

    ``factory`` names one of ``degrade``'s operators or constructors
    (``"degrade:GaussianBlurSchedule.constant"``), an installed factory (``"zoo:schedule"``
    with ``{"name": "mnist-blur"}``: a named schedule, its ``variant`` and overrides) or one
    registered with :func:`restore.register_degradation` before the configuration is read;
    any other import path is refused (:mod:`restore.degradations`). :meth:`build` calls it.
    """

    factory: str | None = dataclasses.field(default=None, metadata=option(
        "--degradation", "the factory of D: degrade:Operator[.constructor] (e.g. "
        "degrade:GaussianBlurSchedule.constant), zoo:schedule or a registered one",
        metavar="NAME"))
    arguments: dict[str, Any] = dataclasses.field(default_factory=dict, metadata=option(
        "--degradation-arg", "a keyword argument of the factory, its value as JSON "
        "(repeatable): --degradation-arg num_steps=20", metavar="KEY=VALUE"))

    def __post_init__(self) -> None:
        if self.factory is not None:
            degradations.check(self.factory)

    def build(self) -> Any:
        """Call the factory (:func:`restore.degradations.build`): the degradation."""
        if not self.factory:
            raise ValueError("no degradation: give --degradation NAME (or a named schedule to "
                             "colddiff train)")
        return degradations.build(self.factory, self.arguments)


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
            CPUs with native bf16 included until its quality there is shown to match:
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

        Example:
            >>> config = TrainConfig(steps=101, lr=1e-3, warmup=10, lr_schedule="cosine")
            >>> [round(config.learning_rate(s), 6) for s in (0, 9, 10, 55, 100)]
            [0.0001, 0.001, 0.001, 0.0005, 0.0]
        """
        rate = self.lr * min(1.0, (step + 1) / self.warmup) if self.warmup else self.lr
        if self.lr_schedule == "cosine" and step >= self.warmup:
            progress = (step - self.warmup) / max(1, self.steps - 1 - self.warmup)
            rate *= 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        return rate


@dataclasses.dataclass
class RunConfig:
    """A whole training run: where it writes, what it trains on, what it learns and how.

    Example:
        >>> from restore import RunConfig
        >>> config = RunConfig(out="runs/mnist-blur")
        >>> config.data.name, config.train.batch_size = "mnist", 64
        >>> RunConfig.from_json(config.to_json()) == config
        True
    """

    out: str | None = dataclasses.field(default=None, metadata=option(
        "--out", "the run's folder"))
    objective: str = dataclasses.field(default="x0", metadata=option(
        "--objective", "what R learns: " + "; ".join(
            f"{o.name}: {o.summary}" for o in OBJECTIVES.values()),
        choices=tuple(OBJECTIVES)))
    walk_share: float = dataclasses.field(default=0.5, metadata=option(
        "--walk-share", "x0-walk: the share of each batch that sees a TACoS jump"))
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    network: NetworkConfig = dataclasses.field(default_factory=NetworkConfig)
    degradation: DegradationSpec = dataclasses.field(default_factory=DegradationSpec)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        objectives.get(self.objective)
        if not 0 <= self.walk_share <= 1:
            raise ValueError(f"walk_share must be in [0, 1], got {self.walk_share}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """The run a dict (of :meth:`to_dict`, or ``config.json``) describes; unknown keys are
        refused, missing ones take their defaults."""
        if not isinstance(data, dict):
            raise ValueError(f"a run configuration is a JSON object, got {type(data).__name__}")
        values = _known(cls, data, "the run configuration")
        for section in SECTIONS:
            if section in values:
                kind = SECTIONS[section]
                values[section] = kind(**_known(kind, values[section], f"section {section!r}"))
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as error:
            raise ValueError(f"a run configuration must be JSON: {error}") from error

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RunConfig:
        """Read ``config.json`` (or any file of :meth:`save`)."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"{path}: no such configuration file")
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: a run configuration must be JSON text") from error
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")


RECIPES: dict[str, dict[str, dict[str, Any]]] = {
    "paper": {},
    "cpu": {
        "train": {"steps": 20_000, "batch_size": 32, "accumulate": 1, "lr": 2e-3,
                  "lr_schedule": "cosine", "warmup": 100, "loss": "l2"},
        "network": {"width": 16},
    },
}
"""Training recipes by name, as changes to a :class:`RunConfig`'s sections.

``paper``: appendix A.1 of Bansal et al. (2022), the defaults of :class:`TrainConfig` (Adam at
2e-5, batches of 32 accumulated over 2, 700,000 steps on GPUs). ``cpu``: the recipe that reached
the lowest validation error in a fixed CPU budget on MNIST and CIFAR-10 deblurring
(``benchmarks/recipe.py``, docs/performance.md): the small U-Net at half its width (16 base
channels, a quarter of the cost per step), Adam at 2e-3 warmed up over 100 steps and lowered
along a cosine to 0, batches of 32 without accumulation, the L2 loss (the tables' RMSE), 20,000
steps. ``colddiff train`` uses ``cpu`` for a named schedule when it trains on a CPU, ``paper``
otherwise (``--recipe``)."""


def with_recipe(config: RunConfig, recipe: str) -> RunConfig:
    """``config`` with a recipe of :data:`RECIPES` applied to its sections.

    Example:
        >>> config = with_recipe(RunConfig(), "cpu")
        >>> config.train.lr_schedule, config.train.accumulate
        ('cosine', 1)
        >>> with_recipe(RunConfig(), "paper") == RunConfig()
        True
    """
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {', '.join(RECIPES)}, got {recipe!r}")
    return with_changes(config, RECIPES[recipe])


def with_changes(config: RunConfig, changes: dict[str, Any]) -> RunConfig:
    """``config`` with ``changes`` applied: a dict merges into the section of its name, any
    other value replaces the field (``{"objective": "x0-walk", "train": {"steps": 10}}``).

    Example:
        >>> with_changes(RunConfig(), {"walk_share": 1.0, "train": {"steps": 7}}).train.steps
        7
    """
    values = config.to_dict()
    for key, change in changes.items():
        values[key] = {**values[key], **change} if isinstance(change, dict) else change
    return RunConfig.from_dict(values)


SECTIONS: dict[str, type] = {"data": DataConfig, "network": NetworkConfig,
                             "degradation": DegradationSpec, "train": TrainConfig}
"""The nested sections of :class:`RunConfig`, by field name."""


def _known(kind: type, values: Any, where: str) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ValueError(f"{where} must be a JSON object, got {type(values).__name__}")
    names = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"{where} has unknown key(s) {unknown}; known: {sorted(names)}")
    return dict(values)

