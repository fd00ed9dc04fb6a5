"""No traceback reaches a user: every colddiff command, given valid and invalid arguments
(paths that are folders, files, missing or unwritable), ends in success or in exit code 2 with
one line on standard error (issue 13). Hypothesis draws the argument lists; CI runs a fixed
budget of them, derandomized."""

import contextlib
import io
import os
import stat

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from zoo.cli import main


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    root = tmp_path_factory.mktemp("places")
    Image.new("L", (28, 28), 40).save(root / "digit.png")
    (root / "not-an-image.png").write_bytes(b"hello")
    (root / "folder").mkdir()
    (root / "file.txt").write_text("x")
    locked = root / "locked"
    locked.mkdir()
    os.chmod(locked, stat.S_IRUSR | stat.S_IXUSR)
    images = root / "images"
    images.mkdir()
    for i in range(12):
        Image.new("L", (32, 32), i * 20).save(images / f"{i}.png")
    yield root
    os.chmod(locked, stat.S_IRWXU)


def run(args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exit:
            code = exit.code
    return code, err.getvalue()


NUMBERS = st.sampled_from(["0", "1", "2", "-1", "-5", "3", "2.5", "nan", "inf", "x",
                           str(2**70), "1e6"])


def paths(root):
    return st.sampled_from([str(root / name) for name in (
        "digit.png", "not-an-image.png", "folder", "file.txt", "missing.png",
        "locked/out.png", "locked", "new/out.png", "folder/out.png")])


def command(root):
    p, n = paths(root), NUMBERS
    model = st.sampled_from(["mnist-blur", "mnist-inpaint", "mnist-blur-gen",
                             "mnist-blur-diffusion", "no-such"])
    schedule = st.sampled_from(["mnist-blur", "mnist-inpaint", "no-such"])

    def options(*pairs):
        return st.lists(st.one_of(*[st.tuples(st.just(flag), value) for flag, value in pairs]),
                        max_size=3).map(lambda chosen: [x for pair in chosen for x in pair])

    out = ("--out", p)
    return st.one_of(
        st.tuples(st.just(["list"]), options(("--models", st.just("")))).map(
            lambda c: c[0] + [a for a in c[1] if a]),
        st.tuples(st.just(["degrade"]), schedule, p, options(
            ("--t", n), ("--size", n), ("--seed", n), out, ("--save-dir", p),
            ("--variant", st.just("text")))).map(lambda c: [*c[0], c[1], c[2], *c[3]]),
        st.tuples(st.just(["restore"]), model, p, options(
            ("--t", n), ("--seed", n), out, ("--save-dir", p), ("--center", st.just("3")),
            ("--sampler", st.sampled_from(["direct", "naive", "ddim"])))).map(
            lambda c: [*c[0], c[1], c[2], "--no-progress", "--sampler", "direct", *c[3]]),
        st.tuples(st.just(["generate"]), model, options(
            ("--n", st.sampled_from(["0", "-1", "2", "x"])), ("--noise-std", n),
            ("--per-row", n), ("--steps", n), ("--seed", n), out, ("--save-dir", p),
            ("--sampler", st.sampled_from(["direct", "ddim", "tacos"])))).map(
            lambda c: [*c[0], c[1], "--no-progress", "--n", "2", "--steps", "3", *c[2]]),
        st.tuples(st.just(["samples", "mnist"]), options(
            ("--n", n), ("--out-dir", p))).map(lambda c: [*c[0], *c[1]]),
        st.tuples(st.just(["evaluate"]), st.sampled_from(["mnist-blur", "mnist-inpaint"]),
                  options(("--n", st.sampled_from(["0", "1", "-3", "x"])),
                          ("--batch-size", n), ("--seed", n), ("--out", p))).map(
            lambda c: [*c[0], c[1], "--no-progress", "--n", "4", *c[2]]),
        st.tuples(st.just(["train"]), schedule, options(
            ("--steps", n), ("--lr", n), ("--batch", n), ("--seed", n), ("--image-size", n),
            ("--sample-every", n), ("--ema-start", n), ("--val-count", n), ("--out", p),
            ("--data-folder", p), ("--config", p),
            ("--override", st.sampled_from(["num_steps=0", "num_steps=5", "x", "sigma=-1"])))).map(
            lambda c: [*c[0], c[1], "--no-progress", "--preset", "tiny", "--steps", "1",
                       "--batch", "2", "--accumulate", "1", "--sample-every", "0",
                       "--data-folder", str(root / "images"), "--image-size", "32", *c[2]]),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_command_succeeds_or_says_why_in_one_line(places, tmp_path_factory, data):
    args = data.draw(command(places))
    if args[0] == "train" and "--out" not in args:
        args += ["--out", str(tmp_path_factory.mktemp("run"))]
    torch.manual_seed(0)
    with contextlib.chdir(tmp_path_factory.mktemp("cwd")):  # default outputs land there
        code, err = run(args)
    assert "Traceback" not in err, (args, err)
    assert code in (0, 2), (args, code, err)
    if code == 2:
        assert len(err.strip().splitlines()) == 1, (args, err)
