"""Memory estimates made before allocating: work that cannot fit in the memory free now is
refused in one line instead of ending in the kernel's out-of-memory killer or a
``MemoryError`` traceback halfway through."""

from __future__ import annotations

import os

import torch

from .unet import UNet

ACTIVATIONS_PER_IMAGE = 24
"""Feature maps of the U-Net's full width and resolution kept per training image for the
backward pass (the stages at lower resolutions and the skips add up to about this many)."""

STATE_PER_PARAMETER = 5 * 4
"""Bytes of training state per parameter: float32 weights, gradients, Adam's two moments and
the moving average."""


def available() -> int:
    """Bytes of memory free now (the machine's total where that is not known)."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not on Linux
        return 1 << 40


def check(need: float, what: str, advice: str = "ask for fewer or smaller images") -> None:
    """Refuse ``what``, which needs ``need`` bytes, if that is more than is free now."""
    free = available()
    if need > free:
        raise ValueError(f"{what} needs about {need / 2**30:,.1f} GiB and {free / 2**30:.1f} GiB "
                         f"is free: {advice}")


def network_size(preset: str, in_channels: int, width: int | None) -> tuple[int, int]:
    """``(parameters, base channels)`` of a U-Net, counted without allocating its weights
    (it is built on PyTorch's ``meta`` device)."""
    overrides = {"channels": width} if width else {}
    with torch.device("meta"):
        network = UNet.preset(preset, in_channels=in_channels, **overrides)
    return network.num_parameters(), network.config.channels


def check_training(preset: str, in_channels: int, width: int | None, image_size: int,
                   batch_size: int) -> None:
    """Refuse a training run whose network state and activations cannot fit: the state of
    every parameter (:data:`STATE_PER_PARAMETER`) and, per image of a batch,
    :data:`ACTIVATIONS_PER_IMAGE` float32 maps of the base width at full resolution."""
    parameters, channels = network_size(preset, in_channels, width)
    activations = batch_size * ACTIVATIONS_PER_IMAGE * channels * image_size ** 2 * 4
    check(parameters * STATE_PER_PARAMETER + activations,
          f"training a U-Net of {parameters:,} parameters on batches of {batch_size} images of "
          f"{image_size} px", "choose a smaller --width, --image-size or --batch")
