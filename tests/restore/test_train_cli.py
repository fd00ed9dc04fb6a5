"""python -m restore.train: a run from the command line, its config.json, resume, seed, errors.

In-process calls of the entry point; one end-to-end run in a real process."""

import json
import subprocess
import sys

import pytest
import torch
from PIL import Image
from restore.checkpoint import read as read_checkpoint
from restore.train import main

from restore import RunConfig

BLUR = ["--degradation", "degrade:GaussianBlurSchedule.constant", "--degradation-arg",
        "kernel_size=3", "--degradation-arg", "num_steps=5", "--degradation-arg", "sigma=1"]


def tiny_run(tmp_path, count=40):
    """Arguments for a tiny run on a folder of ``count`` grey 16x16 images."""
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)
    for i in range(count):
        Image.new("L", (16, 16), i * 6).save(folder / f"{i}.png")
    return ["--data-folder", str(folder), "--channels", "1", "--preset", "tiny", "--batch", "4",
            *BLUR, "--sample-every", "0", "--device", "cpu", "--no-progress"]


def test_train_writes_its_config_resumes_and_refuses(tmp_path, capsys):
    out = tmp_path / "run"
    common = [*tiny_run(tmp_path), "--out", str(out)]
    assert main([*common, "--steps", "3"]) == 0
    assert "tiny U-Net of width 8 (34,137 parameters)" in capsys.readouterr().out
    assert (out / "samples" / "step-0000003.png").exists()
    config = RunConfig.load(out / "config.json")
    assert config.train.steps == 3 and config.network.preset == "tiny"
    assert config.degradation.arguments == {"kernel_size": 3, "num_steps": 5, "sigma": 1}
    state = read_checkpoint(out / "checkpoint.pt")
    assert state["run"] == config.to_dict()
    assert main([*common, "--steps", "3"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["--config", str(out / "config.json"), "--steps", "5", "--resume"]) == 0
    assert (out / "samples" / "step-0000005.png").exists()
    assert RunConfig.load(out / "config.json").train.steps == 5


def test_a_run_recreated_from_its_config_alone_gives_the_same_weights(tmp_path):
    first = tmp_path / "a"
    assert main([*tiny_run(tmp_path, count=24), "--steps", "2", "--out", str(first)]) == 0
    second = tmp_path / "b"
    assert main(["--config", str(first / "config.json"), "--out", str(second)]) == 0
    a = read_checkpoint(first / "checkpoint.pt")["model"]
    b = read_checkpoint(second / "checkpoint.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_the_walk_objective_trains_with_its_share(tmp_path):
    from restore.objectives import restore_x0_on_walk
    from restore.run import build

    out = tmp_path / "run"
    assert main([*tiny_run(tmp_path, count=24), "--steps", "2", "--out", str(out),
                 "--objective", "x0-walk", "--walk-share", "0.25"]) == 0
    config = RunConfig.load(out / "config.json")
    assert (config.objective, config.walk_share, config.train.loss) == ("x0-walk", 0.25, "l1")
    objective = build(config).objective
    assert objective.func is restore_x0_on_walk and objective.keywords == {"share": 0.25}


def test_a_run_starts_from_the_weights_it_is_given(tmp_path, capsys):
    """--init fine-tunes: a run's moving average, a model folder or a zoo model; the step, the
    optimiser and the moving average's start are the new run's own."""
    from restore.checkpoint import initial_weights
    from restore.run import build

    from restore import UNet

    first = tmp_path / "a"
    assert main([*tiny_run(tmp_path, count=24), "--steps", "3", "--out", str(first),
                 "--ema-start", "0", "--ema-every", "1"]) == 0
    ema = read_checkpoint(first / "checkpoint.pt")["ema"]
    for source in (first / "checkpoint.pt", first):
        if source == first:     # a model folder
            network = UNet.preset("tiny", in_channels=1)
            network.load_state_dict(ema)
            source = network.save_pretrained(tmp_path / "folder")
        config = RunConfig.load(first / "config.json")
        config.out, config.init = str(tmp_path / "b"), str(source)
        trainer = build(config)
        assert all(torch.equal(trainer.model.state_dict()[k], ema[k]) for k in ema)
        assert trainer.step == 0
    fresh = build(RunConfig.load(first / "config.json")).model.state_dict()
    assert not all(torch.equal(fresh[k], ema[k]) for k in ema)
    second = tmp_path / "c"
    assert main(["--config", str(first / "config.json"), "--out", str(second), "--init",
                 str(first / "checkpoint.pt"), "--steps", "1"]) == 0
    assert RunConfig.load(second / "config.json").init == str(first / "checkpoint.pt")
    assert f"starting from the weights of {first / 'checkpoint.pt'}" in capsys.readouterr().out
    assert read_checkpoint(second / "checkpoint.pt")["step"] == 1
    with pytest.raises(ValueError, match="no installed source of weights is called 'nowhere'"):
        initial_weights("nowhere:mnist-blur")


def test_a_fine_tune_resumes_after_its_starting_weights_are_gone(tmp_path):
    """--resume takes the weights from the run's own checkpoint, so --init's file is not
    needed any more (a fine-tune of a run that has since been deleted)."""
    from restore.run import build

    first, second = tmp_path / "a", tmp_path / "b"
    assert main([*tiny_run(tmp_path, count=24), "--steps", "2", "--out", str(first)]) == 0
    assert main(["--config", str(first / "config.json"), "--out", str(second), "--init",
                 str(first / "checkpoint.pt"), "--steps", "3", "--max-seconds", "1e-9"]) == 0
    assert read_checkpoint(second / "checkpoint.pt")["step"] < 3
    (first / "checkpoint.pt").unlink()
    assert main(["--config", str(second / "config.json"), "--out", str(second),
                 "--resume", "--max-seconds", "600"]) == 0
    assert read_checkpoint(second / "checkpoint.pt")["step"] == 3
    elsewhere = RunConfig.load(second / "config.json")
    elsewhere.out = str(tmp_path / "c")       # no checkpoint to resume: --init is needed again
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        build(elsewhere, resume=True)


def test_a_run_starts_from_a_zoo_model_where_the_zoo_is_installed():
    zoo = pytest.importorskip("zoo")        # restore alone, as its wheel installs: no source
    from restore.checkpoint import initial_weights

    from restore import UNet

    weights = initial_weights("zoo:mnist-blur")
    shipped = UNet.from_pretrained(zoo.registry.model_folder("mnist-blur")).state_dict()
    assert weights.keys() == shipped.keys()
    assert all(torch.equal(weights[k], v) for k, v in shipped.items())
    with pytest.raises(ValueError, match="no pretrained model named 'nothing'"):
        initial_weights("zoo:nothing")


@pytest.mark.parametrize("args, message", [
    (["--data", "mnist", "--data-dir", "{tmp}"], "mnist.npz not found"),
    ([], "exactly one of --data and --data-folder"),
    (["--data", "mnist", "--data-folder", "{tmp}"], "not both"),
    (["--data-folder", "{tmp}", "--degradation", "nowhere:thing"], "not a known operator"),
    (["--data-folder", "{tmp}", "--degradation", "degrade:Nothing"],
     "degrade has no operator 'Nothing'"),
    (["--data-folder", "{tmp}", "--degradation", "degrade"], "not a known operator"),
    (["--config", "{tmp}/none.json"], "no such configuration file"),
    (["--lr", "-1"], "lr must be a positive number"),
    (["--data-folder", "{tmp}", "--init", "{tmp}/none.pt"], "no such checkpoint or model folder"),
    (["--data-folder", "{tmp}", "--init", "nothing:x"], "no installed source of weights"),
])
def test_bad_arguments_end_in_one_line(tmp_path, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main([*BLUR, *args, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_config_with_an_unknown_key_is_refused(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"train": {"stepz": 3}}))
    assert main(["--config", str(path)]) == 2
    assert "unknown key(s) ['stepz']" in capsys.readouterr().err


@pytest.mark.e2e
def test_end_to_end_in_a_real_process(tmp_path):
    result = subprocess.run([sys.executable, "-m", "restore.train", *tiny_run(tmp_path),
                             "--steps", "2", "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "config.json").exists()
    help_text = subprocess.run([sys.executable, "-m", "restore.train", "--help"],
                               capture_output=True, text=True).stdout
    assert "--degradation-arg" in help_text and "--ema-decay" in help_text


@pytest.mark.parametrize("device, message", [("cuda", "no CUDA GPU"), ("cuda:1", "no CUDA GPU"),
                                             ("gpu", "unknown device 'gpu'")])
def test_a_device_this_machine_lacks_is_refused_in_one_line(tmp_path, capsys, device, message):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    args = [*tiny_run(tmp_path), "--device", device, "--out", str(tmp_path / "r")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_folder_with_one_image_is_refused_in_one_line(tmp_path, capsys):
    folder = tmp_path / "one"
    folder.mkdir()
    Image.new("L", (16, 16), 5).save(folder / "a.png")
    assert main([*BLUR, "--data-folder", str(folder), "--channels", "1", "--out",
                 str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "holds 1 image(s)" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("change, refused", [
    (["--degradation-arg", "num_steps=9"], "degradation.arguments.num_steps (5 to 9)"),
    (["--val-count", "3"], "data.val_count"),
    (["--image-size", "8"], "data.image_size"),
    (["--hflip"], "data.hflip"),
    (["--lr", "0.5"], "train.lr"),
    (["--warmup", "3"], "train.warmup"),
    (["--ema-decay", "0.9"], "train.ema_decay"),
    (["--precision", "bf16"], "train.precision"),
    (["--batch", "2"], "train.batch_size"),
])
def test_resume_refuses_what_changes_the_meaning_of_the_run(tmp_path, capsys, change, refused):
    common = [*tiny_run(tmp_path, count=24), "--out", str(tmp_path / "run")]
    assert main([*common, "--steps", "2"]) == 0
    before = (tmp_path / "run" / "checkpoint.pt").read_bytes()
    capsys.readouterr()
    assert main([*common, "--steps", "4", *change, "--resume"]) == 2
    err = capsys.readouterr().err
    assert "cannot resume with another" in err and refused in err
    assert len(err.strip().splitlines()) == 1
    assert (tmp_path / "run" / "checkpoint.pt").read_bytes() == before  # nothing overwritten


def test_resume_allows_and_logs_what_can_change_mid_run(tmp_path):
    common = [*tiny_run(tmp_path, count=24), "--out", str(tmp_path / "run")]
    assert main([*common, "--steps", "2"]) == 0
    assert main([*common, "--steps", "4", "--log-every", "1", "--resume"]) == 0
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text()
               .splitlines()]
    [changed] = [r for r in records if "changed" in r]
    assert changed["step"] == 2
    assert changed["changed"] == {"train.steps": [2, 4], "train.log_every": [50, 1]}


def test_a_second_run_into_the_same_folder_is_refused_and_a_stale_lock_is_not(tmp_path, capsys):
    import os

    from restore import lock

    out = tmp_path / "run"
    common = [*tiny_run(tmp_path, count=24), "--out", str(out), "--steps", "2"]
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        out.mkdir()
        (out / lock.LOCK).write_text(f"{sleeper.pid}\n")  # a live run holds the folder
        assert main(common) == 2
        err = capsys.readouterr().err
        assert f"is being trained by process {sleeper.pid}" in err
        assert not (out / "checkpoint.pt").exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert main(common) == 0  # the holder is gone: its lock is stale and taken over
    assert not (out / lock.LOCK).exists()  # released at the end
    with lock.held(out):
        assert (out / lock.LOCK).read_text().strip() == str(os.getpid())


def test_out_inside_the_data_folder_is_refused(tmp_path, capsys):
    args = tiny_run(tmp_path, count=12)
    folder = args[args.index("--data-folder") + 1]
    assert main([*args, "--steps", "1", "--out", f"{folder}/run"]) == 2
    assert "inside --data-folder" in capsys.readouterr().err


def test_a_crash_mid_save_leaves_no_temporary_file_after_the_resume(tmp_path):
    out = tmp_path / "run"
    common = [*tiny_run(tmp_path, count=24), "--out", str(out)]
    assert main([*common, "--steps", "2"]) == 0
    (out / ".checkpoint.pt.99999999.tmp").write_bytes(b"half a checkpoint")
    assert main([*common, "--steps", "3", "--resume"]) == 0
    assert not list(out.glob(".*.tmp"))


@pytest.mark.parametrize("extra, message", [
    (["--width", "100000"], "training a U-Net of 5,180,012,300,001 parameters"),
    (["--image-size", "100000"], "reading 40 images at 100000 px needs about 745"),
    (["--image-size", "512", "--batch", "100000"], "on batches of 100000 images of 512 px needs"),
    (["--degradation-arg", "num_steps=1000000000"], "T must be at most 1,000,000"),
])
def test_work_that_cannot_fit_is_refused_before_allocating(tmp_path, capsys, monkeypatch,
                                                           extra, message):
    """Issue 27, case 10: sizes are estimated before anything is allocated (here with 8 GiB
    free), and refused in one line."""
    from restore import memory

    monkeypatch.setattr(memory, "available", lambda: 8 * 2**30)
    code = main([*tiny_run(tmp_path), *extra, "--steps", "1", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_messages_speak_the_command_line_there_and_python_in_python(tmp_path, capsys):
    """Issue 27, case 19: the command line names its options, Python its arguments."""
    from restore import data

    out = tmp_path / "run"
    assert main([*tiny_run(tmp_path), "--steps", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main([*tiny_run(tmp_path), "--steps", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "resume it (--resume)" in err and "resume=True" not in err
    assert main([*BLUR, "--data", "mnist", "--data-dir", str(tmp_path), "--out",
                 str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "(--data-dir)" in err and "data_dir" not in err
    with pytest.raises(FileNotFoundError, match=r"\(data_dir=; for MNIST"):
        data.load("mnist", data_dir=tmp_path)
    config = RunConfig.load(out / "config.json")
    from restore.run import build

    with pytest.raises(FileExistsError, match=r"resume it \(resume=True\)"):
        build(config).train()


def test_soft_diffusion_trains_on_a_nested_corruption_and_draws_its_preview(tmp_path):
    """An operator of operators from the command line: degrade:SoftCorruption.geometric with
    its corruption written as {"factory", "arguments"}; the soft objective's grid shows the
    Momentum Sampler's samples."""
    from restore.objectives import soft_score_matching
    from restore.run import build

    import degrade

    corruption = {"factory": "degrade:HeatDissipation",
                  "arguments": {"num_steps": 5, "blur_max": 8.0, "sigma": 0.0}}
    args = [a for a in tiny_run(tmp_path, count=24) if a not in BLUR]
    args[args.index("--sample-every") + 1] = "2"
    out = tmp_path / "run"
    assert main([*args, "--degradation", "degrade:SoftCorruption.geometric",
                 "--degradation-arg", f"corruption={json.dumps(corruption)}",
                 "--degradation-arg", "smallest=0.01", "--degradation-arg", "largest=0.2",
                 "--objective", "soft", "--steps", "2", "--out", str(out)]) == 0
    config = RunConfig.load(out / "config.json")
    assert config.degradation.arguments["corruption"] == corruption
    assert (config.objective, config.train.loss) == ("soft", "l2")
    trainer = build(config)
    assert trainer.objective is soft_score_matching
    assert isinstance(trainer.D, degrade.SoftCorruption)
    assert isinstance(trainer.D.corruption, degrade.HeatDissipation)
    assert (out / "samples" / "step-0000002.png").exists()


def test_a_nested_factory_is_checked_before_anything_is_imported():
    from restore.config import DegradationSpec

    with pytest.raises(ValueError, match="not a known operator"):
        DegradationSpec("degrade:SoftCorruption", {
            "corruption": {"factory": "subprocess:run", "arguments": {}}, "noise_levels": 0.1})
