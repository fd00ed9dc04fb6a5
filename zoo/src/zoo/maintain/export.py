"""``python -m zoo.maintain.export``: turn a training run into a zoo model.

Writes the run's EMA weights as float16 safetensors into the package's ``weights/``, fits the
prior of a generation model, and writes the registry entry (the model card's facts) into
``data/models.json``: the schedule, U-Net configuration, steps, batch, wall time from the run's
log, the hardware and the run's configuration, which ``colddiff train --config NAME``
re-creates. Everything but the hardware comes from the checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import torch

from degrade import HeatDissipation
from restore import UNet, UNetConfig, checkpoint

from ..files import save_weights
from ..pretrained import schedule_of
from ..registry import package_path
from ..schedules import Schedule, get_schedule

DATASET_LABELS = {"mnist": "MNIST", "cifar10": "CIFAR-10 (JPEG copy)",
                  "celeba": "CelebA (64x64 subset)", "afhq": "AFHQ cats (64x64)"}


def wall_seconds(log_path: Path, images_per_step: int) -> float:
    """Training time from a run's log: logged intervals over their logged throughput."""
    seconds, last_step = 0.0, 0
    for line in log_path.read_text().splitlines():
        record = json.loads(line)
        if "images_per_second" in record:
            seconds += (record["step"] - last_step) * images_per_step / record["images_per_second"]
            last_step = record["step"]
    return seconds


def preset_name(config: dict) -> str:
    """The U-Net preset a configuration is (``small``), or differs from only in its width
    (``small, channels 16``), or ``custom``."""
    from restore.unet import PRESETS

    def shape(c: dict) -> tuple:
        return (tuple(c["channel_mults"]), c["blocks_per_level"], tuple(c["attention_levels"]))

    for name, preset in PRESETS.items():
        if shape(dataclasses.asdict(preset)) == shape(config):
            if preset.channels == config["channels"]:
                return name
            return f"{name}, channels {config['channels']}"
    return "custom"


def _prior_entry(args: argparse.Namespace, schedule: Schedule, recorded: tuple | None,
                 run: dict[str, Any] | None) -> dict[str, Any]:
    """The prior of a generation model, fitted on the training images and saved: a
    ChannelMeanPrior for cold generation (the images' means: section 5.2), a LowFrequencyPrior
    on the images blurred to ``T`` for a warm model (objective ``previous``), which also records
    its sampling noise."""
    from restore.objectives import WARM_SAMPLING_NOISE

    from restore import data
    from samplers import ChannelMeanPrior, LowFrequencyPrior

    D = schedule.build(recorded[1], **recorded[2]) if recorded else schedule.build()
    noisy = isinstance(D, HeatDissipation) and D.sigma > 0
    noise_std = args.prior_noise_std
    if noise_std is None:
        noise_std = D.sigma if noisy else 0.002
    data_dir = run["data"]["data_dir"] if run else None
    images = data.load(schedule.dataset, "train", data_dir, size=schedule.image_size).tensor()
    extra: dict[str, Any] = {}
    if schedule.objective == "previous":
        t = torch.full((len(images),), D.num_steps)
        prior = LowFrequencyPrior(4, noise_std=noise_std).fit(D.heat(images, t))
        kind, fitted_on = "LowFrequencyPrior (4 x 4 DCT coefficients)", "blurred to T"
        extra["sampling"] = {"noise_std": WARM_SAMPLING_NOISE}
    else:
        prior = ChannelMeanPrior(noise_std=noise_std).fit(images)
        kind, fitted_on = "ChannelMeanPrior (1 component)", "(their means)"
    prior_file = f"weights/{args.name}-prior.safetensors"
    return {"prior": {"class": type(prior).__name__, "kind": kind, "file": prior_file,
                      "sha256": save_weights(prior.state_dict(), args.out / prior_file,
                                             half=False),
                      "fitted_on": f"the {len(images):,} training images {fitted_on}",
                      "noise_std": noise_std}, **extra}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m zoo.maintain.export",
                                description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="the training run's folder (checkpoint.pt, log.jsonl)")
    p.add_argument("--name", required=True, help="the model's name in the zoo")
    p.add_argument("--schedule", help="its schedule (default: the run's)")
    p.add_argument("--hardware", help="where it was trained (default: what the checkpoint "
                   "records)")
    p.add_argument("--summary", default="", help="one line on the model")
    p.add_argument("--notes", default="", help="caveats for the card")
    p.add_argument("--prior-noise-std", type=float,
                   help="generation models: the noise that breaks the symmetry of x_T "
                   "(default: the degradation's own noise sigma if it has one, else 0.002, "
                   "the paper's)")
    p.add_argument("--out", type=Path, default=package_path(""), help="the zoo package folder")
    args = p.parse_args(argv)

    state = checkpoint.read(args.run / checkpoint.CHECKPOINT)
    run = checkpoint.run_of(state)
    recorded = schedule_of(run) if run else None
    if args.schedule is None and recorded is None:
        raise SystemExit(f"{args.run} does not name its schedule: pass --schedule")
    schedule = get_schedule(args.schedule or recorded[0])
    hardware = args.hardware or state.get("hardware")
    if hardware is None:
        raise SystemExit(f"{args.run} does not record its hardware: pass --hardware")
    config, train = state["model_config"], state["config"]
    model = UNet(UNetConfig(**{k: tuple(v) if isinstance(v, list) else v
                               for k, v in config.items()}))
    model.load_state_dict(state["ema"])
    file = f"weights/{args.name}.safetensors"
    digest = save_weights(model.state_dict(), args.out / file)
    images_per_step = train["batch_size"] * train["accumulate"]
    seconds = wall_seconds(args.run / "log.jsonl", images_per_step)
    val_count = run["data"]["val_count"] if run else 1000
    entry = {
        "name": args.name,
        "schedule": schedule.name,
        "summary": args.summary,
        "file": file,
        "sha256": digest,
        "architecture": {"kind": "UNet", "preset": preset_name(config), "config": config,
                         "parameters": model.num_parameters()},
        "data": {"dataset": schedule.dataset, "dataset_label": DATASET_LABELS[schedule.dataset],
                 "split": f"training split less {val_count} images held out "
                          f"for validation (seed {train['seed']})",
                 "image_size": schedule.image_size, "channels": schedule.channels,
                 "range": [-1, 1]},
        "training": {
            "steps": state["step"],
            "batch": f"{train['batch_size']} x {train['accumulate']} accumulated",
            "optimiser": f"Adam, lr {train['lr']:g}" + (
                f", cosine decay after {train.get('warmup', 0)} warm-up steps"
                if train.get("lr_schedule") == "cosine" else ""),
            "loss": train["loss"],
            "ema": f"EMA {train['ema_decay']} every {train['ema_every']} steps from step "
                   f"{train['ema_start']}",
            "wall_time": f"{seconds / 60:.0f} min",
            "hardware": hardware,
            "command": f"colddiff train --config {args.name}",
        },
        "run": run,
        "prior": None,
        "metrics": None,
        "notes": args.notes,
    }
    if schedule.task == "generation":
        entry.update(_prior_entry(args, schedule, recorded, run))
    registry_path = args.out / "data/models.json"
    registry_path.parent.mkdir(parents=True, exist_ok=True)
    entries = json.loads(registry_path.read_text()) if registry_path.exists() else []
    old = next((e for e in entries if e["name"] == args.name), None)
    if old is not None and old.get("metrics") and old["sha256"] == digest:
        entry["metrics"] = old["metrics"]
    names = [e["name"] for e in entries]  # a new model goes last, a retrained one in its place
    entries = ([e if e["name"] != args.name else entry for e in entries]
               if args.name in names else [*entries, entry])
    registry_path.write_text(json.dumps(entries, indent=2) + "\n")
    print(f"{args.name}: step {state['step']}, {model.num_parameters():,} parameters, "
          f"{(args.out / file).stat().st_size / 1e6:.2f} MB, sha256 {digest[:16]}...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
