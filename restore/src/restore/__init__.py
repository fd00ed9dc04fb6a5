"""restore: restoration networks ``R(x, t)`` and their training for any degradation ``D(x, t)``.

``restore`` needs no more of a degradation than a callable ``D(x, t)`` that accepts a per-image
step tensor; it does not import ``degrade``.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from . import data, degradations, previews
from .checkpoint import load_model
from .config import DataConfig, DegradationSpec, NetworkConfig, RunConfig, TrainConfig
from .data import PairedImages
from .degradations import register as register_degradation
from .ema import EMA
from .objectives import predict_noise, predict_previous, restore_x0, restore_x0_on_walk
from .trainer import Trainer
from .unet import PRESETS, UNet, UNetConfig

try:  # the release's one version, written in the repository's pyproject.toml
    __version__ = _version("colddiff-restore")
except PackageNotFoundError:  # the development install is one project, colddiff
    __version__ = _version("colddiff")

__all__ = ["EMA", "PRESETS", "DataConfig", "DegradationSpec", "NetworkConfig", "PairedImages",
           "RunConfig", "TrainConfig", "Trainer", "UNet", "UNetConfig", "data", "degradations",
           "load_model", "predict_noise", "predict_previous", "previews",
           "register_degradation", "restore_x0", "restore_x0_on_walk"]
