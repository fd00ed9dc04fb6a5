"""Deprecated name of :mod:`zoo.diffusers_scheduler` (a diffusers scheduler, not one of the
named schedules of :mod:`zoo.schedules`); it goes in colddiff 0.3."""

import warnings

from .diffusers_scheduler import UPDATES, ColdDiffusionScheduler, pipeline_parts

__all__ = ["UPDATES", "ColdDiffusionScheduler", "pipeline_parts"]

warnings.warn("zoo.schedulers is deprecated: import zoo.diffusers_scheduler", DeprecationWarning,
              stacklevel=2)
