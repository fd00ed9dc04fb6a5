"""``python -m zoo.maintain.features``: train the feature classifier of a data set.

Writes its safetensors file into the package's ``weights/`` and its entry into
``data/features.json``; :mod:`zoo.features` loads it for the Frechet distances of
:func:`zoo.evaluate`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from samplers.folders import write_atomically
from torch import Tensor

from .. import metrics
from ..features import EXTRACTORS, FeatureFn, FeatureNet, extract
from ..files import load_verified, save_weights
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
    _fit(net, x, y, epochs=epochs, seed=seed, batch_size=batch_size, lr=lr)
    x_test, y_test = test.tensor(), torch.as_tensor(test.labels).long()
    return net, _accuracy(net, x_test, y_test)


def face_cat_images(split: str, data_dir: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The CelebA faces and AFHQ cats of ``split`` at 64 px, with labels: a face's identity
    (numbered in sorted order of the split's identities), and one label past them for every
    cat."""
    import numpy as np

    from restore import data

    faces = data.load("celeba", split, data_dir)
    cats = data.load("afhq", split, data_dir)
    with np.load(data.data_path(data.FILES["celeba"], data_dir)) as archive:
        identity = archive[f"{split}_identity"]
    labels = np.unique(identity, return_inverse=True)[1]
    y = torch.cat([torch.as_tensor(labels).long(),
                   torch.full((len(cats),), int(labels.max()) + 1, dtype=torch.long)])
    return torch.cat([faces.tensor(), cats.tensor()]), y


def train_face_cat_net(*, epochs: int, data_dir: str | None = None, seed: int = 0,
                       batch_size: int = 128, lr: float = 1e-3) -> tuple[FeatureNet, dict]:
    """Train ``facecatnet``: a 64-px :class:`FeatureNet` that tells the 200 training identities
    of CelebA and cats apart, with a second head that tells how far an image is rotated
    (0, 90, 180, 270 degrees; trained on a quarter of each batch), so that its features also
    describe the shape of a cat, all cats sharing one class. A tenth of the training images
    is held out. Returns the network and its accuracies: identity on the held-out faces, face
    or cat and rotation on the test splits (their faces are people the network never saw)."""
    torch.manual_seed(seed)
    x, y = face_cat_images("train", data_dir)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    held, kept = order[:len(x) // 10], order[len(x) // 10:]
    net = FeatureNet(3, int(y.max()) + 1, 128, image_size=64)
    rotation = torch.nn.Linear(net.feature_dim, 4)
    _fit(net, x[kept], y[kept], epochs=epochs, seed=seed, batch_size=batch_size, lr=lr,
         rotation=rotation)
    x_test, y_test = face_cat_images("test", data_dir)
    cat = int(y.max())
    with torch.no_grad():
        predicted = torch.cat([net(x_test[i:i + 500]).argmax(1)
                               for i in range(0, len(x_test), 500)])
        turns = torch.arange(len(x_test)) % 4
        turned = torch.stack([torch.rot90(image, int(k), (1, 2)) for image, k in
                              zip(x_test, turns, strict=True)])
        rotations = torch.cat([rotation(net.features(turned[i:i + 500])).argmax(1)
                               for i in range(0, len(x_test), 500)])
    held_faces = held[y[held] != cat]
    return net, {
        "identity_accuracy_held_out": _accuracy(net, x[held_faces], y[held_faces]),
        "face_or_cat_accuracy_test": float(((predicted == cat) == (y_test == cat)).double()
                                           .mean()),
        "rotation_accuracy_test": float((rotations == turns).double().mean()),
    }


def data_available(data_dir: str | None = None) -> bool:
    """Whether the CelebA and AFHQ files are where :func:`restore.data.load` looks."""
    from restore import data

    try:
        for name in ("celeba", "afhq"):
            data.data_path(data.FILES[name], data_dir)
    except FileNotFoundError:
        return False
    return True


BLURS = (0.5, 1.0, 2.0, 4.0)
"""Standard deviations (pixels) of the Gaussian blurs the validation applies."""

NOISES = (0.05, 0.1, 0.2, 0.4)
"""Standard deviations (on [-1, 1]) of the Gaussian noises the validation adds."""


def validate_face_cat(features: FeatureFn, *, data_dir: str | None = None,
                      generator: str | None = None, samples: int = 1000,
                      sampler: str = "direct") -> list[dict[str, Any]]:
    """The checks a Frechet distance for faces and cats must pass before it is trusted, as
    rows ``{"row", "FID", "KID"}``: two disjoint halves of the real test images (small);
    faces blurred or made noisy, step by step (rising); faces against cats (large); and, with
    a ``generator`` (a model folder or run), ``samples`` images of one ``sampler`` from two
    seeds against the CelebA test faces (close)."""
    import degrade
    from restore import data

    faces = data.load("celeba", "test", data_dir).tensor()
    cats = data.load("afhq", "test", data_dir).tensor()
    train_cats = data.load("afhq", "train", data_dir).tensor()[:1000]
    of_faces, of_cats = extract(features, faces), extract(features, cats)

    def row(name: str, a: Tensor, b: Tensor) -> dict[str, Any]:
        return {"row": name, "FID": metrics.frechet_distance_of(a, b),
                "KID": metrics.kernel_distance_of(a, b, subset_size=min(len(a), len(b)))}

    first = of_faces[:600]
    rows = [row("CelebA test: first 600 against last 600 faces", first, of_faces[600:]),
            row("AFHQ test: first 250 against last 250 cats", of_cats[:250], of_cats[250:]),
            row("AFHQ: 500 test cats against 1,000 training cats", of_cats,
                extract(features, train_cats))]
    last = faces[600:]
    for sigma in BLURS:
        blur = degrade.GaussianBlurSchedule(2 * math.ceil(3 * sigma) + 1, [sigma],
                                            padding="reflect")
        rows.append(row(f"CelebA test: 600 faces against 600 blurred, sigma {sigma:g} px", first,
                        extract(features, blur(last, 1))))
    noise = torch.randn(last.shape, generator=torch.Generator().manual_seed(0))
    for std in NOISES:
        rows.append(row(f"CelebA test: 600 faces against 600 with noise of std {std:g}", first,
                        extract(features, (last + std * noise).clamp(-1, 1))))
    rows.append(row("1,200 CelebA test faces against 500 AFHQ test cats", of_faces, of_cats))
    if generator is not None:
        from ..pretrained import load

        model = load(generator)
        for seed in (0, 1):
            images = model.generate(samples, seed=seed, sampler=sampler, progress=True)
            rows.append(row(f"{samples:,} samples of {model.name} ({sampler}), seed {seed}, "
                            "against the 1,200 CelebA test faces", extract(features, images),
                            of_faces))
    return rows


def card(rows: list[dict[str, Any]], entry: dict[str, Any]) -> str:
    """The Markdown card of ``facecatnet``: what it is, how it was trained and validated."""
    table = "\n".join(f"| {r['row']} | {r['FID']:.2f} | {r['KID']:.4f} |" for r in rows)
    blur = [r["FID"] for r in rows if "blurred" in r["row"]]
    noise = [r["FID"] for r in rows if "noise of std" in r["row"]]
    rising = all(a < b for a, b in itertools.pairwise(blur)) and \
        all(a < b for a, b in itertools.pairwise(noise))
    return f"""# facecatnet: a feature space for 64-px faces and cats

Inception-v3 weights cannot be had where colddiff is built, so the Frechet distances of the
64-px CelebA and AFHQ models are measured in the features of `facecatnet` and named after it:
**FID-facecatnet** and **KID-facecatnet**, never FID. They are not comparable with the papers'
Inception FID; orderings and ratios are.

## The network

`zoo.features.FeatureNet(3, {entry['num_classes']}, {entry['feature_dim']}, image_size=64)`: four
blocks of 3x3 convolutions with max pooling, a {entry['feature_dim']}-wide hidden layer (the
features), and a classifier over the 200 CelebA training identities and one class for every cat.
A second head, used only in training, tells how far a quarter of each batch is rotated (0, 90,
180, 270 degrees), so that the features describe the shape of a cat too. Trained on the
training splits of `celeba64_subset.npz` and `afhq_cat64.npz` less a tenth held out (random
flips), {entry['epochs']} epochs, seed {entry['seed']}, {entry['wall_seconds']:,} s on one CPU
core: `{entry['command']}`.

- identities of the held-out faces: {entry['identity_accuracy_held_out']:.1%} right (200 classes)
- face or cat, test splits (people never seen): {entry['face_or_cat_accuracy_test']:.1%} (the
  most likely of the 201 classes: an unseen face may score highest on the one class of cats)
- rotation, test splits: {entry['rotation_accuracy_test']:.1%}

## Validation

| | FID-facecatnet | KID-facecatnet |
|---|---|---|
{table}

FID {'rises' if rising else 'does NOT rise'} step by step with the blur and with the noise.

## Protocol

- Generated samples: at least 1,000 per row.
- References: for faces, the 1,200 CelebA test faces; for cats, the 500 AFHQ test cats, and
  also 1,000 AFHQ training cats; each table says which.
- KID (the unbiased squared MMD under a cubic kernel) is given beside FID, since FID is biased
  upwards for sets this small.

Data licences: CelebA, non-commercial research; AFHQ, CC BY-NC 4.0.
"""


def _fit(net: FeatureNet, x: torch.Tensor, y: torch.Tensor, *, epochs: int, seed: int,
         batch_size: int, lr: float, rotation: torch.nn.Module | None = None) -> None:
    """Adam with a one-cycle schedule on the classes ``y`` (random flips for colour images);
    with ``rotation``, also that head on a quarter of each batch turned by a random multiple of
    90 degrees.
    Leaves the network in eval mode."""
    parameters = [*net.parameters(), *(rotation.parameters() if rotation else [])]
    optimiser = torch.optim.Adam(parameters, lr=lr)
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
            if rotation is not None:  # on a quarter of the batch: a quarter of the cost
                quarter = batch[:max(1, len(batch) // 4)]
                turns = torch.randint(0, 4, (len(quarter),), generator=generator)
                turned = torch.stack([torch.rot90(image, int(k), (1, 2))
                                      for image, k in zip(quarter, turns, strict=True)])
                loss = loss + F.cross_entropy(rotation(net.features(turned)), turns)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f} "
              f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    net.eval()


def _accuracy(net: FeatureNet, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        predictions = torch.cat([net(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)])
    return float((predictions == y).double().mean())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.maintain.features",
                                description="Train a feature classifier (of a data set's "
                                "classes, or facecatnet) and write its safetensors file and "
                                "registry entry.")
    p.add_argument("dataset", choices=sorted({*EXTRACTORS, "facecatnet"} - {"celeba", "afhq"}),
                   help="mnist, cifar10, or facecatnet (CelebA and AFHQ at 64 px)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", help="folder of the data files (default: ../shared/data)")
    p.add_argument("--out", type=Path, default=package_path(""),
                   help="the zoo package folder to write weights/ and data/features.json in")
    p.add_argument("--validate-only", action="store_true",
                   help="facecatnet: validate the shipped network again, without training")
    p.add_argument("--generator", help="facecatnet: a generation model whose samples from two "
                   "seeds the validation compares")
    p.add_argument("--samples", type=int, default=1000,
                   help="facecatnet: samples per seed of --generator")
    args = p.parse_args(argv)
    if args.validate_only:
        if args.dataset != "facecatnet":
            p.error("--validate-only applies to facecatnet")
        return _validate(args.out, args)
    start = time.perf_counter()
    if args.dataset == "facecatnet":
        name, datasets = "facecatnet", ["celeba", "afhq"]
        net, accuracies = train_face_cat_net(epochs=args.epochs, data_dir=args.data_dir,
                                             seed=args.seed)
    else:
        name, datasets = EXTRACTORS[args.dataset], args.dataset
        net, accuracy = train_feature_net(args.dataset, epochs=args.epochs,
                                          data_dir=args.data_dir, seed=args.seed)
        accuracies = {"test_accuracy": accuracy}
    seconds = time.perf_counter() - start
    file = f"weights/{name}.safetensors"
    digest = save_weights(net.state_dict(), args.out / file, half=False)
    registry_path = args.out / "data/features.json"
    registry = json.loads(registry_path.read_text()) if registry_path.exists() else {}
    registry[name] = {
        "file": file, "sha256": digest, "dataset": datasets, "channels": net.channels,
        "num_classes": net.num_classes, "feature_dim": net.feature_dim,
        **({"image_size": net.image_size} if net.image_size != 32 else {}),
        **{key: round(value, 4) for key, value in accuracies.items()},
        "epochs": args.epochs, "seed": args.seed, "wall_seconds": round(seconds),
        "command": f"python -m zoo.maintain.features {args.dataset} --epochs {args.epochs} "
                   f"--seed {args.seed}",
    }
    write_atomically(registry_path, json.dumps(registry, indent=2) + "\n")
    print(f"{name}: {', '.join(f'{k} {v:.4f}' for k, v in accuracies.items())}, "
          f"{seconds:.0f} s; wrote {args.out / file}")
    return _validate(args.out, args) if name == "facecatnet" else 0


def _validate(out: Path, args: argparse.Namespace) -> int:
    """Validate facecatnet, record the rows in ``data/features.json`` and write its card."""
    registry_path = out / "data/features.json"
    registry = json.loads(registry_path.read_text()) if registry_path.exists() else {}
    if "facecatnet" not in registry:
        print(f"python -m zoo.maintain.features: error: {registry_path} records no facecatnet: "
              "train it first", file=sys.stderr)
        return 2
    entry = registry["facecatnet"]
    net = FeatureNet(3, entry["num_classes"], entry["feature_dim"], image_size=64)
    net.load_state_dict(load_verified(out / entry["file"], entry["sha256"]))
    rows = validate_face_cat(net.eval(), data_dir=args.data_dir, generator=args.generator,
                             samples=args.samples)
    for r in rows:
        print(f"{r['row']}: FID {r['FID']:.2f}, KID {r['KID']:.4f}")
    entry["validation"] = [{**r, "FID": round(r["FID"], 3), "KID": round(r["KID"], 5)}
                           for r in rows]
    write_atomically(registry_path, json.dumps(registry, indent=2) + "\n")
    write_atomically(out / "weights/facecatnet.md", card(rows, entry))
    print(f"wrote {out / 'weights/facecatnet.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
