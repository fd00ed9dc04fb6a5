"""The colddiff command, as a user runs it."""

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from zoo.cli import main
from zoo.images import save_images

import zoo

GENERATORS = [e["name"] for e in zoo.list_models()
              if e["kind"] != "restorer"]


def colddiff(*args):
    """The command run in this process, as a user runs it: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit:             # argparse: --help, bad choices
            code = exit.code
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def colddiff_process(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "zoo.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits")
    save_images(zoo.sample_images("mnist", 2, size=28), folder, ["seven", "two"])
    return [folder / "seven.png", folder / "two.png"]


@pytest.mark.e2e
def test_console_script_is_installed_and_runs():
    scripts = Path(sys.executable).parent
    script = scripts / "colddiff"
    assert script.exists() or (scripts / "colddiff.exe").exists()
    result = subprocess.run([str(script), "list", "--models"], capture_output=True, text=True)
    assert result.returncode == 0 and "mnist-blur" in result.stdout


@pytest.mark.e2e
def test_a_bad_model_name_in_a_real_process(tmp_path):
    result = colddiff_process("restore", "mnist-blurr", "x.png")
    assert result.returncode == 2 and "did you mean mnist-blur" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["list", "samples", "degrade", "restore", "generate", "train",
                                     "evaluate", "demo"])
def test_help_explains_each_command(command):
    result = colddiff(command, "--help")
    assert result.returncode == 0
    assert "usage: colddiff " + command in result.stdout


def test_list_names_schedules_and_models():
    result = colddiff("list")
    assert result.returncode == 0
    for name in ("cifar10-snow", "celeba-animorph", "mnist-blur"):
        assert name in result.stdout
    schedules, models = (block.splitlines() for block in result.stdout.split("\n\n"))
    for lines, last in ((schedules, "operator"), (models, "measured")):
        column = lines[0].index(last)  # the last column starts at one place on every line
        assert all(line[column - 2:column] == "  " and line[column] != " " for line in lines)
        assert max(len(line.split()[0]) for line in lines) > 20  # the long names are there
    verbose = colddiff("list", "--schedules", "-v").stdout
    assert "differences:" in verbose and "Variant \"text\" gives T = 40" in verbose


def test_degrade_then_restore_a_digit(digits, tmp_path):
    result = colddiff("degrade", "mnist-blur", *digits, "--t", "5", "20",
                      "--out", tmp_path / "d.png", "--save-dir", tmp_path / "blurred")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # 16-bit files were written: nothing to warn of
    assert Image.open(tmp_path / "d.png").size[0] > 3 * 64
    blurred = tmp_path / "blurred" / "seven-t5.png"
    assert Image.open(blurred).size == (32, 32)
    result = colddiff("restore", "mnist-blur", blurred, "--t", "5", "--sampler", "all",
                      "--out", tmp_path / "r.png", "--save-dir", tmp_path / "restored",
                      "--no-progress")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "restored").iterdir()) == [
        "seven-t5-direct.png", "seven-t5-naive.png", "seven-t5-tacos.png"]


def test_an_8_bit_picture_alone_says_what_the_rounding_costs(digits, tmp_path):
    """The quickstart's trap: restoring from the 8-bit grid restores another digit."""
    result = colddiff("degrade", "mnist-blur", digits[0], "--t", "10", "20",
                      "--out", tmp_path / "d.png")
    assert result.returncode == 0
    note = result.stderr
    assert note.startswith("note:") and "8-bit" in note and "--save-dir" in note
    levels = {int(n) for n in re.findall(r"(\d+) grey levels", note)}
    assert len(levels) == 2 and max(levels) <= 40  # t = 10 and t = 20 keep few levels
    rmse = [float(r) for r in re.findall(r"RMSE (\d\.\d+)", note)]
    assert len(rmse) == 2 and all(0.0005 < r < 1 / 255 for r in rmse)


def test_restore_with_degrade_shows_the_original(digits, tmp_path):
    result = colddiff("restore", "mnist-blur", digits[0], "--degrade", "--t", "10",
                      "--out", tmp_path / "r.png", "--no-progress")
    assert result.returncode == 0, result.stderr
    width = Image.open(tmp_path / "r.png").size[0]
    assert 3 * 64 < width < 4 * 64  # degraded, TACoS, original


@pytest.mark.parametrize("args, message", [
    (["restore", "mnist-blurr", "x.png"], "did you mean mnist-blur"),
    (["restore", "mnist-blur", "missing.png"], "missing.png: no such file"),
    (["restore", "mnist-blur", "{digit}", "--t", "99"], "between 0 and T = 20"),
    (["degrade", "no-such", "{digit}"], "no schedule named"),
    (["degrade", "mnist-blur", "{digit}", "--variant", "code"], "no variant"),
    (["generate", "mnist-blur"], "no prior"),
    (["evaluate", "mnist-blur", "--n", "1"], "at least 2"),
    (["evaluate", "mnist-blur", "--batch-size", "0"], "at least 1"),
    (["evaluate", "mnist-blur", "--batch-size", "-2"], "at least 1"),
    (["evaluate", "mnist-blur", "--rows", "TACoS"], "no row of mnist-blur starts with"),
    (["evaluate", "mnist-heat-gen", "--also", "train"], "give SPLIT:N"),
    (["evaluate", "mnist-heat-gen", "--also", "val:10"], "give SPLIT:N"),
    (["evaluate", "mnist-heat-gen", "--also", "test:1"], "N at least 2"),
    (["degrade", "mnist-blur", "{digit}", "--out", "{tmp}"], "is a folder"),
    (["degrade", "mnist-blur", "{digit}", "--save-dir", "{digit}"], "is a file, not a folder"),
    (["degrade", "mnist-blur", "{digit}", "--size", "0"], "at least 1"),
    (["degrade", "mnist-blur", "{digit}", "--seed", str(2**70)], "below 2**63"),
    (["samples", "mnist", "--out-dir", "{digit}"], "is a file, not a folder"),
    (["generate", "mnist-blur-gen", "--per-row", "0"], "at least 1"),
    (["generate", "mnist-blur-gen", "--per-row", "-3"], "at least 1"),
    (["generate", "mnist-blur-gen", "--noise-std", "nan"], "finite number"),
    (["generate", "mnist-blur-gen", "--noise-std", "inf"], "finite number"),
    (["restore", "mnist-blur", "{digit}", "--center", "3", "3"], "--center applies to"),
    (["train", "mnist-blur", "--sample-every", "-1", "--out", "{tmp}/r"], "sample_every"),
    (["train", "mnist-blur", "--ema-start", "-5", "--out", "{tmp}/r"], "ema_start"),
    (["train", "mnist-blur", "--image-size", "0", "--out", "{tmp}/r"], "image_size"),
    (["train", "mnist-blur", "--seed", str(2**70), "--out", "{tmp}/r"], "seed must be"),
    (["train", "mnist-blur", "--override", "num_steps=0", "--out", "{tmp}/r"], "steps T must be"),
    (["train", "--config", "{digit}"], "a run configuration must be JSON"),
    (["restore", "mnist-blur", "{digit}", "--sampler", "nope"], "invalid choice"),
])
def test_bad_input_exits_2_with_one_line(digits, tmp_path, args, message):
    result = colddiff(*[str(digits[0]) if a == "{digit}" else a.replace("{tmp}", str(tmp_path))
                        for a in args])
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", GENERATORS)
def test_generate_writes_a_grid(name, tmp_path):
    model = zoo.load(name)                    # in at most ten jumps, where the model can jump
    steps = [] if model.family == "warm" else ["--steps", str(min(10, model.T))]
    result = colddiff("generate", name, "--n", "4", *steps, "--out", tmp_path / "g.png",
                      "--save-dir", tmp_path / "each", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "each").iterdir())) == 4


@pytest.mark.mnist_data
def test_evaluate_prints_and_saves_the_table(tmp_path):
    result = colddiff("evaluate", "mnist-blur", "--n", "12", "--batch-size", "12",
                      "--out", tmp_path / "e.json", tmp_path / "e.md", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "| Sampled (TACoS) |" in result.stdout
    saved = json.loads((tmp_path / "e.json").read_text())
    assert set(saved["rows"]) == {"Degraded", "Sampled (TACoS)", "Direct"}
    only = colddiff("evaluate", "mnist-blur", "--n", "4", "--rows", "Direct", "--no-progress")
    assert "| Direct |" in only.stdout and "TACoS" not in only.stdout


@pytest.mark.mnist_data
def test_evaluate_measures_generated_images_against_more_reference_sets(tmp_path):
    result = colddiff("evaluate", "mnist-heat-gen", "--n", "8", "--rows", "Direct",
                      "--reference", "10", "--also", "train:12", "--out", tmp_path / "e.json",
                      tmp_path / "e.md", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "mnist-heat-gen: 8 generated images against 12 mnist train images" in result.stdout
    saved = json.loads((tmp_path / "e.json").read_text())
    assert saved["setting"].startswith("8 generated images against 10 mnist test images")
    assert saved["also"][0]["setting"].startswith("8 generated images against 12 mnist train")
    assert saved["also"][0]["rows"] != saved["rows"]
    assert saved["also"][0]["table"] in (tmp_path / "e.md").read_text()


@pytest.mark.mnist_data
def test_train_a_named_schedule_and_resume(tmp_path):
    args = ["train", "mnist-sr", "--steps", "2", "--batch", "4", "--accumulate", "1",
            "--preset", "tiny", "--val-count", "8", "--checkpoint-every", "1",
            "--sample-every", "0", "--no-progress", "--out", tmp_path / "run"]
    result = colddiff(*args)
    assert result.returncode == 0, result.stderr
    assert "schedule mnist-sr" in result.stdout and "steps, objective x0\n" in result.stdout
    assert (tmp_path / "run" / "checkpoint.pt").exists()
    again = colddiff(*[a if a != "2" else "3" for a in args], "--resume")
    assert again.returncode == 0, again.stderr
    steps = [json.loads(line)["step"] for line in
             (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert max(steps) == 3


@pytest.mark.parametrize("args, message", [
    (["train", "mnist-blur", "--override", "name=cifar10-blur"], "not an override"),
    (["train", "mnist-blur", "--override", "variant=text"], "with --variant"),
    (["generate", "mnist-blur-gen", "--n", "1", "--noise-std", "1e30", "--no-progress"],
     "NaN or infinite"),
])
def test_more_bad_input_exits_2_with_one_line(args, message, tmp_path):
    result = colddiff(*args, "--out", str(tmp_path / "x.png"))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_output_paths_are_checked_before_any_work(digits, tmp_path):
    twins = [tmp_path / "a" / "seven.png", tmp_path / "b" / "seven.png"]
    for path in twins:
        path.parent.mkdir()
        shutil.copy(digits[0], path)
    cases = [
        (["restore", "mnist-blur", *twins, "--save-dir", tmp_path / "s"], "named seven"),
        (["restore", "mnist-blur", digits[0], "--out", digits[0]], "one of the input images"),
        (["degrade", "mnist-blur", digits[0], "--out", tmp_path / "x.pdfx"], "not .pdfx"),
        (["generate", "mnist-blur-gen", "--out", tmp_path / "grid"], "a name without a suffix"),
        (["train", "mnist-blur", "--out", ""], "--out is empty"),
    ]
    before = digits[0].read_bytes()
    for args, message in cases:
        result = colddiff(*args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert digits[0].read_bytes() == before and not (tmp_path / "s").exists()


def test_work_that_cannot_fit_in_memory_is_refused_before_allocating(digits, tmp_path,
                                                                    monkeypatch):
    from restore import memory

    monkeypatch.setattr(memory, "available", lambda: 2**30)  # 1 GiB free
    for args in (["degrade", "mnist-blur", digits[0], "--size", "100000"],
                 ["generate", "mnist-blur-gen", "--n", "100000"]):
        result = colddiff(*args, "--out", tmp_path / "x.png")
        assert result.returncode == 2 and "GiB and 1.0 GiB is free" in result.stderr
    assert colddiff("degrade", "mnist-blur", digits[0], "--size", "64", "--out",
                    tmp_path / "y.png").returncode == 0


def test_other_weights_and_far_centres_are_refused_in_one_short_line(digits, tmp_path):
    """Issue 27, case 19: weights of another architecture are named with what differs, and
    a mask centre beyond any integer is refused before work, not by an overflow."""
    from zoo.registry import model_folder

    weights = model_folder("cifar10-blur") / "model.safetensors"
    result = colddiff("restore", "mnist-blur", digits[0], "--weights", weights,
                      "--out", tmp_path / "x.png")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert len(result.stderr) < 300
    assert (f"{weights} does not hold mnist-blur's U-Net weights: 3 tensor(s) of another "
            "shape (conv_in.weight: (16, 3, 3, 3), expected (16, 1, 3, 3))") in result.stderr
    for centre in ("99999999999999999999", "32"):
        result = colddiff("restore", "mnist-inpaint", digits[0], "--center", centre, "0",
                          "--out", tmp_path / "x.png")
        assert result.returncode == 2 and "--center must be a pixel (ROW COL) of the 32x32 " \
            "image" in result.stderr and not result.stdout and "tacos" not in result.stderr


@pytest.mark.clone
def test_demo_writes_into_a_folder_of_its_own_unless_told():
    """Issue 30, case 8: from an installed wheel, demo wrote ./docs/img wherever it ran."""
    from pathlib import Path

    from zoo.cli import parser

    assert parser().parse_args(["demo"]).out == Path("colddiff-demo")
    assert "demo --out docs/img" in (Path(__file__).resolve().parents[2] / "run.sh").read_text()
