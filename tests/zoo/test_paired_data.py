"""InDI on a user's own paired data, from the command line (issue 31): folders of clean images
and of their observations train a restorer along the straight path toward each observation
(Delbracio and Milanfar, 2023, arXiv:2303.11435), and ``colddiff restore`` walks back from
observed files with it."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from restore.config import DataConfig
from restore.data import PairedImages
from restore.train import main as train_main
from zoo.cli import main as colddiff
from zoo.commands import restore as restore_command

import degrade
import samplers
import zoo
from zoo import sampling


def blobs(n, size=16, seed=0):
    low = torch.rand(n, 3, 4, 4, generator=torch.Generator().manual_seed(seed))
    return F.interpolate(low, size=(size, size), mode="bilinear")


def save(image, path):
    pixels = (image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    Image.fromarray(pixels).save(path)


def pair_folders(root, n=12, extra=()):
    """``clean/NNN.png`` and ``observed/NNN.png``: each observation is its image mirrored, so
    a pairing off by one shows. ``extra``: observations with no image."""
    clean, observed = root / "clean", root / "observed"
    clean.mkdir()
    observed.mkdir()
    images = blobs(n)
    for i, image in enumerate(images):
        save(image, clean / f"{i:03d}.png")
        save(image.flip(-1), observed / f"{i:03d}.png")
    for name in extra:
        save(blobs(1, seed=99)[0], observed / name)
    return clean, observed


def test_images_pair_with_their_observations_by_name_whatever_the_suffix(tmp_path):
    clean, observed = pair_folders(tmp_path, extra=("004a.png", "000-x.png"))
    (observed / "007.png").rename(observed / "007.bmp")  # sorts elsewhere, still pairs
    pairs = PairedImages.from_folders(clean, observed)
    assert len(pairs) == 12
    for i in range(12):
        x0, carried = pairs[i]
        assert torch.equal(carried["y"], x0.flip(-1))


def test_an_image_without_its_observation_or_a_name_twice_is_refused(tmp_path):
    clean, observed = pair_folders(tmp_path)
    (observed / "003.png").unlink()
    with pytest.raises(ValueError, match=r"1 of the 12 images .* no observation .*003\.png"):
        PairedImages.from_folders(clean, observed)
    save(blobs(1)[0], observed / "003.png")
    save(blobs(1)[0], observed / "005.jpg")
    with pytest.raises(ValueError, match=r"005\.jpg and 005\.png|005\.png and 005\.jpg"):
        PairedImages.from_folders(clean, observed)
    with pytest.raises(ValueError, match="give --data-folder too"):
        DataConfig(name="mnist", observed=str(observed))


def indi_run(tmp_path, *extra):
    clean, observed = pair_folders(tmp_path)
    return ["--data-folder", str(clean), "--data-observed", str(observed),
            "--degradation", "degrade:DirectIteration", "--degradation-arg", "endpoint=null",
            "--degradation-arg", "num_steps=8", "--preset", "tiny", "--steps", "4", "--batch",
            "4", "--val-count", "2", "--sample-every", "2", "--lr", "2e-3", "--no-progress",
            "--out", str(tmp_path / "run"), *extra]


def test_indi_trains_on_folders_of_pairs_and_restores_observed_files(tmp_path, capsys):
    assert train_main(indi_run(tmp_path)) == 0
    assert (tmp_path / "run" / "samples" / "step-0000004.png").exists()
    model = zoo.load(tmp_path / "run")
    files = sorted((tmp_path / "observed").glob("*.png"))[:3]
    out = tmp_path / "restored.png"
    assert colddiff(["restore", str(tmp_path / "run"), *map(str, files), "--sampler", "all",
                     "--no-progress", "--out", str(out)]) == 0
    assert Image.open(out).size[0] > 16 * 4
    assert colddiff(["restore", str(tmp_path / "run"), *map(str, files), "--sampler", "indi",
                     "--steps", "2", "--no-progress", "--out", str(out)]) == 0
    # TACoS walks the path toward the observations themselves (D.ending_at(y))
    y = blobs(2, seed=5) * 2 - 1
    expected = samplers.tacos(model.network, model.D_train.ending_at(y), y, model.T)
    assert torch.allclose(model.restore(y), expected)
    assert model.restore(y, sampler="indi", steps=4).shape == y.shape
    assert restore_command._all(model) == ("tacos", "naive", "direct", "indi")
    assert restore_command._all(zoo.load("mnist-blur")) == ("tacos", "naive", "direct")
    capsys.readouterr()
    assert colddiff(["restore", str(tmp_path / "run"), str(files[0]), "--degrade",
                     "--out", str(tmp_path / "x.png")]) == 2
    assert "learned from paired data" in capsys.readouterr().err


def test_on_a_noisy_path_observations_restore_from_y_plus_the_paths_noise(tmp_path):
    """InDI's start is ``y + sigma_T eta`` (section 3): the restorer saw that noise at ``T``."""
    assert train_main(indi_run(tmp_path, "--degradation-arg", "sigma=0.1")) == 0
    model = zoo.load(tmp_path / "run")
    files = sorted((tmp_path / "observed").glob("*.png"))[:2]
    y = restore_command.read_images(files, 3, 16, False)
    eta = torch.randn(y.shape, generator=torch.Generator().manual_seed(3))
    x_T, path = y + 0.1 * eta, model.D_train.bind(y=y, noise=eta)
    for sampler, steps in (("indi", 2), ("tacos", None), ("direct", None)):
        run = sampling.get(sampler, "cold", model.name).run
        expected = run(model.network, path, x_T, model.T,
                       **({"steps": samplers.spaced_steps(model.T, steps)} if steps else {}))
        restored = model.restore(y, sampler=sampler, steps=steps,
                                 generator=torch.Generator().manual_seed(3))
        assert torch.allclose(restored, expected, atol=1e-6), sampler
    assert torch.equal(model.restore(y, sampler="indi"), model.restore(
        y, sampler="indi", generator=torch.Generator().manual_seed(0)))  # seed 0 by default
    out = tmp_path / "restored"
    assert colddiff(["restore", str(tmp_path / "run"), *map(str, files), "--sampler", "indi",
                     "--steps", "2", "--seed", "3", "--no-progress", "--out",
                     str(tmp_path / "grid.png"), "--save-dir", str(out)]) == 0
    saved = restore_command.read_images(sorted(out.glob("*.png")), 3, 16, False)
    expected = model.restore(y, sampler="indi", steps=2, generator=torch.Generator().manual_seed(3))
    assert (saved - expected.clamp(-1, 1)).abs().max() <= 2 / 255 + 1e-6


def test_paired_data_needs_a_degradation_that_takes_the_observations(tmp_path, capsys):
    args = indi_run(tmp_path)
    args[args.index("degrade:DirectIteration")] = "degrade:GaussianBlurSchedule.constant"
    args[args.index("endpoint=null")] = "kernel_size=3"
    assert train_main([*args, "--degradation-arg", "sigma=1.0"]) == 2
    err = capsys.readouterr().err
    assert "takes no y" in err and "degrade:DirectIteration" in err


def test_out_inside_the_observations_folder_is_refused(tmp_path, capsys):
    args = indi_run(tmp_path)
    args[args.index("--out") + 1] = str(tmp_path / "observed" / "run")
    assert train_main(args) == 2
    assert "inside --data-observed" in capsys.readouterr().err


@pytest.mark.parametrize("sigma", [0.0, 0.1])
def test_the_zoo_indi_sampler_walks_with_the_paths_own_noise(monkeypatch, sigma):
    seen = {}

    def spy(R, D, x_t, t, *, steps=None, sigma=0.0, progress=False):
        seen["sigma"] = sigma
        return x_t

    monkeypatch.setattr(samplers, "indi", spy)
    D = degrade.DirectIteration(None, num_steps=4, sigma=sigma)
    y = blobs(2)
    sampling.SAMPLERS["indi"].run(lambda x, s: x, D.ending_at(y), y, 4)
    assert torch.equal(torch.as_tensor(seen["sigma"]), torch.as_tensor(D.sigma if sigma else 0.0))
    sampling.SAMPLERS["indi"].run(lambda x, s: x, degrade.GaussianBlurSchedule.constant(
        kernel_size=3, num_steps=4, sigma=1.5), y, 4)
    assert seen["sigma"] == 0.0  # a blur's sigma is no noise level


def test_a_restorer_of_a_straight_path_is_evaluated_and_drawn_with_indi_too(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for i, image in enumerate(blobs(6, size=32)):
        save(image, folder / f"{i}.png")
    assert train_main(["--data-folder", str(folder), "--degradation", "zoo:schedule",
                       "--degradation-arg", "name=cifar10-blur-indi", "--preset", "tiny",
                       "--steps", "1", "--batch", "2", "--val-count", "1", "--sample-every",
                       "0", "--no-progress", "--out", str(tmp_path / "run")]) == 0
    model = zoo.load(tmp_path / "run")
    assert model.straight and model.row_names()[-1] == "InDI"
    x0 = blobs(3, size=32, seed=4) * 2 - 1
    [batch] = model.evaluation_batches(x0, seed=0, batch_size=8)
    x_T = model.D_train(x0, model.T)
    assert torch.equal(batch["Degraded"](), x_T)
    assert torch.allclose(batch["InDI"](), samplers.indi(model.network, model.D_train, x_T, 100))
    assert not zoo.load("mnist-blur").straight
    assert "InDI" not in zoo.load("mnist-blur").row_names()
