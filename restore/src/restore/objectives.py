"""What the restorer learns: the training objective, ``(prediction, target)`` for a batch.

An objective is any callable ``objective(R, D, x0, t) -> (prediction, target)``; the trainer
takes the L1 (or L2) distance between the two. The default is section 3.1 of cold-diffusion.md;
other targets (a noise predictor, say) are objectives of the same form.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

Objective = Callable[[nn.Module, Callable[[Tensor, Tensor], Tensor], Tensor, Tensor],
                     tuple[Tensor, Tensor]]


def restore_x0(R: nn.Module, D: Callable[[Tensor, Tensor], Tensor], x0: Tensor,
               t: Tensor) -> tuple[Tensor, Tensor]:
    """Section 3.1: ``R(D(x0, t), t)`` should be ``x0``."""
    return R(D(x0, t), t), x0
