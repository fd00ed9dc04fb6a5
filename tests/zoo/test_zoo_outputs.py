"""Every shipped model computes what it computed before its files moved (tests/zoo/zoo_outputs.py
recorded the outputs): bit for bit on a CPU of the recording's capability, and within float32
rounding on another (oneDNN picks other kernels there). A walk of many steps (TACoS, generation)
carries that rounding through every call of the network: `mnist-blur`'s TACoS, 20 steps of
deblurring a sigma-7 blur, lands 0.0019 (RMS) and 0.014 (largest pixel) from the AVX2 recording
on an AVX-512 CPU, so walks are held to an RMS bound and a looser largest difference."""

import numpy as np
import pytest
import torch
import zoo_outputs

import zoo

with np.load(zoo_outputs.FILE) as archive:
    RECORDED = {key: archive[key] for key in archive.files}
SAME_CPU = str(RECORDED.pop("cpu_capability")) == torch.backends.cpu.get_cpu_capability()
WALKS = {"tacos", "generate"}
"""Outputs of many network calls, where another CPU's rounding adds up (see above)."""


@pytest.mark.parametrize("name", [entry["name"] for entry in zoo.list_models()])
def test_the_shipped_model_computes_what_it_did(name):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        made = zoo_outputs.outputs(zoo.load(name, precision="fp32"))
    finally:
        torch.set_num_threads(threads)
    expected = {key.split("/", 1)[1]: value for key, value in RECORDED.items()
                if key.startswith(f"{name}/")}
    assert sorted(made) == sorted(expected)
    for key, value in made.items():
        if SAME_CPU:
            assert np.array_equal(value.numpy(), expected[key]), f"{name} {key} changed"
        elif key in WALKS:
            difference = value.numpy() - expected[key]
            assert np.sqrt(np.mean(difference ** 2)) <= 3e-3, f"{name} {key} changed"
            np.testing.assert_allclose(value.numpy(), expected[key], atol=3e-2, rtol=0)
        else:
            np.testing.assert_allclose(value.numpy(), expected[key], atol=2e-3, rtol=0)
