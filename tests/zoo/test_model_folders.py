"""A model is a folder (issue 26): a user trains on a folder of 64-px faces against the paper's
128-px schedules, then restores, generates and evaluates with the run folder from the command
line; the run's own shape, channels, objective and degradation win; save_pretrained and
from_pretrained round-trip in a new process; a Hub repository loads from a local cache offline;
earlier checkpoints still load."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import samplers
import zoo
from restore import UNet, register_degradation

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--preset", "tiny", "--steps", "2", "--batch", "4", "--val-count", "2",
        "--sample-every", "0", "--checkpoint-every", "2", "--no-progress", "--seed", "0"]


def colddiff(*args, env=None):
    return subprocess.run([sys.executable, "-m", "zoo.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    """Twelve 64-px RGB images: smooth blobs on a background, like faces to a blur."""
    folder = tmp_path_factory.mktemp("faces")
    generator = np.random.default_rng(0)
    yy, xx = np.mgrid[:64, :64]
    for i in range(12):
        cy, cx, r = [*generator.uniform(20, 44, 2).tolist(), generator.uniform(10, 20)]
        face = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
        colour = generator.uniform(0.2, 1.0, 3)
        image = (face[..., None] * colour * 255).clip(0, 255).astype(np.uint8)
        Image.fromarray(image).save(folder / f"face{i:02d}.png")
    return folder


@pytest.fixture(scope="module")
def runs(faces, tmp_path_factory):
    """Two runs of colddiff train on the faces at 64 px: a restorer on celeba-blur and a
    generator on celeba-blur-gen (both 128-px schedules), each with T = 12."""
    out = tmp_path_factory.mktemp("runs")
    made = {}
    for schedule in ("celeba-blur", "celeba-blur-gen"):
        result = colddiff("train", schedule, "--data-folder", faces, "--image-size", "64",
                          "--override", "num_steps=12", *FAST, "--out", out / schedule)
        assert result.returncode == 0, result.stderr
        made[schedule] = (out / schedule, result.stdout)
    return made


@pytest.mark.e2e
def test_a_run_on_a_folder_of_faces_is_a_model_of_its_own_shape(runs):
    run, stdout = runs["celeba-blur"]
    entry = json.loads((run / "model" / "config.json").read_text())
    assert entry["format"] == "colddiff-model-1" and entry["kind"] == "restorer"
    assert (entry["data"]["image_size"], entry["data"]["channels"]) == (64, 3)  # not 128
    assert entry["degradation"]["arguments"] == {"name": "celeba-blur", "num_steps": 12}
    assert f"colddiff restore {run / 'model'}" in stdout and "colddiff evaluate" in stdout
    card = (run / "model" / "README.md").read_text()
    network = zoo.load(run / "model").R
    assert card.startswith("### `celeba-blur`")
    assert (f"| architecture | U-Net, preset `{entry['architecture']['preset']}`, "
            f"{network.num_parameters():,} parameters |") in card
    assert entry["architecture"]["parameters"] == network.num_parameters() > 0
    for source in (run, run / "model", run / "checkpoint.pt"):
        model = zoo.load(source)
        assert (model.image_size, model.channels, model.T) == (64, 3, 12)
    generator = zoo.load(runs["celeba-blur-gen"][0])
    assert isinstance(generator, zoo.Generator) and generator.kind == "generator"
    assert repr(generator).startswith("Generator('celeba-blur-gen': generator, objective x0, "
                                      "T=12, images 3x64x64")
    assert isinstance(generator.prior, samplers.ChannelMeanPrior)


@pytest.mark.e2e
def test_restore_generate_evaluate_and_degrade_take_the_run_folder(runs, faces, tmp_path):
    run = runs["celeba-blur"][0]
    image = faces / "face00.png"
    result = colddiff("restore", run, image, "--degrade", "--out", tmp_path / "r.png")
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "r.png").size[1] >= 64
    result = colddiff("evaluate", run / "model", "--data-folder", faces, "--n", "4",
                      "--batch-size", "2", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "| Sampled (TACoS) |" in result.stdout and "RMSE" in result.stdout
    result = colddiff("generate", runs["celeba-blur-gen"][0], "--n", "2", "--out",
                      tmp_path / "g.png", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "g.png").size[0] >= 64
    result = colddiff("degrade", run / "checkpoint.pt", image, "--out", tmp_path / "d.png")
    assert result.returncode == 0, result.stderr
    result = colddiff("generate", run, "--n", "2", "--out", tmp_path / "x.png")
    assert result.returncode == 2 and "restoration model" in result.stderr


@pytest.mark.e2e
def test_save_pretrained_then_from_pretrained_in_a_new_process_gives_the_same_outputs(
        runs, tmp_path):
    model = zoo.load(runs["celeba-blur-gen"][0], precision="fp32")
    folder = model.save_pretrained(tmp_path / "mine")
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "config.json", "model.safetensors", "prior.safetensors"]
    torch.save(model.generate(2, seed=3), tmp_path / "here.pt")
    script = ("import sys, torch, zoo; m = zoo.from_pretrained(sys.argv[1], precision='fp32'); "
              "torch.save(m.generate(2, seed=3), sys.argv[2])")
    subprocess.run([sys.executable, "-c", script, str(folder), str(tmp_path / "there.pt")],
                   check=True, timeout=300)
    assert torch.equal(torch.load(tmp_path / "here.pt"), torch.load(tmp_path / "there.pt"))


def test_the_shipped_models_save_and_reload_bit_for_bit(tmp_path):
    for name in ("mnist-inpaint", "mnist-heat"):
        model = zoo.load(name, precision="fp32")
        folder = model.save_pretrained(tmp_path / name)
        shipped = zoo.registry.model_folder(name)
        for file in ("model.safetensors", "prior.safetensors"):
            if (shipped / file).exists():
                assert (folder / file).read_bytes() == (shipped / file).read_bytes()
        again = zoo.load(folder, precision="fp32")
        assert type(again) is type(model) and again.card == model.card
        x = torch.rand(2, 1, 32, 32) * 2 - 1
        assert torch.equal(again.network(x, 5), model.network(x, 5))


def test_a_unet_saves_and_loads_as_a_folder_and_refuses_a_bad_one(tmp_path):
    R = UNet.preset("tiny", in_channels=1)
    folder = R.save_pretrained(tmp_path / "unet")
    again = UNet.from_pretrained(folder)
    x = torch.rand(1, 1, 16, 16)
    assert torch.equal(again(x, 3), R.eval()(x, 3))
    config = json.loads((folder / "config.json").read_text())
    config["config"]["channels"] = 24
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="weights of another network"):
        UNet.from_pretrained(folder)
    with pytest.raises(ValueError, match="not a pretrained folder"):
        UNet.from_pretrained(tmp_path / "nowhere")


def test_a_model_folder_refuses_code_in_its_configuration(tmp_path):
    folder = shutil.copytree(zoo.registry.model_folder("mnist-blur"), tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    witness = tmp_path / "ran"
    config["degradation"] = {"factory": "subprocess:run",
                             "arguments": {"args": ["touch", str(witness)]}}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="not a known operator"):
        zoo.load(folder)
    assert not witness.exists()
    result = colddiff("restore", folder, "x.png")
    assert result.returncode == 2 and "not a known operator" in result.stderr
    assert not witness.exists()


def test_a_run_on_a_registered_degradation_loads_without_a_schedule(tmp_path):
    from restore.run import train

    from degrade import GaussianBlurSchedule
    from restore import DataConfig, DegradationSpec, NetworkConfig, RunConfig, TrainConfig

    register_degradation("tests:my-blur", lambda num_steps: GaussianBlurSchedule.constant(
        3, num_steps=num_steps, sigma=1.0))
    images = tmp_path / "images"
    images.mkdir()
    for i in range(6):
        Image.fromarray((np.random.default_rng(i).random((16, 16)) * 255).astype(np.uint8)).save(
            images / f"{i}.png")
    config = RunConfig(out=str(tmp_path / "run"),
                       data=DataConfig(folder=str(images), channels=1, val_count=1),
                       network=NetworkConfig(preset="tiny"),
                       degradation=DegradationSpec("tests:my-blur", {"num_steps": 4}),
                       train=TrainConfig(steps=1, batch_size=2, accumulate=1, progress=False,
                                         sample_every=0))
    train(config)
    model = zoo.load(tmp_path / "run")
    assert isinstance(model, zoo.Restorer) and model.schedule is None
    assert (model.image_size, model.channels, model.T) == (16, 1, 4)
    assert "tests:my-blur" in model.card
    restored = model.restore(torch.zeros(1, 1, 16, 16))
    assert restored.shape == (1, 1, 16, 16)


def test_a_hub_repository_loads_from_the_local_cache_offline(tmp_path):
    pytest.importorskip("huggingface_hub")
    snapshot = tmp_path / "hub" / "models--someone--digits" / "snapshots" / ("0" * 40)
    shutil.copytree(zoo.registry.model_folder("mnist-blur"), snapshot)
    refs = tmp_path / "hub" / "models--someone--digits" / "refs"
    refs.mkdir()
    (refs / "main").write_text("0" * 40)
    env = {"HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    script = ("import zoo; m = zoo.from_pretrained('someone/digits'); "
              "n = zoo.load('hf://someone/digits'); print(type(m).__name__, m.T, n.T)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Restorer", "20", "20"]
    result = subprocess.run([sys.executable, "-c", "import zoo; zoo.load('hf://someone/other')"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, **env})
    assert result.returncode != 0 and "the Hub did not give it" in result.stderr


def test_a_mistyped_path_never_reaches_the_network(monkeypatch):
    monkeypatch.setattr(zoo.pretrained, "_from_hub", lambda repo: pytest.fail("hub called"))
    with pytest.raises(KeyError, match=r"no such folder or file \(a Hub repository is written hf://runs/x\)"):
        zoo.load("runs/x")


@pytest.mark.clone
def test_the_shipped_checkpoint_of_an_earlier_version_still_loads():
    old = ROOT / "zoo" / "training" / "mnist-blur" / "checkpoint.pt"
    with pytest.raises(ValueError, match="pass schedule=NAME"):
        zoo.load(old)
    model = zoo.load(old, schedule="mnist-blur")
    assert (model.image_size, model.channels, model.T, model.kind) == (32, 1, 20, "restorer")
    x0 = zoo.sample_images("mnist", 4)
    restored = model.restore(model.D(x0, model.T), sampler="direct")
    assert (restored - x0).pow(2).mean() < (model.D(x0, model.T) - x0).pow(2).mean()


@pytest.mark.parametrize("change, message", [
    (lambda c: c["sha256"].update({"model.safetensors": None}), "records no sha256"),
    (lambda c: c["sha256"].update({"../x.safetensors": "0" * 64}), "only safetensors files"),
    (lambda c: c.pop("sha256"), "no sha256 record"),
    (lambda c: c.update(kind="oracle"), "kind must be one of"),
    (lambda c: c.update(format="other-1"), "not a colddiff-model-1"),
])
def test_a_tampered_record_is_refused_in_one_line(tmp_path, change, message):
    folder = shutil.copytree(zoo.registry.model_folder("mnist-blur"), tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=message) as caught:
        zoo.load(folder)
    assert len(str(caught.value).splitlines()) == 1


def test_a_linked_weight_file_is_refused(tmp_path):
    folder = shutil.copytree(zoo.registry.model_folder("mnist-blur"), tmp_path / "m")
    (tmp_path / "elsewhere.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").symlink_to(tmp_path / "elsewhere.safetensors")
    with pytest.raises(ValueError, match="is a link"):
        zoo.load(folder)
