"""Errors worded for where they are met: in Python's words (``resume=True``) when raised to a
program, and in the command line's (``--resume``) when a command prints them."""

from __future__ import annotations


def worded(kind: type[Exception], message: str, python: str, cli: str) -> Exception:
    """An exception ``kind(message.format(python))`` that :func:`for_command_line` words as
    ``message.format(cli)``, for example
    ``worded(FileExistsError, "resume it with {}", "resume=True", "--resume")``."""
    error = kind(message.format(python))
    error.command_line = message.format(cli)
    return error


def for_command_line(error: BaseException) -> str:
    """The message of ``error`` as a command prints it."""
    return getattr(error, "command_line", None) or str(error)
