"""restore: restoration networks ``R(x, t)`` and their training for any degradation ``D(x, t)``.

``restore`` needs no more of a degradation than a callable ``D(x, t)`` that accepts a per-image
step tensor; it does not import ``degrade``.
"""

from . import data, degradations, previews
from .checkpoint import load_model
from .config import DataConfig, DegradationSpec, NetworkConfig, RunConfig, TrainConfig
from .degradations import register as register_degradation
from .ema import EMA
from .objectives import predict_noise, predict_previous, restore_x0, restore_x0_on_walk
from .trainer import Trainer
from .unet import PRESETS, UNet, UNetConfig

__version__ = "0.1.0"

__all__ = ["EMA", "PRESETS", "DataConfig", "DegradationSpec", "NetworkConfig", "RunConfig",
           "TrainConfig", "Trainer", "UNet", "UNetConfig", "data", "degradations", "load_model",
           "predict_noise", "predict_previous", "previews", "register_degradation",
           "restore_x0", "restore_x0_on_walk"]
