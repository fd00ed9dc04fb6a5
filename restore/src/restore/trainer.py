"""Training a restorer ``R`` to minimise ``||R(D(x0, t), t) - x0||`` (section 3.1, A.1-A.5).

The defaults are the paper's: Adam at 2e-5, batches of 32 with gradients accumulated over 2,
L1 loss, an exponential moving average of the weights with decay 0.995 updated every 10 steps.
Runs checkpoint atomically and resume exactly; under ``torchrun`` they train with
``DistributedDataParallel``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler

import samplers

from . import distributed
from .ema import EMA
from .figures import save_grid
from .objectives import Objective, restore_x0

CHECKPOINT = "checkpoint.pt"
LOG = "log.jsonl"

Preview = Callable[[nn.Module, Tensor], list[tuple[str, Tensor]]]
"""``preview(R, val_images) -> [(title, images), ...]``: extra columns of the sample grids."""


@dataclasses.dataclass
class TrainConfig:
    """Settings of a training run, as plain data (saved in the checkpoint).

    Args:
        steps: optimiser steps to train for (700,000 in the paper; far fewer on a CPU).
        batch_size: images per micro-batch, over all processes.
        accumulate: micro-batches whose gradients add up to one optimiser step.
        lr: Adam's learning rate.
        loss: ``"l1"`` (the paper) or ``"l2"``.
        ema_decay: decay of the weights' moving average.
        ema_every: optimiser steps between updates of the average.
        ema_start: before this step the average is reset to the model (the paper's code).
        seed: seeds the data order, the steps ``t`` and the torch random state.
        checkpoint_every: optimiser steps between checkpoints (one more at the end).
        log_every: optimiser steps between lines of ``log.jsonl``.
        sample_every: optimiser steps between validation grids (0: only at the end).
        num_workers: data-loading processes.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``...
        precision: ``"auto"`` (bf16 autocast where the GPU supports it), ``"bf16"`` or
            ``"fp32"``.
        channels_last: store images and weights channels-last (``"auto"``: yes; 1.09 times
            faster for a training step of the small U-Net on a 2-core CPU, and the usual
            choice on GPUs; see docs/performance.md).
        progress: show a progress bar.
        max_seconds: stop (with a checkpoint) after this much training time, even before
            ``steps``; None for no limit.
    """

    steps: int = 700_000
    batch_size: int = 32
    accumulate: int = 2
    lr: float = 2e-5
    loss: str = "l1"
    ema_decay: float = 0.995
    ema_every: int = 10
    ema_start: int = 2000
    seed: int = 0
    checkpoint_every: int = 1000
    log_every: int = 50
    sample_every: int = 1000
    num_workers: int = 0
    device: str = "auto"
    precision: str = "auto"
    channels_last: bool | str = "auto"
    progress: bool = True
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "accumulate", "ema_every", "checkpoint_every",
                     "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.loss not in ("l1", "l2"):
            raise ValueError(f'loss must be "l1" or "l2", got {self.loss!r}')
        if self.precision not in ("auto", "bf16", "fp32"):
            raise ValueError(f'precision must be "auto", "bf16" or "fp32", got {self.precision!r}')
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number, got {self.lr}")


# Settings that must not change when a run resumes, or it would not continue the same run.
_FIXED_ON_RESUME = ("batch_size", "accumulate", "seed", "loss")


class Trainer:
    """Train ``model`` as a restorer for ``D`` on ``dataset``, writing to ``out_dir``.

    ``out_dir`` receives ``checkpoint.pt`` (model, EMA, optimiser, step and random states,
    written atomically), ``log.jsonl`` (step, loss, learning rate, images per second) and
    ``samples/step-*.png`` grids ``degraded | direct R | TACoS | original`` of fixed validation
    images.

    Args:
        model: the restorer ``R(x, t)``, an ``nn.Module``.
        D: the degradation, any callable ``D(x, t)`` taking a per-image ``(B,)`` step tensor. For
            a random degradation pass one that draws fresh parameters at each call (for a
            ``degrade`` operator, ``D.resampled()``, which draws from torch's random state and
            so resumes exactly).
        dataset: items are ``(C, H, W)`` images in [-1, 1].
        out_dir: the run's folder.
        config: the :class:`TrainConfig`.
        num_steps: ``T``; by default ``D.num_steps``.
        objective: ``objective(R, D, x0, t) -> (prediction, target)``; by default section 3.1.
        val_images: images ``(N, C, H, W)`` for the grids (and a validation loss); optional.
        sample_D: a ``D(x, t)`` with fixed random parameters for the grids' TACoS. By default
            ``D`` itself, or, for a ``degrade`` operator's ``resampled()``, one fixed draw.
        preview: ``preview(R, val_images) -> [(title, images), ...]``, the columns of the
            grids, for models that are not restorers (a noise predictor's samples, say); by
            default ``degraded | direct R | TACoS | original``.
    """

    def __init__(
        self,
        model: nn.Module,
        D: Callable[[Tensor, Tensor], Tensor],
        dataset: Dataset,
        out_dir: str | os.PathLike[str],
        config: TrainConfig | None = None,
        *,
        num_steps: int | None = None,
        objective: Objective = restore_x0,
        val_images: Tensor | None = None,
        sample_D: Callable[[Tensor, Tensor], Tensor] | None = None,
        preview: Preview | None = None,
    ) -> None:
        self.config = config or TrainConfig()
        self.num_steps = num_steps or getattr(D, "num_steps", None)
        if not self.num_steps:
            raise TypeError("D has no num_steps attribute: pass num_steps=T")
        self.D, self.objective, self.out_dir = D, objective, Path(out_dir)
        self.context = distributed.setup(self.config.device)
        if self.config.batch_size % self.context.world_size:
            raise ValueError(f"batch_size {self.config.batch_size} must be divisible by the "
                             f"{self.context.world_size} processes")
        if len(dataset) < self.config.batch_size:
            raise ValueError(f"the data set holds {len(dataset)} images, fewer than one batch "
                             f"of {self.config.batch_size}")
        self.dataset = dataset
        device = self.context.device
        self.bf16 = self.config.precision == "bf16" or (
            self.config.precision == "auto" and device.type == "cuda"
            and torch.cuda.is_bf16_supported())
        self.memory_format = (torch.channels_last if self.config.channels_last in (True, "auto")
                              else torch.contiguous_format)
        self.model = model.to(device, memory_format=self.memory_format)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.config.lr)
        self.ema = EMA(self.model, self.config.ema_decay, self.config.ema_start)
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.step = 0
        self.grid_step: int | None = None
        self.val_images = val_images
        self.sample_D = sample_D or _fixed_draw(D, val_images) or D
        self.preview = preview
        torch.manual_seed(self.config.seed + self.context.rank)

    def train(self, resume: bool = False) -> nn.Module:
        """Train to ``config.steps``; returns the moving-average model.

        Args:
            resume: continue from ``out_dir/checkpoint.pt``. Without it an existing checkpoint
                is refused, so that no run is overwritten by accident.
        """
        checkpoint = self.out_dir / CHECKPOINT
        if checkpoint.exists() and not resume:
            raise FileExistsError(f"{checkpoint} exists: resume it (resume=True, --resume) or "
                                  "choose another folder")
        if resume and checkpoint.exists():
            self._load(checkpoint)
        elif resume and self.context.is_main:
            print(f"no checkpoint in {self.out_dir}: starting a new run", file=sys.stderr)
        if self.context.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        network = self.model
        if self.context.world_size > 1:
            network = DistributedDataParallel(self.model)
        batches = self._batches()
        config, rank = self.config, self.context
        bar = samplers.ProgressBar(config.steps, "train", enabled=config.progress and rank.is_main,
                                   unit="steps")
        bar.count = self.step
        window_loss, window_images, window_start = 0.0, 0, time.perf_counter()
        deadline = time.perf_counter() + (config.max_seconds or math.inf)
        try:
            while self.step < config.steps:
                self.model.train()
                loss = self._optimiser_step(network, batches)
                self.step += 1
                window_loss += loss
                window_images += config.batch_size * config.accumulate
                if rank.is_main and self.step % config.ema_every == 0:
                    self.ema.update(self.model, self.step)
                speed = window_images / max(time.perf_counter() - window_start, 1e-9)
                bar.update(postfix=f"loss {loss:.4f} {speed:.0f} img/s")
                out_of_time = self._past(deadline)
                if self.step % config.log_every == 0 or self.step == config.steps or out_of_time:
                    steps_in_window = window_images // (config.batch_size * config.accumulate)
                    mean_loss = self._mean_over_processes(window_loss / steps_in_window)
                    self._log({"step": self.step, "loss": mean_loss,
                               "lr": self.optimizer.param_groups[0]["lr"],
                               "images_per_second": speed})
                    window_loss, window_images, window_start = 0.0, 0, time.perf_counter()
                if config.sample_every and self.step % config.sample_every == 0:
                    self._sample()
                if self.step % config.checkpoint_every == 0:
                    self._save(checkpoint)
                if out_of_time:
                    break
        except KeyboardInterrupt:
            self._save(checkpoint)
            bar.close()
            raise
        bar.close()
        self._save(checkpoint)
        if self.grid_step != self.step:
            self._sample()
        return self.ema.model

    def _mean_over_processes(self, value: float) -> float:
        """The mean of a number over all processes (each sees its share of the batch)."""
        if not dist.is_initialized():
            return value
        total = torch.tensor(value, dtype=torch.float64, device=self.context.device)
        dist.all_reduce(total)
        return total.item() / self.context.world_size

    def _past(self, deadline: float) -> bool:
        """Whether the time budget is spent; every process stops at the same step."""
        if deadline == math.inf:
            return False
        past = torch.tensor(float(time.perf_counter() >= deadline), device=self.context.device)
        if dist.is_initialized():
            dist.broadcast(past, src=0)
        return bool(past)

    def _optimiser_step(self, network: nn.Module, batches: Iterator[Tensor]) -> float:
        config, context = self.config, self.context
        total = 0.0
        for micro in range(config.accumulate):
            x0 = next(batches).to(context.device, memory_format=self.memory_format,
                                  non_blocking=True)
            t = torch.randint(1, self.num_steps + 1, (config.batch_size,),
                              generator=self.generator)
            t = t[context.rank :: context.world_size].to(context.device)
            last = micro == config.accumulate - 1
            sync = network.no_sync() if isinstance(network, DistributedDataParallel) and not last \
                else contextlib.nullcontext()
            with sync, torch.autocast(context.device.type, dtype=torch.bfloat16,
                                      enabled=self.bf16):
                prediction, target = self.objective(network, self.D, x0, t)
                error = (prediction.float() - target.float())
                loss = (error.abs() if config.loss == "l1" else error.square()).mean()
            (loss / config.accumulate).backward()
            total += loss.item() / config.accumulate
        if not math.isfinite(total):
            raise FloatingPointError(f"the loss became {total} at step {self.step + 1}")
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return total

    def _batches(self) -> Iterator[Tensor]:
        """Micro-batches for this process, from where the run stands (exact on resume).

        Every process draws the same permutation per epoch (``DistributedSampler``) and takes its
        share, so ``N`` processes see together what one process sees with the same batch size.
        """
        context, config = self.context, self.config
        sampler = DistributedSampler(self.dataset, num_replicas=context.world_size,
                                     rank=context.rank, shuffle=True, seed=config.seed,
                                     drop_last=True)
        local = config.batch_size // context.world_size
        per_epoch = len(sampler) // local
        consumed = self.step * config.accumulate
        epoch, offset = divmod(consumed, per_epoch)
        while True:
            sampler.set_epoch(epoch)
            if hasattr(self.dataset, "set_epoch"):
                self.dataset.set_epoch(epoch)
            indices = list(sampler)
            chunks = [indices[k * local:(k + 1) * local] for k in range(offset, per_epoch)]
            loader = DataLoader(self.dataset, batch_sampler=chunks, num_workers=config.num_workers,
                                pin_memory=context.device.type == "cuda",
                                generator=torch.Generator().manual_seed(config.seed + epoch))
            yield from loader
            epoch, offset = epoch + 1, 0

    def _sample(self) -> None:
        """A grid (``degraded | direct R | TACoS | original`` by default) and the validation
        loss, the objective's mean absolute error at steps spread over 1..T."""
        if not self.context.is_main or self.val_images is None:
            return
        self.grid_step = self.step
        x0 = self.val_images.to(self.context.device)
        T, R = self.num_steps, self.ema.model
        with torch.no_grad():
            if self.preview is not None:
                columns = self.preview(R, x0)
            else:
                x_T = self.sample_D(x0, torch.full((len(x0),), T, device=x0.device))
                columns = [("degraded", x_T), ("direct R", samplers.direct(R, x_T, T)),
                           ("TACoS", samplers.tacos(R, self.sample_D, x_T, T)), ("original", x0)]
            t = torch.linspace(1, T, len(x0), device=x0.device).round().long()
            prediction, target = self.objective(R, self.sample_D, x0, t)
            val_loss = (prediction - target).abs().mean().item()
        path = self.out_dir / "samples" / f"step-{self.step:07d}.png"
        save_grid(columns, path)
        self._log({"step": self.step, "val_l1": val_loss, "grid": str(path)})

    def _log(self, record: dict) -> None:
        if not self.context.is_main:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with open(self.out_dir / LOG, "a") as file:
            file.write(json.dumps(record) + "\n")

    def _save(self, path: Path) -> None:
        """Write the checkpoint atomically: to a temporary file, then renamed over the old one."""
        if not self.context.is_main:
            if dist.is_initialized():
                dist.barrier()
            return
        state = {
            "step": self.step,
            "model": self.model.state_dict(),
            "ema": self.ema.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "config": dataclasses.asdict(self.config),
            "num_steps": self.num_steps,
            "model_config": _model_config(self.model),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        torch.save(state, temporary)
        os.replace(temporary, path)
        if dist.is_initialized():
            dist.barrier()

    def _load(self, path: Path) -> None:
        state = torch.load(path, map_location=self.context.device, weights_only=True)
        for name in _FIXED_ON_RESUME:
            if state["config"][name] != getattr(self.config, name):
                raise ValueError(f"{path} was trained with {name} = {state['config'][name]!r}, "
                                 f"not {getattr(self.config, name)!r}: resume with the same "
                                 "setting or start a new run")
        self.model.load_state_dict(state["model"])
        self.ema.model.load_state_dict(state["ema"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"].cpu())
        torch.set_rng_state(state["torch_rng"].cpu())
        if state["cuda_rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda_rng"]])
        self.step = state["step"]


def load_model(path: str | os.PathLike[str], model: nn.Module | None = None,
               which: str = "ema") -> nn.Module:
    """The trained restorer of a checkpoint, in eval mode: the moving average by default.

    Builds a :class:`restore.UNet` from the configuration saved in the checkpoint unless a
    ``model`` of the right shape is given.
    """
    if which not in ("ema", "model"):
        raise ValueError(f'which must be "ema" or "model", got {which!r}')
    state = torch.load(path, map_location="cpu", weights_only=True)
    if model is None:
        from .unet import UNet, UNetConfig

        if not state.get("model_config"):
            raise ValueError(f"{path} holds no U-Net configuration: pass the model to load into")
        model = UNet(UNetConfig(**state["model_config"]))
    model.load_state_dict(state[which])
    return model.eval()


def _model_config(model: nn.Module) -> dict | None:
    config = getattr(model, "config", None)
    if dataclasses.is_dataclass(config):
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(config).items()}
    return None


def _fixed_draw(D: object, images: Tensor | None):
    """For a degrade operator's ``resampled()``, bind one draw of parameters for the grids."""
    operator = getattr(D, "D", None)
    if images is None or not hasattr(operator, "sample_params"):
        return None
    params = operator.sample_params(images, generator=torch.Generator().manual_seed(0))
    return operator.bind(**params)
