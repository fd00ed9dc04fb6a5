"""Feature extractors for Frechet distances, pluggable.

FID proper uses Inception-v3 features whose weights cannot be downloaded here. The zoo ships
small classifiers trained in this project (:class:`FeatureNet`: ``mnistnet``, ``cifarnet``) and
names the metric after the extractor, ``FID-mnistnet``, never plain FID. Any callable that maps
images ``(B, C, H, W)`` in [-1, 1] to features ``(B, d)`` plugs in the same way (see
docs/results.md for Inception through pytorch-fid).

Train a classifier with ``python -m zoo.features mnist`` (or ``cifar10``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .files import load_verified, save_weights

FeatureFn = Callable[[Tensor], Tensor]
"""``features(images) -> (B, d)`` for images ``(B, C, H, W)`` in [-1, 1]."""

EXTRACTORS = {"mnist": "mnistnet", "cifar10": "cifarnet"}
"""The shipped extractor of each data set."""


class FeatureNet(nn.Module):
    """A small convolutional classifier on 32x32 images; its features are the last hidden layer.

    Three blocks of 3x3 convolutions with ReLU and max pooling (32, 64, 128 channels), then a
    ``feature_dim`` hidden layer (the features) and a linear classifier.
    """

    def __init__(self, channels: int = 1, num_classes: int = 10, feature_dim: int = 128) -> None:
        super().__init__()
        self.channels, self.num_classes, self.feature_dim = channels, num_classes, feature_dim

        def block(c_in: int, c_out: int, convs: int) -> list[nn.Module]:
            layers: list[nn.Module] = []
            for i in range(convs):
                layers += [nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1), nn.ReLU()]
            return [*layers, nn.MaxPool2d(2)]

        self.body = nn.Sequential(*block(channels, 32, 2), *block(32, 64, 2), *block(64, 128, 1),
                                  nn.Flatten(), nn.Linear(128 * 4 * 4, feature_dim), nn.ReLU())
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: Tensor) -> Tensor:
        """Features ``(B, feature_dim)`` of images in [-1, 1] (resized to 32x32 if needed)."""
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f"expected (B, {self.channels}, H, W) images, got {tuple(x.shape)}")
        if x.shape[-2:] != (32, 32):
            x = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False,
                              antialias=True)
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def _registry() -> dict[str, dict]:
    text = resources.files("zoo").joinpath("data/features.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_feature_net(name: str) -> FeatureNet:
    """A shipped extractor (``"mnistnet"`` or ``"cifarnet"``), verified, in eval mode."""
    registry = _registry()
    if name not in registry:
        raise KeyError(f"no feature extractor named {name!r}; shipped: {sorted(registry)}")
    entry = registry[name]
    net = FeatureNet(entry["channels"], entry["num_classes"], entry["feature_dim"])
    path = resources.files("zoo").joinpath(entry["file"])
    net.load_state_dict(load_verified(Path(str(path)), entry["sha256"]))
    return net.eval()


@torch.no_grad()
def extract(features: FeatureFn, images: Tensor, batch_size: int = 250) -> Tensor:
    """``features`` applied batch by batch, as float64 ``(N, d)``."""
    if isinstance(features, nn.Module):
        features.eval()
    return torch.cat([features(images[i:i + batch_size]).double()
                      for i in range(0, len(images), batch_size)])


def train_feature_net(dataset: str, *, epochs: int, data_dir: str | None = None, seed: int = 0,
                      batch_size: int = 128, lr: float = 1e-3) -> tuple[FeatureNet, float]:
    """Train a :class:`FeatureNet` on a named data set's training split (random flips for
    colour sets); returns it (eval mode) and its accuracy on the test split."""
    from restore import data

    torch.manual_seed(seed)
    train = data.load(dataset, "train", data_dir, size=32)
    test = data.load(dataset, "test", data_dir, size=32)
    if train.labels is None or test.labels is None:
        raise ValueError(f"{dataset} has no labels to train a classifier on")
    x, y = train.tensor(), torch.as_tensor(train.labels).long()
    net = FeatureNet(x.shape[1], int(y.max()) + 1)
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=lr, total_steps=epochs * -(-len(x) // batch_size))
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(x), generator=generator)
        start, total = time.perf_counter(), 0.0
        for i in range(0, len(x), batch_size):
            batch, labels = x[order[i:i + batch_size]], y[order[i:i + batch_size]]
            if x.shape[1] == 3:
                flip = torch.rand(len(batch), generator=generator) < 0.5
                batch = torch.where(flip.view(-1, 1, 1, 1), batch.flip(-1), batch)
            loss = F.cross_entropy(net(batch), labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f} "
              f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    net.eval()
    with torch.no_grad():
        x_test, y_test = test.tensor(), torch.as_tensor(test.labels).long()
        predictions = torch.cat([net(x_test[i:i + 500]).argmax(1)
                                 for i in range(0, len(x_test), 500)])
    return net, float((predictions == y_test).double().mean())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.features",
                                description="Train the feature classifier of a data set and "
                                "write its safetensors file and registry entry.")
    p.add_argument("dataset", choices=sorted(EXTRACTORS))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", help="folder of the data files (default: ../shared/data)")
    p.add_argument("--out", type=Path, default=Path(__file__).parent,
                   help="the zoo package folder to write weights/ and data/features.json in")
    args = p.parse_args(argv)
    name = EXTRACTORS[args.dataset]
    start = time.perf_counter()
    net, accuracy = train_feature_net(args.dataset, epochs=args.epochs, data_dir=args.data_dir,
                                      seed=args.seed)
    seconds = time.perf_counter() - start
    file = f"weights/{name}.safetensors"
    digest = save_weights(net.state_dict(), args.out / file, half=False)
    registry_path = args.out / "data/features.json"
    registry = json.loads(registry_path.read_text()) if registry_path.exists() else {}
    registry[name] = {
        "file": file, "sha256": digest, "dataset": args.dataset, "channels": net.channels,
        "num_classes": net.num_classes, "feature_dim": net.feature_dim,
        "test_accuracy": round(accuracy, 4), "epochs": args.epochs, "seed": args.seed,
        "wall_seconds": round(seconds), "command": f"python -m zoo.features {args.dataset} "
        f"--epochs {args.epochs} --seed {args.seed}",
    }
    registry_path.write_text(json.dumps(registry, indent=2) + "\n")
    print(f"{name}: test accuracy {accuracy:.4f}, {seconds:.0f} s; wrote {args.out / file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
