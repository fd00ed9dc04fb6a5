"""A tiny real ``diffusers.UNet2DModel`` for the tests of the diffusers interop."""

import torch


def tiny_unet(diffusers):
    """A two-level ``UNet2DModel`` for 1 x 32 x 32 images, its weights seeded."""
    torch.manual_seed(0)
    return diffusers.UNet2DModel(
        sample_size=32, in_channels=1, out_channels=1, layers_per_block=1,
        block_out_channels=(8, 16), down_block_types=("DownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "UpBlock2D"), norm_num_groups=4).eval()
