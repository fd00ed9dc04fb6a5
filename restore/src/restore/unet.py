"""The restoration network ``R(x, t)``: a time-conditioned U-Net (Bansal et al. (2022), 3.1).

Built for speed on a CPU as well as a GPU: one skip connection per resolution (concatenated once,
not at every block), self-attention only at the resolutions you ask for, and the step fed to every
residual block as a scale and shift of its normalised features.

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from samplers import folders

FORMAT = "colddiff-unet-1"
"""The ``format`` of a network's ``config.json``."""
WEIGHTS = "model.safetensors"


@dataclass(frozen=True)
class UNetConfig:
    """The architecture of a :class:`UNet`, as plain data (it round-trips through JSON).

    Args:
        in_channels: channels of the images.
        out_channels: channels of the output (``in_channels`` by default).
        channels: feature channels at full resolution.
        channel_mults: one multiplier of ``channels`` per resolution; each further entry halves
            the resolution, so image sides must be divisible by ``2 ** (len - 1)``.
        blocks_per_level: residual blocks per resolution, on the way down and up.
        attention_levels: indices into ``channel_mults`` of the resolutions with self-attention
            (the middle block has attention whenever this is not empty).
        attention_heads: heads of each self-attention.
        groups: groups of the group normalisations.
        dropout: dropout inside the residual blocks.
    """

    in_channels: int = 3
    out_channels: int | None = None
    channels: int = 32
    channel_mults: tuple[int, ...] = (1, 2, 2)
    blocks_per_level: int = 1
    attention_levels: tuple[int, ...] = ()
    attention_heads: int = 4
    groups: int = 8
    dropout: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON data (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UNetConfig:
        """The configuration of :meth:`to_dict`; unknown keys are refused."""
        if not isinstance(data, dict):
            raise ValueError(f"a U-Net configuration is a JSON object, got {data!r}")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown U-Net setting(s) {unknown}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    def __post_init__(self) -> None:
        for name in ("in_channels", "channels", "blocks_per_level", "attention_heads", "groups"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.channel_mults or any(m < 1 for m in self.channel_mults):
            raise ValueError(f"channel_mults must be positive, got {self.channel_mults}")
        widths = [self.channels * m for m in self.channel_mults]
        if any(w % self.groups for w in widths):
            raise ValueError(f"every width {widths} must be divisible by groups = {self.groups}")
        if any(not 0 <= i < len(self.channel_mults) for i in self.attention_levels):
            raise ValueError(f"attention_levels {self.attention_levels} must index channel_mults")
        object.__setattr__(self, "channel_mults", tuple(self.channel_mults))
        object.__setattr__(self, "attention_levels", tuple(self.attention_levels))


PRESETS: dict[str, UNetConfig] = {
    "tiny": UNetConfig(channels=8, channel_mults=(1, 2), groups=4),
    "small": UNetConfig(channels=32, channel_mults=(1, 2, 2), blocks_per_level=1),
    "base": UNetConfig(channels=64, channel_mults=(1, 2, 4, 8), blocks_per_level=2,
                       attention_levels=(2, 3), dropout=0.1),
}
"""Named sizes and their parameter counts (1-channel / 3-channel images):

* ``tiny``: 34,137 / 34,427, for tests;
* ``small``: 834,721 / 835,875, trains at 28-32 px on a CPU;
* ``base``: 50,620,225 / 50,622,531, with self-attention at the two lowest resolutions, for
  GPUs.
"""


def preset_name(config: Mapping[str, Any]) -> str:
    """The preset a U-Net configuration (:class:`UNetConfig` as a dict) is (``"small"``), or
    differs from only in its width (``"small, channels 16"``), or ``"custom"``."""
    def shape(c: Mapping[str, Any]) -> tuple:
        return (tuple(c["channel_mults"]), c["blocks_per_level"], tuple(c["attention_levels"]))

    for name, preset in PRESETS.items():
        if shape(asdict(preset)) == shape(config):
            return name if preset.channels == config["channels"] else \
                f"{name}, channels {config['channels']}"
    return "custom"


def sinusoidal_embedding(t: Tensor, dim: int) -> Tensor:
    """The sinusoidal embedding of steps (Vaswani et al., 2017): ``(B,)`` to ``(B, dim)``."""
    half = dim // 2
    frequencies = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    angles = t.float()[:, None] * frequencies[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class ResidualBlock(nn.Module):
    """Norm, SiLU, 3x3 conv; the step as scale and shift; norm, SiLU, dropout, 3x3 conv; skip."""

    def __init__(self, c_in: int, c_out: int, time_dim: int, groups: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time = nn.Linear(time_dim, 2 * c_out)
        self.norm2 = nn.GroupNorm(groups, c_out)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.time(emb)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(self.dropout(F.silu(h)))
        return h + self.skip(x)


class SelfAttention(nn.Module):
    """Multi-head self-attention over the pixels of a feature map, with a residual connection."""

    def __init__(self, channels: int, heads: int, groups: int) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"channels {channels} must be divisible by heads {heads}")
        self.heads = heads
        self.norm = nn.GroupNorm(groups, channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w).unbind(1)
        attended = F.scaled_dot_product_attention(q.transpose(-1, -2), k.transpose(-1, -2),
                                                  v.transpose(-1, -2))
        return x + self.out(attended.transpose(-1, -2).reshape(b, c, h, w))


class UNet(nn.Module):
    r"""A time-conditioned U-Net ``R(x, t)``: images ``(B, C, H, W)`` and steps to images.

    ``t`` is an int or an integer tensor of shape ``(B,)``; it enters through a sinusoidal
    embedding and an MLP. Build it from a preset, ``UNet.preset("small", in_channels=1)``, or a
    :class:`UNetConfig`. See :data:`PRESETS` for the sizes.

    Examples:
        >>> import torch
        >>> from restore import UNet
        >>> R = UNet.preset("tiny", in_channels=1)
        >>> R(torch.zeros(2, 1, 32, 32), torch.tensor([3, 7])).shape
        torch.Size([2, 1, 32, 32])
    """

    def __init__(self, config: UNetConfig | None = None, **overrides: object) -> None:
        super().__init__()
        config = replace(config or UNetConfig(), **overrides)
        self.config = config
        widths = [config.channels * m for m in config.channel_mults]
        time_dim = 4 * config.channels
        block = lambda c_in, c_out: ResidualBlock(  # noqa: E731
            c_in, c_out, time_dim, config.groups, config.dropout)
        attention = lambda c: SelfAttention(c, config.attention_heads, config.groups)  # noqa: E731

        self.time_mlp = nn.Sequential(nn.Linear(config.channels, time_dim), nn.SiLU(),
                                      nn.Linear(time_dim, time_dim))
        self.conv_in = nn.Conv2d(config.in_channels, config.channels, 3, padding=1)
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        c = config.channels
        for level, width in enumerate(widths):
            stage = nn.ModuleList()
            for _ in range(config.blocks_per_level):
                stage.append(block(c, width))
                c = width
                if level in config.attention_levels:
                    stage.append(attention(c))
            self.down.append(stage)
            last = level == len(widths) - 1
            self.downsample.append(nn.Identity() if last else nn.Conv2d(c, c, 3, 2, padding=1))
        self.middle = nn.ModuleList([block(c, c)])
        if config.attention_levels:
            self.middle.append(attention(c))
        self.middle.append(block(c, c))
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for level, width in reversed(list(enumerate(widths))):
            stage = nn.ModuleList()
            c_in = c + width
            for _ in range(config.blocks_per_level):
                stage.append(block(c_in, width))
                c_in = width
                if level in config.attention_levels:
                    stage.append(attention(width))
            c = width
            self.up.append(stage)
            first = level == 0
            self.upsample.append(nn.Identity() if first else nn.Conv2d(c, c, 3, padding=1))
        self.norm_out = nn.GroupNorm(config.groups, c)
        self.conv_out = nn.Conv2d(c, config.out_channels or config.in_channels, 3, padding=1)

    @classmethod
    def preset(cls, name: str, **overrides: object) -> UNet:
        """A named size (``tiny``, ``small``, ``base``) with optional changes, e.g. channels."""
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; the presets are {sorted(PRESETS)}")
        return cls(PRESETS[name], **overrides)

    def forward(self, x: Tensor, t: int | Tensor) -> Tensor:
        factor = 2 ** (len(self.config.channel_mults) - 1)
        if x.dim() != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(
                f"UNet expects (B, {self.config.in_channels}, H, W) images, got {tuple(x.shape)}"
            )
        if x.shape[-2] % factor or x.shape[-1] % factor:
            raise ValueError(f"image sides must be divisible by {factor} for this U-Net, "
                             f"got {tuple(x.shape[-2:])}")
        t = torch.as_tensor(t, device=x.device)
        if t.is_floating_point() or t.dim() > 1:
            raise TypeError("t must be an int or an integer tensor of shape (B,)")
        emb = self.time_mlp(sinusoidal_embedding(t.expand(x.shape[0]), self.config.channels))
        h = self.conv_in(x)
        skips = []
        for stage, downsample in zip(self.down, self.downsample, strict=True):
            h = self._run(stage, h, emb)
            skips.append(h)
            h = downsample(h)
        h = self._run(self.middle, h, emb)
        for stage, upsample in zip(self.up, self.upsample, strict=True):
            h = self._run(stage, torch.cat([h, skips.pop()], dim=1), emb)
            if not isinstance(upsample, nn.Identity):
                h = upsample(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))

    @staticmethod
    def _run(stage: nn.ModuleList, h: Tensor, emb: Tensor) -> Tensor:
        for layer in stage:
            h = layer(h, emb) if isinstance(layer, ResidualBlock) else layer(h)
        return h

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def save_pretrained(self, folder: str | os.PathLike[str]) -> Path:
        """Write the network as a pretrained folder (:mod:`samplers.folders`): ``config.json``
        (its :class:`UNetConfig`) and ``model.safetensors`` (float32), its sha256 recorded."""
        config = {"format": FORMAT, "class": "UNet", "config": self.config.to_dict()}
        return folders.write(folder, config, {WEIGHTS: self.state_dict()})

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike[str]) -> UNet:
        """The network of :meth:`save_pretrained` (or of a whole model's folder), its files
        checked, in eval mode."""
        config = folders.read_config(folder)
        if not isinstance(config.get("config") or config.get("architecture"), dict):
            raise folders.FolderError(f"{folder} records no U-Net configuration")
        settings = config["config"] if "config" in config else config["architecture"]["config"]
        try:
            network = cls(UNetConfig.from_dict(settings))
        except (TypeError, ValueError) as error:
            raise folders.FolderError(f"{folder}: a bad U-Net configuration: {error}") from error
        _, tensors = folders.read(folder)
        if WEIGHTS not in tensors:
            raise folders.FolderError(f"{folder} holds no {WEIGHTS}")
        try:
            network.load_state_dict(tensors[WEIGHTS])
        except RuntimeError as error:
            raise folders.FolderError(f"{folder} holds the weights of another network") \
                from error
        return network.eval()
