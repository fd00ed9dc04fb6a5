"""``colddiff train``: train a network for a named schedule, or re-create a run from its
configuration."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

from restore.config import RunConfig
from restore.distributed import resolve_device
from restore.options import add_run_options, given, parse_key_value, run_config
from restore.recipes import RECIPES
from restore.run import main as run_main
from restore.train import add_config_options

from ..export import write_run_model
from ..folders import FORMAT
from ..pretrained import run_config_of
from ..registry import registry
from ..schedules import named_schedule
from .common import Formatter


def add_parser(commands: argparse._SubParsersAction) -> None:
    c = commands.add_parser(
        "train", help="train a restorer for a named schedule", formatter_class=Formatter,
        description="Train R(x, t) for a named schedule on its data set (or --data / "
        "--data-folder); for a diffusion schedule, a noise predictor (L2 loss). Or re-create a "
        "run: --config RUN/config.json, or --config MODEL for the run a zoo model or a model "
        "folder records. Resumable with --resume.")
    c.add_argument("schedule", nargs="?", help="a named schedule (colddiff list --schedules)")
    c.add_argument("--variant", help="another set of the schedule's values")
    c.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                   help="change one of the schedule's arguments, the value as JSON "
                   "(repeatable): --override num_steps=40")
    c.add_argument("--recipe", choices=("auto", *RECIPES), default="auto",
                   help="the optimisation settings: cpu (measured fastest on CPUs, "
                   "docs/performance.md), paper (A.1: Adam 2e-5, 700,000 steps), or auto: cpu "
                   "when training on a CPU (the options you give change it)")
    add_config_options(c)
    add_run_options(c, skip=("degradation",))
    c.set_defaults(run=run)


def _base(args: argparse.Namespace) -> RunConfig:
    """The run before the options: a configuration file or zoo model, or the schedule's."""
    if args.config is not None:
        if args.schedule or args.variant or args.override or args.recipe != "auto":
            raise ValueError("give a schedule (with --variant, --override, --recipe) or "
                             "--config, not both")
        if not args.config.exists() and str(args.config) in registry():
            return run_config_of(str(args.config))
        if args.config.is_dir() or is_model_record(args.config):
            return run_config_of(args.config)
        return RunConfig.load(args.config)
    if args.schedule is None:
        raise ValueError("give a named schedule (colddiff list --schedules) or --config")
    schedule = named_schedule(args.schedule)
    overrides = dict(_key_value(text) for text in args.override)
    for key in ("name", "variant"):
        if key in overrides:
            raise ValueError(f"--override {key}=... is not an override: give the schedule "
                             f"{'as the first argument' if key == 'name' else 'with --variant'}")
    config = schedule.run_config(args.variant, recipe=_recipe(args), **overrides)
    if "data.folder" in given(args):
        config = dataclasses.replace(config, data=dataclasses.replace(config.data, name=None))
    return config


def is_model_record(path: os.PathLike[str]) -> bool:
    """Whether ``path`` is a model folder's ``config.json`` (a record with a ``"run"``), not a
    run's."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(record, dict) and record.get("format") == FORMAT


def _recipe(args: argparse.Namespace) -> str:
    """The recipe asked for; ``auto`` is ``cpu`` when the run's device is the CPU."""
    if args.recipe != "auto":
        return args.recipe
    device = given(args).get("train.device", "auto")
    return "cpu" if resolve_device(device).type == "cpu" else "paper"


def _key_value(text: str) -> tuple[str, object]:
    try:
        return parse_key_value(text)
    except argparse.ArgumentTypeError as error:
        raise ValueError(f"--override: {error}") from error


def run(args: argparse.Namespace) -> int:
    config = run_config(args, _base(args))
    if args.schedule:
        print(f"schedule {args.schedule}: {named_schedule(args.schedule).description}")
        print(f"recipe {_recipe(args)}: lr {config.train.lr:g} ({config.train.lr_schedule}), "
              f"batch {config.train.batch_size} x {config.train.accumulate}, "
              f"{config.train.steps:,} steps, objective {config.objective}"
              + (f" (share {config.walk_share:g})" if config.objective == "x0-walk" else ""))
    code = run_main(config, resume=args.resume, prog="colddiff train")
    if code == 0 and int(os.environ.get("RANK", "0")) == 0:
        folder = write_run_model(config.out)
        kind = json.loads((folder / "config.json").read_text())["kind"]
        use = ("restore" if kind == "restorer" else "generate")
        print(f"wrote the model folder {folder} ({kind}); next:\n"
              f"  colddiff {use} {folder}{' IMAGES...' if use == 'restore' else ''}\n"
              f"  colddiff evaluate {folder}")
    return code

