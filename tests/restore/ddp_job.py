"""A few training steps of a tiny restorer, alone or under torchrun (test_distributed.py).

``python ddp_job.py OUT [STEPS [resume]]``; a stop signal ends it with exit code 128 + signal,
and a ``DistributedDataParallel`` wrapper left alive after training with exit code 3: it would keep
the process group open past ``restore.distributed.teardown``, to close at interpreter exit, where
gloo's threads can abort the process.
"""

import gc
import sys

import torch
from restore.data import TensorImages
from restore.signals import Interrupted
from torch.nn.parallel import DistributedDataParallel

import degrade
from restore import TrainConfig, Trainer, UNet


def check_released() -> None:
    gc.collect()
    if any(type(o) is DistributedDataParallel for o in gc.get_objects()):
        print("a DistributedDataParallel wrapper outlived training", file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    torch.set_num_threads(1)
    images = torch.rand(64, 1, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    torch.manual_seed(0)
    model = UNet.preset("tiny", in_channels=1)
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    config = TrainConfig(steps=steps, batch_size=8, accumulate=2, lr=1e-3, ema_start=0,
                         ema_every=1, checkpoint_every=100, log_every=1, sample_every=0,
                         progress=False, device="cpu")
    D = degrade.GaussianBlurSchedule.constant(3, 5, 1.0)
    trainer = Trainer(model, D, TensorImages(images), sys.argv[1], config)
    try:
        trainer.train(resume=sys.argv[3:] == ["resume"])
    except Interrupted as stop:
        check_released()
        sys.exit(128 + stop.signum)
    check_released()
