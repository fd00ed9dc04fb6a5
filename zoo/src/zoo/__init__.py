"""zoo: the paper's schedules by name, pretrained restorers, their evaluation and ``colddiff``.

* :func:`schedule` / :func:`list_schedules`: ready ``degrade`` operators with the paper's settings
  (data in ``data/schedules.json``);
* :func:`load` (alias :func:`from_pretrained`) / :func:`list_models`: models of the one folder
  format (:mod:`zoo.folders`), from a zoo name, a model folder, a run folder, a checkpoint or
  a Hub repository, each of its kind (:class:`Restorer`, :class:`Generator`,
  :class:`WarmGenerator`, :class:`SoftGenerator`, :class:`DiffusionModel`, :mod:`zoo.kinds`),
  every file checked;
  ``model.save_pretrained(folder)`` writes one; :func:`from_checkpoint`: a training run of
  your own; :func:`run_config_of`: a model's training run;
* :func:`evaluate`: the paper's tables (FID in a named feature space, SSIM, RMSE, PSNR);
* :func:`sample_images`: the test images the package ships;
* :mod:`zoo.metrics`, :mod:`zoo.features`: the metrics and the pluggable feature extractors.
"""

import warnings
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from typing import Any

from .evaluate import Evaluation, evaluate
from .files import WeightsError
from .kinds import (
    DiffusionModel,
    Generator,
    Pretrained,
    Restorer,
    SoftGenerator,
    WarmGenerator,
)
from .pretrained import from_checkpoint, from_pretrained, load, run_config_of
from .registry import list_models
from .samples import sample_images
from .schedules import NamedSchedule, list_schedules, named_schedule, schedule

try:  # the release's one version, written in the repository's pyproject.toml
    __version__ = _version("colddiff-zoo")
except PackageNotFoundError:  # the development install is one project, colddiff
    __version__ = _version("colddiff")

_DEPRECATED = {"Schedule": "NamedSchedule", "get_schedule": "named_schedule"}
"""Former names, kept for one release: a named schedule's record is a NamedSchedule, and a
schedule (an operator ``D(x, t)``, as ``degrade``'s ``*Schedule`` classes) is what
:func:`schedule` returns."""


def __getattr__(name: str) -> Any:
    if name in _DEPRECATED:
        new = _DEPRECATED[name]
        warnings.warn(f"zoo.{name} is deprecated: use zoo.{new} (a schedule is an operator; "
                      "its named record is a NamedSchedule); it goes in colddiff 0.3",
                      DeprecationWarning, stacklevel=2)
        return globals()[new]
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")

__all__ = [
    "DiffusionModel",
    "Evaluation",
    "Generator",
    "NamedSchedule",
    "Pretrained",
    "Restorer",
    "SoftGenerator",
    "WarmGenerator",
    "WeightsError",
    "evaluate",
    "from_checkpoint",
    "from_pretrained",
    "list_models",
    "list_schedules",
    "load",
    "named_schedule",
    "run_config_of",
    "sample_images",
    "schedule",
]
