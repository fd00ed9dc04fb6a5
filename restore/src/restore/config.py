"""A training run as data: :class:`RunConfig`, with every default in one place.

A run is described by plain data that round-trips through JSON: the data set and its split
(:class:`DataConfig`), the network (:class:`NetworkConfig`), the degradation as a known
factory and its arguments (:class:`DegradationSpec`), what the network learns (``objective``)
and the optimisation (:class:`TrainConfig`). Every checkpoint stores it, a run's folder holds
it as ``config.json``, and the command-line options of ``python -m restore.train`` and
``colddiff train`` are derived from these fields (:mod:`restore.options`): each field is
settable, none is defined twice.

The optimisation defaults are the paper's (Bansal et al., 2022, "Cold Diffusion: Inverting
Arbitrary Image Transforms Without Noise", arXiv:2208.09392, appendix A.1): Adam at 2e-5,
batches of 32 with gradients accumulated over 2, L1 loss, an exponential moving average of the
weights with decay 0.995 updated every 10 steps from step 2000, 700,000 steps.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

from . import degradations, objectives
from .objectives import OBJECTIVES
from .optimisation import TrainConfig, option


@dataclasses.dataclass
class DataConfig:
    """The images a run trains on: a named data set or a folder, less a validation split."""

    name: str | None = dataclasses.field(default=None, metadata=option(
        "--data", "a named data set: mnist, cifar10, celeba, afhq (see the data README)"))
    folder: str | None = dataclasses.field(default=None, metadata=option(
        "--data-folder", "instead of --data: a folder of images (or of class sub-folders)"))
    observed: str | None = dataclasses.field(default=None, metadata=option(
        "--data-observed", "with --data-folder: a folder of observations of those images (paired "
        "data), one per image under the same relative name (any image suffix), handed to D as "
        "its parameter y (InDI: degrade:DirectIteration with endpoint null)"))
    data_dir: str | None = dataclasses.field(default=None, metadata=option(
        "--data-dir", "folder of the named data files (default: $COLDDIFF_DATA, ../shared/data)"))
    image_size: int | None = dataclasses.field(default=None, metadata=option(
        "--image-size", "resize images to this side (MNIST: 32, as the paper's code)"))
    channels: int = dataclasses.field(default=3, metadata=option(
        "--channels", "channels of --data-folder images", choices=(1, 3)))
    val_count: int = dataclasses.field(default=1000, metadata=option(
        "--val-count", "training images held out for validation"))
    hflip: bool = dataclasses.field(default=False, metadata=option(
        "--hflip", "random horizontal flips"))

    def __post_init__(self) -> None:
        if self.name is not None and self.folder is not None:
            raise ValueError("give one of --data and --data-folder, not both")
        if self.observed is not None and self.folder is None:
            raise ValueError("--data-observed pairs the images of --data-folder with their "
                             "observations: give --data-folder too")
        if self.image_size is not None and self.image_size < 1:
            raise ValueError(f"image_size must be at least 1, got {self.image_size}")
        if self.val_count < 1:
            raise ValueError(f"val_count must be at least 1, got {self.val_count}")


@dataclasses.dataclass
class NetworkConfig:
    """The U-Net: a preset (:data:`restore.PRESETS`) and, optionally, another base width."""

    preset: str = dataclasses.field(default="small", metadata=option(
        "--preset", "U-Net size", choices=("tiny", "small", "base")))
    width: int | None = dataclasses.field(default=None, metadata=option(
        "--width", "base channels of the U-Net (default: the preset's)"))

    def __post_init__(self) -> None:
        if self.width is not None and self.width < 1:
            raise ValueError(f"width must be at least 1, got {self.width}")


@dataclasses.dataclass
class DegradationSpec:
    """The degradation ``D(x, t)``: a known factory called with keyword arguments (data).

    ``factory`` names one of ``degrade``'s operators or constructors
    (``"degrade:GaussianBlurSchedule.constant"``), an installed factory (``"zoo:schedule"``
    with ``{"name": "mnist-blur"}``: a named schedule, its ``variant`` and overrides) or one
    registered with :func:`restore.register_degradation` before the configuration is read;
    any other import path is refused (:mod:`restore.degradations`). :meth:`build` calls it.
    """

    factory: str | None = dataclasses.field(default=None, metadata=option(
        "--degradation", "the factory of D: degrade:Operator[.constructor] (e.g. "
        "degrade:GaussianBlurSchedule.constant), zoo:schedule or a registered one",
        metavar="NAME"))
    arguments: dict[str, Any] = dataclasses.field(default_factory=dict, metadata=option(
        "--degradation-arg", "a keyword argument of the factory, its value as JSON "
        "(repeatable): --degradation-arg num_steps=20", metavar="KEY=VALUE"))

    def __post_init__(self) -> None:
        if self.factory is not None:
            degradations.check_nested(self.factory, self.arguments)

    def build(self) -> Any:
        """Call the factory (:func:`restore.degradations.build`): the degradation."""
        if not self.factory:
            raise ValueError("no degradation: give --degradation NAME (or a named schedule to "
                             "colddiff train)")
        return degradations.build(self.factory, self.arguments)


@dataclasses.dataclass
class RunConfig:
    """A whole training run: where it writes, what it trains on, what it learns and how.

    Examples:
        >>> from restore import RunConfig
        >>> config = RunConfig(out="runs/mnist-blur")
        >>> config.data.name, config.train.batch_size = "mnist", 64
        >>> RunConfig.from_json(config.to_json()) == config
        True
    """

    out: str | None = dataclasses.field(default=None, metadata=option(
        "--out", "the run's folder"))
    objective: str = dataclasses.field(default="x0", metadata=option(
        "--objective", "what R learns: " + "; ".join(
            f"{o.name}: {o.summary}" for o in OBJECTIVES.values()),
        choices=tuple(OBJECTIVES)))
    walk_share: float = dataclasses.field(default=0.5, metadata=option(
        "--walk-share", "x0-walk: the share of each batch that sees a TACoS jump"))
    init: str | None = dataclasses.field(default=None, metadata=option(
        "--init", "start from these weights (fine-tuning): a run's checkpoint.pt, a model "
        "folder or a zoo model (zoo:NAME); the optimiser starts afresh", metavar="WEIGHTS"))
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    network: NetworkConfig = dataclasses.field(default_factory=NetworkConfig)
    degradation: DegradationSpec = dataclasses.field(default_factory=DegradationSpec)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        objectives.get(self.objective)
        if not 0 <= self.walk_share <= 1:
            raise ValueError(f"walk_share must be in [0, 1], got {self.walk_share}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """The run a dict (of :meth:`to_dict`, or ``config.json``) describes; unknown keys are
        refused, missing ones take their defaults."""
        if not isinstance(data, dict):
            raise ValueError(f"a run configuration is a JSON object, got {type(data).__name__}")
        values = _known(cls, data, "the run configuration")
        for section in SECTIONS:
            if section in values:
                kind = SECTIONS[section]
                values[section] = kind(**_known(kind, values[section], f"section {section!r}"))
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as error:
            raise ValueError(f"a run configuration must be JSON: {error}") from error

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RunConfig:
        """Read ``config.json`` (or any file of :meth:`save`)."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"{path}: no such configuration file")
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: a run configuration must be JSON text") from error
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")


SECTIONS: dict[str, type] = {"data": DataConfig, "network": NetworkConfig,
                             "degradation": DegradationSpec, "train": TrainConfig}
"""The nested sections of :class:`RunConfig`, by field name."""


def _known(kind: type, values: Any, where: str) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ValueError(f"{where} must be a JSON object, got {type(values).__name__}")
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{where} has unknown key(s) {unknown}; known: {sorted(fields)}")
    for name, value in values.items():
        if name not in SECTIONS:
            _check_type(f"{where}: {name}", value, str(fields[name].type))
    return dict(values)


_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "bool": (bool,),
                                       "str": (str,), "None": (type(None),), "dict": (dict,)}


def _check_type(where: str, value: Any, annotation: str) -> None:
    """Refuse, naming the field, a JSON value not of the field's annotated type (a bool is no
    number, a float no whole number, numbers are finite)."""
    kinds = [part.strip().split("[")[0] for part in annotation.split("|")]
    for kind in kinds:
        allowed = _TYPES.get(kind, (object,))
        if isinstance(value, bool) and bool not in allowed:
            continue
        if isinstance(value, allowed) and not (isinstance(value, float) and not
                                              math.isfinite(value)):
            return
    finite = "a finite " if isinstance(value, float) and not math.isfinite(value) else ""
    raise ValueError(f"{where} must be {finite}{' or '.join(kinds)}, got {value!r}")

