"""Operators written for the samplers' tests, so that they run with colddiff-samplers alone."""

import pytest
import torch


def fade(num_steps: int):
    """A linear ``D(x, t)``: each step keeps 90 % of an image's contrast about its own mean,
    ``D(x, t) = 0.9^t x + (1 - 0.9^t) mean(x)``; ``t`` an int or a ``(B,)`` tensor."""

    def D(x: torch.Tensor, t) -> torch.Tensor:
        keep = torch.as_tensor(0.9, dtype=x.dtype) ** torch.as_tensor(t, dtype=x.dtype)
        keep = keep.reshape(-1, 1, 1, 1) if keep.dim() else keep
        mean = x.mean(dim=(-2, -1), keepdim=True)
        return keep * x + (1 - keep) * mean

    D.num_steps = num_steps
    return D


def degrade_package():
    """``degrade``, for the tests that run a sampler on its operators; they skip, with the
    reason, where only colddiff-samplers is installed (CI's package-by-package run)."""
    return pytest.importorskip("degrade", reason="needs colddiff-degrade (samplers does not)")
