"""Desaturation (colorization): A.4 of Bansal et al. (2022).

References: Bansal et al., 2022, "Cold Diffusion: Inverting Arbitrary Image Transforms Without
Noise", arXiv:2208.09392.
"""

from __future__ import annotations

from torch import Tensor

from .base import Degradation


class DesaturationSchedule(Degradation):
    r"""Colorization diffusion ``D(x, t) = z(t / T) * x`` (A.4 of Bansal et al. (2022)).

    ``z(alpha)`` is the 1x1 convolution that mixes each channel with the channel mean,
    ``z^c(alpha) x = alpha * mean_c(x) + (1 - alpha) * x^c``; composing the per-step filters of
    the paper gives ``z(alpha_t)`` with ``alpha_t = t / T``, so ``D(x, T)`` is grey. Needs RGB
    (3-channel) images.

    Args:
        num_steps: the number of steps ``T``.

    Examples:
        >>> import torch
        >>> from degrade import DesaturationSchedule
        >>> D = DesaturationSchedule(num_steps=20)
        >>> x0 = torch.rand(2, 3, 8, 8) * 2 - 1
        >>> grey = D(x0, 20)
        >>> bool(torch.allclose(grey[:, 0], grey[:, 1]))
        True
    """

    is_linear = True
    channels = 3

    def degrade(self, x: Tensor, t: Tensor) -> Tensor:
        alpha = (t.to(x.dtype) / self.num_steps).view(-1, 1, 1, 1)
        return (1 - alpha) * x + alpha * x.mean(dim=1, keepdim=True)
