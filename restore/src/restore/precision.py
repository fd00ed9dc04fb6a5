"""How a network computes: float32 or a 16-bit autocast, and the memory layout, chosen together.

bfloat16 autocast pays only where the hardware computes bf16 itself: CUDA GPUs that support it,
x86 CPUs with AVX512-BF16 or AMX-BF16, Arm CPUs with the BF16 extension. Elsewhere oneDNN
emulates it, which on the AVX2 CPU of docs/performance.md made a training step 10 to 25 times
slower than float32. The layout matters as much: on an AVX-512 CPU with native bf16 the
contiguous layout gained most from bf16 (1.52 to 1.67 times float32 for the width-16 U-Net, as
measured for issue 25), channels-last almost nothing (1.05 to 1.17); in float32 channels-last
is the faster layout (1.03 to 1.09 times contiguous here). So :func:`choose` decides both at
once, and says why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import platform
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
"""Autocast precisions: ``auto`` (:func:`choose`), bfloat16, float16 (with a gradient scaler
when training) or float32 (no autocast)."""

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}
_CPU_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})
"""``/proc/cpuinfo`` flags of bf16 arithmetic: x86's AVX512-BF16 and AMX-BF16 (``flags``),
Arm's BF16 extension (``Features``)."""


@dataclasses.dataclass(frozen=True)
class Numerics:
    """A resolved choice: the autocast ``precision`` (``"bf16"``, ``"fp16"`` or ``"fp32"``),
    whether tensors are ``channels_last``, the ``reason`` in words, and whether the device
    only ``emulates`` the 16-bit arithmetic (far slower than float32)."""

    precision: str
    channels_last: bool
    reason: str
    emulated: bool = False

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype, None for float32."""
        return _DTYPES[self.precision]

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def autocast(self, device: torch.device | str) -> contextlib.AbstractContextManager:
        """The autocast context for ``device`` (a no-op in float32)."""
        device_type = torch.device(device).type
        return torch.autocast(device_type, dtype=self.dtype, enabled=self.dtype is not None)

    def record(self) -> dict[str, Any]:
        """What a run's log records of the choice."""
        return {"precision": self.precision, "channels_last": self.channels_last,
                "why": self.reason}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags as Linux reports them in ``cpuinfo`` (``flags`` on x86,
    ``Features`` on Arm); on macOS, ``bf16`` where ``sysctl`` reports Arm's FEAT_BF16; empty
    where unknown."""
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("flags", "Features"):
                return frozenset(value.split())
        return frozenset()
    if platform.system() == "Darwin":
        try:
            answer = subprocess.run(["sysctl", "-n", "hw.optional.arm.FEAT_BF16"],
                                    capture_output=True, text=True, timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return frozenset()
        return frozenset({"bf16"}) if answer == "1" else frozenset()
    return frozenset()


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16, AMX-BF16 or Arm BF16) and
    torch's oneDNN backend can use it."""
    onednn = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    if onednn is not None and not onednn():
        return False
    return bool(cpu_flags() & _CPU_BF16_FLAGS)


def has_native_bf16(device: torch.device | str) -> bool:
    """Whether ``device`` computes bf16 natively."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_has_bf16()
    return False


def choose(precision: str = "auto", channels_last: bool | str = "auto",
           device: torch.device | str = "cpu", *, auto_bf16: bool = True) -> Numerics:
    """The precision and layout for ``device``.

    Args:
        precision: one of :data:`PRECISIONS`. ``"auto"`` is bf16 where ``device`` computes it
            natively (and ``auto_bf16``), float32 elsewhere.
        channels_last: True, False or ``"auto"``: contiguous for bf16 or fp16 on a CPU,
            channels-last otherwise (the faster layout of each, docs/performance.md).
        device: where the network runs.
        auto_bf16: whether ``"auto"`` may choose bf16 at all (False keeps float32, for uses
            whose quality in bf16 has not been measured).

    Examples:
        >>> choose("fp32", device="cpu").channels_last
        True
        >>> choose("bf16", device="cpu").channels_last
        False
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if channels_last not in (True, False, "auto"):
        raise ValueError(f'channels_last must be True, False or "auto", got {channels_last!r}')
    device = torch.device(device)
    native = has_native_bf16(device)
    if precision == "auto":
        precision = "bf16" if native and auto_bf16 else "fp32"
        reason = (f"auto: {device.type} computes bf16 natively" if precision == "bf16" else
                  f"auto: {'float32 chosen' if native else 'no native bf16'} on {device.type}")
    else:
        reason = "asked for"
    emulated = device.type == "cpu" and precision == "bf16" and not native
    if emulated:
        reason += ("; this CPU has no native bf16 (AVX512-BF16, AMX or Arm BF16), so it is "
                   "emulated, several times slower than fp32")
    if channels_last == "auto":
        channels_last = not (device.type == "cpu" and precision != "fp32")
        reason += f"; {'channels-last' if channels_last else 'contiguous'} layout (auto)"
    return Numerics(precision, bool(channels_last), reason, emulated)


def for_training(precision: str, channels_last: bool | str,
                 device: torch.device | str) -> Numerics:
    """:func:`choose` for a training run: ``"auto"`` trains in bf16 on GPUs that support it
    and in float32 on every CPU, native bf16 or not. On a CPU bf16 training does not land
    within the seed scatter: 5,000 steps of ``cifar10-blur`` in bf16 restore 6 % worse directly
    (TACoS as well as float32) on two seeds, docs/performance.md; so there it is asked for by
    name."""
    device = torch.device(device)
    return choose(precision, channels_last, device, auto_bf16=device.type == "cuda")


def autocast_network(R: Callable[..., Tensor], numerics: Numerics,
                     device: torch.device | str) -> Callable[..., Tensor]:
    """``R`` called under ``numerics``: inputs in its layout, the output back in float32
    (samplers add and compare in float32 whatever the network computes in)."""
    if numerics.dtype is None and not numerics.channels_last:
        return R

    def network(x: Tensor, t: Any) -> Tensor:
        with numerics.autocast(device):
            out = R(x.contiguous(memory_format=numerics.memory_format), t)
        return out.float().contiguous()

    return network
