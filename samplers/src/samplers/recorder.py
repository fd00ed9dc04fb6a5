"""A callback that keeps a sampler's trajectory, for figures like Figures 2, 10 and 12."""

from __future__ import annotations

import torch
from torch import Tensor

from .validation import Step


class Recorder:
    """Keep ``(s, x_s, x0_hat)`` every ``every`` steps, on ``device`` (the CPU by default).

    Pass it as ``callback=``; memory grows with the number of records only, so choose ``every``
    for long walks.

    Examples:
        >>> import torch, samplers
        >>> record = samplers.Recorder(every=5)
        >>> D = lambda x, s: x * (1 - s / 20)
        >>> _ = samplers.tacos(lambda x, s: x, D, torch.ones(1, 1, 2, 2), 20, callback=record)
        >>> record.steps
        [15, 10, 5, 0]
    """

    def __init__(self, every: int = 1, device: torch.device | str = "cpu") -> None:
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self.every, self.device = every, torch.device(device)
        self.steps: list[Step] = []
        self.x: list[Tensor] = []
        self.x0_hat: list[Tensor] = []
        self._calls = 0

    def __call__(self, s: Step, x_s: Tensor, x0_hat: Tensor) -> None:
        self._calls += 1
        if self._calls % self.every == 0:
            self.steps.append(s.clone() if isinstance(s, Tensor) else s)
            self.x.append(x_s.detach().to(self.device, copy=True))
            self.x0_hat.append(x0_hat.detach().to(self.device, copy=True))
