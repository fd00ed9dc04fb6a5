"""One point of a generation run's learning curve: FID- and KID-facecatnet (or the data set's
extractor) of ``--n`` samples per sampler against the data set's test images, at the run's
current checkpoint. Appends a line to ``RUN/curve.jsonl`` and saves the first 64 samples.

    python scripts/curve_point.py runs/celeba64-blur-gen --n 300 --noise-std 0.002

Training runs and long evaluations are commands, not tests (docs/development.md).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from restore.checkpoint import read
from zoo.features import EXTRACTORS, extract, load_feature_net

import zoo
from restore import data
from zoo import metrics


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="a generation run's folder")
    p.add_argument("--n", type=int, default=300, help="samples per sampler")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise-std", type=float, default=None,
                   help="noise on x_T (default: the model's)")
    p.add_argument("--samplers", nargs="+", default=["direct", "tacos"])
    args = p.parse_args(argv)
    step = read(args.run / "checkpoint.pt")["step"]
    model = zoo.load(args.run)
    net = load_feature_net(EXTRACTORS[model.dataset])
    reference = extract(net, data.load(model.dataset, "test").tensor())
    row = {"step": step, "n": args.n, "seed": args.seed, "noise_std": args.noise_std}
    for sampler in args.samplers:
        start = time.perf_counter()
        images = model.generate(args.n, seed=args.seed, sampler=sampler,
                                noise_std=args.noise_std, progress=True)
        features = extract(net, images)
        row[sampler] = {"FID": metrics.frechet_distance_of(features, reference),
                        "KID": metrics.kernel_distance_of(features, reference,
                                                          subset_size=args.n),
                        "seconds": round(time.perf_counter() - start)}
        torch.save(images[:64], args.run / f"curve-{sampler}-{step}.pt")
    print(json.dumps(row))
    with open(args.run / "curve.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
