"""What the commands share: the help formatter and the options of a model or an output."""

from __future__ import annotations

import argparse
from pathlib import Path


class Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default only where it says something (not None, not a flag's False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, argparse.SUPPRESS) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The model's name, other weights, the seed and the progress bars."""
    parser.add_argument("model", help="a pretrained model (colddiff list --models)")
    parser.add_argument("--weights", type=Path, help="your own safetensors weights for it")
    parser.add_argument("--seed", type=int, default=0, help="seed of all random draws")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def add_output_options(parser: argparse.ArgumentParser, default: str, what: str) -> None:
    """The PNG grid and a folder for the single images."""
    parser.add_argument("--out", type=Path, default=Path(default), help="the PNG grid")
    parser.add_argument("--save-dir", type=Path, help=f"also write each {what} image here")


def check_step(t: int | None, T: int) -> int:
    """``--t``, ``T`` by default, within ``0..T``."""
    if t is None:
        return T
    if not 0 <= t <= T:
        raise ValueError(f"--t must be between 0 and T = {T}, got {t}")
    return t
