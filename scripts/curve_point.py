"""One point of a generation run's learning curve: FID- and KID-facecatnet (or the data set's
extractor) of ``--n`` samples per sampler against the data set's test images, at the run's
current checkpoint, at its checkpoint as committed at ``--commit`` (a run whose history is
in git: the points of a learning curve drawn after the run), or as the zoo model of the run's
name (``--final``, whose weights are rounded to float16 as the zoo stores them). Appends a line
to ``RUN/curve.jsonl`` and, unless ``--no-samples``, saves the first 64 samples beside it.

    python scripts/curve_point.py runs/celeba64-blur-gen --n 300 --noise-std 0.002
    python scripts/curve_point.py zoo/training/celeba64-heat-gen --commit ba553db --n 300

Training runs and long evaluations are commands, not tests (docs/development.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
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
    source = p.add_mutually_exclusive_group()
    source.add_argument("--commit", help="the run's checkpoint.pt as committed at this commit")
    source.add_argument("--final", action="store_true",
                        help="the zoo model named as the run's folder")
    p.add_argument("--no-samples", action="store_true", help="save no samples")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        step, model = load_point(args.run, args.commit, args.final, Path(scratch))
        return measure(args, step, model)


def load_point(run: Path, commit: str | None, final: bool,
               scratch: Path) -> tuple[int, zoo.Pretrained]:
    """The step and the model of a curve point: the run's checkpoint, the one ``commit``
    holds (copied into ``scratch``) or the zoo model of the run's name."""
    if final:
        model = zoo.load(run.resolve().name)
        return model.entry["training"]["steps"], model
    path = run / "checkpoint.pt"
    if commit is not None:
        top = Path(git(run, "rev-parse", "--show-toplevel"))
        inside = (run.resolve() / "checkpoint.pt").relative_to(top).as_posix()
        path = scratch / run.resolve().name / "checkpoint.pt"
        path.parent.mkdir(exist_ok=True)
        shown = subprocess.run(["git", "-C", str(top), "show", f"{commit}:{inside}"],
                               capture_output=True)
        if shown.returncode:
            raise ValueError(f"no {inside} at commit {commit}: "
                             f"{shown.stderr.decode().strip()}")
        path.write_bytes(shown.stdout)
    return read(path)["step"], zoo.load(path)


def git(run: Path, *arguments: str) -> str:
    return subprocess.run(["git", "-C", str(run), *arguments], check=True,
                          capture_output=True, text=True).stdout.strip()


def measure(args: argparse.Namespace, step: int, model: zoo.Pretrained) -> int:
    net = load_feature_net(EXTRACTORS[model.dataset])
    reference = extract(net, data.load(model.dataset, "test").tensor())
    row = {"step": step, "n": args.n, "seed": args.seed, "noise_std": args.noise_std}
    if args.commit or args.final:
        row["weights"] = f"commit {git(args.run, 'rev-parse', '--short', args.commit)}" \
            if args.commit else "the zoo model (float16)"
    for sampler in args.samplers:
        start = time.perf_counter()
        images = model.generate(args.n, seed=args.seed, sampler=sampler,
                                noise_std=args.noise_std, progress=True)
        features = extract(net, images)
        row[sampler] = {"FID": metrics.frechet_distance_of(features, reference),
                        "KID": metrics.kernel_distance_of(features, reference,
                                                          subset_size=args.n),
                        "seconds": round(time.perf_counter() - start)}
        if not args.no_samples:
            torch.save(images[:64], args.run / f"curve-{sampler}-{step}.pt")
    print(json.dumps(row))
    with open(args.run / "curve.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
