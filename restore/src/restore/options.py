"""Command-line options derived from :class:`restore.RunConfig`: one option per field.

:func:`add_run_options` adds them (grouped by section, with the field's default in the help);
:func:`run_config` reads the parsed arguments back into a :class:`RunConfig`, on top of a base
(the defaults, a ``--config`` file, or a named schedule's settings). Only the options a user
gives change the base, so ``--config run/config.json --steps 20000`` continues a run with one
change.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any, NoReturn

from .config import SECTIONS, RunConfig
from .objectives import OBJECTIVES

_TYPES = {"int": int, "float": float, "str": str}


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on standard error (exit code 2), without
    the usage that ``--help`` shows."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _fields() -> list[tuple[str | None, dataclasses.Field]]:
    """``(section, field)`` for every option, sections in the order of :class:`RunConfig`."""
    top = [(None, f) for f in dataclasses.fields(RunConfig) if f.name not in SECTIONS]
    return top + [(section, f) for section, kind in SECTIONS.items()
                  for f in dataclasses.fields(kind)]


def _dest(section: str | None, field: dataclasses.Field) -> str:
    return field.name if section is None else f"{section}.{field.name}"


def parse_key_value(text: str) -> tuple[str, Any]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def add_run_options(parser: argparse.ArgumentParser, *, skip: tuple[str, ...] = ()) -> None:
    """Add an option for every field of :class:`RunConfig` (but those named in ``skip``, as
    ``"degradation"`` or ``"train.seed"``)."""
    base = RunConfig()
    groups: dict[str | None, Any] = {}
    for section, field in _fields():
        dest = _dest(section, field)
        if dest in skip or section in skip:
            continue
        if section not in groups:
            groups[section] = parser.add_argument_group(section or "run")
        meta = field.metadata
        flag = meta.get("flag") or "--" + field.name.replace("_", "-")
        default = getattr(getattr(base, section) if section else base, field.name)
        settings: dict[str, Any] = {"dest": dest, "default": argparse.SUPPRESS,
                                    **meta.get("argparse", {})}
        help_text = meta.get("help", "")
        kind = str(field.type).replace(" | None", "")
        if field.name == "arguments":
            settings.update(action="append", type=parse_key_value)
        elif kind == "bool":
            settings["action"] = argparse.BooleanOptionalAction
        elif kind in _TYPES:
            settings.setdefault("type", _TYPES[kind])
        if "choices" not in settings and kind != "bool":
            settings.setdefault("metavar", flag.lstrip("-").replace("-", "_").upper())
        if default not in (None, {}, False) and "choices" not in settings:
            help_text += f" (default: {default})"
        elif "choices" in settings:
            help_text += f" (default: {'yes' if default is True else default})"
        groups[section].add_argument(flag, help=help_text, **settings)


def given(args: argparse.Namespace) -> dict[str, Any]:
    """The run options present in ``args``: what the user gave, by ``section.field``."""
    names = {_dest(section, field) for section, field in _fields()}
    return {name: value for name, value in vars(args).items() if name in names}


def run_config(args: argparse.Namespace, base: RunConfig | None = None) -> RunConfig:
    """``base`` (the defaults by default) with the options given in ``args`` applied.

    An ``--objective`` without ``--loss`` brings the objective's loss (``noise``: L2).
    """
    values = (base or RunConfig()).to_dict()
    options = given(args)
    for name, value in options.items():
        section, _, field = name.rpartition(".")
        target = values[section] if section else values
        if field == "arguments":
            target[field] = {**target[field], **dict(value)}
        else:
            target[field] = value
    if "objective" in options and "train.loss" not in options:
        values["train"]["loss"] = OBJECTIVES[options["objective"]].loss
    return RunConfig.from_dict(values)
