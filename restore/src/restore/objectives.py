"""What the restorer learns: the training objective, ``(prediction, target)`` for a batch.

An objective is any callable ``objective(R, D, x0, t) -> (prediction, target)``; the trainer
takes the L1 (or L2) distance between the two. The default is section 3.1 of Bansal et al. (2022);
:func:`predict_noise` trains a noise predictor (eq. 18 of Lee et al. (2022)), and
:func:`predict_previous` the one-step denoiser of inverse heat dissipation (Rissanen et al.,
2023).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392; Lee et al., 2022, "Progressive Deblurring of Diffusion Models for
Coarse-to-Fine Image Synthesis", arXiv:2207.11192; Rissanen, Heinonen and Solin, 2023,
"Generative Modelling With Inverse Heat Dissipation", arXiv:2206.13397.
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
    """Eq. (18) of Lee et al. (2022): ``R(D(x0, t, eps=eps), t)`` should be ``eps ~ N(0, I)``.

    ``D`` takes the white noise as its keyword ``eps`` (``degrade.BlurDiffusion`` does); the
    noise is drawn from torch's random state, which checkpoints save, so runs resume exactly.
    Train with the L2 loss.
    """
    eps = torch.randn_like(x0)
    return R(D(x0, t, eps=eps), t), eps


def predict_previous(R: nn.Module, D: Callable[..., Tensor], x0: Tensor,
                     t: Tensor) -> tuple[Tensor, Tensor]:
    """Eq. (6) of Rissanen et al. (2023): ``R(D(x0, t, z=z), t)`` should be the noiseless,
    less degraded ``D(x0, t - 1, z=0)``.

    ``D`` takes its standard normal noise as the keyword ``z`` (``degrade.HeatDissipation``
    does); it is drawn from torch's random state, which checkpoints save, so runs resume
    exactly. Train with the L2 loss; sample with ``samplers.previous_step``.
    """
    z = torch.randn_like(x0)
    return R(D(x0, t, z=z), t), D(x0, t - 1, z=torch.zeros_like(x0))
