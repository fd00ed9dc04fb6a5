"""Devices are resolved in one place; CUDA is patched in, since no GPU is here (issue 13)."""

import pytest
import torch
from restore.distributed import resolve_device, setup

from restore import distributed


@pytest.fixture
def gpus(monkeypatch):
    """Pretend this machine has ``n`` CUDA GPUs (and record set_device)."""
    chosen = []

    def make(n):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)
        monkeypatch.setattr(torch.cuda, "set_device", chosen.append)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
        return chosen

    return make


def test_cuda_always_gets_an_index(gpus):
    chosen = gpus(2)
    assert resolve_device("cuda") == torch.device("cuda", 0)
    assert resolve_device("cuda", local_rank=1) == torch.device("cuda", 1)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    assert resolve_device("auto", local_rank=3) == torch.device("cuda", 1)
    assert resolve_device(" CUDA:0 ") == torch.device("cuda", 0)
    assert setup("cuda").device == torch.device("cuda", 0)
    assert chosen == [torch.device("cuda", 0)]


def test_torchrun_local_rank_picks_the_gpu(gpus, monkeypatch):
    chosen = gpus(4)
    monkeypatch.setenv("LOCAL_RANK", "3")
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: True)
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    context = setup("auto")
    assert context.device == torch.device("cuda", 3) and context.rank == 3
    assert chosen == [torch.device("cuda", 3)]


@pytest.mark.parametrize("name, message", [
    ("cuda", "no CUDA GPU (this machine has: cpu)"),
    ("cuda:0", "no CUDA GPU"),
    ("mps", "mps is not available here"),
    ("gpu", "unknown device 'gpu'"),
    ("cuda:x", "unknown device"),
    ("tpu:0", "unknown device"),
])
def test_unavailable_or_unknown_devices_are_refused_in_one_line(gpus, name, message):
    gpus(0)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_device(name)


def test_a_gpu_index_past_the_last_is_refused(gpus):
    gpus(2)
    with pytest.raises(ValueError, match="2 CUDA GPU\\(s\\), cuda:0 to cuda:1"):
        resolve_device("cuda:2")


def test_auto_is_the_cpu_without_accelerators(gpus):
    gpus(0)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(TypeError):
        resolve_device(0)
