"""Two CPU processes under torchrun (gloo) train as one process with the same global batch."""

import os
import subprocess
import sys
from pathlib import Path

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
