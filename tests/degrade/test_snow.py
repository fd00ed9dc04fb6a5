"""SnowSchedule (A.5): each step of the ImageNet-C recipe, checked independently."""

import math

import numpy as np
import pytest
import torch
from scipy import ndimage

from degrade import SnowSchedule, gaussian_kernel1d


def reference_zoom(seed, zoom):
    """scipy's order-1 zoom of the upper-left corner, trimmed to the original size."""
    height, width = seed.shape
    corner = seed[: math.ceil(height / zoom), : math.ceil(width / zoom)]
    zoomed = ndimage.zoom(corner, zoom, order=1)
    top, left = (zoomed.shape[0] - height) // 2, (zoomed.shape[1] - width) // 2
    return zoomed[top : top + height, left : left + width]


@pytest.mark.parametrize(("size", "zoom"), [((32, 32), 2.5), ((24, 40), 3.0), ((17, 17), 1.5)])
def test_zoom_matches_scipy(size, zoom):
    D = SnowSchedule(10, zoom=zoom)
    seed = torch.randn(1, *size, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    ours = D._zoom_corner(seed)[0].numpy()
    assert ours.shape == size
    np.testing.assert_allclose(ours, reference_zoom(seed[0].numpy(), zoom), atol=1e-12)


def numpy_snow(seed, vertical, threshold, sigma, zoom, size):
    """Steps 1-4 of A.5 written with numpy and scipy."""
    zoomed = reference_zoom(seed, zoom)
    flakes = np.clip(np.where(zoomed > threshold, zoomed, 0), 0, 1)
    taps = gaussian_kernel1d(size, sigma).numpy()
    kernel = np.zeros((size, size))
    if vertical:
        kernel[:, size // 2] = taps
    else:
        kernel[size // 2, :] = taps
    snow = ndimage.correlate(flakes, kernel, mode="constant")
    return snow + snow[::-1, ::-1]


@pytest.mark.parametrize("vertical", [False, True])
@pytest.mark.parametrize("t", [1, 50, 120, 200])
def test_snow_equals_the_numpy_recipe(vertical, t):
    D = SnowSchedule(200, threshold=(1.15, 0.55), motion_sigma=(0.05, 20.0))
    x0 = torch.rand(1, 3, 32, 32, dtype=torch.float64) * 2 - 1
    seed = torch.randn(1, 32, 32, dtype=torch.float64) * 0.3 + 0.55
    params = {"seed": seed, "vertical": torch.tensor([vertical])}
    threshold = 1.15 + (0.55 - 1.15) * (t - 1) / 199
    sigma = 0.05 + (20.0 - 0.05) * (t - 1) / 199
    snow = numpy_snow(seed[0].numpy(), vertical, threshold, sigma, 2.5, 11)
    expected = np.clip((x0[0].numpy() + 1) / 2 + snow, 0, 1) * 2 - 1
    np.testing.assert_allclose(D(x0, t, **params)[0].numpy(), expected, atol=1e-12)


def test_snow_covers_more_of_the_image_as_t_grows():
    D = SnowSchedule(200)
    x0 = torch.zeros(4, 3, 32, 32)
    params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
    covered = [
        (D.snow_layer(torch.full((4,), t), params["seed"], params["vertical"]) > 0).sum().item()
        for t in range(0, 201, 10)
    ]
    assert covered[0] == 0
    assert covered == sorted(covered)
    assert covered[-1] > covered[1]


def test_direction_follows_the_parameter():
    """One flake blurs into a horizontal or a vertical streak; its 180-degree copy too."""
    D = SnowSchedule(10, threshold=(0.5, 0.5), motion_sigma=(3.0, 3.0), zoom=1.0)
    seed = torch.zeros(2, 21, 21)
    seed[:, 6, 7] = 1.0
    layer = D.snow_layer(torch.tensor([5, 5]), seed, torch.tensor([False, True]))[:, 0]
    horizontal, vertical = layer[0] > 0, layer[1] > 0
    assert horizontal[6].sum() == 11 and horizontal[:, 7].sum() == 1
    assert horizontal[14].sum() == 11 and horizontal.sum() == 22  # the copy at (14, 13)
    assert vertical[:, 7].sum() == 11 and vertical[6].sum() == 1
    assert vertical[:, 13].sum() == 11 and vertical.sum() == 22


def test_brightness_option_dims_towards_brightened_grey():
    D = SnowSchedule(10, threshold=(5.0, 5.0), brightness=(0.95, 0.4))
    x0 = torch.rand(1, 3, 16, 16, dtype=torch.float64) * 2 - 1
    params = D.sample_params(x0, generator=torch.Generator().manual_seed(0))
    image = (x0 + 1) / 2
    grey = (image * torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64).view(1, 3, 1, 1)
            ).sum(1, keepdim=True)
    bright = torch.maximum(image, grey * 1.5 + 0.5)
    expected = (0.4 * image + 0.6 * bright).clamp(0, 1) * 2 - 1
    assert torch.allclose(D(x0, 10, **params), expected, atol=1e-12)
