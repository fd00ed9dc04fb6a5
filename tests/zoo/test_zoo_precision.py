"""The zoo's models and commands with restore.precision: bf16 where it is native, float32
channels-last otherwise, torch.compile with frozen weights (see tests/restore/test_precision.py)."""

import dataclasses

import restore.precision as precision
import torch
import zoo.model as kinds
from restore.precision import Numerics
from test_zoo_cli import colddiff

import zoo


def test_the_sampling_commands_take_precision_and_say_when_it_is_emulated(monkeypatch,
                                                                          tmp_path):
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    result = colddiff("generate", "mnist-blur-gen", "--n", "1", "--precision", "bf16",
                      "--out", tmp_path / "g.png", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("note:") and "emulated" in result.stderr
    result = colddiff("generate", "mnist-blur-gen", "--n", "1", "--out", tmp_path / "h.png",
                      "--no-progress")
    assert result.returncode == 0 and result.stderr == ""
    result = colddiff("generate", "mnist-heat-gen", "--n", "1", "--precision", "half")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_a_zoo_model_samples_channels_last_in_float32_without_native_bf16(monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    model = zoo.load("mnist-blur")
    assert (model.numerics.precision, model.numerics.channels_last) == ("fp32", True)
    assert all(p.is_contiguous(memory_format=torch.channels_last)
               for p in model.R.parameters() if p.dim() == 4)
    x0 = zoo.sample_images("mnist", 4)
    x_T = model.D(x0, model.T)
    before = zoo.load("mnist-blur")     # the layout of earlier versions
    before.R.to(memory_format=torch.contiguous_format)
    before = dataclasses.replace(before, numerics=Numerics("fp32", False, "contiguous"))
    fast, slow = (m.restore(x_T, sampler="direct") for m in (model, before))
    assert fast.dtype == slow.dtype and fast.is_contiguous()
    # Deblurring from t = T magnifies float32's last digits (up to 0.002 a pixel directly,
    # 0.02 after TACoS's 20 steps), not the error.
    torch.testing.assert_close(fast, slow, atol=0.01, rtol=0)
    fast, slow = (zoo.metrics.rmse(m.restore(x_T), x0) for m in (model, before))
    assert abs(fast - slow) < 0.01 * slow

    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    assert zoo.load("mnist-blur").numerics.precision == "fp32", \
        "auto samples in float32 even where bf16 is native: bf16 breaks deblurring"
    bf16 = zoo.load("mnist-blur", precision="bf16")
    assert bf16.numerics.precision == "bf16" and not bf16.numerics.emulated
    direct = bf16.restore(x_T, sampler="direct")
    assert direct.dtype == torch.float32
    error = zoo.metrics.rmse(direct, x0)
    assert error > 1.5 * zoo.metrics.rmse(model.restore(x_T, sampler="direct"), x0), \
        "bf16 rounds away the faint detail left at t = T (docs/performance.md)"


def test_a_zoo_model_compiles_for_sampling_with_its_weights_frozen(monkeypatch):
    calls = []

    def record(network, device, enabled, *, frozen=False):
        calls.append((enabled, frozen))
        return network, enabled

    monkeypatch.setattr(kinds, "compile_network", record)
    zoo.load("mnist-blur", compile=True)
    assert calls == [(True, True)]
