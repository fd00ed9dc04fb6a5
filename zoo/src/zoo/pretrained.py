"""Pretrained models: ``zoo.load(name)`` from the registry ``data/models.json``.

Each entry names a schedule, a safetensors weight file and its sha256, the U-Net configuration,
the data convention, the training run and its measured metrics (the model card). Cold diffusion
models are restorers ``R(x_t, t)``; diffusion models (schedules of task ``"diffusion"``, the
blur diffusion of blur-diffusion.md) are noise predictors ``eps(x_i, i)`` that generate from
``N(0, I)``.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import samplers
from restore import UNet, UNetConfig

from .files import load_verified
from .schedules import Schedule, get_schedule

SAMPLERS = {"tacos": samplers.tacos, "naive": samplers.naive}
"""The iterative samplers of restorers by name (``direct`` is one call of ``R``)."""

DIFFUSION_SAMPLERS = ("ddim", "stochastic")
"""The samplers of diffusion models: :func:`samplers.rotated_ddim` (deterministic, skips steps)
and :func:`samplers.reverse_diffusion` (eq. 19, every step)."""


def package_path(relative: str) -> Path:
    """A file inside the installed ``zoo`` package."""
    return Path(str(resources.files("zoo").joinpath(relative)))


def registry() -> dict[str, dict[str, Any]]:
    """The model registry: name to entry."""
    entries = json.loads(package_path("data/models.json").read_text(encoding="utf-8"))
    return {entry["name"]: entry for entry in entries}


def list_models() -> list[dict[str, Any]]:
    """The registry's entries, one dict per pretrained model."""
    return list(registry().values())


def get_entry(name: str) -> dict[str, Any]:
    models = registry()
    if name not in models:
        close = difflib.get_close_matches(name, models, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no pretrained model named {name!r}{hint} (shipped: "
                       f"{', '.join(models) or 'none'})")
    return models[name]


@dataclasses.dataclass
class Pretrained:
    """A loaded model: the network ``R`` (EMA weights, eval mode), its degradation ``D`` and
    the data convention (``image_size``, ``channels``, values in ``value_range``).

    ``R`` is a restorer ``R(x_t, t) ~ x0``, or for a diffusion model (:attr:`is_diffusion`) a
    noise predictor ``eps(x_i, i)``.
    """

    name: str
    R: UNet
    D: Any
    schedule: Schedule
    image_size: int
    channels: int
    value_range: tuple[float, float]
    prior: samplers.ChannelMeanPrior | None
    entry: dict[str, Any]

    @property
    def T(self) -> int:
        return self.D.num_steps

    @property
    def is_diffusion(self) -> bool:
        """Whether ``R`` predicts noise (blur diffusion) rather than the clean image."""
        return self.schedule.task == "diffusion"

    @property
    def card(self) -> str:
        """The model card, in Markdown."""
        return render_card(self.entry)

    def check_images(self, images: Tensor) -> None:
        expected = (self.channels, self.image_size, self.image_size)
        if not (isinstance(images, Tensor) and images.dim() == 4
                and tuple(images.shape[1:]) == expected):
            shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
            raise ValueError(f"{self.name} takes images of shape (B, "
                             f"{', '.join(map(str, expected))}) in [-1, 1], got {shape}")

    def restore(self, x_t: Tensor, t: int | None = None, *, sampler: str = "tacos",
                D: Any = None, progress: bool = False) -> Tensor:
        """Restore ``x_t`` degraded to step ``t`` (``T`` by default).

        ``sampler``: ``"tacos"`` (Algorithm 2), ``"naive"`` (Algorithm 1) or ``"direct"``
        (``R(x_t, t)``). Degradations with random parameters (mask centres) need the ``D`` that
        made ``x_t``, bound to them: ``model.D.bind(**params)``.
        """
        if self.is_diffusion:
            raise ValueError(f"{self.name} is a diffusion model (a noise predictor): it "
                             "generates from N(0, I) with model.generate(n) and restores nothing")
        self.check_images(x_t)
        t = self.T if t is None else t
        if sampler == "direct":
            return samplers.direct(self.R, x_t, t)
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be tacos, naive or direct, got {sampler!r}")
        D = D if D is not None else self.D
        if getattr(D, "param_names", ()) and not hasattr(D, "params"):
            raise ValueError(f"{self.name}'s degradation draws {list(D.param_names)}: pass "
                             "D=model.D.bind(**params) with the parameters that made x_t")
        return SAMPLERS[sampler](self.R, D, x_t, t, progress=progress)

    def generate(self, n: int, *, noise_std: float | None = None, seed: int = 0,
                 sampler: str | None = None, steps: int | None = None, clip: bool = True,
                 progress: bool = False) -> Tensor:
        """``n`` new images (generation and diffusion models only).

        A cold generation model draws ``x_T`` from its fitted prior and restores it with
        ``sampler`` (``"tacos"`` by default, ``"naive"`` or ``"direct"``); ``noise_std`` is the
        noise added to ``x_T`` to break the symmetry between pixels (the model's recorded value
        by default; 0 for "perfect symmetry").

        A diffusion model draws ``x_N ~ N(0, I)`` and denoises it with ``sampler`` ``"ddim"``
        (the default, deterministic, in ``steps`` evenly spaced jumps, 100 or ``N`` by default) or
        ``"stochastic"`` (eq. 19, all ``N`` steps); ``clip`` clamps each step's predicted clean
        image to [-1, 1] (see :func:`samplers.rotated_ddim`; without it the finest details of
        blur diffusion can blow up).
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        generator = torch.Generator().manual_seed(seed)
        if self.is_diffusion:
            return self._diffuse(n, generator, sampler or "ddim", steps, noise_std, clip,
                                 progress)
        if self.prior is None:
            raise ValueError(f"{self.name} is a restoration model: it has no prior to generate "
                             "from (the generation models have task 'generation')")
        if steps is not None:
            raise ValueError("steps is for diffusion models; a cold sampler visits every step")
        std = self.entry["prior"]["noise_std"] if noise_std is None else noise_std
        x_T = self.prior.sample(n, generator=generator, noise_std=std)
        return self.restore(x_T, self.T, sampler=sampler or "tacos", progress=progress)

    def _diffuse(self, n: int, generator: torch.Generator, sampler: str, steps: int | None,
                 noise_std: float | None, clip: bool, progress: bool) -> Tensor:
        if sampler not in DIFFUSION_SAMPLERS:
            raise ValueError(f"{self.name} is a diffusion model: sampler must be "
                             f"{' or '.join(DIFFUSION_SAMPLERS)}, got {sampler!r}")
        if noise_std is not None:
            raise ValueError(f"{self.name} starts from N(0, I): noise_std does not apply")
        shape = (n, self.channels, self.image_size, self.image_size)
        x_N = torch.randn(shape, generator=generator)
        if sampler == "stochastic":
            if steps not in (None, self.T):
                raise ValueError(f"the stochastic sampler takes all {self.T} steps, got "
                                 f"steps={steps}")
            return samplers.reverse_diffusion(self.R, self.D, x_N, self.T, generator=generator,
                                              clip=clip, progress=progress).clamp(-1, 1)
        if steps is None:
            steps = min(100, self.T)
        if not 1 <= steps <= self.T:
            raise ValueError(f"steps must be between 1 and {self.T}, got {steps}")
        return samplers.rotated_ddim(self.R, self.D, x_N, self.T,
                                     steps=samplers.spaced_steps(self.T, steps), clip=clip,
                                     progress=progress).clamp(-1, 1)


def load(name: str, *, weights: str | os.PathLike[str] | None = None,
         sha256: str | None = None) -> Pretrained:
    """Load a pretrained model by name, offline, from the files inside the package.

    The weight file's sha256 must match the registry's before it is read. With ``weights``, a
    file of your own (for example a retrained model) loads into the same architecture; pass its
    ``sha256`` to have it checked too.

    Example:
        >>> import zoo
        >>> model = zoo.load("mnist-blur")
        >>> model.T, model.image_size, model.channels
        (20, 32, 1)
    """
    entry = get_entry(name)
    schedule = get_schedule(entry["schedule"])
    path = package_path(entry["file"]) if weights is None else Path(weights)
    expected = entry["sha256"] if weights is None else sha256
    state = load_verified(path, expected)
    config = {k: tuple(v) if isinstance(v, list) else v
              for k, v in entry["architecture"]["config"].items()}
    R = UNet(UNetConfig(**config))
    try:
        R.load_state_dict(state)
    except RuntimeError as error:
        raise ValueError(f"{path} does not hold {name}'s U-Net weights: {error}") from error
    prior = None
    if entry.get("prior"):
        prior_state = load_verified(package_path(entry["prior"]["file"]),
                                    entry["prior"]["sha256"])
        prior_state = {k: v.double() if k in ("weights", "means", "covariances") else v
                       for k, v in prior_state.items()}
        prior = samplers.ChannelMeanPrior().load_state_dict(prior_state)
    data = entry["data"]
    return Pretrained(name=name, R=R.eval(), D=schedule.build(), schedule=schedule,
                      image_size=data["image_size"], channels=data["channels"],
                      value_range=tuple(data["range"]), prior=prior, entry=entry)


def from_checkpoint(path: str | os.PathLike[str], schedule: str, *, name: str | None = None,
                    half: bool = False, **overrides: Any) -> Pretrained:
    """A model of your own training run (its ``checkpoint.pt``, EMA weights) for a named
    schedule, to sample or :func:`zoo.evaluate` before (or without) exporting it to the zoo.

    ``half=True`` rounds the weights through float16, as the zoo stores them, so that the
    numbers measured are those of the exported model. ``overrides`` change the schedule's
    arguments (for example ``num_steps``), as in :func:`zoo.schedule`. Cold generation models
    loaded this way have no prior: :meth:`Pretrained.generate` needs the zoo's export.
    """
    from restore import load_model

    record = get_schedule(schedule)
    R = load_model(path)
    if half:
        R.load_state_dict({k: v.half().float() for k, v in R.state_dict().items()})
    entry = {"name": name or Path(path).parent.name, "schedule": record.name, "prior": None}
    return Pretrained(name=entry["name"], R=R.eval(), D=record.build(**overrides),
                      schedule=record, image_size=record.image_size, channels=record.channels,
                      value_range=(-1.0, 1.0), prior=None, entry=entry)


def render_card(entry: dict[str, Any]) -> str:
    """A model card in Markdown from a registry entry."""
    schedule = get_schedule(entry["schedule"])
    training, data, architecture = entry["training"], entry["data"], entry["architecture"]
    lines = [
        f"### `{entry['name']}`",
        "",
        entry.get("summary", ""),
        "",
        "| | |",
        "|---|---|",
        f"| task | {schedule.task} |",
        f"| data | {data['dataset_label']}, {data['image_size']}x{data['image_size']}, "
        f"{data['channels']} channel(s), values in [{data['range'][0]}, {data['range'][1]}] |",
        f"| split | {data['split']} |",
        f"| schedule | `{schedule.name}`: {schedule.description} |",
        f"| architecture | U-Net, preset `{architecture['preset']}`, "
        f"{architecture['parameters']:,} parameters |",
        f"| training | {training['steps']:,} steps, batch {training['batch']}, "
        f"{training['optimiser']}, {training['loss']} loss, {training['ema']} |",
        f"| wall time | {training['wall_time']} on {training['hardware']} |",
        f"| weights | `{entry['file']}` (float16 safetensors), "
        f"sha256 `{entry['sha256'][:16]}...` |",
    ]
    if entry.get("prior"):
        prior = entry["prior"]
        lines.append(f"| prior | {prior['kind']} fitted on {prior['fitted_on']}, "
                     f"noise_std {prior['noise_std']} |")
    if schedule.task == "diffusion":
        lines += ["| objective | noise prediction `eps(x_i, i)`, eq. (18) of blur-diffusion.md |",
                  "| sampling | `model.generate(n)`: the deterministic sampler in 100 steps from "
                  "N(0, I); `sampler=\"stochastic\"`: eq. (19), every step; each step's "
                  "predicted x0 clamped to [-1, 1] |"]
    lines += ["", "Reproduce:", "", "```", training["command"], "```", ""]
    metrics = entry.get("metrics")
    if metrics:
        lines += [f"Measured ({metrics['setting']}):", "", metrics["table"], ""]
    else:
        lines += ["Not evaluated yet.", ""]
    if entry.get("notes"):
        lines += [entry["notes"], ""]
    return "\n".join(lines)
