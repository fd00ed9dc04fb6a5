"""SIGINT (Ctrl-C) and SIGTERM (schedulers, torchrun) stop training after the step under way,
with a checkpoint from which it resumes to the very weights of an uninterrupted run (issue 13)."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from restore.checkpoint import read as read_checkpoint
from restore.signals import Interrupted
from test_trainer import _equal, trainer

STATE = ("step", "model", "ema", "optimizer", "generator", "torch_rng")


def signalling(at_calls, signum):
    """An objective that sends ``signum`` to this process on the given calls (micro-batches)."""
    calls = []

    def objective(R, D, x0, t):
        calls.append(1)
        if len(calls) in at_calls:
            os.kill(os.getpid(), signum)
        return R(D(x0, t), t), x0

    return objective


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    trainer(out, 7).train()
    return read_checkpoint(out / "checkpoint.pt")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_signal_at_a_random_moment_resumes_exactly(tmp_path, straight, signum, seed):
    call = random.Random(seed * 7 + signum).randint(1, 12)  # 2 micro-batches a step
    run = trainer(tmp_path, 7)
    run.objective = signalling({call}, signum)
    with pytest.raises(Interrupted) as stop:
        run.train()
    assert stop.value.signum == signum
    saved = read_checkpoint(tmp_path / "checkpoint.pt")
    assert saved["step"] == (call + 1) // 2            # the step under way was finished
    resumed = trainer(tmp_path, 7)
    resumed.train(resume=True)
    ended = read_checkpoint(tmp_path / "checkpoint.pt")
    for name in STATE:
        assert _equal(ended[name], straight[name]), f"{name} differs after the {signum.name}"


def test_a_second_signal_stops_at_once_and_the_handlers_come_back(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    run = trainer(tmp_path, 7)
    run.objective = signalling({3, 4}, signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt) as stop:
        run.train()
    assert not isinstance(stop.value, Interrupted)
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.e2e
def test_sigterm_to_a_command_line_run(tmp_path):
    from test_train_cli import tiny_run

    args = [sys.executable, "-m", "restore.train", *tiny_run(tmp_path), "--steps", "100000",
            "--log-every", "1", "--out", str(tmp_path / "run")]
    process = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "run" / "log.jsonl"
    deadline = time.time() + 120
    while not (log.exists() and log.stat().st_size) and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    step = read_checkpoint(tmp_path / "run" / "checkpoint.pt")["step"]
    assert step >= 1
