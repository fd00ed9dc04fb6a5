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


@pytest.mark.parametrize("image_size, final_size", [
    (0, 1), (32, 0), (-32, 4), (True, 1), (32.0, 4), (32, 1.0), (32, 32), (32, 64), (48, 4),
    (33, 4), (32, 3)])
def test_from_sizes_refuses_what_is_not_a_chain_of_halvings(image_size, final_size):
    with pytest.raises(ValueError):
        SuperResolutionSchedule.from_sizes(image_size, final_size)


def test_from_sizes_takes_one_halving():
    assert SuperResolutionSchedule.from_sizes(8, 4).num_steps == 1


@pytest.mark.parametrize("shape", [(1, 1, 12, 16), (1, 1, 16, 12), (1, 1, 6, 6)])
def test_sides_must_halve_t_times(shape):
    with pytest.raises(ValueError, match="cannot be halved"):
        SuperResolutionSchedule(3)(torch.zeros(shape), 1)


def test_a_step_averages_non_square_blocks_right():
    x = torch.arange(2 * 8, dtype=torch.float32).view(1, 1, 2, 8) / 16
    out = SuperResolutionSchedule(1)(x, 1)
    expected = torch.nn.functional.avg_pool2d(x, 2).repeat_interleave(2, -2).repeat_interleave(
        2, -1)
    assert torch.equal(out, expected)
