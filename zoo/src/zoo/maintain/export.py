"""``python -m zoo.maintain.export RUN --name NAME``: put a training run into the zoo.

Writes the model folder ``models/NAME/`` into the package (:mod:`zoo.folders`, the format every
model has): the run's moving-average weights in float16, the prior of a generation model fitted
on the training images, and the record and card with the facts of the run (steps, batch, wall
time from its log, hardware, its configuration, which ``colddiff train --config NAME``
re-creates). Metrics already recorded for the same weights are kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from restore.unet import preset_name
from samplers.folders import CONFIG

from restore import checkpoint, data

from ..export import DEFAULT_NOISE_STD, fit_prior
from ..folders import WEIGHTS
from ..pretrained import from_checkpoint
from ..registry import MODELS, package_path, registry


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.maintain.export",
                                description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="the training run's folder (checkpoint.pt, log.jsonl)")
    p.add_argument("--name", required=True, help="the model's name in the zoo")
    p.add_argument("--schedule", help="its schedule, for runs that do not record it")
    p.add_argument("--hardware", help="where it was trained (default: what the checkpoint "
                   "records)")
    p.add_argument("--summary", default="", help="one line on the model")
    p.add_argument("--notes", default="", help="caveats for the card")
    p.add_argument("--prior-noise-std", type=float,
                   help="generation models: the noise that breaks the symmetry of x_T "
                   f"(default: the degradation's own noise sigma if it has one, else "
                   f"{DEFAULT_NOISE_STD}, the paper's)")
    p.add_argument("--out", type=Path, default=package_path(""), help="the zoo package folder")
    args = p.parse_args(argv)

    model = from_checkpoint(args.run / "checkpoint.pt", args.schedule, name=args.name,
                            half=True, precision="fp32")
    entry = model.entry
    if getattr(model, "prior", None) is not None and args.prior_noise_std is not None:
        model.prior, entry["prior"] = fit_prior(entry, model.D_train, args.prior_noise_std)
    hardware = args.hardware or entry["training"].get("hardware")
    if not hardware or hardware == "not recorded":
        raise SystemExit(f"{args.run} does not record its hardware: pass --hardware")
    train = checkpoint.train_config(checkpoint.read(args.run / checkpoint.CHECKPOINT))
    wall = entry["training"].get("wall_time")  # from_checkpoint sums it from the run's log
    if wall is None:
        raise SystemExit(f"{args.run} has no log.jsonl to time the run by")
    architecture = entry["architecture"]
    architecture.update(preset=preset_name(architecture["config"]),
                        parameters=model.R.num_parameters())
    entry["training"] = {
        "steps": entry["training"]["steps"],
        "batch": f"{train.get('batch_size')} x {train.get('accumulate')} accumulated",
        "optimiser": f"Adam, lr {train.get('lr', 0):g}" + (
            f", cosine decay after {train.get('warmup', 0)} warm-up steps"
            if train.get("lr_schedule") == "cosine" else ""),
        "loss": train.get("loss"),
        "ema": f"EMA {train.get('ema_decay')} every {train.get('ema_every')} steps from step "
               f"{train.get('ema_start')}",
        "wall_time": wall, "hardware": hardware,
        "command": f"colddiff train --config {args.name}",
    }
    run = entry.get("run") or {}
    if entry["data"]["dataset"] in data.FILES and run:  # the split the run really trained on
        total = len(data.load(entry["data"]["dataset"], "train"))
        count = data.held_out(run["data"]["val_count"], total)
        entry["data"]["split"] = (f"the {total:,} training images less {count:,} held out for "
                                  f"validation (seed {train.get('seed', 0)})")
    shipped = registry()
    old = shipped.get(args.name)
    entry.update(summary=args.summary, notes=args.notes,
                 position=old.get("position") if old else len(shipped))
    folder = args.out / MODELS / args.name
    written = model.save_pretrained(folder)
    saved = json.loads((written / CONFIG).read_text())
    if old and old.get("metrics") and old["sha256"].get(WEIGHTS) == saved["sha256"][WEIGHTS]:
        from .record import record_metrics

        record_metrics(args.name, old["metrics"], folder)
    size = (written / WEIGHTS).stat().st_size / 1e6
    print(f"{args.name}: step {entry['training']['steps']}, {model.R.num_parameters():,} "
          f"parameters, {size:.2f} MB, sha256 {saved['sha256'][WEIGHTS][:16]}... in {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
