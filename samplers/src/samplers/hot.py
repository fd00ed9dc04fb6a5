"""Hot diffusion with estimated noise: section 5.1 and A.6 of Bansal et al. (2022).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch
from torch import Tensor

from .loop import Callback, Restorer, sample
from .validation import Step


class InterpolatingDegradation(Protocol):
    """A degradation ``D(x, s) = a_s x + b_s z`` that can tell its coefficients."""

    def coefficients(self, s: Step) -> tuple[Tensor, Tensor]:
        """``(a_s, b_s)``: scalars for an int ``s``, tensors of shape ``(B,)`` for a tensor."""
        ...


def estimated_noise(
    R: Restorer,
    D: InterpolatingDegradation,
    x_t: Tensor,
    t: Step,
    *,
    steps: Sequence[int] | Tensor | None = None,
    callback: Callback | None = None,
    progress: bool = False,
) -> Tensor:
    r"""TACoS for ``D(x, s) = a_s x + b_s z`` with the noise re-estimated at every step (A.6).

    At step ``s``: ``x0_hat = R(x_s, s)``, ``z_hat = (x_s - a_s x0_hat) / b_s`` and
    ``x_{s'} = a_{s'} x0_hat + b_{s'} z_hat``, which is Algorithm 2 with ``z = z_hat``. With
    ``a_s = sqrt(abar_s)`` and ``b_s = sqrt(1 - abar_s)`` this is DDIM with ``eta = 0``
    (Song et al., 2021), step for step: "Estimated Noise" in Table 5.

    Args:
        R: the restorer, predicting the clean image.
        D: any object with ``coefficients(s) -> (a_s, b_s)`` (``degrade.NoiseSchedule`` and
            ``degrade.MixingSchedule`` have it) and, optionally, ``num_steps``.
        x_t: the degraded images, at step ``t``.
        t: the step to walk back from.
        steps: the steps to visit, as for :func:`samplers.tacos`.
        callback: called after each step, as for :func:`samplers.tacos`.
        progress: draw a progress bar.
    """
    coefficients = getattr(D, "coefficients", None)
    if not callable(coefficients):
        raise TypeError(
            "estimated_noise needs D.coefficients(s) -> (a_s, b_s) for D(x, s) = a_s x + b_s z; "
            f"{type(D).__name__} has none"
        )

    def update(x_s: Tensor, x0_hat: Tensor, s: Step, s_next: Step) -> Tensor:
        a_s, b_s = (_like(c, x_s) for c in coefficients(s))
        a_next, b_next = (_like(c, x_s) for c in coefficients(s_next))
        z_hat = (x_s - a_s * x0_hat) / b_s
        return a_next * x0_hat + b_next * z_hat

    return sample(update, R, x_t, t, num_steps=getattr(D, "num_steps", None), steps=steps,
                  callback=callback, progress=progress, name="estimated_noise")


def _like(value: Tensor | float, x: Tensor) -> Tensor:
    """A coefficient, scalar or per image, shaped to broadcast over ``x``."""
    value = torch.as_tensor(value, dtype=x.dtype, device=x.device)
    return value.view(-1, *([1] * (x.dim() - 1))) if value.dim() == 1 else value
