"""An exponential moving average of a model's weights (A.1 of Bansal et al. (2022): decay 0.995).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Keeps ``ema = decay * ema + (1 - decay) * model`` for parameters; buffers are copied.

    Before ``start`` updates the average is reset to the model, as the paper's code does (its
    ``step_start_ema``), so that early weights do not linger.
    """

    def __init__(self, model: nn.Module, decay: float = 0.995, start: int = 2000) -> None:
        if not 0 <= decay < 1:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        self.decay, self.start = decay, start
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        if step < self.start:
            self.model.load_state_dict(model.state_dict())
            return
        for average, current in zip(self.model.parameters(), model.parameters(), strict=True):
            average.lerp_(current.detach(), 1 - self.decay)
        for average, current in zip(self.model.buffers(), model.buffers(), strict=True):
            average.copy_(current)
