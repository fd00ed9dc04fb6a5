"""The paper's degradation schedules by name, as data (``data/schedules.json``).

Each :class:`NamedSchedule` names a ``degrade`` operator, the constructor that builds it and its
arguments, the data set it was made for and where the paper (or its code) gives the values.
Where the paper's text and its code disagree, the schedule follows the text and records the
difference; ``variant="code"`` (or the variant named there) gives the other value. The inpainting
schedules are the exception: they follow the code, whose masks reproduce the paper's Degraded
column, and ``variant="text"`` gives the text's reading. A variant changes some arguments, or
names another ``constructor`` with all of its own.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from importlib import resources
from typing import Any

from restore.config import DataConfig, DegradationSpec, RunConfig, TrainConfig
from restore.objectives import OBJECTIVES
from restore.recipes import with_changes, with_recipe
from torch import Tensor

import degrade
from restore import degradations

from .registry import did_you_mean


@dataclasses.dataclass(frozen=True)
class NamedSchedule:
    """One named schedule: which operator, built how, for which data.

    The fields round-trip through JSON (:meth:`to_json`, :meth:`from_json`); :meth:`build`
    makes the operator.
    """

    name: str
    task: str
    dataset: str
    image_size: int
    channels: int
    T: int
    operator: str
    constructor: str | None
    arguments: dict[str, Any]
    source: str
    description: str
    differences: str
    variants: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    objective: str | None = None
    """What a network for this schedule learns (:data:`restore.objectives.OBJECTIVES`); by default
    ``noise`` for a diffusion task and ``x0`` otherwise."""
    prior: dict[str, Any] | None = None
    """Generation schedules whose ``x_T`` is not the channel means (section 5.3): the
    :class:`samplers.Prior` that draws it, ``{"class": "DownsampledPrior", "arguments": {...},
    "fit_on": "training"}``, ``fit_on`` being the training images or a data reference
    (``{"images": "afhq", "split": "test"}``). None: the channel means (5.2), or the low
    frequencies for a warm objective (:func:`zoo.export.fit_prior`)."""
    recipes: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    """What a recipe of :data:`restore.recipes.RECIPES` changes beyond its own settings for this
    schedule's runs, by recipe name: :class:`restore.RunConfig` fields (``objective``,
    ``walk_share``) or sections (``{"train": {...}}``). The inpainting schedules' ``cpu`` recipe
    trains on TACoS's own walk (``x0-walk`` at share 1, docs/restore.md)."""

    def build(self, variant: str | None = None, **overrides: Any) -> degrade.Degradation:
        """The ``degrade`` operator, with a variant's values and then ``overrides`` applied."""
        if variant is not None and variant not in self.variants:
            known = ", ".join(sorted(self.variants)) or "none"
            raise ValueError(f"schedule {self.name!r} has no variant {variant!r} (variants: "
                             f"{known})")
        changes = dict(self.variants[variant]) if variant else {}
        constructor = changes.pop("constructor", self.constructor)
        base = self.arguments if constructor == self.constructor else {}
        arguments = {**base, **changes, **overrides}
        arguments = {k: tuple(v) if isinstance(v, list) else
                     reference_images(v, self.image_size) if is_reference(v) else
                     _referenced_schedule(v, self.name) if is_schedule_reference(v) else
                     degradations.build(v["factory"], v.get("arguments", {}))
                     if degradations.is_nested(v) else v
                     for k, v in arguments.items()}
        kind = getattr(degrade, self.operator)
        make = getattr(kind, constructor) if constructor else kind
        return make(**arguments)

    def run_config(self, variant: str | None = None, *, recipe: str = "paper",
                   **overrides: Any) -> RunConfig:
        """A training run on this schedule: its data set at its size, the degradation
        ``zoo:schedule`` with this name, ``variant`` and ``overrides``, and the objective of
        schedule (:attr:`objective`: ``noise`` with L2 for blur diffusion, ``previous`` with L2
        for warm heat dissipation, ``x0`` with L1 otherwise); the
        optimisation of ``recipe`` (:data:`restore.recipes.RECIPES`: ``"paper"``, the defaults
        of :class:`restore.RunConfig`, or ``"cpu"``), then what :attr:`recipes` changes for
        that recipe."""
        if variant is not None and variant not in self.variants:
            self.build(variant)
        objective = self.objective or ("noise" if self.task == "diffusion" else "x0")
        arguments = {"name": self.name, **({"variant": variant} if variant else {}),
                     **overrides}
        config = RunConfig(objective=objective,
                           data=DataConfig(name=self.dataset, image_size=self.image_size),
                           degradation=DegradationSpec("zoo:schedule", arguments),
                           train=TrainConfig(loss=OBJECTIVES[objective].loss))
        return with_changes(with_recipe(config, recipe), self.recipes.get(recipe, {}))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> NamedSchedule:
        return cls(**json.loads(text))


def is_reference(value: Any) -> bool:
    """Whether a schedule's argument names images of a data set rather than holding them:
    ``{"images": "afhq", "split": "train"}`` (the pool of ``celeba64-animorph``)."""
    return isinstance(value, dict) and "images" in value and set(value) <= {"images", "split"}


def is_schedule_reference(value: Any) -> bool:
    """Whether a schedule's argument names another schedule, whose operator it takes:
    ``{"schedule": "cifar10-blur"}`` (the endpoint of ``cifar10-blur-indi``), optionally with
    a ``"variant"``."""
    return isinstance(value, dict) and "schedule" in value and \
        set(value) <= {"schedule", "variant"}


def _referenced_schedule(reference: dict[str, str], referring: str) -> degrade.Degradation:
    if reference["schedule"] == referring:
        raise ValueError(f"schedule {referring!r} refers to itself")
    return named_schedule(reference["schedule"]).build(reference.get("variant"))


def reference_images(reference: dict[str, str], size: int) -> Tensor:
    """The images a reference names, all of them, at ``size`` pixels, in [-1, 1]; read once
    (from ``$COLDDIFF_DATA`` or ``../shared/data``, as :func:`restore.data.load`)."""
    if not is_reference(reference):
        raise ValueError(f"a reference to images is {{'images': NAME, 'split': SPLIT}}, got "
                         f"{reference!r}")
    return _images(reference["images"], reference.get("split", "train"), size)


@cache
def _images(name: str, split: str, size: int) -> Tensor:
    from restore import data

    images = data.load(name, split, size=size)
    if images.shape[-1] != size:
        raise ValueError(f"the {name} images are {images.shape[-1]} px, the schedule's {size}")
    return data.stack(images, range(len(images)))


@cache
def _registry() -> dict[str, NamedSchedule]:
    text = resources.files("zoo").joinpath("data/schedules.json").read_text(encoding="utf-8")
    return {entry["name"]: NamedSchedule(**entry) for entry in json.loads(text)}


def named_schedule(name: str) -> NamedSchedule:
    """The record of the named schedule ``name`` (:func:`schedule` builds its operator)."""
    if not isinstance(name, str):
        raise TypeError(f"a schedule name is a string, got {type(name).__name__}")
    registry = _registry()
    if name not in registry:
        raise KeyError(f"no schedule named {name!r}{did_you_mean(name, registry)} "
                       "(zoo.list_schedules() lists them)")
    return registry[name]


def schedule(name: str, variant: str | None = None, **overrides: Any) -> degrade.Degradation:
    """The ``degrade`` operator of the named schedule, with the paper's settings.

    Args:
        name: a name from :func:`list_schedules`, for example ``"cifar10-blur"``.
        variant: another set of values the schedule records, for example ``"code"`` where the
            paper's code differs from its text.
        overrides: constructor arguments to change (``pool=images`` for ``celeba-animorph``).

    Examples:
        >>> import zoo
        >>> D = zoo.schedule("cifar10-blur")
        >>> D.T
        50
        >>> code = zoo.schedule("cifar10-blur", variant="code")
        >>> round(float(D.sigmas[0]), 2), round(float(code.sigmas[0]), 2)
        (0.36, 0.35)
    """
    return named_schedule(name).build(variant, **overrides)


def list_schedules() -> list[NamedSchedule]:
    """Every named schedule, in the order of the paper."""
    return list(_registry().values())
