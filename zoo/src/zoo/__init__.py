"""zoo: the paper's schedules by name, pretrained restorers, their evaluation and ``colddiff``.

* :func:`schedule` / :func:`list_schedules`: ready ``degrade`` operators with the paper's settings
  (data in ``data/schedules.json``);
* :func:`load` / :func:`list_models`: pretrained models with their degradation and card, from
  verified safetensors files inside the package, each of its kind (:class:`Restorer`,
  :class:`Generator`, :class:`WarmGenerator`, :class:`DiffusionModel`, :mod:`zoo.kinds`);
  :func:`from_checkpoint`: the same for a training run of your own, :func:`run_config_of`: a
  model's training run;
* :func:`evaluate`: the paper's tables (FID in a named feature space, SSIM, RMSE, PSNR);
* :func:`sample_images`: the test images the package ships;
* :mod:`zoo.metrics`, :mod:`zoo.features`: the metrics and the pluggable feature extractors.
"""

from .evaluate import Evaluation, evaluate
from .files import WeightsError
from .kinds import DiffusionModel, Generator, Pretrained, Restorer, WarmGenerator
from .pretrained import from_checkpoint, load, run_config_of
from .registry import list_models
from .samples import sample_images
from .schedules import Schedule, get_schedule, list_schedules, schedule

__version__ = "0.1.0"

__all__ = [
    "DiffusionModel",
    "Evaluation",
    "Generator",
    "Pretrained",
    "Restorer",
    "Schedule",
    "WarmGenerator",
    "WeightsError",
    "evaluate",
    "from_checkpoint",
    "get_schedule",
    "list_models",
    "list_schedules",
    "load",
    "run_config_of",
    "sample_images",
    "schedule",
]
