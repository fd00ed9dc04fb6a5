"""restore.precision and restore.compiling: precision and layout chosen together, bf16 detected,
torch.compile offered where it can run and skipped with a reason where it cannot."""


import pytest
import restore.compiling as compiling
import restore.precision as precision
import torch
from restore.precision import Numerics, choose, cpu_flags

X86_BF16 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_tile\n"
X86_AVX2 = "processor\t: 0\nflags\t\t: fpu sse avx avx2 fma\n"
ARM_BF16 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n"


@pytest.fixture
def cpu(monkeypatch):
    """Pretend the CPU has (True) or lacks (False) native bf16."""
    def pretend(native: bool) -> None:
        monkeypatch.setattr(precision, "cpu_has_bf16", lambda: native)
    return pretend


@pytest.mark.parametrize("text, native", [(X86_BF16, True), (X86_AVX2, False),
                                          (ARM_BF16, True), ("processor : 0\n", False)])
def test_the_cpu_flags_say_whether_bf16_is_native(tmp_path, monkeypatch, text, native):
    (tmp_path / "cpuinfo").write_text(text)
    flags = cpu_flags(tmp_path / "cpuinfo")
    assert bool(flags & precision._CPU_BF16_FLAGS) is native
    monkeypatch.setattr(precision, "cpu_flags", lambda: flags)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True,
                        raising=False)
    precision.cpu_has_bf16.cache_clear()
    try:
        assert precision.cpu_has_bf16() is native
        monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False,
                            raising=False)
        precision.cpu_has_bf16.cache_clear()
        assert precision.cpu_has_bf16() is False, "oneDNN without bf16 cannot use the flags"
    finally:
        precision.cpu_has_bf16.cache_clear()


def test_auto_on_a_cpu_without_native_bf16_is_float32_channels_last(cpu):
    cpu(False)
    chosen = choose("auto", "auto", "cpu")
    assert (chosen.precision, chosen.channels_last, chosen.emulated) == ("fp32", True, False)
    assert chosen.dtype is None and chosen.memory_format == torch.channels_last
    assert "no native bf16" in chosen.reason


def test_auto_on_a_cpu_with_native_bf16_is_bf16_contiguous(cpu):
    """Where bf16 gains most on a CPU: the contiguous layout (docs/performance.md)."""
    cpu(True)
    chosen = choose("auto", "auto", "cpu")
    assert (chosen.precision, chosen.channels_last, chosen.emulated) == ("bf16", False, False)
    assert chosen.dtype is torch.bfloat16
    assert choose("auto", "auto", "cpu", auto_bf16=False).precision == "fp32"


def test_bf16_asked_for_on_a_cpu_without_it_is_flagged_as_emulated(cpu):
    cpu(False)
    chosen = choose("bf16", "auto", "cpu")
    assert chosen.precision == "bf16" and chosen.emulated and not chosen.channels_last
    assert "emulated" in chosen.reason
    assert not choose("fp32", "auto", "cpu").emulated


def test_auto_on_cuda_follows_the_gpu_and_stays_channels_last(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    chosen = choose("auto", "auto", "cuda:0")
    assert (chosen.precision, chosen.channels_last) == ("bf16", True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert choose("auto", "auto", "cuda").precision == "fp32"
    assert choose("fp16", "auto", "cuda").dtype is torch.float16


def test_an_explicit_layout_wins(cpu):
    cpu(True)
    assert choose("auto", True, "cpu").channels_last is True
    cpu(False)
    assert choose("auto", False, "cpu").channels_last is False


@pytest.mark.parametrize("bad", [dict(precision="half"), dict(channels_last="yes"),
                                 dict(precision=None)])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError, match="must be"):
        choose(**{"precision": "auto", "channels_last": "auto", **bad})


def test_autocast_network_computes_in_the_chosen_precision_and_returns_float32():
    seen = {}

    def R(x, t):
        seen["dtype"] = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") \
            else None
        seen["channels_last"] = x.is_contiguous(memory_format=torch.channels_last)
        return torch.nn.functional.conv2d(x, torch.ones(1, 1, 1, 1))

    x = torch.rand(2, 1, 4, 4)
    network = precision.autocast_network(R, Numerics("bf16", False, ""), "cpu")
    out = network(x, 3)
    assert seen["dtype"] is torch.bfloat16 and out.dtype is torch.float32
    precision.autocast_network(R, Numerics("fp32", True, ""), "cpu")(x, 3)
    assert seen == {"dtype": None, "channels_last": True}
    plain = Numerics("fp32", False, "")
    assert precision.autocast_network(R, plain, "cpu") is R


def test_compile_is_skipped_with_a_reason_where_no_compiler_is_found(monkeypatch, capsys):
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(compiling.shutil, "which", lambda name: None)
    assert "C++ compiler" in compiling.why_not("cpu")
    net = torch.nn.Identity()
    assert compiling.compile_network(net, "cpu", True) == (net, False)
    assert "going on uncompiled" in capsys.readouterr().err
    assert compiling.compile_network(net, "cpu", False) == (net, False)
    assert "inductor" in compiling.why_not("mps")


def test_cuda_without_triton_is_refused(monkeypatch):
    monkeypatch.setattr(compiling.importlib.util, "find_spec", lambda name: None)
    assert "Triton" in compiling.why_not("cuda")


def test_a_compilation_that_fails_at_its_first_call_falls_back_to_eager(monkeypatch, capsys):
    monkeypatch.setattr(compiling, "why_not", lambda device: None)

    def broken(*args, **kwargs):
        from torch._dynamo.exc import BackendCompilerFailed

        raise BackendCompilerFailed(
            lambda *a: None, RuntimeError("InvalidCxxCompiler: no working C++ compiler found"),
            None)

    monkeypatch.setattr(torch, "compile", lambda network, options=None: broken)
    network, compiled = compiling.compile_network(lambda x, t: x + t, "cpu", True)
    assert compiled
    x = torch.zeros(2)
    assert torch.equal(network(x, 1), torch.ones(2)) and torch.equal(network(x, 2), x + 2)
    err = capsys.readouterr().err
    assert err.count("going on uncompiled") == 1 and "BackendCompilerFailed" in err


def test_other_errors_of_a_compiled_network_are_not_swallowed(monkeypatch):
    monkeypatch.setattr(compiling, "why_not", lambda device: None)

    def failing(*args):
        raise ValueError("a real error of the network")

    monkeypatch.setattr(torch, "compile", lambda network, options=None: failing)
    network, _ = compiling.compile_network(lambda x, t: x, "cpu", True)
    with pytest.raises(ValueError, match="real error"):
        network(torch.zeros(2), 1)


def test_a_compiled_network_is_given_steps_as_tensors(monkeypatch):
    """torch.compile guards on a Python int's value: a sampler's T steps would each compile."""
    monkeypatch.setattr(compiling, "why_not", lambda device: None)
    seen = []
    monkeypatch.setattr(torch, "compile", lambda network, options=None: network)
    network, _ = compiling.compile_network(lambda x, t: seen.append(t) or x, "cpu", True)
    network(torch.zeros(3, 1, 2, 2), 7)
    network(torch.zeros(2, 1, 2, 2), torch.tensor([1, 2]))
    assert torch.equal(seen[0], torch.tensor([7, 7, 7])) and torch.equal(seen[1],
                                                                       torch.tensor([1, 2]))
