"""Cold diffusion as a diffusers scheduler: TACoS (or Algorithm 1) over any ``degrade`` operator.

:class:`ColdDiffusionScheduler` has the interface of a diffusers scheduler (``set_timesteps``,
``timesteps``, ``step(model_output, timestep, sample).prev_sample``, ``add_noise``, and a config
saved and loaded with ``save_pretrained`` / ``from_pretrained``), for a model that predicts the
clean image ``x0``. The update is that of ``samplers.tacos`` (Algorithm 2 of Bansal et al., 2022,
"Cold Diffusion: Inverting Arbitrary Image Transforms Without Noise", arXiv:2208.09392) or
``samplers.naive`` (Algorithm 1), so diffusers' usual loop gives what ``samplers.tacos`` gives
with the same network. :func:`pipeline_parts` loads a zoo model as such a (model, scheduler)
pair. Needs ``diffusers`` (an optional extra).
"""

from __future__ import annotations

import itertools
import math
import numbers
from typing import Any

import torch
from restore.config import DegradationSpec
from samplers.validation import check_images
from torch import Tensor, nn

import samplers

try:
    from diffusers import ConfigMixin, SchedulerMixin
    from diffusers.configuration_utils import register_to_config
    from diffusers.schedulers.scheduling_utils import SchedulerOutput
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("zoo.diffusers_scheduler needs diffusers: pip install diffusers") from error

UPDATES = ("tacos", "naive")


class ColdDiffusionScheduler(SchedulerMixin, ConfigMixin):
    """TACoS (``sampler="tacos"``) or Algorithm 1 (``"naive"``) as a diffusers scheduler.

    The degradation is data, so that the config saves: a known factory
    (:mod:`restore.degradations`, nothing else is imported) and its keyword arguments (as
    :class:`restore.DegradationSpec`: ``"zoo:schedule"`` with ``{"name": "mnist-blur"}`` by
    default). An operator with random parameters (mask centres...) needs
    one draw fixed before a loop: :meth:`add_noise` (degrading clean images) fixes it, or
    :meth:`bind` with parameters of your own.

    Example:
        >>> import torch
        >>> from zoo.diffusers_scheduler import ColdDiffusionScheduler
        >>> scheduler = ColdDiffusionScheduler(degradation_arguments={"name": "mnist-blur"})
        >>> scheduler.set_timesteps(5)
        >>> scheduler.timesteps.tolist()
        [20, 16, 12, 8, 4]
    """

    config_name = "scheduler_config.json"
    order = 1

    @register_to_config
    def __init__(self, degradation: str = "zoo:schedule",
                 degradation_arguments: dict[str, Any] | None = None,
                 sampler: str = "tacos") -> None:
        if sampler not in UPDATES:
            raise ValueError(f"sampler must be one of {', '.join(UPDATES)}, got {sampler!r}")
        self.D = DegradationSpec(degradation, dict(degradation_arguments or {})).build()
        self.num_train_timesteps = self.D.num_steps
        self.bound: Any = self.D if not getattr(self.D, "param_names", ()) else None
        self.set_timesteps(self.num_train_timesteps)

    def set_timesteps(self, num_inference_steps: int,
                      device: str | torch.device | None = None) -> None:
        """Visit ``num_inference_steps`` steps from ``T`` down (evenly spaced, as
        ``samplers.spaced_steps``); each ``step`` moves to the next, the last to 0."""
        T = self.num_train_timesteps
        if isinstance(num_inference_steps, bool) or \
                not isinstance(num_inference_steps, numbers.Integral) \
                or not 1 <= num_inference_steps <= T:
            raise ValueError(f"num_inference_steps must be a whole number from 1 to {T}, got "
                             f"{num_inference_steps!r}")
        self.num_inference_steps = num_inference_steps = int(num_inference_steps)
        steps = samplers.spaced_steps(T, num_inference_steps)
        self.timesteps = torch.tensor(steps[:-1], device=device)
        self._next = dict(itertools.pairwise(steps))

    def bind(self, **params: Tensor) -> None:
        """Fix the operator's random parameters for the next loop."""
        self.bound = self.D.bind(**params)

    def add_noise(self, original_samples: Tensor, noise: Tensor | None = None,
                  timesteps: Tensor | int | None = None,
                  generator: torch.Generator | None = None) -> Tensor:
        """``x_t = D(x0, t)`` (``T`` by default), drawing and fixing the operator's random
        parameters from ``generator``; ``noise`` is unused (cold degradations have none) and
        kept for diffusers' signature."""
        self.bound = self.D.draw(original_samples, generator=generator)
        t = self.num_train_timesteps if timesteps is None else timesteps
        return self.bound(original_samples, t)

    def step(self, model_output: Tensor, timestep: int | Tensor, sample: Tensor,
             return_dict: bool = True, **unused: Any) -> SchedulerOutput | tuple[Tensor]:
        """One move from ``timestep`` to the next visited step: TACoS
        ``x_s - D(x0_hat, s) + D(x0_hat, s')`` or Algorithm 1 ``D(x0_hat, s')``, where
        ``model_output`` is the model's ``x0_hat``."""
        if self.bound is None:
            raise ValueError("the degradation draws random parameters: call add_noise(x0) or "
                             "bind(**params) before the loop")
        sample = check_images(sample, "sample")
        model_output = check_images(model_output, "model_output")
        if model_output.shape != sample.shape:
            raise ValueError(f"model_output has shape {tuple(model_output.shape)}, the sample "
                             f"{tuple(sample.shape)}: the model must return an image like its "
                             "input (nothing is broadcast)")
        if not bool(torch.isfinite(sample).all()):
            raise ValueError("step: the sample holds NaN or infinite values")
        if not bool(torch.isfinite(model_output).all()):
            raise FloatingPointError("step: model_output holds NaN or infinite values; stopped "
                                     "rather than return NaN images")
        s = _whole(timestep)
        if s not in self._next:
            raise ValueError(f"timestep {s} is not one of the scheduler's timesteps "
                             f"{self.timesteps.tolist()}: call set_timesteps first")
        s_next = self._next[s]
        x0_hat = model_output.to(sample.dtype)
        D = self.bound.stepping()  # quantised masks step unquantised, as zoo models do
        if self.config.sampler == "tacos":
            prev = sample - D(x0_hat, s) + D(x0_hat, s_next)
        else:
            prev = D(x0_hat, s_next)
        return SchedulerOutput(prev_sample=prev) if return_dict else (prev,)

    def __len__(self) -> int:
        return self.num_train_timesteps


def _whole(timestep: Any) -> int:
    """A timestep as an int; a fractional, non-scalar or non-numeric one is refused."""
    value = timestep.item() if isinstance(timestep, Tensor) and timestep.numel() == 1 else timestep
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value != int(value):
        raise ValueError(f"timestep must be a whole number, got {timestep!r}")
    return int(value)


class DiffusersModel(nn.Module):
    """A restorer ``R(x, t)`` that answers as a diffusers model: ``model(sample, t).sample``,
    for whole timesteps in ``0..num_steps`` (when given)."""

    def __init__(self, R: nn.Module, num_steps: int | None = None) -> None:
        super().__init__()
        self.R, self.num_steps = R, num_steps

    def forward(self, sample: Tensor, timestep: int | Tensor) -> Any:
        from diffusers.models.unets.unet_2d import UNet2DOutput

        step = _whole(timestep)
        if step < 0 or (self.num_steps is not None and step > self.num_steps):
            raise ValueError(f"timestep must be in 0..{self.num_steps}, got {step}")
        t = torch.full((sample.shape[0],), step, device=sample.device)
        return UNet2DOutput(sample=self.R(sample, t))


def pipeline_parts(name: str, sampler: str = "tacos") -> tuple[DiffusersModel,
                                                                ColdDiffusionScheduler]:
    """A zoo model as a diffusers (model, scheduler) pair for diffusers' usual loop.

    Example:
        >>> import torch, zoo
        >>> from zoo.diffusers_scheduler import pipeline_parts
        >>> model, scheduler = pipeline_parts("mnist-blur")
        >>> x0 = zoo.sample_images("mnist", 2)
        >>> sample = scheduler.add_noise(x0)
        >>> scheduler.set_timesteps(10)
        >>> with torch.no_grad():
        ...     for t in scheduler.timesteps:
        ...         sample = scheduler.step(model(sample, t).sample, t, sample).prev_sample
        >>> sample.shape
        torch.Size([2, 1, 32, 32])
    """
    from .pretrained import load, run_config_of

    model = load(name)
    spec = run_config_of(name).degradation  # the D the model was trained on
    scheduler = ColdDiffusionScheduler(degradation=spec.factory,
                                       degradation_arguments=spec.arguments, sampler=sampler)
    return DiffusersModel(model.R, model.T).eval(), scheduler
