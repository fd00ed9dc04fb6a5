"""Soft diffusion in the zoo: a schedule, a run, a model folder that generates with the Momentum
Sampler (Daras et al., 2022, arXiv:2209.05442)."""

import json

import pytest
import torch
from restore.checkpoint import read as read_checkpoint

import degrade
import samplers
import zoo
from zoo import kinds, sampling


class _Shrink(torch.nn.Module):
    """A stand-in restorer, ``R(x, t) = 0.9 x``."""

    def forward(self, x, t):
        return 0.9 * x


def _soft_model(T=10, largest=0.2):
    model = zoo.load("mnist-blur-gen")
    fields = {f.name: getattr(model, f.name) for f in kinds.dataclasses.fields(model)}
    D = degrade.SoftCorruption.geometric(degrade.HeatDissipation(T, 0.5, 16.0, sigma=0.0),
                                         0.01, largest)
    prior = samplers.LowFrequencyPrior(2, noise_std=largest).fit(
        D.corrupt(zoo.sample_images("mnist", 16), T))
    entry = dict(model.entry, kind="soft-generator",
                 prior=dict(model.entry["prior"], noise_std=largest))
    return kinds.SoftGenerator(**fields | {"D_train": D, "R": _Shrink(), "prior": prior,
                                           "entry": entry})


def test_a_soft_generator_walks_back_from_its_prior_with_the_momentum_sampler():
    model = _soft_model()
    D = model.D_train
    g = torch.Generator().manual_seed(3)
    x_T = model.prior.sample(4, generator=g, noise_std=0.0)
    x_T = x_T + 0.2 * torch.randn(x_T.shape, generator=g)
    expected = samplers.momentum(model.R, D, x_T, 10, generator=g)
    assert torch.equal(model.generate(4, seed=3), expected)
    g = torch.Generator().manual_seed(3)
    x_T = model.prior.sample(4, generator=g, noise_std=0.0)
    eta = torch.randn(x_T.shape, generator=g)
    deterministic = samplers.momentum(model.R, D, x_T + 0.2 * eta, 10, stochastic=False)
    assert torch.equal(model.generate(4, seed=3, sampler="momentum-deterministic"),
                       deterministic)
    # TACoS keeps the prior's noise, scaled to each step's level (D.carrying)
    fixed = samplers.tacos(model.R, D.bind(noise=eta), x_T + 0.2 * eta, 10)
    assert torch.allclose(model.generate(4, seed=3, sampler="tacos"), fixed)
    assert list(model.conditions()) == ["Momentum sampler", "Momentum sampler, deterministic",
                                        "TACoS, fixed noise", "Direct"]
    assert model.generate(2, seed=0, steps=5).shape == (2, 1, 32, 32)
    assert "soft diffusion" in model.describe()


def test_tacos_on_the_carried_noise_is_the_deterministic_momentum_sampler_under_an_oracle():
    D = degrade.SoftCorruption.geometric(degrade.HeatDissipation(8, 0.5, 8.0, sigma=0.0),
                                         0.02, 0.3)
    x0 = torch.rand(2, 1, 16, 16, dtype=torch.float64) * 2 - 1
    eta = torch.randn_like(x0)
    x_T = D(x0, 8, noise=eta)
    walked = D.carrying(0.3 * eta)
    assert torch.allclose(walked(x0, 5), D(x0, 5, noise=eta))
    tacos = samplers.tacos(lambda x, s: x0, walked, x_T, 8)
    momentum = samplers.momentum(lambda x, s: x0, D, x_T, 8, stochastic=False)
    assert torch.allclose(tacos, momentum) and torch.allclose(tacos, x0)
    assert degrade.SoftCorruption(D.corruption, 0.0).carrying(eta).corruption is D.corruption


def test_the_kind_and_the_samplers_of_soft_diffusion():
    from zoo.folders import kind_of

    assert kind_of("soft", True) == "soft-generator" and kind_of("soft", False) == "restorer"
    assert kinds.CLASSES["soft-generator"] is kinds.SoftGenerator
    assert {"momentum", "momentum-deterministic"} <= set(sampling.names("cold"))
    from zoo.commands import restore as restore_command

    assert restore_command._all(_soft_model()) == ("tacos", "naive", "direct", "momentum",
                                                   "momentum-deterministic")
    assert restore_command._all(zoo.load("mnist-blur")) == ("tacos", "naive", "direct")
    with pytest.raises(TypeError, match="lacks corrupt, noise_level"):
        zoo.load("mnist-blur").restore(torch.zeros(1, 1, 32, 32), sampler="momentum")


@pytest.mark.parametrize("name, cold", [("mnist-soft-heat", "mnist-heat-gen"),
                                        ("celeba64-soft-heat", "celeba64-heat-gen")])
def test_the_schedule_builds_its_nested_corruption(name, cold):
    D = zoo.schedule(name)
    assert isinstance(D, degrade.SoftCorruption)
    assert isinstance(D.corruption, degrade.HeatDissipation) and D.corruption.sigma == 0
    assert float(D.noise_level(1)) == pytest.approx(0.01)
    assert float(D.noise_level(100)) == pytest.approx(0.2)
    config = zoo.named_schedule(name).run_config(recipe="cpu")
    assert (config.objective, config.train.loss) == ("soft", "l2")
    # the cold generator's blur, without its fixed noise: cold and soft differ only in the noise
    size = zoo.named_schedule(name).image_size
    x = torch.rand(2, 1, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1
    heat = zoo.schedule(cold)
    blur = degrade.HeatDissipation(heat.num_steps, blur_min=heat.blur_min,
                                   blur_max=heat.blur_max, sigma=0.0)
    for t in (1, 50, 100):
        assert torch.allclose(D.corrupt(x, t), blur(x, t), atol=1e-6)


@pytest.mark.mnist_data
def test_colddiff_trains_soft_diffusion_and_exports_a_soft_generator(tmp_path):
    from zoo.cli import main
    from zoo.maintain import export

    out = tmp_path / "run"
    assert main(["train", "mnist-soft-heat", "--steps", "2", "--batch", "4", "--accumulate", "1",
                 "--preset", "tiny", "--val-count", "8", "--sample-every", "2", "--no-progress",
                 "--out", str(out)]) == 0
    assert (out / "samples" / "step-0000002.png").exists()
    assert read_checkpoint(out / "checkpoint.pt")["run"]["objective"] == "soft"
    assert export.main([str(out), "--name", "soft", "--out", str(tmp_path / "zoo")]) == 0
    folder = tmp_path / "zoo" / "models" / "soft"
    entry = json.loads((folder / "config.json").read_text())
    assert entry["kind"] == "soft-generator"
    assert entry["prior"]["class"] == "LowFrequencyPrior"
    assert entry["prior"]["noise_std"] == pytest.approx(0.2)
    model = zoo.load(folder)
    assert isinstance(model, kinds.SoftGenerator) and model.samplers[0] == "momentum"
    images = model.generate(3, seed=0)
    assert images.shape == (3, 1, 32, 32) and torch.isfinite(images).all()
