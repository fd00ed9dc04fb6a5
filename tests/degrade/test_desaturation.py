"""DesaturationSchedule (A.4): the closed form z(t/T) equals the per-step 1x1 filters."""

import torch
import torch.nn.functional as F

from degrade import DesaturationSchedule


def z(alpha):
    """The paper's 3x3 channel-mixing matrix z(alpha)."""
    return alpha * torch.full((3, 3), 1 / 3, dtype=torch.float64) + (1 - alpha) * torch.eye(
        3, dtype=torch.float64)


def test_equals_the_1x1_convolution_with_z_of_t_over_T():
    D = DesaturationSchedule(20)
    x0 = torch.rand(2, 3, 8, 8, dtype=torch.float64) * 2 - 1
    for t in range(21):
        expected = F.conv2d(x0, z(t / 20)[:, :, None, None])
        assert torch.allclose(D(x0, t), expected, atol=1e-12)


def test_last_step_is_grey_and_keeps_the_mean():
    D = DesaturationSchedule(50)
    x0 = torch.rand(4, 3, 8, 8, dtype=torch.float64) * 2 - 1
    x_T = D(x0, 50)
    assert torch.allclose(x_T, x0.mean(dim=1, keepdim=True).expand_as(x0), atol=1e-12)
