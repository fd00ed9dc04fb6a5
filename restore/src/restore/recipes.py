"""Training recipes by name (:data:`RECIPES`) and how they change a :class:`RunConfig`."""

from __future__ import annotations

from typing import Any

from .config import RunConfig

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

    Examples:
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

    Examples:
        >>> with_changes(RunConfig(), {"walk_share": 1.0, "train": {"steps": 7}}).train.steps
        7
    """
    values = config.to_dict()
    for key, change in changes.items():
        values[key] = {**values[key], **change} if isinstance(change, dict) else change
    return RunConfig.from_dict(values)
