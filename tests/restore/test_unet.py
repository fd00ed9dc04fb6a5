"""restore.UNet: shapes, steps, presets and errors."""

import inspect

import pytest
import torch

from restore import UNet, UNetConfig, unet

COUNTS = {("tiny", 1): 34_137, ("tiny", 3): 34_427, ("small", 1): 834_721,
          ("small", 3): 835_875, ("base", 1): 50_620_225, ("base", 3): 50_622_531}


@pytest.mark.parametrize(("preset", "channels"), COUNTS)
def test_parameter_counts_match_the_documentation(preset, channels):
    model = UNet.preset(preset, in_channels=channels)
    assert model.num_parameters() == COUNTS[preset, channels]
    assert f"{COUNTS[preset, channels]:,}" in inspect.getsource(unet), "update the docstring"


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_shapes_and_steps(preset):
    torch.manual_seed(0)
    model = UNet.preset(preset, in_channels=3).eval()
    x = torch.randn(2, 3, 32, 32)
    out = model(x, torch.tensor([4, 4]))
    assert out.shape == x.shape
    assert torch.allclose(model(x, 4), out, atol=1e-6)
    assert not torch.allclose(model(x, 5), out)


def test_attention_and_rectangular_images():
    model = UNet(UNetConfig(channels=8, channel_mults=(1, 2), attention_levels=(1,), groups=4))
    assert model(torch.randn(2, 3, 8, 12), torch.tensor([1, 2])).shape == (2, 3, 8, 12)


def test_channels_last_gives_the_same_output():
    torch.manual_seed(0)
    model = UNet.preset("tiny", in_channels=1).eval()
    x = torch.randn(2, 1, 16, 16)
    expected = model(x, 3)
    model = model.to(memory_format=torch.channels_last)
    out = model(x.contiguous(memory_format=torch.channels_last), 3)
    assert torch.allclose(out, expected, atol=1e-5)


def test_every_parameter_learns():
    model = UNet(UNetConfig(in_channels=1, channels=8, channel_mults=(1, 2),
                            attention_levels=(1,), groups=4))
    model(torch.randn(2, 1, 8, 8), torch.tensor([1, 9])).square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_bad_input():
    model = UNet.preset("tiny", in_channels=1)
    with pytest.raises(ValueError, match=r"expects \(B, 1, H, W\)"):
        model(torch.zeros(1, 3, 16, 16), 1)
    with pytest.raises(ValueError, match="divisible by 2"):
        model(torch.zeros(1, 1, 15, 16), 1)
    with pytest.raises(TypeError, match="integer"):
        model(torch.zeros(1, 1, 16, 16), torch.tensor([0.5]))
    with pytest.raises(ValueError, match="unknown preset"):
        UNet.preset("huge")
    with pytest.raises(ValueError, match="divisible by groups"):
        UNetConfig(channels=6, groups=4)
    with pytest.raises(ValueError, match="attention_levels"):
        UNetConfig(channel_mults=(1, 2), attention_levels=(2,))
