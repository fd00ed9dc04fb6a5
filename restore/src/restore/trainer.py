"""Training a restorer ``R`` to minimise ``||R(D(x0, t), t) - x0||``: the loop.

Section 3.1 and appendix A of Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image
Transforms Without Noise" (arXiv:2208.09392); the settings are a :class:`restore.TrainConfig`.
Runs checkpoint atomically (:mod:`restore.checkpoint`) and resume exactly; under ``torchrun``
they train with ``DistributedDataParallel``. The grids they draw are :mod:`restore.previews`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler

import samplers

from . import checkpoint, compiling, distributed, precision, previews, runlog
from .carried import Carrying, split_batch, to_device
from .config import TrainConfig
from .ema import EMA
from .errors import worded
from .figures import save_grid
from .objectives import ObjectiveFn, restore_x0
from .signals import Interrupted, StopSignals

LOG = "log.jsonl"
CONFIG = "config.json"

# Settings that must not change when a run resumes, or it would not continue the same run.
class Trainer:
    """Train ``model`` as a restorer for ``D`` on ``dataset``, writing to ``out_dir``.

    ``out_dir`` receives ``checkpoint.pt`` (see :mod:`restore.checkpoint`), ``log.jsonl``
    (step, loss, learning rate, images per second, validation loss) and ``samples/step-*.png``
    grids of fixed validation images (``degraded | direct R | TACoS | original`` by default).

    Args:
        model: the restorer ``R(x, t)``, an ``nn.Module``.
        D: the degradation, any callable ``D(x, t)`` taking a per-image ``(B,)`` step tensor.
            One with random parameters draws fresh ones at every call (a ``degrade``
            operator's ``resampled()``, which draws from torch's random state and so resumes
            exactly).
        dataset: items are ``(C, H, W)`` images in [-1, 1], or pairs ``(image, {name:
            tensor})`` whose tensors are parameters of ``D`` that the data carries (paired
            data, :class:`restore.data.PairedImages`: ``D(x0, t, y=observed)``).
        out_dir: the run's folder.
        config: the :class:`restore.TrainConfig`.
        num_steps: ``T``; by default ``D.num_steps``.
        objective: ``objective(R, D, x0, t) -> (prediction, target)``; by default section 3.1.
        val_images: images ``(N, C, H, W)`` for the grids (and a validation loss); optional.
        sample_D: the ``D(x, t)`` of the grids and the validation loss, with its random
            parameters fixed (``operator.draw(val_images)``); ``D`` itself by default.
        preview: the columns of the grids (:mod:`restore.previews`); by default
            :func:`restore.previews.restoration` of ``sample_D``.
        run: the whole run's description (``RunConfig.to_dict()``), stored in the checkpoint
            and written to ``out_dir/config.json``.
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
        objective: ObjectiveFn = restore_x0,
        val_images: Tensor | None = None,
        sample_D: Callable[[Tensor, Tensor], Tensor] | None = None,
        preview: previews.Preview | None = None,
        run: dict[str, Any] | None = None,
    ) -> None:
        self.config = config or TrainConfig()
        self.num_steps = num_steps or getattr(D, "num_steps", None)
        if not self.num_steps:
            raise TypeError("D has no num_steps attribute: pass num_steps=T")
        self.D, self.objective, self.out_dir, self.run = D, objective, Path(out_dir), run
        self.context = distributed.setup(self.config.device)
        if self.config.batch_size % self.context.world_size:
            raise ValueError(f"batch_size {self.config.batch_size} must be divisible by the "
                             f"{self.context.world_size} processes")
        if len(dataset) < self.config.batch_size:
            raise ValueError(f"the data set holds {len(dataset)} images, fewer than one batch "
                             f"of {self.config.batch_size}")
        self.dataset = dataset
        device = self.context.device
        self.numerics = precision.for_training(self.config.precision,
                                               self.config.channels_last, device)
        self.autocast_dtype = self.numerics.dtype
        # fp16 needs its gradients scaled, or small ones underflow to zero (bf16 does not).
        self.scaler = torch.amp.GradScaler(device.type,
                                           enabled=self.autocast_dtype == torch.float16)
        self.memory_format = self.numerics.memory_format
        self.model = model.to(device, memory_format=self.memory_format)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.config.lr)
        self.ema = EMA(self.model, self.config.ema_decay, self.config.ema_start)
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.step, self._changes = 0, {}
        self._ddp: DistributedDataParallel | None = None
        self._network: Callable[..., Tensor] | None = None
        self.grid_step: int | None = None
        self.val_images = val_images
        self.sample_D = sample_D or D
        self.preview = preview or previews.restoration(self.sample_D, self.num_steps)
        torch.manual_seed(self.config.seed + self.context.rank)

    def train(self, resume: bool = False) -> nn.Module:
        """Train to ``config.steps``; returns the moving-average model.

        SIGINT (Ctrl-C) and SIGTERM stop the run after the step under way, with a checkpoint
        from which it resumes exactly, and raise :class:`restore.signals.Interrupted` (a
        ``KeyboardInterrupt``); under torchrun every process stops at the same step.

        Args:
            resume: continue from ``out_dir/checkpoint.pt``. Without it an existing checkpoint
                is refused, so that no run is overwritten by accident.
        """
        path = self.out_dir / checkpoint.CHECKPOINT
        if path.exists() and not resume:
            raise worded(FileExistsError, f"{path} exists: resume it ({{}}) or choose another "
                         "folder", "resume=True", "--resume")
        if resume and path.exists():
            self._load(path)
        elif resume and self.context.is_main:
            print(f"no checkpoint in {self.out_dir}: starting a new run")
        if self.context.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            runlog.trim(self.out_dir / LOG, self.step if path.exists() else None)
            if self.run is not None:
                (self.out_dir / CONFIG).write_text(json.dumps(self.run, indent=2) + "\n")
        if self.step >= self.config.steps:
            if self.context.is_main:
                print(f"{self.out_dir} is already trained to step {self.step} of "
                      f"{self.config.steps}: nothing to do (--steps N continues it)")
            return self.ema.model
        self._ddp = DistributedDataParallel(self.model) if self.context.world_size > 1 \
            else None
        self._network, compiled = compiling.compile_network(
            self._ddp or self.model, self.context.device, self.config.compile)
        self._log({"step": self.step, **self.numerics.record(), "compile": compiled,
                   "hardware": distributed.describe(self.context),
                   **({"changed": self._changes} if self._changes else {})})
        try:
            self._loop(path)
        finally:
            # The wrapper holds the process group: dropped here, teardown's
            # destroy_process_group closes the group while Python runs; kept, the group would
            # close at interpreter exit, when gloo's threads can no longer take the GIL (abort).
            self._network = self._ddp = None
        self._save(path)
        if self.grid_step != self.step:
            self._sample()
        return self.ema.model

    def _loop(self, path: Path) -> None:
        """The optimiser steps from ``self.step`` to ``config.steps``, with the log, previews
        and checkpoints; a stop signal raises :class:`Interrupted` after a checkpoint."""
        batches, config = self._batches(), self.config
        bar = samplers.ProgressBar(config.steps, "train", unit="steps",
                                   enabled=config.progress and self.context.is_main)
        bar.count = self.step
        window = runlog.Window(config.batch_size * config.accumulate)
        deadline = time.perf_counter() + (config.max_seconds or math.inf)
        with StopSignals() as stop, bar:
            while self.step < config.steps:
                self.model.train()
                loss = self._optimiser_step(batches)
                self.step += 1
                window.add(loss)
                if self.context.is_main and self.step % config.ema_every == 0:
                    self.ema.update(self.model, self.step)
                bar.update(postfix=f"loss {loss:.4f} {window.speed():.0f} img/s")
                out_of_time = distributed.all_past(deadline, self.context)
                signum = distributed.any_signal(stop.signum, self.context)
                if (self.step % config.log_every == 0 or self.step == config.steps or out_of_time
                        or signum):
                    self._log({"step": self.step, **window.close(self.context),
                               "lr": self.optimizer.param_groups[0]["lr"]})
                if config.sample_every and self.step % config.sample_every == 0:
                    self._sample()
                if self.step % config.checkpoint_every == 0 or signum:
                    self._save(path)
                if signum:
                    raise Interrupted(signum)
                if out_of_time:
                    if self.context.is_main:
                        print(f"\nstopped after --max-seconds {config.max_seconds} at step "
                              f"{self.step} of {config.steps}; --resume continues the run")
                    break

    def seconds_per_step(self, steps: int = 10, warmup: int = 3) -> float:
        """The mean wall time of ``steps`` optimiser steps after ``warmup`` of them, on one
        process and without compilation: a probe for sizing a run to a time budget.

        The probe trains: its steps change the model and optimiser, so time a throw-away
        trainer (another ``out`` folder), not the one that will train.
        """
        if steps < 1 or warmup < 0:
            raise ValueError(f"steps must be at least 1 and warmup at least 0, not {steps} "
                             f"and {warmup}")
        batches, self._network = self._batches(), self.model
        self.model.train()
        try:
            for _ in range(warmup):
                self._optimiser_step(batches)
            _synchronize(self.context.device)
            start = time.perf_counter()
            for _ in range(steps):
                self._optimiser_step(batches)
            _synchronize(self.context.device)
            return (time.perf_counter() - start) / steps
        finally:
            self._network = None

    def _optimiser_step(self, batches: Iterator[Tensor]) -> float:
        """One step of Adam on ``accumulate`` micro-batches, at steps ``t`` uniform in 1..T
        (a ``final_share`` of each at ``T``)."""
        config, context = self.config, self.context
        total = 0.0
        for micro in range(config.accumulate):
            x0, carried = split_batch(next(batches))
            x0 = x0.to(context.device, memory_format=self.memory_format, non_blocking=True)
            D = Carrying(self.D, to_device(carried, context.device)) if carried else self.D
            t = torch.randint(1, self.num_steps + 1, (config.batch_size,),
                              generator=self.generator)
            t[:round(config.final_share * config.batch_size)] = self.num_steps
            t = t[context.rank :: context.world_size].to(context.device)
            last = micro == config.accumulate - 1
            sync = self._ddp.no_sync() if self._ddp is not None and not last \
                else contextlib.nullcontext()
            with sync, self.numerics.autocast(context.device):
                prediction, target = self.objective(self._network, D, x0, t)
                error = (prediction.float() - target.float())
                loss = (error.abs() if config.loss == "l1" else error.square()).mean()
            self.scaler.scale(loss / config.accumulate).backward()
            total += loss.item() / config.accumulate
        if not math.isfinite(total):
            raise FloatingPointError(f"the loss became {total} at step {self.step + 1}")
        for group in self.optimizer.param_groups:
            group["lr"] = config.learning_rate(self.step)
        self.scaler.step(self.optimizer)
        self.scaler.update()
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
        epoch, offset = divmod(self.step * config.accumulate, per_epoch)
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
        """A grid of :attr:`preview`'s columns and the validation loss: the objective's mean
        absolute error at steps spread over 1..T."""
        if not self.context.is_main or self.val_images is None:
            return
        self.grid_step = self.step
        x0 = self.val_images.to(self.context.device)
        R = self.ema.model
        with torch.no_grad():
            columns = self.preview(R, x0)
            t = torch.linspace(1, self.num_steps, len(x0), device=x0.device).round().long()
            prediction, target = self.objective(R, self.sample_D, x0, t)
            val_loss = (prediction - target).abs().mean().item()
        path = self.out_dir / "samples" / f"step-{self.step:07d}.png"
        save_grid(columns, path)
        self._log({"step": self.step, "val_l1": val_loss,
                   "grid": str(path.relative_to(self.out_dir))})

    def _log(self, record: dict) -> None:
        if not self.context.is_main:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with open(self.out_dir / LOG, "a") as file:
            file.write(json.dumps(record) + "\n")

    def _save(self, path: Path) -> None:
        """The checkpoint, written by the main process while the others wait."""
        if self.context.is_main:
            shape = list(self.val_images.shape[1:]) if self.val_images is not None else None
            checkpoint.save(checkpoint.compose(
                step=self.step, model=self.model.state_dict(), ema=self.ema.model.state_dict(),
                optimizer=self.optimizer.state_dict(), scaler=self.scaler.state_dict(),
                generator=self.generator.get_state(), train=dataclasses.asdict(self.config),
                num_steps=self.num_steps, model_config=checkpoint.model_config(self.model),
                image_shape=shape, run=self.run, hardware=distributed.describe(self.context)),
                path)
        if dist.is_initialized():
            dist.barrier()

    def _load(self, path: Path) -> None:
        state = checkpoint.read(path, map_location=self.context.device)
        self._changes = checkpoint.resume_changes(path, state, dataclasses.asdict(self.config),
                                                  self.run)
        checkpoint.load_weights(self.model, state["model"], path)
        checkpoint.load_weights(self.ema.model, state["ema"], path)
        try:
            self.optimizer.load_state_dict(state["optimizer"])
            checkpoint.check_optimizer(self.optimizer)
        except (ValueError, KeyError, RuntimeError, TypeError) as error:
            raise checkpoint.CheckpointError(f"{path} holds an optimiser state of another "
                                             f"network ({str(error)[:120]})") from error
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.generator.set_state(state["generator"].cpu())
        torch.set_rng_state(state["torch_rng"].cpu())
        if state["cuda_rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda_rng"]])
        self.step = state["step"]


def _synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so that a clock reads the time it took."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
