"""The metrics of the paper's tables, checked against scikit-image and closed forms."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg
from skimage.metrics import structural_similarity

from zoo import metrics


def images(seed, shape):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def skimage_ssim(x, y):
    x, y = ((x.double() + 1) / 2).numpy(), ((y.double() + 1) / 2).numpy()
    return np.mean([
        structural_similarity(a, b, channel_axis=0, data_range=1, gaussian_weights=True,
                              sigma=1.5, use_sample_covariance=False)
        for a, b in zip(x, y, strict=True)
    ])


@settings(max_examples=25)
@given(seed=st.integers(0, 2**16), channels=st.sampled_from([1, 3]),
       size=st.integers(11, 24), noise=st.floats(0, 1))
def test_ssim_matches_scikit_image(seed, channels, size, noise):
    x = images(seed, (2, channels, size, size))
    y = (x + noise * images(seed + 1, x.shape)).clamp(-1, 1)
    assert metrics.ssim(x, y) == pytest.approx(skimage_ssim(x, y), abs=1e-9)


def test_ssim_of_identical_images_is_one():
    x = images(0, (2, 3, 16, 16))
    assert metrics.ssim(x, x) == pytest.approx(1.0)


@given(seed=st.integers(0, 2**16))
def test_rmse_and_psnr_are_global_over_pixels_in_unit_range(seed):
    x, y = images(seed, (3, 1, 8, 8)), images(seed + 1, (3, 1, 8, 8))
    a, b = (x.numpy() + 1) / 2, (y.numpy() + 1) / 2
    expected = math.sqrt(np.mean((a.astype(np.float64) - b) ** 2))
    assert metrics.rmse(x, y) == pytest.approx(expected, rel=1e-6)
    assert metrics.psnr(x, y) == pytest.approx(-20 * math.log10(expected), rel=1e-6)


def test_metric_inputs_are_checked():
    with pytest.raises(ValueError, match="same shape"):
        metrics.rmse(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 9))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        metrics.ssim(torch.zeros(8, 8), torch.zeros(8, 8))
    with pytest.raises(ValueError, match="smaller than the SSIM window"):
        metrics.ssim(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))
    assert metrics.psnr(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)) == math.inf


def test_frechet_distance_closed_form_for_diagonal_gaussians():
    mu1, mu2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    var1, var2 = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 1.0])
    expected = float(((mu1 - mu2) ** 2).sum() + ((var1.sqrt() - var2.sqrt()) ** 2).sum())
    got = metrics.frechet_distance(mu1, torch.diag(var1), mu2, torch.diag(var2))
    assert got == pytest.approx(expected, rel=1e-12)  # 5 + 1 + 1 + 4 = 11
    assert expected == 11


@settings(max_examples=20)
@given(seed=st.integers(0, 2**16), dim=st.integers(1, 12))
def test_frechet_distance_matches_scipy_sqrtm(seed, dim):
    g = torch.Generator().manual_seed(seed)
    a, b = torch.randn(dim, dim, generator=g).double(), torch.randn(dim, dim, generator=g).double()
    s1, s2 = a @ a.T + 0.1 * torch.eye(dim), b @ b.T + 0.1 * torch.eye(dim)
    mu1, mu2 = torch.randn(dim, generator=g).double(), torch.randn(dim, generator=g).double()
    root = linalg.sqrtm(s1.numpy() @ s2.numpy()).real
    expected = float(((mu1 - mu2) ** 2).sum() + np.trace(s1.numpy() + s2.numpy() - 2 * root))
    got = metrics.frechet_distance(mu1, s1, mu2, s2)
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-8)
    assert metrics.frechet_distance(mu2, s2, mu1, s1) == pytest.approx(got, rel=1e-8, abs=1e-8)


def test_frechet_distance_of_the_same_features_is_zero():
    features = torch.randn(500, 16, generator=torch.Generator().manual_seed(0))
    assert metrics.frechet_distance_of(features, features) == pytest.approx(0, abs=1e-8)
    shifted = metrics.frechet_distance_of(features, features + 1)
    assert shifted == pytest.approx(16, rel=1e-9)
    with pytest.raises(ValueError, match="N >= 2"):
        metrics.gaussian_statistics(torch.zeros(1, 4))


def test_weight_files_round_trip_their_dtypes(tmp_path):
    from zoo.files import load_verified, save_weights

    tensors = {"w": torch.rand(3, 3), "steps": torch.arange(4), "d": torch.rand(2).double()}
    digest = save_weights(tensors, tmp_path / "deep" / "w.safetensors")
    loaded = load_verified(tmp_path / "deep" / "w.safetensors", digest)
    assert loaded["w"].dtype == torch.float32                  # stored half, read as float32
    assert torch.allclose(loaded["w"], tensors["w"], atol=1e-3)
    assert loaded["steps"].dtype == torch.int64 and torch.equal(loaded["steps"], tensors["steps"])
    assert loaded["d"].dtype == torch.float32                  # floating: stored half
    exact = save_weights(tensors, tmp_path / "exact.safetensors", half=False)
    kept = load_verified(tmp_path / "exact.safetensors", exact)
    assert kept["d"].dtype == torch.float64 and torch.equal(kept["d"], tensors["d"])
    assert save_weights(tensors, tmp_path / "w2.safetensors") == digest


def test_statistics_need_two_feature_rows_and_ssim_its_window():
    with pytest.raises(ValueError):
        metrics.gaussian_statistics(torch.zeros(1, 4))
    mean, _ = metrics.gaussian_statistics(torch.tensor([[0.0, 1.0], [2.0, 3.0]]))
    assert torch.allclose(mean, torch.tensor([1.0, 2.0], dtype=mean.dtype))
    with pytest.raises(ValueError, match="smaller than the SSIM window"):
        metrics.ssim(torch.zeros(1, 1, 10, 40), torch.zeros(1, 1, 10, 40))
    with pytest.raises(ValueError, match="smaller than the SSIM window"):
        metrics.ssim(torch.zeros(1, 1, 40, 10), torch.zeros(1, 1, 40, 10))
    assert metrics.ssim(torch.zeros(1, 1, 11, 11), torch.zeros(1, 1, 11, 11)) == \
        pytest.approx(1.0)


def test_kernel_distance_is_unbiased_near_zero_for_one_distribution_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(600, 8, generator=g), torch.randn(600, 8, generator=g)
    same = metrics.kernel_distance_of(a, b, subset_size=300)
    assert abs(same) < 0.02
    shifts = [metrics.kernel_distance_of(a, b + shift, subset_size=300)
              for shift in (0.25, 0.5, 1.0)]
    assert same < shifts[0] < shifts[1] < shifts[2]
    # one subset of all rows: the closed form of the unbiased MMD^2
    x, y = a[:5].double(), b[:4].double() + 1

    def k(p, q):
        return (p @ q.T / 8 + 1) ** 3

    m = 4
    xs = x[:m]
    expected = ((k(xs, xs).sum() - k(xs, xs).trace() + k(y, y).sum() - k(y, y).trace())
                / (m * (m - 1)) - 2 * k(xs, y).mean())
    got = metrics.kernel_distance_of(x[:4], y, subsets=1, subset_size=4)
    assert got == pytest.approx(float(expected))
    with pytest.raises(ValueError, match="differ in size"):
        metrics.kernel_distance_of(a, torch.zeros(5, 3))
