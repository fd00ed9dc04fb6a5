"""One class per kind of zoo model, with the same verbs; priors by their recorded class; old
training runs still load and resume."""

import argparse
import json
import shutil
from pathlib import Path

import pytest
import torch
from restore.checkpoint import read as read_checkpoint
from zoo.cli import main

import samplers
import zoo
from zoo import kinds, sampling

ROOT = Path(__file__).resolve().parents[2]
OLD_RUN = ROOT / "zoo" / "training" / "mnist-blur"
DATA = ROOT.parent / "shared" / "data"


@pytest.mark.parametrize("name, kind, first", [
    ("mnist-blur", zoo.Restorer, "tacos"), ("mnist-inpaint", zoo.Restorer, "tacos"),
    ("mnist-blur-gen", zoo.Generator, "tacos"),
    ("mnist-blur-diffusion", zoo.DiffusionModel, "ddim"),
])
def test_each_model_loads_as_its_kind(name, kind, first):
    model = zoo.load(name)
    assert type(model) is kind and model.samplers[0] == first
    assert all(sampling.SAMPLERS[s].family == model.family for s in model.samplers)


def test_the_command_line_reads_the_sampler_registry():
    from zoo.cli import parser

    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    restore = sub.choices["restore"]
    choices = next(a.choices for a in restore._actions if a.dest == "sampler")
    assert tuple(choices) == (*sampling.names("cold"), "all")
    generate = sub.choices["generate"]
    assert tuple(next(a.choices for a in generate._actions if a.dest == "sampler")) == \
        sampling.names()


def test_a_generator_takes_any_prior():
    model = zoo.load("mnist-blur-gen")
    prior = samplers.SolidColorPrior().fit(torch.zeros(2, 1, 32, 32))
    other = zoo.Generator(**{f.name: getattr(model, f.name)
                             for f in kinds.dataclasses.fields(model)} | {"prior": prior})
    a = other.generate(2, seed=0, sampler="direct")
    assert a.shape == (2, 1, 32, 32)
    assert torch.equal(a, other.generate(2, seed=0, sampler="direct"))


class _Constant(torch.nn.Module):
    """A restorer that always answers the same image ``y``."""

    def __init__(self, y):
        super().__init__()
        self.y = y

    def forward(self, x, t):
        return self.y.expand_as(x)


class _MeanOf(samplers.Prior):
    """A prior that always draws the mean grey of ``y``."""

    _fields = ("shape",)

    def __init__(self, y):
        self.y, self.shape = y, torch.tensor(y.shape[1:])

    def _draw(self, n, generator):
        return self.y.mean().expand(n, *self.y.shape[1:]).clone()


@pytest.mark.parametrize("std", [0.0, 0.02, 0.05])
def test_a_noisy_heat_generator_removes_the_noise_that_broke_the_symmetry(std):
    # D(x, t) = F_t x + sigma z: the prior's noise is D's own z, kept through TACoS and taken
    # away by its last step, so that a restorer sure of y returns y (F_T y is y's mean).
    from degrade import HeatDissipation

    model = zoo.load("mnist-blur-gen")
    y = torch.linspace(-0.5, 0.5, 32 * 32).reshape(1, 1, 32, 32)
    prior = _MeanOf(y)
    D = HeatDissipation(10, blur_max=200.0, sigma=0.02)
    fields = {f.name: getattr(model, f.name) for f in kinds.dataclasses.fields(model)}
    other = zoo.Generator(**fields | {"prior": prior, "D_train": D, "R": _Constant(y)})
    x0 = other.generate(3, seed=1, noise_std=std)
    assert torch.allclose(x0, y.expand(3, -1, -1, -1), atol=1e-5)
    # The noise was there on the way: one step before the end x_1 = F_1 y + std z.
    seen = []
    samplers.tacos(other.R, D.carrying(std * torch.ones(3, 1, 32, 32)),
                   y.mean() + std * torch.ones(3, 1, 32, 32), 10,
                   callback=lambda s, x_s, x0_hat: seen.append((s, x_s)))
    x_1 = dict(seen)[1]
    assert torch.allclose(x_1, D.heat(y.expand(3, -1, -1, -1), torch.ones(3, dtype=torch.long))
                          + std, atol=1e-5)


def test_priors_load_by_their_recorded_class():
    entry = zoo.registry.get_entry("mnist-blur-gen")
    assert entry["prior"]["class"] == "ChannelMeanPrior"
    assert type(zoo.load("mnist-blur-gen").prior) is samplers.ChannelMeanPrior
    with pytest.raises(ValueError, match="not a kind of Prior"):
        samplers.Prior.from_state("NoSuchPrior", {})


def test_wrong_verbs_are_refused_by_kind():
    with pytest.raises(ValueError, match="no prior"):
        zoo.load("mnist-blur").generate(1)
    with pytest.raises(ValueError, match="restores nothing"):
        zoo.load("mnist-blur-diffusion").restore(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="takes the samplers tacos, naive, direct"):
        zoo.load("mnist-blur").restore(torch.zeros(1, 1, 32, 32), sampler="ddim")
    with pytest.raises(ValueError, match="takes the samplers ddim, fixed, stochastic"):
        zoo.load("mnist-blur-diffusion").generate(1, sampler="tacos")


@pytest.mark.clone
def test_a_checkpoint_from_before_run_configs_loads_with_its_schedule():
    with pytest.raises(ValueError, match="pass schedule=NAME"):
        zoo.from_checkpoint(OLD_RUN / "checkpoint.pt")
    model = zoo.from_checkpoint(OLD_RUN / "checkpoint.pt", "mnist-blur", half=True)
    ema = read_checkpoint(OLD_RUN / "checkpoint.pt")["ema"]  # the run of the zoo's first model
    for name, value in model.R.state_dict().items():
        assert torch.equal(value, ema[name].half().float()), name
    x0 = zoo.sample_images("mnist", 2)
    restored = model.restore(model.D(x0, model.T), sampler="direct")
    assert restored.shape == x0.shape and torch.isfinite(restored).all()


@pytest.mark.clone
@pytest.mark.skipif(not (DATA / "mnist.npz").exists(), reason="../shared/data is not present")
def test_a_checkpoint_from_before_run_configs_resumes(tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(OLD_RUN, run)
    # The zoo's first mnist-blur run: the paper's recipe at lr 1e-4 (its README's command).
    code = main(["train", "mnist-blur", "--recipe", "paper", "--lr", "1e-4", "--out", str(run),
                 "--steps", "4001", "--sample-every", "0", "--no-progress", "--resume",
                 "--data-dir", str(DATA)])
    assert code == 0, capsys.readouterr().err
    state = read_checkpoint(run / "checkpoint.pt")
    assert state["step"] == 4001 and state["run"]["degradation"]["arguments"] == {
        "name": "mnist-blur"}
    assert json.loads((run / "config.json").read_text())["train"]["steps"] == 4001


def test_every_shipped_model_records_a_run_that_rebuilds_its_schedule():
    for entry in zoo.list_models():
        config = zoo.run_config_of(entry["name"])
        assert config.degradation.arguments["name"] == entry["schedule"]
        assert entry["training"]["command"] == f"colddiff train --config {entry['name']}"
        assert config.train.steps == entry["training"]["steps"]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("sampler", ["direct", "tacos"])
def test_images_of_any_float_dtype_come_back_in_it(dtype, sampler):
    model = zoo.load("mnist-inpaint")
    x0 = zoo.sample_images("mnist", 2)
    D = model.D.draw(x0, generator=torch.Generator().manual_seed(0))
    x_T = D(x0, model.T)
    reference = model.restore(x_T, sampler=sampler, D=D)
    out = model.restore(x_T.to(dtype), sampler=sampler, D=D)
    assert out.dtype == dtype
    assert (out.float() - reference).abs().max() < (0.05 if dtype != torch.float64 else 1e-6)


def test_integer_images_are_refused_with_the_conversion():
    with pytest.raises(TypeError, match=r"127\.5"):
        zoo.load("mnist-blur").restore(torch.zeros(1, 1, 32, 32, dtype=torch.uint8))


def test_wrong_types_are_refused_by_name():
    with pytest.raises(TypeError, match="a model name is a string"):
        zoo.load(None)
    with pytest.raises(TypeError, match="a schedule name is a string"):
        zoo.schedule(None)
    with pytest.raises(ValueError, match="components must be a whole number"):
        samplers.ChannelMeanPrior(components=2.5)


class _Sharpen(torch.nn.Module):
    """A stand-in for a network predicting x_{s-1}: a fixed, seed-free map."""

    def forward(self, x, t):
        return 1.01 * x - 0.001


def _warm_model(**changes):
    from degrade import HeatDissipation

    model = zoo.load("mnist-blur-gen")
    fields = {f.name: getattr(model, f.name) for f in kinds.dataclasses.fields(model)}
    fields.pop("prior")
    prior = samplers.LowFrequencyPrior(2, noise_std=0.02).fit(
        zoo.sample_images("mnist", 16))
    entry = dict(model.entry, sampling={"noise_std": 0.05})
    return zoo.WarmGenerator(**fields | {"D_train": HeatDissipation(12, sigma=0.02),
                                         "R": _Sharpen(), "prior": prior, "entry": entry}
                             | changes)


def test_a_warm_generator_walks_back_from_its_prior_with_fresh_noise():
    model = _warm_model()
    assert model.samplers == ("previous",) and model.sampling_noise == 0.05
    # noise 0: previous_step from the prior's draw, nothing else
    g = torch.Generator().manual_seed(4)
    x_T = model.prior.sample(3, generator=g)
    expected = samplers.previous_step(model.R, x_T, 12, noise_std=0.0, generator=g)
    assert torch.equal(model.generate(3, seed=4, noise_std=0.0), expected.clamp(-1, 1))
    # the recorded noise by default, fresh at each step, from the seed
    g = torch.Generator().manual_seed(4)
    x_T = model.prior.sample(3, generator=g)
    noisy = samplers.previous_step(model.R, x_T, 12, noise_std=0.05, generator=g).clamp(-1, 1)
    assert torch.equal(model.generate(3, seed=4), noisy)
    assert not torch.allclose(noisy, expected, atol=1e-3)
    assert list(model.conditions()) == ["Previous-step walk, noise 0.05",
                                        "Previous-step walk, no noise"]
    with pytest.raises(ValueError, match="steps does not apply"):
        model.generate(1, steps=5)
    with pytest.raises(ValueError, match="takes the samplers previous"):
        model.generate(1, sampler="tacos")
    with pytest.raises(ValueError, match="restores nothing"):
        model.restore(x_T)


def test_the_kind_follows_the_objective():
    from zoo.folders import kind_of

    assert kind_of("previous", True) == "warm-generator"
    assert kind_of("x0", True) == "generator" and kind_of("x0-walk", False) == "restorer"
    assert kind_of("noise", False) == "diffusion"
    assert kinds.CLASSES["warm-generator"] is zoo.WarmGenerator
    assert all(zoo.load(e["name"]).kind == e["kind"] for e in zoo.list_models())


class _PosteriorMean(torch.nn.Module):
    """The exact restorer for a finite pool of images under D(x, t) = F_t x + sigma z: the
    pool's average weighted by each image's likelihood of having made x_t."""

    def __init__(self, pool, D):
        super().__init__()
        self.pool, self.D = pool, D

    def forward(self, x, t):
        s = int(t.flatten()[0]) if isinstance(t, torch.Tensor) else int(t)
        blurred = self.D.heat(self.pool, torch.full((len(self.pool),), s))
        distance2 = torch.cdist(x.flatten(1).double(), blurred.flatten(1).double()) ** 2
        weights = torch.softmax(-distance2 / (2 * self.D.sigma**2), dim=1)
        return (weights @ self.pool.flatten(1).double()).to(x.dtype).view_as(x)


def test_cold_heat_generation_with_the_exact_restorer_draws_the_pool_images():
    # The whole cold pipeline (schedule, prior, the noise carried as D's z, TACoS), with the
    # best possible restorer for a pool of 40 digits moved to one mean grey, so that only the
    # noise can tell them apart at T: broken symmetry lands on pool images, several different
    # ones; without the noise every draw is the same image.
    pool = zoo.sample_images("mnist", 40)
    pool = pool - pool.mean(dim=(-2, -1), keepdim=True) + pool.mean()
    model = zoo.load("mnist-blur-gen")
    D = zoo.named_schedule("mnist-heat-gen").build()
    fields = {f.name: getattr(model, f.name) for f in kinds.dataclasses.fields(model)}
    prior = _MeanOf(pool)
    generator = zoo.Generator(**fields | {"D_train": D, "R": _PosteriorMean(pool, D),
                                          "prior": prior,
                                          "entry": dict(model.entry, prior={"noise_std": 0.02})})
    x0 = generator.generate(8, seed=0)
    nearest = torch.cdist(x0.flatten(1), pool.flatten(1)).min(dim=1)
    assert (nearest.values / 32 < 0.01).all()
    assert len(set(nearest.indices.tolist())) >= 4
    same = generator.generate(3, seed=0, noise_std=0.0)
    assert torch.allclose(same, same[:1].expand_as(same), atol=1e-5)


def test_quantised_masks_step_unquantised_as_the_papers_code_samples():
    # x_T is quantised (A.2, --discrete); the samplers' updates use the plain masks.
    model = zoo.load("mnist-inpaint")
    assert model.D_train.bits == 8 and model.D.bits is None  # model.D is what it samples with
    x0 = zoo.sample_images("mnist", 4)
    D = model.D_train.draw(x0, generator=torch.Generator().manual_seed(0))
    x_T = D(x0, model.T)
    levels = (x_T + 1) / 2 * 255
    assert torch.allclose(levels, levels.round(), atol=1e-3)
    fields = {f.name: getattr(model, f.name) for f in kinds.dataclasses.fields(model)}
    restorer = zoo.Restorer(**fields | {"R": _Constant(0.9 * x0)})
    plain = D.D.unquantised().bind(**D.params)
    assert plain.D.bits is None and model.D_train.bits == 8 and plain.is_linear
    for sampler in ("tacos", "naive"):
        out = restorer.restore(x_T, sampler=sampler, D=D)
        expected = getattr(samplers, sampler)(restorer.R, plain, x_T, model.T)
        assert torch.equal(out, expected)
    quantised_walk = samplers.tacos(restorer.R, D, x_T, model.T)
    assert not torch.allclose(quantised_walk, out, atol=1e-3)


@pytest.mark.parametrize("name", ["mnist-inpaint", "mnist-blur"])
def test_a_large_batch_is_restored_in_parts_as_it_would_be_whole(name, monkeypatch, capsys):
    """Issue 27, case 10: restore splits a batch larger than ``batch_size`` (here 3) into
    parts, each with its own images' random parameters, and gives what one pass gives."""
    from zoo import model as models

    model = zoo.load(name)
    x0 = zoo.sample_images(model.dataset, 7)
    D = model.D.draw(x0, generator=torch.Generator().manual_seed(0))
    x_T = D(x0, model.T)
    # each part by hand: a network's float32 sums depend on the batch size, so one pass over
    # all 7 differs from parts of 3 in the last digits (up to 1e-2 after 20 TACoS steps)
    by_hand = torch.cat([model.restore(x_T[i:i + 3], D=D.select(slice(i, i + 3))
                                       if D is not model.D else D) for i in (0, 3, 6)])
    monkeypatch.setattr(models, "BATCH_VALUES", 3 * model.image_size ** 2)
    assert model.batch_size == 3
    calls = []
    original = model.in_batches

    def spy(n, make, progress, name):
        calls.append(n)
        return original(n, make, progress, name)

    monkeypatch.setattr(model, "in_batches", spy)
    parts = model.restore(x_T, D=D, progress=True)
    assert calls == [7]
    assert "tacos, 7 images: 3/3" in capsys.readouterr().err
    assert torch.equal(parts, by_hand)
    t = torch.full((6,), model.T)
    with pytest.raises(ValueError, match=r"shape \(B,\) = \(7,\)"):
        model.restore(x_T, t, D=D)                           # checked before it is split


def test_generation_in_parts_restores_each_part_of_the_drawn_x_T(monkeypatch):
    from zoo import model as models

    model = zoo.load("mnist-blur-gen")
    x_T = model.prior.sample(5, generator=torch.Generator().manual_seed(3), noise_std=0.0)
    by_hand = torch.cat([model.restore(x_T[i:i + 2]) for i in (0, 2, 4)])
    monkeypatch.setattr(models, "BATCH_VALUES", 2 * model.image_size ** 2)
    assert torch.equal(model.generate(5, seed=3, noise_std=0.0), by_hand)
    diffusion = zoo.load("mnist-blur-diffusion")
    first = diffusion.generate(3, seed=1, steps=4)
    assert first.shape == (3, 1, 32, 32) and torch.equal(diffusion.generate(3, seed=1, steps=4),
                                                         first)


def test_a_generator_best_without_noise_still_has_broken_symmetry_rows():
    """celeba64-blur-gen generates best with no noise (its default, 0): Table 5's broken rows
    then add the paper's 0.002, not a second copy of perfect symmetry."""
    model = zoo.load("mnist-blur-gen")
    fields = {f.name: getattr(model, f.name) for f in kinds.dataclasses.fields(model)}
    quiet = zoo.Generator(**fields | {"entry": dict(model.entry, prior={"noise_std": 0.0})})
    conditions = quiet.conditions()
    assert list(conditions) == ["TACoS, perfect symmetry", "TACoS, broken symmetry (0.002)",
                                "Algorithm 1, broken symmetry (0.002)",
                                "Direct, broken symmetry (0.002)"]
    assert conditions["Direct, broken symmetry (0.002)"]["noise_std"] == 0.002
    noisy = zoo.Generator(**fields | {"entry": dict(model.entry, prior={"noise_std": 0.02})})
    assert noisy.conditions()["TACoS, broken symmetry (0.02)"]["noise_std"] == 0.02


class _GaussianPosteriorMean(torch.nn.Module):
    """The exact restorer for a finite pool of images under D(x, t) = a_t x + b_t z, z white
    noise: the pool's average weighted by each image's likelihood of having made x_t."""

    def __init__(self, pool, D):
        super().__init__()
        self.pool, self.D = pool, D

    def forward(self, x, t):
        s = int(t.flatten()[0]) if isinstance(t, torch.Tensor) else int(t)
        a, b = (float(c) for c in self.D.coefficients(s))
        distance2 = torch.cdist(x.flatten(1).double(), a * self.pool.flatten(1).double()) ** 2
        weights = torch.softmax(-distance2 / (2 * b**2), dim=1)
        return (weights @ self.pool.flatten(1).double()).to(x.dtype).view_as(x)


def test_hot_generation_with_the_exact_restorer_draws_the_pool_images():
    """Table 5's hot rows as the paper trains them: a restorer of Gaussian noise, from white
    noise, with the noise fixed (TACoS) or re-estimated (DDIM, the default). With the best
    possible restorer for a pool of 12 digits, estimated noise lands on pool images, several
    different ones, and fixed noise near them (the noise of x_T is not quite the noise the
    walk needs: Table 5's fixed noise is the worse row); the default is estimated noise, step
    for step samplers.estimated_noise."""
    from degrade import NoiseSchedule

    pool = zoo.sample_images("mnist", 12)
    model = zoo.load("mnist-blur-gen")
    D = NoiseSchedule.cosine(num_steps=50)
    fields = {f.name: getattr(model, f.name) for f in kinds.dataclasses.fields(model)}
    hot = zoo.Generator(**fields | {"D_train": D, "R": _GaussianPosteriorMean(pool, D),
                                    "prior": samplers.WhiteNoisePrior().fit(pool),
                                    "entry": dict(model.entry, prior={"noise_std": 0.0})})
    assert hot.hot and not model.hot and hot.default_sampler == "estimated"
    assert list(hot.conditions()) == ["Fixed noise (TACoS)", "Estimated noise (DDIM)",
                                      "Algorithm 1, fixed noise", "Direct"]
    for sampler, rms in (("estimated", 0.01), ("tacos", 0.2)):
        x0 = hot.generate(8, seed=0, sampler=sampler)
        nearest = torch.cdist(x0.flatten(1), pool.flatten(1)).min(dim=1)
        assert (nearest.values / 32 < rms).all(), sampler      # 32 = sqrt(pixels): RMS
        assert len(set(nearest.indices.tolist())) >= 4, sampler
    x_T = samplers.WhiteNoisePrior().fit(pool).sample(8, generator=torch.Generator()
                                                      .manual_seed(0))
    by_hand = samplers.estimated_noise(hot.R, D, x_T, 50)
    assert torch.allclose(hot.generate(8, seed=0), by_hand, atol=1e-6)
    fixed = samplers.tacos(hot.R, D.ending_at(x_T), x_T, 50)
    assert torch.allclose(hot.generate(8, seed=0, sampler="tacos"), fixed, atol=1e-6)
    assert not torch.allclose(fixed, by_hand, atol=1e-3)
    with pytest.raises(TypeError, match=r"needs D\.coefficients"):
        model.generate(2, sampler="estimated")


@pytest.mark.mnist_data
def test_a_generation_run_says_what_its_prior_was_fitted_on(tmp_path, capsys):
    from restore import TrainConfig, Trainer, UNet

    D = zoo.schedule("mnist-blur-gen", num_steps=4)
    images = torch.rand(8, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    config = TrainConfig(steps=1, batch_size=4, accumulate=1, loss="l2", sample_every=0,
                         checkpoint_every=1, progress=False, device="cpu", ema_start=0)
    Trainer(UNet.preset("tiny", in_channels=1), D, images, tmp_path, config).train()
    capsys.readouterr()
    model = zoo.from_checkpoint(tmp_path / "checkpoint.pt", "mnist-blur-gen", num_steps=4)
    said = capsys.readouterr().err
    assert model.entry["prior"]["fitted_on"] == "the 60,000 training images (their means)"
    assert ("the prior: ChannelMeanPrior (1 component), fitted on the 60,000 training images "
            "(their means)") in said


def test_a_run_s_model_says_its_wall_time_from_the_log(tmp_path):
    from restore import TrainConfig, Trainer, UNet

    D = zoo.schedule("mnist-blur", num_steps=4)
    images = torch.rand(8, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    config = TrainConfig(steps=2, batch_size=4, accumulate=1, sample_every=0, log_every=1,
                         checkpoint_every=1, progress=False, device="cpu", ema_start=0)
    Trainer(UNet.preset("tiny", in_channels=1), D, images, tmp_path, config).train()
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join([log.read_text().splitlines()[0],  # the run's settings
                              json.dumps({"step": 1000, "loss": 0.1, "images_per_second": 40.0}),
                              json.dumps({"step": 1000, "val_l1": 0.2}),
                              json.dumps({"step": 1500, "loss": 0.1, "images_per_second": 20.0})]))
    model = zoo.from_checkpoint(tmp_path / "checkpoint.pt", "mnist-blur", num_steps=4)
    assert model.entry["training"]["wall_time"] == "3 min"  # 1000 * 4 / 40 + 500 * 4 / 20 s
    log.unlink()
    assert "wall_time" not in zoo.from_checkpoint(tmp_path / "checkpoint.pt", "mnist-blur",
                                                  num_steps=4).entry["training"]
