"""SuperResolutionSchedule (section 4.3, A.3)."""

import pytest
import torch
import torch.nn.functional as F

from degrade import SuperResolutionSchedule


def halvings(x, t):
    """t successive 2x2 averages, then nearest-neighbour upsampling to full size."""
    low = x
    for _ in range(t):
        low = (low[..., ::2, ::2] + low[..., 1::2, ::2] + low[..., ::2, 1::2]
               + low[..., 1::2, 1::2]) / 4
    return F.interpolate(low, size=x.shape[-2:], mode="nearest")


@pytest.mark.parametrize("t", range(6))
def test_closed_form_equals_successive_halvings(t):
    D = SuperResolutionSchedule(5)
    x0 = torch.rand(2, 3, 64, 32, dtype=torch.float64) * 2 - 1
    assert torch.allclose(D(x0, t), halvings(x0, t), atol=1e-12)


def test_from_sizes_gives_the_papers_steps():
    assert SuperResolutionSchedule.from_sizes(32, 4).num_steps == 3
    assert SuperResolutionSchedule.from_sizes(128, 2).num_steps == 6


def test_last_step_has_the_final_resolution():
    D = SuperResolutionSchedule.from_sizes(32, 4)
    x_T = D(torch.rand(1, 1, 32, 32), 3)
    blocks = x_T.reshape(4, 8, 4, 8)
    assert torch.equal(blocks, blocks[:, :1, :, :1].expand_as(blocks))
