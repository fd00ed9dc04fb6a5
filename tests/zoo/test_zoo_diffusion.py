"""Diffusion models in the zoo: a run of your own by zoo.from_checkpoint, its samplers, its
evaluation rows, and `colddiff train` of a diffusion schedule."""

import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from restore.checkpoint import read as read_checkpoint

import zoo
from restore import TrainConfig, Trainer, UNet, predict_noise

N = 20  # a short process keeps the samplers quick


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A two-step training run of a tiny noise predictor on mnist-blur-diffusion (N = 20)."""
    out = tmp_path_factory.mktemp("bd")
    D = zoo.schedule("mnist-blur-diffusion", num_steps=N)
    images = torch.rand(16, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    config = TrainConfig(steps=2, batch_size=4, accumulate=1, loss="l2", sample_every=0,
                         checkpoint_every=2, progress=False, device="cpu", ema_start=0)
    torch.manual_seed(0)
    Trainer(UNet.preset("tiny", in_channels=1), D, images, out, config,
            objective=predict_noise).train()
    return out / "checkpoint.pt"


@pytest.fixture(scope="module")
def model(run):
    return zoo.from_checkpoint(run, "mnist-blur-diffusion", name="tiny", num_steps=N)


def test_from_checkpoint_builds_the_schedule_and_rounds_like_the_zoo(run, model):
    assert isinstance(model, zoo.DiffusionModel) and model.T == N and model.name == "tiny"
    assert (model.channels, model.image_size) == (1, 32)
    half = zoo.from_checkpoint(run, "mnist-blur-diffusion", half=True, num_steps=N)
    for a, b in zip(model.R.parameters(), half.R.parameters(), strict=True):
        assert torch.equal(a.half().float(), b)
    assert not isinstance(zoo.load("mnist-blur"), zoo.DiffusionModel)


@settings(max_examples=5)
@given(seed=st.integers(0, 1000), n=st.integers(1, 3),
       how=st.sampled_from([("ddim", 5), ("ddim", N), ("stochastic", None)]))
def test_property_generation_is_seeded_shaped_and_in_range(model, seed, n, how):
    sampler, steps = how
    a = model.generate(n, seed=seed, sampler=sampler, steps=steps)
    assert a.shape == (n, 1, 32, 32)
    assert a.abs().max() <= 1
    assert torch.equal(a, model.generate(n, seed=seed, sampler=sampler, steps=steps))
    assert not torch.equal(a, model.generate(n, seed=seed + 1, sampler=sampler, steps=steps))


def test_default_sampler_is_ddim_in_100_steps_or_fewer(model):
    assert torch.equal(model.generate(2, seed=3), model.generate(2, seed=3, sampler="ddim",
                                                                 steps=N))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sampler": "tacos"}, "ddim, fixed, stochastic, ancestral"),
    ({"steps": N + 1}, "between 1 and"),
    ({"steps": 0}, "between 1 and"),
    ({"sampler": "stochastic", "steps": 5}, f"all {N} steps"),
    ({"noise_std": 0.1}, "noise_std"),
])
def test_bad_generation_settings_are_refused(model, kwargs, message):
    with pytest.raises(ValueError, match=message):
        model.generate(1, **kwargs)


def test_blurring_diffusion_samples_ancestrally_every_step_unclipped(model):
    """Hoogeboom and Salimans' sampler is the default of a noise predictor on blurring
    diffusion; blur diffusion's eq. 19 needs variance-preserving steps it does not have."""
    import dataclasses

    import degrade
    import samplers

    blurring = dataclasses.replace(model, D_train=degrade.BlurringDiffusion(N, 20.0))
    assert blurring.blurring and not model.blurring
    assert blurring.how.startswith("ancestral sampler, 20 steps")
    x_N = torch.randn((2, 1, 32, 32), generator=torch.Generator().manual_seed(4))
    generator = torch.Generator().manual_seed(4)
    torch.randn((2, 1, 32, 32), generator=generator)  # x_N, drawn first
    expected = samplers.rotated_ancestral(blurring.network, blurring.D_train, x_N, N,
                                          steps=samplers.spaced_steps(N, N),
                                          generator=generator, clip=False).clamp(-1, 1)
    assert torch.equal(blurring.generate(2, seed=4), expected)
    assert not torch.equal(blurring.generate(2, seed=4, clip=True), expected)
    assert next(iter(blurring.conditions())) == f"Ancestral, {N} steps"
    with pytest.raises(ValueError, match="does not take the stochastic sampler"):
        blurring.generate(1, sampler="stochastic")


def test_a_diffusion_model_restores_nothing(model):
    with pytest.raises(ValueError, match="diffusion model"):
        model.restore(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="n must be a whole number >= 1"):
        model.generate(0)


def test_cold_models_skip_steps_as_the_samplers_do():
    """Issue 30, case 6: restore(steps=...) and generate(steps=...) for cold models take
    evenly spaced jumps, as samplers.tacos(steps=...) does."""
    import samplers

    model = zoo.load("mnist-blur")
    x0 = zoo.sample_images("mnist", 3)
    x_T = model.D(x0, model.T)
    jumps = samplers.spaced_steps(model.T, 5)
    assert torch.equal(model.restore(x_T, steps=5),
                       samplers.tacos(model.network, model.D, x_T, model.T, steps=jumps))
    assert not torch.equal(model.restore(x_T, steps=5), model.restore(x_T))
    assert torch.equal(model.restore(x_T, steps=model.T), model.restore(x_T))
    for call, message in ((lambda: model.restore(x_T, sampler="direct", steps=5), "direct"),
                          (lambda: model.restore(x_T, 10, steps=11), "between 1 and t = 10"),
                          (lambda: model.restore(x_T, torch.tensor([5, 6, 7]), steps=2),
                           "one t for all")):
        with pytest.raises(ValueError, match=message):
            call()
    generator = zoo.load("mnist-blur-gen")
    assert generator.generate(2, steps=4).shape == (2, 1, 32, 32)


@pytest.mark.mnist_data
def test_evaluate_diffusion_rows(model):
    def mean_features(x):
        return torch.stack([x.mean(dim=(1, 2, 3)), x.std(dim=(1, 2, 3))], dim=1)

    result = zoo.evaluate(model, n=6, batch_size=4, features=mean_features, fid_name="FID-mean")
    assert list(result.rows) == [f"Stochastic, {N} steps (eq. 19)", f"Deterministic, {N} steps",
                                 f"Fixed noise (TACoS), {N} steps",
                                 f"Deterministic, {N} steps, no clipping"]
    assert all(row["FID-mean"] >= 0 for row in result.rows.values())
    # the clipped deterministic row is the Frechet distance of model.generate's images
    from zoo import metrics

    x0 = zoo.sample_images("mnist", 6)
    images = torch.cat([model.generate(4, seed=0, steps=N), model.generate(2, seed=4, steps=N)])
    expected = metrics.frechet_distance_of(mean_features(images), mean_features(x0))
    assert result.rows[f"Deterministic, {N} steps"]["FID-mean"] == pytest.approx(expected,
                                                                                 rel=1e-5)


@pytest.mark.mnist_data
def test_colddiff_trains_a_diffusion_schedule(tmp_path):
    from zoo.cli import main

    out = tmp_path / "run"
    code = main(["train", "mnist-diffusion", "--steps", "2", "--batch", "4", "--accumulate", "1",
                 "--preset", "tiny", "--val-count", "8", "--sample-every", "2", "--no-progress",
                 "--out", str(out)])
    assert code == 0
    state = read_checkpoint(out / "checkpoint.pt")
    assert "config" not in state and state["run"]["train"]["loss"] == "l2"  # stored once
    assert (out / "samples" / "step-0000002.png").exists()
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 2
    config = json.loads((out / "config.json").read_text())
    assert config == state["run"] and config["objective"] == "noise"
    assert config["degradation"] == {"factory": "zoo:schedule",
                                     "arguments": {"name": "mnist-diffusion"}}
    model = zoo.from_checkpoint(out / "checkpoint.pt")      # it knows its own schedule
    assert isinstance(model, zoo.DiffusionModel) and model.schedule.name == "mnist-diffusion"
    assert model.entry["training"]["steps"] == 2                         # how far its run had come
    from zoo.maintain import export

    assert export.main([str(out), "--name", "mine", "--out", str(tmp_path / "zoo")]) == 0
    entry = json.loads((tmp_path / "zoo" / "models" / "mine" / "config.json").read_text())
    assert entry["schedule"] == "mnist-diffusion" and entry["run"] == config
    assert entry["training"]["hardware"].endswith("CPU (no GPU)")
    assert entry["training"]["command"] == "colddiff train --config mine"


def test_export_writes_verified_weights_and_a_card_entry(run, tmp_path):
    from zoo.cards import render_card
    from zoo.files import load_verified
    from zoo.maintain import export

    code = export.main([str(run.parent), "--name", "tiny-bd", "--schedule",
                        "mnist-blur-diffusion", "--hardware", "a test", "--summary",
                        "A tiny model.", "--out", str(tmp_path)])
    assert code == 0
    folder = tmp_path / "models" / "tiny-bd"
    entry = json.loads((folder / "config.json").read_text())
    assert entry["name"] == "tiny-bd" and entry["prior"] is None and entry["kind"] == "diffusion"
    assert entry["architecture"]["preset"] == "tiny"
    assert entry["training"]["steps"] == 2 and entry["training"]["loss"] == "l2"
    state = load_verified(folder / "model.safetensors", entry["sha256"]["model.safetensors"])
    R = UNet.preset("tiny", in_channels=1)
    R.load_state_dict(state)
    ema = read_checkpoint(run)["ema"]
    assert all(torch.equal(ema[k].half().float(), v.float()) for k, v in state.items())
    card = (folder / "README.md").read_text()
    assert card == render_card(entry)
    assert "noise prediction" in card and "colddiff train --config tiny-bd" in card


def test_preset_names_of_configurations():
    import dataclasses

    from restore.unet import PRESETS, preset_name

    small = dataclasses.asdict(PRESETS["small"])
    assert preset_name(small) == "small"
    assert preset_name({**small, "channels": 16}) == "small, channels 16"
    assert preset_name({**small, "channel_mults": [1, 3]}) == "custom"
