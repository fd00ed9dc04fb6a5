"""``python -m zoo.maintain.features``: train the feature classifier of a data set.

Writes its safetensors file into the package's ``weights/`` and its entry into
``data/features.json``; :mod:`zoo.features` loads it for the Frechet distances of
:func:`zoo.evaluate`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ..features import EXTRACTORS, FeatureNet
from ..files import save_weights
from ..registry import package_path


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
    p = argparse.ArgumentParser(prog="python -m zoo.maintain.features",
                                description="Train the feature classifier of a data set and "
                                "write its safetensors file and registry entry.")
    p.add_argument("dataset", choices=sorted(EXTRACTORS))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", help="folder of the data files (default: ../shared/data)")
    p.add_argument("--out", type=Path, default=package_path(""),
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
        "wall_seconds": round(seconds),
        "command": f"python -m zoo.maintain.features {args.dataset} --epochs {args.epochs} "
                   f"--seed {args.seed}",
    }
    registry_path.write_text(json.dumps(registry, indent=2) + "\n")
    print(f"{name}: test accuracy {accuracy:.4f}, {seconds:.0f} s; wrote {args.out / file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
