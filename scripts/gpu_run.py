"""One GPU session, prepared to the minute: smoke checks, then the 64-px faces.

A session lent a GPU has about 15 minutes of it in all, starts included. This script spends at
most ``--minutes`` (default 9) of them and writes everything worth keeping under ``--out``:

(a) smoke checks, about a minute: a bf16 training step on the device, a checkpoint and its
    resume, fp16 autocast with its gradient scaler, sampling from the bf16 run, and
    ``mnist-blur`` restoring the zoo's shipped digits with its network on the device against
    the CPU (the RMSE of TACoS and direct within ``RMSE_TOLERANCE``, relative);
(b) the minutes left, by ``--plan``:

    - ``zoo`` (the default): the zoo's 64-px models not trained yet (:data:`ZOO_MODELS`, issues
      28, 29 and 31), each at its own CPU recipe (the width-16 U-Net, batches of 32, 20,000
      steps, float32), all at once, one process each, until they finish or the minutes run
      out. The CPU resumes any that did not finish, exactly (the precision is the CPU's):
      ``colddiff train --config runs/NAME/config.json --out runs/NAME --resume --device cpu
      --data-dir ../shared/data``.
      Days of this CPU's training, at the budget of the models already in the zoo.
    - ``wide``: ``celeba64-blur-gen`` and ``afhq64-blur-gen`` at GPU scale (the small U-Net at
      width ``GPU_WIDTH``, batches of ``GPU_BATCH``, bf16), half the time each, the steps sized
      by a probe so that the cosine finishes: what a larger budget buys.

    The runs are packed (checkpoint, log, configuration, grids) into ``.tar`` files split into
    parts of at most 15 MiB, since the device tool brings back at most 8 files of 16 MiB;
    ``cat NAME.tar.part* > NAME.tar`` joins them.

``summary.json`` records every figure: the checks, images per second, steps and wall time.

Here, first, the training splits into an ignored folder that the device tool carries (the
repository and both splits come to about 63 of its 64 MiB)::

    python scripts/gpu_run.py --prepare --out .gpu-data

then on the GPU machine (``carry: [".gpu-data"]``)::

    python scripts/gpu_run.py --out "$OUT" --data-dir .gpu-data

The same logic in seconds on a CPU, as CI runs it (tiny networks, a few steps)::

    python scripts/gpu_run.py --out /tmp/gpu-run --device cpu --tiny
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from restore.config import RunConfig
from restore.recipes import with_changes
from restore.run import build

import zoo
from restore import data

GPU_WIDTH = 40
"""Base width of the U-Net at GPU scale: 1.3 M parameters, a 21 MB resumable checkpoint."""
GPU_BATCH = 128
PART_BYTES = 15 * 2**20
RMSE_TOLERANCE = 0.005
"""How far the device's RMSE may land from the CPU's (relative): TF32 is off for the check, so
only the order of float32 sums differs, which TACoS's walk magnifies (up to 0.05 % here)."""
MODELS = ("celeba64-blur-gen", "afhq64-blur-gen")
"""The ``wide`` plan's runs."""
ZOO_MODELS = ("celeba64-inpaint-gen", "celeba64-sr-gen", "celeba64-blur", "celeba64-inpaint",
              "celeba64-sr", "celeba64-snow", "celeba64-color", "celeba64-soft-heat")
"""The ``zoo`` plan's candidates: the 64-px models issues 28, 29 and 31 ask for; it trains
those the zoo still lacks (:func:`missing`)."""
ZOO_CHECKPOINT_EVERY = 500
TINY_T = 20
"""``T`` of the schedules in ``--tiny`` runs, so that their TACoS grids take seconds."""


def run_config(schedule: str, out: Path, device: str, tiny: bool, steps: int,
               seconds: float | None) -> RunConfig:
    """A named schedule's CPU recipe, scaled to the device: wider, larger batches, bf16."""
    config = zoo.named_schedule(schedule).run_config(recipe="cpu")
    train = {"steps": steps, "device": device, "precision": "bf16", "progress": False,
             "max_seconds": seconds, "checkpoint_every": max(1, steps // 4),
             "log_every": max(1, min(50, steps // 4)), "sample_every": 0}
    changes: dict[str, Any] = {"out": str(out), "train": train}
    if tiny:  # the logic in seconds: a tiny network, float32 on a CPU, T = 20
        train.update(batch_size=4, warmup=0, precision="auto")
        changes["network"] = {"preset": "tiny", "width": None}
        arguments = {**config.degradation.arguments, "num_steps": TINY_T}
        changes["degradation"] = {"arguments": arguments}
    else:
        train.update(batch_size=GPU_BATCH)
        changes["network"] = {"width": GPU_WIDTH}
    return with_changes(config, changes)


def recipe_config(schedule: str, out: Path, device: str, tiny: bool, seconds: float,
                  data_dir: str | None) -> RunConfig:
    """A named schedule's CPU recipe, as the zoo's models were trained, computed on ``device``:
    float32 (so that the CPU can resume the run: a resume keeps the precision), until
    ``seconds`` run out, with a checkpoint every :data:`ZOO_CHECKPOINT_EVERY` steps."""
    config = zoo.named_schedule(schedule).run_config(recipe="cpu")
    train = {"device": device, "precision": "fp32", "progress": False, "max_seconds": seconds,
             "checkpoint_every": ZOO_CHECKPOINT_EVERY, "sample_every": 5000}
    changes: dict[str, Any] = {"out": str(out), "train": train,
                               "data": {"data_dir": data_dir}}
    if tiny:  # the logic in seconds: a tiny network, two steps, no grids
        train.update(steps=2, batch_size=4, warmup=0, checkpoint_every=1, log_every=1,
                     sample_every=0)
        changes["network"] = {"preset": "tiny", "width": None}
    return with_changes(config, changes)


def missing(schedules: tuple[str, ...]) -> tuple[str, ...]:
    """The ``schedules`` no model of the zoo is trained on yet."""
    trained = {entry.get("schedule") for entry in zoo.list_models()}
    return tuple(schedule for schedule in schedules if schedule not in trained)


def train_in_parallel(schedules: tuple[str, ...], out: Path, device: str, tiny: bool,
                      seconds: float, data_dir: str | None) -> dict[str, Any]:
    """(b), the ``zoo`` plan: every schedule's recipe at once, one ``colddiff train`` process
    each, for at most ``seconds``; then the runs packed together."""
    runs = out / "runs"
    processes = {}
    for schedule in schedules:
        folder = runs / schedule
        folder.mkdir(parents=True)
        plan = folder / "plan.json"
        recipe_config(schedule, folder, device, tiny, seconds, data_dir).save(plan)
        with open(folder / "stdout.txt", "w") as log:
            processes[schedule] = subprocess.Popen(
                [sys.executable, "-m", "zoo.cli", "train", "--config", str(plan)],
                stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "OMP_NUM_THREADS": "1"})
    start = time.perf_counter()
    for process in processes.values():
        try:
            process.wait(timeout=max(1.0, seconds + 60 - (time.perf_counter() - start)))
        except subprocess.TimeoutExpired:
            process.terminate()  # SIGTERM: the run writes its checkpoint and stops
            process.wait(timeout=60)
    wall = time.perf_counter() - start
    results = {}
    for schedule, process in processes.items():
        log = runs / schedule / "log.jsonl"
        records = [json.loads(line) for line in log.read_text().splitlines()] \
            if log.exists() else []
        steps = max((r["step"] for r in records if "loss" in r), default=0)
        planned = recipe_config(schedule, runs / schedule, device, tiny, seconds,
                                data_dir).train
        results[schedule] = {"returncode": process.returncode, "steps": steps,
                             "planned_steps": planned.steps,
                             "images_per_second": round(steps * planned.batch_size / wall, 1)}
    parts = pack(runs, out / "zoo-runs")
    return {"wall_s": round(wall, 1), "runs": results, "parts": [p.name for p in parts]}


def smoke(out: Path, device: str, data_dir: str | None) -> dict[str, Any]:
    """(a): train, resume, sample, and restore with a zoo model on the device against the CPU."""
    checks: dict[str, Any] = {}
    folder = out / "smoke"
    config = run_config(MODELS[0], folder, device, True, 4, None)
    config = with_changes(config, {"data": {"data_dir": data_dir},
                                   "train": {"precision": "bf16"}})
    build(config).train()
    build(with_changes(config, {"train": {"steps": 6}})).train(resume=True)
    log = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in log if "loss" in r]
    if steps != sorted(set(steps)) or steps[-1] != 6:
        raise AssertionError(f"the resumed run logged steps {steps}")
    start = next(r for r in log if "precision" in r)
    checks["training"] = {"steps": steps[-1], "precision": start["precision"],
                          "hardware": start["hardware"]}
    fp16 = with_changes(config, {"out": str(out / "smoke-fp16"),
                                 "train": {"precision": "fp16", "steps": 2}})
    trainer = build(fp16)
    trainer.train()
    checks["fp16"] = {"steps": trainer.step, "scale": trainer.scaler.get_scale()
                      if trainer.scaler.is_enabled() else None}
    model = zoo.from_checkpoint(folder / "checkpoint.pt")
    restored = model.restore(model.D(trainer.val_images, model.T))
    if not bool(torch.isfinite(restored).all()):
        raise AssertionError("sampling the smoke run gave NaN or infinite values")
    checks["sampling"] = "finite"
    checks["restoration"] = device_against_cpu(device)
    return checks


def device_against_cpu(device: str) -> dict[str, Any]:
    """``mnist-blur`` restoring the zoo's shipped digits with its network on ``device`` and on
    the CPU: the RMSE of TACoS and of direct restoration."""
    allowed = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    x0 = zoo.sample_images("mnist")
    cpu = zoo.load("mnist-blur", precision="fp32")
    there = zoo.load("mnist-blur", precision="fp32")
    R = there.R.to(device)

    def on_device(x: torch.Tensor, t: Any) -> torch.Tensor:
        t = t.to(device) if isinstance(t, torch.Tensor) else t
        return R(x.to(device), t).to(x.device)

    there._network = on_device
    rows = {}
    try:
        for sampler in ("tacos", "direct"):
            errors = [zoo.metrics.rmse(m.restore(m.D(x0, m.T), sampler=sampler), x0)
                      for m in (cpu, there)]
            change = abs(errors[1] - errors[0]) / errors[0]
            rows[sampler] = {"cpu": errors[0], "device": errors[1], "relative": change}
            if change > RMSE_TOLERANCE:
                raise AssertionError(f"{sampler}: RMSE {errors[1]:.5f} on {device} against "
                                     f"{errors[0]:.5f} on the CPU")
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = allowed
    return {"images": len(x0), "rmse": rows}


def prepare(folder: Path, data_dir: str | None) -> None:
    """The training splits of the faces and cats alone in ``folder`` (35.5 MB, where the whole
    files hold 42 MB): with the repository they fit the 64 MiB the device tool carries."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("celeba", "afhq"):
        path = data.data_path(data.FILES[name], data_dir)
        with np.load(path) as archive:
            np.savez(folder / path.name, **{k: archive[k] for k in archive.files
                                            if k.startswith("train_")})
        print(f"wrote {folder / path.name}")


def seconds_per_step(config: RunConfig) -> float:
    """A probe: the time of an optimiser step after a warm-up, in a throw-away folder."""
    return build(dataclasses.replace(config, out=str(Path(config.out).with_name("probe")))
                 ).seconds_per_step()


def train_model(schedule: str, out: Path, device: str, tiny: bool, seconds: float,
                data_dir: str | None) -> dict[str, Any]:
    """(b): one model for ``seconds``, its steps sized by a probe; then packed."""
    folder = out / schedule
    config = run_config(schedule, folder, device, tiny, 10, None)
    config = with_changes(config, {"data": {"data_dir": data_dir}})
    per_step = seconds_per_step(config)
    steps = 2 if tiny else max(10, int(0.9 * seconds / per_step))
    config = with_changes(config, {"train": {"steps": steps, "max_seconds": seconds,
                                             "checkpoint_every": max(1, steps // 4),
                                             "sample_every": steps}})
    start = time.perf_counter()
    trainer = build(config)
    trainer.train()
    wall = time.perf_counter() - start
    images = trainer.step * config.train.batch_size
    parts = pack(folder, out / schedule)
    return {"steps": trainer.step, "planned_steps": steps, "wall_s": round(wall, 1),
            "images_per_second": round(images / wall, 1), "probe_s_per_step": per_step,
            "width": config.network.width, "batch": config.train.batch_size,
            "parts": [p.name for p in parts]}


def pack(folder: Path, stem: Path) -> list[Path]:
    """``folder`` as one tar in parts of at most :data:`PART_BYTES`; the folder is removed."""
    archive = stem.with_name(stem.name + ".tar")
    with tarfile.open(archive, "w") as tar:
        tar.add(folder, arcname=folder.name)
    data = archive.read_bytes()
    archive.unlink()
    parts = []
    for index, offset in enumerate(range(0, len(data), PART_BYTES)):
        part = archive.with_name(f"{archive.name}.part{index}")
        part.write_bytes(data[offset:offset + PART_BYTES])
        parts.append(part)
    shutil.rmtree(folder)
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--prepare", action="store_true", help="only write the training "
                        "splits of the faces and cats into --out, to carry to the GPU machine")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--minutes", type=float, default=9.0, help="the whole script's budget")
    parser.add_argument("--plan", choices=("zoo", "wide"), default="zoo",
                        help="zoo: the zoo's missing 64-px models at their CPU recipe, at "
                        "once; wide: the blur generators at GPU scale (default: %(default)s)")
    parser.add_argument("--tiny", action="store_true", help="tiny networks and a few steps")
    parser.add_argument("--data-dir", help="the data files (default: $COLDDIFF_DATA, "
                        "../shared/data)")
    args = parser.parse_args(argv)
    if args.prepare:
        prepare(args.out, args.data_dir)
        return 0
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("gpu_run: no CUDA GPU here (run it with --device cpu --tiny to test the logic)",
              file=sys.stderr)
        return 2
    begin = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"device": torch.cuda.get_device_name(args.device)
                               if args.device.startswith("cuda") else "cpu",
                               "torch": torch.__version__, "tiny": args.tiny}
    summary["smoke"] = smoke(args.out / "work", args.device, args.data_dir)
    print(json.dumps(summary["smoke"]), flush=True)
    left = args.minutes * 60 - (time.perf_counter() - begin)
    summary["plan"], summary["models"] = args.plan, {}
    if args.plan == "zoo":
        summary["zoo"] = train_in_parallel(missing(ZOO_MODELS), args.out, args.device, args.tiny,
                                           max(left - 90, 5.0), args.data_dir)
        print(json.dumps(summary["zoo"]), flush=True)
    for index, schedule in enumerate(MODELS if args.plan == "wide" else ()):
        share = left / (len(MODELS) - index) - 20  # 20 s for the probe, packing and the grid
        summary["models"][schedule] = train_model(schedule, args.out, args.device, args.tiny,
                                                  max(share, 5.0), args.data_dir)
        print(schedule, json.dumps(summary["models"][schedule]), flush=True)
        left = args.minutes * 60 - (time.perf_counter() - begin)
    shutil.rmtree(args.out / "work")
    summary["wall_s"] = round(time.perf_counter() - begin, 1)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"gpu_run: done in {summary['wall_s']} s; {len(os.listdir(args.out))} files in "
          f"{args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
