"""Cold diffusion as a diffusers pipeline: :class:`ColdDiffusionPipeline` and its components.

``ColdDiffusionPipeline(unet, scheduler, prior)`` is a ``diffusers.DiffusionPipeline`` that
generates from a prior over ``x_T`` (section 5.2 of Bansal et al., 2022, "Cold Diffusion:
Inverting Arbitrary Image Transforms Without Noise", arXiv:2208.09392) or restores degraded
images, by TACoS (Algorithm 2) or Algorithm 1 in :class:`~zoo.diffusers_scheduler.
ColdDiffusionScheduler`. It saves and loads with ``save_pretrained`` / ``from_pretrained``, as
every diffusers pipeline does. Its components:

* ``unet``: any diffusers-style model that predicts the clean image, ``unet(sample, t).sample``:
  :class:`DiffusersModel` (a ``restore.UNet`` with a diffusers ``config``) or a
  ``diffusers.UNet2DModel`` of your own;
* ``scheduler``: a :class:`~zoo.diffusers_scheduler.ColdDiffusionScheduler`;
* ``prior`` (optional, generation only): :class:`DiffusersPrior`, a ``samplers.Prior`` saved as a
  diffusers model.

:meth:`ColdDiffusionPipeline.from_zoo` builds one from a zoo model. Needs ``diffusers``.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any, ClassVar

import numpy as np
import torch
from restore.unet import UNet, UNetConfig
from samplers.validation import check_count, check_images, check_noise_std
from torch import Tensor, nn

import samplers

from .diffusers_scheduler import ColdDiffusionScheduler, whole_timestep

try:  # ModelMixin must be a name of this module: diffusers' from_pretrained looks a component's
    # base class up in the module its class comes from, to find how to load it
    from diffusers import ConfigMixin, DiffusionPipeline, ImagePipelineOutput, ModelMixin
    from diffusers.configuration_utils import register_to_config
    from diffusers.models.unets.unet_2d import UNet2DOutput
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("zoo.diffusers_pipeline needs diffusers: pip install diffusers") from error

__all__ = ["OUTPUT_TYPES", "ColdDiffusionPipeline", "DiffusersModel", "DiffusersPrior"]

OUTPUT_TYPES = ("pil", "np", "pt")
"""What :class:`ColdDiffusionPipeline` gives back: PIL images, ``(B, H, W, C)`` arrays in [0, 1]
(as diffusers' pipelines), or ``(B, C, H, W)`` tensors in [-1, 1] (as colddiff)."""


class DiffusersModel(ModelMixin, ConfigMixin):
    """A ``restore.UNet`` restorer ``R(x, t) ~ x0`` that answers as a diffusers model:
    ``model(sample, t).sample``, for whole timesteps in ``0..num_steps``.

    Its ``config`` holds the U-Net's architecture (the fields of ``restore.UNetConfig``) and
    what diffusers' own pipelines read (``sample_size``, ``in_channels``, ``out_channels``), so
    that ``save_pretrained`` / ``from_pretrained`` rebuild it and ``DDIMPipeline(unet=model,
    ...)`` finds what it expects. :meth:`from_unet` wraps a trained U-Net.

    Examples:
        >>> import torch
        >>> from restore import UNet
        >>> from zoo.diffusers_pipeline import DiffusersModel
        >>> model = DiffusersModel.from_unet(UNet.preset("tiny", in_channels=1), num_steps=20,
        ...                                  sample_size=32)
        >>> model(torch.zeros(2, 1, 32, 32), 7).sample.shape
        torch.Size([2, 1, 32, 32])
        >>> model.config.in_channels, model.config.sample_size
        (1, 32)
    """

    config_name = "config.json"

    @register_to_config
    def __init__(self, sample_size: int = 32, in_channels: int = 3,
                 out_channels: int | None = None, channels: int = 32,
                 channel_mults: tuple[int, ...] = (1, 2, 2), blocks_per_level: int = 1,
                 attention_levels: tuple[int, ...] = (), attention_heads: int = 4,
                 groups: int = 8, dropout: float = 0.0, num_steps: int | None = None) -> None:
        super().__init__()
        check_count(sample_size, "sample_size", 1)
        if num_steps is not None:
            check_count(num_steps, "num_steps", 1)
        self.R = UNet(UNetConfig.from_dict({
            "in_channels": in_channels, "out_channels": out_channels, "channels": channels,
            "channel_mults": channel_mults, "blocks_per_level": blocks_per_level,
            "attention_levels": attention_levels, "attention_heads": attention_heads,
            "groups": groups, "dropout": dropout}))
        if out_channels is None:  # diffusers' pipelines read it; the U-Net's default
            self.register_to_config(out_channels=in_channels)

    @classmethod
    def from_unet(cls, R: UNet, *, num_steps: int | None, sample_size: int) -> DiffusersModel:
        """The model holding (a copy of) the trained U-Net ``R``'s weights."""
        if not isinstance(R, UNet):
            raise TypeError(f"from_unet wraps a restore.UNet, whose config it saves; got "
                            f"{type(R).__name__}: wrap another network in a diffusers "
                            "ModelMixin of your own")
        model = cls(sample_size=sample_size, num_steps=num_steps, **R.config.to_dict())
        model.R = copy.deepcopy(R)  # its weights, in their memory layout (channels-last...)
        return model

    def forward(self, sample: Tensor, timestep: int | Tensor,
                return_dict: bool = True) -> UNet2DOutput | tuple[Tensor]:
        """``R(sample, t)``: ``timestep`` a whole number, or a tensor of one or of ``B``."""
        t = _timesteps(timestep, sample.shape[0], self.config.num_steps)
        x0_hat = self.R(sample, t.to(sample.device))
        return UNet2DOutput(sample=x0_hat) if return_dict else (x0_hat,)


def _timesteps(timestep: int | Tensor, batch: int, num_steps: int | None) -> Tensor:
    """``timestep`` as an integer tensor of shape ``(batch,)``, each in ``0..num_steps``."""
    if isinstance(timestep, Tensor) and timestep.numel() == batch and timestep.dim() == 1 \
            and batch > 1:
        steps = [whole_timestep(value) for value in timestep]
    else:
        steps = [whole_timestep(timestep)] * batch
    for step in steps:
        if step < 0 or (num_steps is not None and step > num_steps):
            raise ValueError(f"timestep must be in 0..{num_steps}, got {step}")
    return torch.tensor(steps, dtype=torch.long)


class DiffusersPrior(ModelMixin, ConfigMixin):
    """A fitted ``samplers.Prior`` over ``x_T`` as a diffusers model, so that a pipeline saves
    and loads it: its kind, constructor arguments and symmetry-breaking ``noise_std`` in
    ``config.json``, its tensors as buffers in the weights file. :meth:`from_prior` wraps one;
    :attr:`prior` gives it back.

    Examples:
        >>> import torch
        >>> from samplers import ChannelMeanPrior
        >>> from zoo.diffusers_pipeline import DiffusersPrior
        >>> fitted = ChannelMeanPrior().fit(torch.rand(50, 3, 8, 8) * 2 - 1)
        >>> component = DiffusersPrior.from_prior(fitted, noise_std=0.002)
        >>> component.prior.sample(2).shape
        torch.Size([2, 3, 8, 8])
    """

    config_name = "config.json"

    @register_to_config
    def __init__(self, kind: str = "ChannelMeanPrior",
                 arguments: dict[str, Any] | None = None,
                 tensors: dict[str, list[Any]] | None = None, noise_std: float = 0.0) -> None:
        super().__init__()
        check_noise_std(noise_std)
        self.fitted = nn.Module()  # the prior's tensors, apart from the config's names
        for name, (dtype, shape) in (tensors or {}).items():
            self.fitted.register_buffer(name, torch.zeros(shape, dtype=getattr(torch, dtype)))

    @classmethod
    def from_prior(cls, prior: samplers.Prior, *, noise_std: float = 0.0) -> DiffusersPrior:
        """The component holding ``prior``'s fitted tensors; ``noise_std`` is the pipeline's
        default symmetry-breaking noise (section 5.2: 0 is "perfect symmetry")."""
        state = prior.state_dict()
        tensors = {name: [str(value.dtype).removeprefix("torch."), list(value.shape)]
                   for name, value in state.items()}
        component = cls(kind=type(prior).__name__, arguments=prior.arguments(), tensors=tensors,
                        noise_std=noise_std)
        for name, value in state.items():
            getattr(component.fitted, name).copy_(value)
        return component

    @property
    def prior(self) -> samplers.Prior:
        """The ``samplers.Prior`` the buffers hold (built afresh, on the CPU)."""
        state = {name: buffer.detach().cpu() for name, buffer in self.fitted.named_buffers()}
        return samplers.Prior.from_state(self.config.kind, state, self.config.arguments)

    def forward(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` draws of ``x_T``, without the symmetry-breaking noise."""
        return self.prior.sample(n, generator=generator, noise_std=0.0)


class ColdDiffusionPipeline(DiffusionPipeline):
    r"""Cold generation and restoration as a diffusers pipeline (Bansal et al., 2022,
    arXiv:2208.09392: TACoS, Algorithm 2, or Algorithm 1, per the scheduler).

    * ``pipeline(batch_size=n)`` generates: ``x_T`` from the prior, plus ``noise_std`` Gaussian
      noise (the prior's recorded value by default) drawn from ``generator``, then walked back.
      With the same seed it gives what the zoo model's ``generate(n, seed=...)`` gives.
    * ``pipeline(image=x_t)`` restores degraded images ``(B, C, H, W)`` in [-1, 1] from step
      ``timestep`` (``T`` by default). An operator with random parameters needs them fixed
      first: ``x_t = pipeline.scheduler.add_noise(x0)``.

    ``num_inference_steps`` evenly spaced steps (every step by default); ``output_type``
    ``"pil"``, ``"np"`` (``(B, H, W, C)`` in [0, 1], as diffusers) or ``"pt"`` (``(B, C, H,
    W)`` in [-1, 1], as colddiff).

    Examples:
        >>> import torch
        >>> from zoo.diffusers_pipeline import ColdDiffusionPipeline
        >>> pipeline = ColdDiffusionPipeline.from_zoo("mnist-blur-gen")
        >>> pipeline.set_progress_bar_config(disable=True)
        >>> out = pipeline(batch_size=2, generator=torch.Generator().manual_seed(0),
        ...                output_type="pt")
        >>> out.images.shape
        torch.Size([2, 1, 32, 32])
    """

    model_cpu_offload_seq = "unet"
    _optional_components: ClassVar[list[str]] = ["prior"]

    def __init__(self, unet: ModelMixin, scheduler: ColdDiffusionScheduler,
                 prior: DiffusersPrior | None = None) -> None:
        super().__init__()
        if not isinstance(scheduler, ColdDiffusionScheduler):
            raise TypeError(f"the scheduler must be a ColdDiffusionScheduler, got "
                            f"{type(scheduler).__name__}")
        self.register_modules(unet=unet, scheduler=scheduler, prior=prior)

    @classmethod
    def from_zoo(cls, name: str, *, sampler: str = "tacos") -> ColdDiffusionPipeline:
        """The pipeline of a zoo restorer or cold generator (a name, or a model folder): its
        U-Net, the degradation its run recorded, and its prior when it has one."""
        from . import kinds
        from .diffusers_scheduler import pipeline_parts
        from .pretrained import load

        model = load(name)
        if not isinstance(model, kinds.Restorer):
            raise ValueError(f"{model.name} is a {model.describe()}: ColdDiffusionPipeline "
                             "runs restorers and cold generators, whose network predicts x0")
        unet, scheduler = pipeline_parts(name, sampler=sampler)
        prior = None
        if isinstance(model, kinds.Generator):
            prior = DiffusersPrior.from_prior(model.prior,
                                              noise_std=model.entry["prior"]["noise_std"])
        return cls(unet=unet, scheduler=scheduler, prior=prior)

    @torch.no_grad()
    def __call__(self, batch_size: int = 1, *, image: Tensor | None = None,
                 timestep: int | None = None, num_inference_steps: int | None = None,
                 noise_std: float | None = None, generator: torch.Generator | None = None,
                 output_type: str = "pil", return_dict: bool = True
                 ) -> ImagePipelineOutput | tuple[Any]:
        if output_type not in OUTPUT_TYPES:
            raise ValueError(f"output_type must be one of {', '.join(OUTPUT_TYPES)}, got "
                             f"{output_type!r}")
        scheduler = self.scheduler
        T = scheduler.num_train_timesteps
        if image is None:
            sample = self._draw(batch_size, noise_std, generator)
            start = T
        else:
            if noise_std is not None:
                raise ValueError("noise_std applies to generation (no image): add noise to "
                                 "the image yourself")
            sample = check_images(image, "image").to(self.device, self.unet.dtype)
            start = T if timestep is None else whole_timestep(timestep)
            if not 1 <= start <= T:
                raise ValueError(f"timestep must be in 1..{T}, got {timestep!r}")
        count = start if num_inference_steps is None else \
            check_count(num_inference_steps, "num_inference_steps", 1)
        if count > start:
            raise ValueError(f"num_inference_steps must be from 1 to {start}, got {count}")
        steps = samplers.spaced_steps(start, count)
        for s, s_next in self.progress_bar(list(itertools.pairwise(steps))):
            x0_hat = self.unet(sample, s).sample
            sample = scheduler.move(x0_hat, s, s_next, sample)
        images = _convert(sample, output_type)
        return ImagePipelineOutput(images=images) if return_dict else (images,)

    def _draw(self, n: int, noise_std: float | None,
              generator: torch.Generator | None) -> Tensor:
        """``x_T + noise`` from the prior, the scheduler set to carry ``noise`` (as
        ``zoo.Generator.generate``: the images, then the noise, from ``generator``)."""
        if self.prior is None:
            raise ValueError("this pipeline has no prior to generate from: pass the degraded "
                             "images to restore as image=...")
        n = check_count(n, "batch_size", 1)
        std = check_noise_std(self.prior.config.noise_std if noise_std is None else noise_std)
        x_T = self.prior(n, generator)
        noise = std * torch.randn(x_T.shape, generator=generator)
        self.scheduler.carry(noise, x_T)
        return (x_T + noise).to(self.device, self.unet.dtype)


def _convert(images: Tensor, output_type: str) -> Any:
    """``(B, C, H, W)`` images in [-1, 1] as ``output_type`` asks."""
    if output_type == "pt":
        return images.float().cpu()
    array = (images.float().cpu() / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    if output_type == "np":
        return array
    return DiffusionPipeline.numpy_to_pil(np.ascontiguousarray(array))

