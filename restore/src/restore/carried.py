"""Parameters of ``D`` that the data carries: the observations of paired data.

A data set whose items are ``(image, {name: tensor})`` (:class:`restore.data.PairedImages`)
gives each batch parameters of ``D`` that are known, not drawn: the observed image ``y`` of
InDI's straight path (Delbracio and Milanfar, 2023, "Inversion by Direct Iteration: An
Alternative to Denoising Diffusion for Image Restoration", arXiv:2303.11435, section 3). The
trainer hands its objective :class:`Carrying`, ``D`` with them bound, so every objective trains
on pairs unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor


def split_batch(batch: Any) -> tuple[Tensor, dict[str, Tensor]]:
    """``(x0, carried)`` from a batch: a tensor (nothing carried) or ``[x0, {name: tensor}]``."""
    if isinstance(batch, Tensor):
        return batch, {}
    if isinstance(batch, (tuple, list)) and len(batch) == 2 and isinstance(batch[0], Tensor) \
            and isinstance(batch[1], dict):
        return batch[0], dict(batch[1])
    raise TypeError("a data set's items must be images (C, H, W) or pairs (image, {name: "
                    "tensor}) (restore.data.PairedImages), got " + type(batch).__name__)


class Carrying:
    """``D(x, t, **more)`` with the batch's carried parameters added: ``D(x, t, **carried,
    **more)``.

    ``num_steps`` is ``D``'s; :meth:`draw` fixes the other random parameters with the carried
    ones bound (``D.draw(like, given=carried)``, as the x0-walk objective asks).
    """

    def __init__(self, D: Callable[..., Tensor], carried: dict[str, Tensor]) -> None:
        self.D, self.carried = D, carried
        self.num_steps = getattr(D, "num_steps", None)

    def __call__(self, x: Tensor, t: Tensor, **more: Tensor) -> Tensor:
        return self.D(x, t, **self.carried, **more)

    def draw(self, like: Tensor) -> Callable[[Tensor, Tensor], Tensor]:
        """One fixed draw of ``D``'s other parameters for ``like``, the carried ones bound."""
        if hasattr(self.D, "draw"):
            return self.D.draw(like, given=self.carried)
        return self


def to_device(carried: dict[str, Tensor], device: torch.device) -> dict[str, Tensor]:
    """The carried parameters on the training device."""
    return {name: value.to(device, non_blocking=True) for name, value in carried.items()}
