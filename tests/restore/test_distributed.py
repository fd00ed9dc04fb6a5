"""Two CPU processes under torchrun (gloo) train as one process with the same global batch."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from restore.checkpoint import read as read_checkpoint

JOB = Path(__file__).with_name("ddp_job.py")


def test_two_processes_equal_one(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env = {k: v for k, v in env.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    subprocess.run([sys.executable, str(JOB), str(tmp_path / "one")], check=True, env=env,
                   timeout=300)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                    "--nproc_per_node=2", str(JOB), str(tmp_path / "two")], check=True, env=env,
                   timeout=300)
    one = read_checkpoint(tmp_path / "one" / "checkpoint.pt")
    two = read_checkpoint(tmp_path / "two" / "checkpoint.pt")
    assert one["step"] == two["step"] == 4
    for name in ("model", "ema"):
        for key, value in one[name].items():
            assert torch.allclose(value, two[name][key], atol=1e-5), f"{name}.{key} differs"


@pytest.mark.e2e
def test_sigterm_stops_every_rank_at_the_same_step_and_resumes(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env = {k: v for k, v in env.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
              str(JOB), str(tmp_path / "run")]
    process = subprocess.Popen([*launch, "100000"], env=env, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "run" / "log.jsonl"
    deadline = time.time() + 240
    while not (log.exists() and len(log.read_text().splitlines()) >= 2) and \
            time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)          # torchrun passes it on to every worker
    _, stderr = process.communicate(timeout=240)
    assert "outlived" not in stderr              # the interrupted trainer let its group go
    state = read_checkpoint(tmp_path / "run" / "checkpoint.pt")
    stopped = state["step"]
    assert 2 <= stopped < 100000
    logged = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    assert logged[-1] == stopped                 # both ranks stopped at the logged step
    steps = str(stopped + 2)
    subprocess.run([*launch, steps, "resume"], check=True, env=env, timeout=300)
    subprocess.run([*launch[:-1], str(tmp_path / "straight"), steps], check=True, env=env,
                   timeout=300)
    resumed = read_checkpoint(tmp_path / "run" / "checkpoint.pt")
    straight = read_checkpoint(tmp_path / "straight" / "checkpoint.pt")
    for key, value in straight["model"].items():
        assert torch.equal(value, resumed["model"][key]), key


def test_a_group_joined_by_setup_is_left_at_exit(monkeypatch):
    from restore import distributed

    registered = []
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group", lambda backend: None)
    monkeypatch.setattr(distributed.atexit, "register", registered.append)
    context = distributed.setup("cpu")
    assert (context.rank, context.world_size) == (1, 2)
    assert registered == [distributed.teardown]
