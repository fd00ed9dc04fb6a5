"""Priors over x_T for generation from scratch (sections 5.2 and 5.3)."""

import pytest
import torch

from samplers import (
    ChannelMeanPrior,
    DownsampledPrior,
    ImagePoolPrior,
    LowFrequencyPrior,
    Prior,
    SolidColorPrior,
    WhiteNoisePrior,
    fit_gaussian_mixture,
)


def images(n=400, seed=0):
    generator = torch.Generator().manual_seed(seed)
    levels = torch.randn(n, 3, 1, 1, generator=generator) * torch.tensor([0.3, 0.1, 0.2]).view(
        1, 3, 1, 1) + torch.tensor([0.2, -0.1, 0.0]).view(1, 3, 1, 1)
    return (levels + 0.3 * torch.randn(n, 3, 8, 8, generator=generator)).clamp(-1, 1)


def test_one_component_is_the_mean_and_covariance_of_channel_means():
    data = images()
    prior = ChannelMeanPrior().fit(data)
    means = data.double().mean(dim=(-2, -1))
    assert torch.allclose(prior.means[0], means.mean(0))
    assert torch.allclose(prior.covariances[0], torch.cov(means.T, correction=0), atol=1e-5)


def test_samples_are_constant_images_with_the_fitted_statistics():
    prior = ChannelMeanPrior().fit(images())
    x_T = prior.sample(20000, generator=torch.Generator().manual_seed(0))
    assert x_T.shape == (20000, 3, 8, 8)
    assert torch.equal(x_T, x_T[:, :, :1, :1].expand_as(x_T))
    levels = x_T[:, :, 0, 0].double()
    assert torch.allclose(levels.mean(0), prior.means[0], atol=0.01)
    assert torch.allclose(torch.cov(levels.T), prior.covariances[0], atol=0.005)


def test_noise_breaks_the_symmetry():
    prior = ChannelMeanPrior(noise_std=0.002).fit(images())
    x_T = prior.sample(64, generator=torch.Generator().manual_seed(0))
    spread = x_T - x_T.mean(dim=(-2, -1), keepdim=True)
    assert spread.std().item() == pytest.approx(0.002, rel=0.05)
    assert torch.equal(prior.sample(4, generator=torch.Generator().manual_seed(1), noise_std=0.0),
                       prior.sample(4, generator=torch.Generator().manual_seed(1),
                                    noise_std=0.0)[:, :, :1, :1].expand(4, 3, 8, 8))


def test_two_components_find_two_clusters():
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(300, 2, generator=generator) * 0.1 + torch.tensor([1.0, 0.0])
    b = torch.randn(100, 2, generator=generator) * 0.1 + torch.tensor([-1.0, 0.5])
    weights, means, _ = fit_gaussian_mixture(torch.cat([a, b]), 2, generator=generator)
    order = means[:, 0].argsort(descending=True)
    assert torch.allclose(weights[order], torch.tensor([0.75, 0.25], dtype=torch.float64),
                          atol=0.01)
    assert torch.allclose(means[order], torch.tensor([[1.0, 0.0], [-1.0, 0.5]],
                                                     dtype=torch.float64), atol=0.03)


def test_downsampled_prior_draws_blocky_images_at_full_size():
    data = images()
    prior = DownsampledPrior(final_size=2).fit(data)
    x_T = prior.sample(5000, generator=torch.Generator().manual_seed(0))
    assert x_T.shape == (5000, 3, 8, 8)
    blocks = x_T.reshape(5000, 3, 2, 4, 2, 4)
    assert torch.equal(blocks, blocks[:, :, :, :1, :, :1].expand_as(blocks))
    low = torch.nn.functional.avg_pool2d(data.double(), 4).flatten(1)
    assert torch.allclose(x_T[:, :, ::4, ::4].flatten(1).double().mean(0), low.mean(0), atol=0.02)
    with pytest.raises(ValueError, match="averaged down"):
        DownsampledPrior(final_size=3).fit(data)


def dct(n):
    """The orthonormal DCT-II matrix, built from its definition."""
    k, j = torch.meshgrid(torch.arange(n, dtype=torch.float64),
                          torch.arange(n, dtype=torch.float64), indexing="ij")
    scale = torch.where(k == 0, (1 / n) ** 0.5, (2 / n) ** 0.5)
    return scale * torch.cos(torch.pi * k * (2 * j + 1) / (2 * n))


def test_low_frequency_prior_draws_the_fitted_coefficients_and_nothing_above():
    g = torch.Generator().manual_seed(0)
    C = dct(8)
    # images whose only content is a 3x3 block of correlated low coefficients
    mean = torch.randn(2, 3, 3, generator=g, dtype=torch.float64)
    mixing = torch.randn(18, 18, generator=g, dtype=torch.float64) * 0.3
    coefficients = mean + (torch.randn(6000, 18, generator=g, dtype=torch.float64)
                           @ mixing.T).view(-1, 2, 3, 3)
    full = torch.zeros(6000, 2, 8, 8, dtype=torch.float64)
    full[:, :, :3, :3] = coefficients
    data = (C.T @ full @ C).float()
    x_T = LowFrequencyPrior(3).fit(data).sample(20000, generator=torch.Generator().manual_seed(1))
    drawn = C @ x_T.double() @ C.T
    assert drawn[:, :, 3:].abs().max() < 1e-5 and drawn[:, :, :, 3:].abs().max() < 1e-5
    low = drawn[:, :, :3, :3].flatten(1)
    assert torch.allclose(low.mean(0), mean.flatten(), atol=0.05)
    assert (low.T.cov() - mixing @ mixing.T).abs().max() < 0.15  # entries up to 2.5
    # one coefficient: the channel means, as ChannelMeanPrior draws them
    ones = LowFrequencyPrior(1).fit(images())
    level = ones.sample(20000, generator=torch.Generator().manual_seed(2))
    assert torch.equal(level, level[:, :, :1, :1].expand_as(level))
    expected = ChannelMeanPrior().fit(images()).sample(20000, generator=torch.Generator()
                                                       .manual_seed(2))
    assert torch.allclose(level.mean(0), expected.mean(0), atol=0.01)
    assert torch.allclose(level.std(0), expected.std(0), atol=0.01)
    with pytest.raises(ValueError, match="exceeds"):
        LowFrequencyPrior(9).fit(images())
    with pytest.raises(ValueError, match="size must be"):
        LowFrequencyPrior(0)


def test_solid_colours_and_image_pool():
    prior = SolidColorPrior().fit(images())
    colours = prior.sample(500, generator=torch.Generator().manual_seed(0))
    assert torch.equal(colours, colours[:, :, :1, :1].expand_as(colours))
    assert colours.min() >= -1 and colours.max() <= 1 and colours.std() > 0.5
    pool = images(5)
    drawn = ImagePoolPrior().fit(pool).sample(50, generator=torch.Generator().manual_seed(0))
    assert all(bool((image == pool).flatten(1).all(1).any()) for image in drawn)
    noise = WhiteNoisePrior().fit(images()).sample(400, generator=torch.Generator().manual_seed(0))
    assert noise.shape[1:] == images().shape[1:]
    assert abs(float(noise.mean())) < 0.02 and abs(float(noise.std()) - 1) < 0.02
    assert abs(float(noise.flatten(1).T.corrcoef()[0, 1])) < 0.2   # pixels independent


@pytest.mark.parametrize(
    "make",
    [lambda: ChannelMeanPrior(components=2, noise_std=0.002), lambda: DownsampledPrior(2),
     lambda: LowFrequencyPrior(2, noise_std=0.02), SolidColorPrior, ImagePoolPrior,
     WhiteNoisePrior],
    ids=["channel-mean", "downsampled", "low-frequency", "solid-colour", "image-pool",
         "white-noise"],
)
def test_save_and_load_round_trip(tmp_path, make):
    prior = make().fit(images(50))
    folder = prior.save_pretrained(tmp_path / "prior")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "prior.safetensors"]
    loaded = Prior.from_pretrained(folder)
    assert type(loaded) is type(prior) and loaded.arguments() == prior.arguments()
    draw = lambda p: p.sample(6, generator=torch.Generator().manual_seed(3))  # noqa: E731
    assert torch.equal(draw(loaded), draw(prior))
    other = ImagePoolPrior if not isinstance(prior, ImagePoolPrior) else SolidColorPrior
    with pytest.raises(ValueError, match="is not a kind of"):
        other.from_pretrained(folder)


def test_an_image_pool_of_8_bit_images_is_stored_in_8_bits_and_loads_exactly(tmp_path):
    pixels = torch.randint(0, 256, (40, 3, 8, 8), generator=torch.Generator().manual_seed(0))
    pool = pixels.float() / 127.5 - 1              # as images decoded from 8-bit files
    smooth = images(40)                             # any other floats stay as they are
    sizes = {}
    for name, data in (("eight-bit", pool), ("float", smooth)):
        folder = ImagePoolPrior().fit(data).save_pretrained(tmp_path / name)
        sizes[name] = (folder / "prior.safetensors").stat().st_size
        loaded = Prior.from_pretrained(folder)
        assert loaded.images.dtype == torch.float32 and torch.equal(loaded.images, data)
    assert sizes["eight-bit"] < sizes["float"] / 3
    assert ImagePoolPrior().fit(pool.double()).state_dict()["images"].dtype == torch.float64


def test_constructor_arguments_survive_the_folder(tmp_path):
    prior = DownsampledPrior(final_size=4).fit(images(30))
    assert DownsampledPrior.from_pretrained(prior.save_pretrained(tmp_path / "p")).final_size == 4


def test_a_flipped_byte_is_refused_in_one_line(tmp_path):
    folder = ChannelMeanPrior(noise_std=0.002).fit(images(20)).save_pretrained(tmp_path / "p")
    data = bytearray((folder / "prior.safetensors").read_bytes())
    data[-3] ^= 1
    (folder / "prior.safetensors").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="altered") as caught:
        Prior.from_pretrained(folder)
    assert len(str(caught.value).splitlines()) == 1


def test_the_single_files_of_earlier_versions_still_load(tmp_path):
    prior = LowFrequencyPrior(2, noise_std=0.02).fit(images(40))
    path = tmp_path / "prior.pt"
    torch.save({"prior": "LowFrequencyPrior", **prior.state_dict()}, path)  # what save wrote
    with pytest.warns(DeprecationWarning, match="from_pretrained"):
        loaded = Prior.load(path)
    draw = lambda p: p.sample(6, generator=torch.Generator().manual_seed(3))  # noqa: E731
    assert torch.equal(draw(loaded), draw(prior))
    with pytest.warns(DeprecationWarning, match="save_pretrained"):
        prior.save(tmp_path / "folder")
    assert type(Prior.from_pretrained(tmp_path / "folder")) is LowFrequencyPrior


def test_unfitted_prior_says_so():
    with pytest.raises(RuntimeError, match="not fitted"):
        ChannelMeanPrior().sample(2)
    with pytest.raises(ValueError, match="noise_std"):
        ChannelMeanPrior(noise_std=-1.0)


@pytest.mark.parametrize("make", [ChannelMeanPrior, DownsampledPrior, LowFrequencyPrior,
                                  SolidColorPrior, ImagePoolPrior, WhiteNoisePrior])
def test_priors_refuse_non_finite_images_and_draw_empty_batches(make):
    data = images(20)
    for bad in (float("nan"), float("inf")):
        broken = data.clone()
        broken[3, 0, 1, 1] = bad
        with pytest.raises(ValueError, match="NaN or infinite"):
            make().fit(broken)
    prior = make().fit(data)
    empty = prior.sample(0)
    assert empty.shape == (0, *data.shape[1:])
    for n in (-1, 1.5, True):
        with pytest.raises(ValueError, match="n must be"):
            prior.sample(n)
    for std in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="noise_std"):
            prior.sample(2, noise_std=std)
