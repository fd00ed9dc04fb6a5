"""Paired data: the observation each image carries reaches D (InDI's y, Delbracio and Milanfar,
2023), aligned with its image through batching, shuffling, flips and the x0-walk objective."""

import json

import pytest
import torch
from restore.carried import split_batch
from restore.data import HorizontalFlips, PairedImages

from restore import TrainConfig, Trainer, UNet


def blobs(n=32, size=16, seed=0):
    generator = torch.Generator().manual_seed(seed)
    low = torch.rand(n, 1, 4, 4, generator=generator) * 2 - 1
    return torch.nn.functional.interpolate(low, size=(size, size), mode="bilinear")


class Recording:
    """A straight path to y that checks each y is its own image's mirror (the pairs'
    relation), as a user's own D would take y."""

    num_steps = 4

    def __init__(self):
        self.calls = 0

    def __call__(self, x, t, *, y):
        assert torch.equal(y, x.flip(-1)), "an observation reached D beside another image"
        self.calls += 1
        fraction = (t.float() / 4).view(-1, 1, 1, 1)
        return (1 - fraction) * x + fraction * y


def config(**settings):
    return TrainConfig(**{**dict(steps=3, batch_size=8, sample_every=0, progress=False,
                                 device="cpu", log_every=1), **settings})


@pytest.mark.parametrize("flips", [False, True])
def test_each_image_trains_with_its_own_observation(tmp_path, flips):
    clean = blobs()
    pairs = PairedImages(clean, clean.flip(-1))
    dataset = HorizontalFlips(pairs, seed=3) if flips else pairs
    D = Recording()
    torch.manual_seed(0)
    Trainer(UNet.preset("tiny", in_channels=1), D, dataset, tmp_path, config(accumulate=2)
            ).train()
    assert D.calls == 6


def test_paired_images_check_their_input():
    clean = blobs(4)
    with pytest.raises(ValueError, match="one shape"):
        PairedImages(clean, clean[:3])
    with pytest.raises(ValueError, match="parameter name"):
        PairedImages(clean, clean, name="not a name")
    image, carried = PairedImages(clean, -clean, name="z")[2]
    assert torch.equal(carried["z"], -image)
    with pytest.raises(TypeError, match="PairedImages"):
        split_batch(("a", "b", "c"))


def test_indi_on_pairs_with_noise_and_the_walk_objective(tmp_path):
    degrade = pytest.importorskip("degrade", reason="needs colddiff-degrade")
    from restore.objectives import restore_x0_on_walk

    clean = blobs()
    observed = torch.nn.functional.avg_pool2d(clean, 2).repeat_interleave(2, -1) \
        .repeat_interleave(2, -2)
    D = degrade.DirectIteration(None, num_steps=5, sigma=0.05)
    torch.manual_seed(0)
    run = Trainer(UNet.preset("tiny", in_channels=1), D.resampled(),
                  PairedImages(clean, observed), tmp_path, config(),
                  objective=restore_x0_on_walk)
    run.train()
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3]
    with pytest.raises(ValueError, match="cannot draw its parameter"):
        D.sample_params(clean)
