"""The ``colddiff`` command: list, samples, degrade, restore, generate, train, evaluate, demo.

Every subcommand explains its options with ``--help``; bad input ends with exit code 2 and one
line on standard error. The commands live in :mod:`zoo.commands`, one module each.
"""

from __future__ import annotations

import argparse
import sys

from restore.errors import for_command_line
from restore.options import Parser

from . import __version__
from .commands import COMMANDS
from .commands.common import Formatter, check_outputs
from .pretrained import locate


def parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="colddiff", formatter_class=Formatter,
        description="Cold diffusion: the paper's schedules by name, pretrained restorers, "
        "sampling, training and evaluation. `colddiff COMMAND --help` explains each command.")
    p.add_argument("--version", action="version", version=f"colddiff {__version__}")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if getattr(args, "model", None) is not None:
            locate(args.model)
        check_outputs(args)
        return args.run(args)
    except (ValueError, TypeError, KeyError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else \
            for_command_line(error)
        print(f"colddiff {args.command}: error: {message}", file=sys.stderr)
        return 2
    except FloatingPointError as error:
        print(f"colddiff {args.command}: error: {error} (are the weights or the noise level "
              "sound?)", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"colddiff {args.command}: error: out of memory: ask for fewer or smaller images",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"colddiff {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
