"""What the restorer learns: the training objective, ``(prediction, target)`` for a batch.

An objective is any callable ``objective(R, D, x0, t) -> (prediction, target)``; the trainer
takes the L1 (or L2) distance between the two. The default is section 3.1 of cold-diffusion.md;
:func:`predict_noise` trains a noise predictor (eq. 18 of blur-diffusion.md).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

Objective = Callable[[nn.Module, Callable[[Tensor, Tensor], Tensor], Tensor, Tensor],
                     tuple[Tensor, Tensor]]


def restore_x0(R: nn.Module, D: Callable[[Tensor, Tensor], Tensor], x0: Tensor,
               t: Tensor) -> tuple[Tensor, Tensor]:
    """Section 3.1: ``R(D(x0, t), t)`` should be ``x0``."""
    return R(D(x0, t), t), x0


def predict_noise(R: nn.Module, D: Callable[..., Tensor], x0: Tensor,
                  t: Tensor) -> tuple[Tensor, Tensor]:
    """Eq. (18) of blur-diffusion.md: ``R(D(x0, t, eps=eps), t)`` should be ``eps ~ N(0, I)``.

    ``D`` takes the white noise as its keyword ``eps`` (``degrade.BlurDiffusion`` does); the
    noise is drawn from torch's random state, which checkpoints save, so runs resume exactly.
    Train with the L2 loss.
    """
    eps = torch.randn_like(x0)
    return R(D(x0, t, eps=eps), t), eps
