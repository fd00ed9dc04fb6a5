"""Carry out a :class:`restore.RunConfig`: data, network, degradation, objective, trainer.

:func:`train` is what ``python -m restore.train`` and ``colddiff train`` call; from Python,
``restore.run.train(RunConfig.load("runs/x/config.json"), resume=True)`` does the same.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import default_collate

from . import checkpoint, data, lock, memory, objectives
from .carried import split_batch
from .config import RunConfig
from .errors import for_command_line
from .protocols import check_random
from .signals import Interrupted
from .trainer import Trainer
from .unet import UNet


def training_pair(operator: Any, val_images: Tensor, supplied: tuple[str, ...] = (),
                  carried: dict[str, Tensor] | None = None) -> tuple[Callable, Callable]:
    """The ``D`` a trainer trains on and the ``D`` of its grids, from a built degradation.

    An operator with random parameters (``param_names``, as ``degrade``'s: a
    :class:`restore.protocols.RandomDegradation`) other than those the
    objective ``supplied`` itself (the ``noise`` of :func:`predict_noise`) and those the data
    ``carried`` (the observations ``y`` of paired data, :class:`restore.data.PairedImages`)
    trains on fresh draws at every call (``resampled()``, appendix A.5 of cold diffusion:
    "resampled for each individual training batch"), the carried ones taken from each batch,
    and draws its grids with one fixed draw for ``val_images`` and their ``carried``
    parameters (``draw(val_images, given=carried)``); any other callable is both.
    """
    carried = carried or {}
    if set(getattr(operator, "param_names", ())) <= set(supplied):
        return operator, operator
    random = check_random(operator)
    return random.resampled(), random.draw(val_images, generator=torch.Generator().manual_seed(0),
                                           **({"given": carried} if carried else {}))


def _inside(out: str, folder: str) -> bool:
    """Whether the run's folder ``out`` is ``folder`` or inside it."""
    folder_path = Path(folder).resolve()
    return folder_path == Path(out).resolve() or folder_path in Path(out).resolve().parents


def _check_takes_observations(operator: Any) -> None:
    """Paired data hands ``D`` the observations as its parameter ``y``: ``D`` must take it."""
    if "y" not in getattr(operator, "param_names", ()):
        raise ValueError("--data-observed hands D the observations as its parameter y, and "
                         f"{type(operator).__name__} takes no y: train on the path toward them, "
                         "--degradation degrade:DirectIteration --degradation-arg endpoint=null "
                         "--degradation-arg num_steps=100 (InDI)")


def build(config: RunConfig, *, resume: bool = False) -> Trainer:
    """The :class:`Trainer` that ``config`` describes, ready to :meth:`Trainer.train`. A run
    that will ``resume`` from a checkpoint in its folder takes its weights from there, so
    ``config.init`` is not read: a fine-tune resumes after its starting weights are gone."""
    if config.out is None or not str(config.out).strip():
        raise ValueError("the run has no folder: give --out")
    resuming = resume and (Path(config.out) / checkpoint.CHECKPOINT).exists()
    initial = checkpoint.initial_weights(config.init) if config.init and not resuming else None
    operator = config.degradation.build()
    source = config.data
    if (source.name is None) == (source.folder is None):
        raise ValueError("give exactly one of --data and --data-folder")
    if source.name:
        dataset = data.load(source.name, "train", source.data_dir, size=source.image_size)
    else:
        for folder, flag in ((source.folder, "--data-folder"),
                             (source.observed, "--data-observed")):
            if folder is not None and _inside(config.out, folder):
                raise ValueError(f"--out {config.out} is inside {flag} {folder}: the run's own "
                                 "grids would join its training images; write elsewhere")
        if source.observed is not None:
            _check_takes_observations(operator)
            dataset = data.PairedImages.from_folders(source.folder, source.observed,
                                                     size=source.image_size,
                                                     channels=source.channels)
        else:
            dataset = data.ImageFolder(source.folder, size=source.image_size,
                                       channels=source.channels)
    channels, height, width = dataset.shape
    memory.check_training(config.network.preset, channels, config.network.width,
                          max(height, width), config.train.batch_size)
    seed = config.train.seed
    if len(dataset) < 2:
        raise ValueError(f"the data set holds {len(dataset)} image(s): training needs at least "
                         "2, one of them held out for validation")
    val_count = data.held_out(source.val_count, len(dataset))
    train_set, val_set = data.split_validation(dataset, val_count, seed=seed)
    if source.hflip:
        train_set = data.HorizontalFlips(train_set, seed=seed)
    val_images, val_carried = split_batch(
        default_collate([val_set[i] for i in range(min(8, len(val_set)))]))
    objective = objectives.get(config.objective)
    D, sample_D = training_pair(operator, val_images, objective.draws, val_carried)
    torch.manual_seed(seed)  # the initial weights too are the seed's
    width = {"channels": config.network.width} if config.network.width else {}
    model = UNet.preset(config.network.preset, in_channels=dataset.shape[0], **width)
    if initial is not None:
        checkpoint.load_weights(model, initial, config.init)
    return Trainer(model, D, train_set, config.out, config.train, val_images=val_images,
                   sample_D=sample_D, objective=objective.bound(walk_share=config.walk_share),
                   preview=objective.preview(operator),
                   run=config.to_dict())


def train(config: RunConfig, *, resume: bool = False) -> nn.Module:
    """Train as ``config`` says (the trainer writes it to the run's folder as
    ``config.json``), holding the folder's lock (:mod:`restore.lock`: a second run into the
    same folder is refused); returns the moving-average network."""
    trainer = build(config, resume=resume)
    if trainer.context.is_main:
        model = trainer.model
        print(f"training a {config.network.preset} U-Net of width {model.config.channels} "
              f"({model.num_parameters():,} "
              f"parameters) on {len(trainer.dataset):,} images of "
              f"{tuple(trainer.val_images.shape[1:])}, T = {trainer.num_steps}, on "
              f"{trainer.context.device} x {trainer.context.world_size}; writing to "
              f"{config.out}")
        if config.init and not resume:
            print(f"starting from the weights of {config.init}")
        print(f"computing in {trainer.numerics.precision}, "
              f"{'channels-last' if trainer.numerics.channels_last else 'contiguous'} "
              f"({trainer.numerics.reason})")
    one_run = lock.held(config.out) if trainer.context.is_main else contextlib.nullcontext()
    with one_run:
        return trainer.train(resume=resume)


def main(config: RunConfig, *, resume: bool = False, prog: str = "train") -> int:
    """:func:`train` for a command line: an exit code, errors as one line."""
    try:
        train(config, resume=resume)
    except (ValueError, TypeError, OSError) as error:
        print(f"{prog}: error: {for_command_line(error)}", file=sys.stderr)
        return 2
    except FloatingPointError as error:
        print(f"{prog}: error: {error}: training diverged (lower --lr?); the last checkpoint "
              f"in {config.out} was written before it", file=sys.stderr)
        return 2
    except Interrupted as stop:
        print(f"\n{prog}: stopped by {stop}; the checkpoint in {config.out} resumes with "
              "--resume", file=sys.stderr)
        return 128 + stop.signum
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted; the last checkpoint in {config.out} resumes with "
              "--resume", file=sys.stderr)
        return 130
    finally:
        from .distributed import teardown

        teardown()
    return 0
