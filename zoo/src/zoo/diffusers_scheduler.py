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
from torch import Tensor

import samplers

from .sampling import walking_back

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

    Examples:
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

    def carry(self, noise: Tensor, x_T: Tensor | None = None) -> None:
        """Walk back from ``x_T + noise`` (a prior's draw with symmetry-breaking noise, section
        5.2): the operator that carries ``noise``, or, given ``x_T``, that ends at
        ``x_T + noise`` (:func:`zoo.sampling.walking_back`), steps the next loop, as a zoo
        generator does."""
        walking = self.D.carrying(noise) if x_T is None else walking_back(self.D, x_T, noise)
        if getattr(walking, "param_names", ()):
            raise ValueError("the degradation draws random parameters that a prior's noise "
                             "does not fix: call add_noise(x0) or bind(**params)")
        self.bound = walking

    def step(self, model_output: Tensor, timestep: int | Tensor, sample: Tensor,
             return_dict: bool = True, **unused: Any) -> SchedulerOutput | tuple[Tensor]:
        """One move from ``timestep`` to the next visited step: TACoS
        ``x_s - D(x0_hat, s) + D(x0_hat, s')`` or Algorithm 1 ``D(x0_hat, s')``, where
        ``model_output`` is the model's ``x0_hat``."""
        s = whole_timestep(timestep)
        if s not in self._next:
            raise ValueError(f"timestep {s} is not one of the scheduler's timesteps "
                             f"{self.timesteps.tolist()}: call set_timesteps first")
        prev = self.move(model_output, s, self._next[s], sample)
        return SchedulerOutput(prev_sample=prev) if return_dict else (prev,)

    def move(self, model_output: Tensor, s: int, s_next: int, sample: Tensor) -> Tensor:
        """The sample at step ``s_next`` from the sample at step ``s`` and the model's
        ``x0_hat`` there (:meth:`step` without the timestep bookkeeping, between any two
        steps)."""
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
        x0_hat = model_output.to(sample.dtype)
        D = self.bound.stepping()  # quantised masks step unquantised, as zoo models do
        if self.config.sampler == "tacos":
            return sample - D(x0_hat, s) + D(x0_hat, s_next)
        return D(x0_hat, s_next)

    def __len__(self) -> int:
        return self.num_train_timesteps


def whole_timestep(timestep: Any) -> int:
    """A timestep as an int; a fractional, non-scalar or non-numeric one is refused."""
    value = timestep.item() if isinstance(timestep, Tensor) and timestep.numel() == 1 else timestep
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value != int(value):
        raise ValueError(f"timestep must be a whole number, got {timestep!r}")
    return int(value)


def pipeline_parts(name: str, sampler: str = "tacos") -> tuple[Any, ColdDiffusionScheduler]:
    """A zoo model as a diffusers (model, scheduler) pair for diffusers' usual loop: a
    :class:`zoo.diffusers_pipeline.DiffusersModel` (its U-Net, with a diffusers ``config``)
    and the scheduler of the degradation its run recorded.

    Examples:
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
    from .diffusers_pipeline import DiffusersModel
    from .pretrained import load, run_config_of

    model = load(name)
    spec = run_config_of(name).degradation  # the D the model was trained on
    scheduler = ColdDiffusionScheduler(degradation=spec.factory,
                                       degradation_arguments=spec.arguments, sampler=sampler)
    unet = DiffusersModel.from_unet(model.R, num_steps=model.T, sample_size=model.image_size)
    return unet.eval(), scheduler


def __getattr__(name: str) -> Any:
    """``DiffusersModel`` moved to :mod:`zoo.diffusers_pipeline`; it still imports from here."""
    if name == "DiffusersModel":
        from .diffusers_pipeline import DiffusersModel

        return DiffusersModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
