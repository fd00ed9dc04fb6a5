"""The degradation factories a configuration may name: configurations are data, not code.

A run's ``config.json``, a model folder's ``config.json`` and the diffusers scheduler's
``scheduler_config.json`` name their degradation ``D(x, t)`` as a factory and keyword
arguments. :func:`resolve` accepts three kinds of name and refuses every other one before
anything is imported:

* ``degrade``'s own operators: ``"degrade:GaussianBlurSchedule"`` (the class) or
  ``"degrade:GaussianBlurSchedule.exponential"`` (one of its public constructors);
* a factory registered in Python before the configuration is loaded,
  :func:`register` (``restore.register_degradation``);
* a factory an installed package declares as an entry point of the group
  ``colddiff.degradations`` (``zoo`` declares ``zoo:schedule``, the paper's schedules by name).

An arbitrary import path (``"subprocess:run"``) is refused in one line that says how to
register a factory of one's own. An argument may itself be a degradation, written
``{"factory": NAME, "arguments": {...}}`` and checked by the same rules.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from importlib import metadata
from typing import Any

GROUP = "colddiff.degradations"
"""The entry-point group of installed degradation factories."""

_OWN = re.compile(r"degrade:([A-Z][A-Za-z0-9]*)(?:\.([a-z][a-z0-9_]*))?")
_REGISTERED: dict[str, Callable[..., Any]] = {}


def register(name: str, factory: Callable[..., Any] | None = None) -> Any:
    """Let configurations name ``factory`` as ``name`` (``"mypackage:make_blur"``).

    Use it as a call, ``register("mine:blur", make_blur)``, or as a decorator,
    ``@register("mine:blur")``. Registering a name twice with another factory is an error.

    Examples:
        >>> from restore import DegradationSpec, register_degradation
        >>> from degrade import GaussianBlurSchedule
        >>> @register_degradation("doctest:blur")
        ... def blur(num_steps):
        ...     return GaussianBlurSchedule.constant(3, num_steps=num_steps, sigma=1.0)
        >>> DegradationSpec("doctest:blur", {"num_steps": 4}).build().num_steps
        4
    """
    if not isinstance(name, str) or not name or name.startswith("degrade:"):
        raise ValueError(f"a degradation factory's name is a non-empty string outside "
                         f"'degrade:', got {name!r}")

    def add(function: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(function):
            raise TypeError(f"the factory registered as {name!r} is not callable")
        if _REGISTERED.get(name, function) is not function:
            raise ValueError(f"{name!r} is already registered to another factory")
        _REGISTERED[name] = function
        return function

    return add if factory is None else add(factory)


def _installed() -> dict[str, metadata.EntryPoint]:
    """The entry points of :data:`GROUP`, by their value (``"zoo:schedule"``): a short name
    such as ``schedule`` could be any package's, so configurations do not use it."""
    found: dict[str, metadata.EntryPoint] = {}
    for point in metadata.entry_points(group=GROUP):
        found.setdefault(point.value, point)
    return found


def known() -> list[str]:
    """The names a configuration may use besides ``degrade``'s operators."""
    return sorted({*_REGISTERED, *_installed()})


def _own(name: str, match: re.Match[str]) -> Callable[..., Any]:
    try:
        import degrade
    except ImportError as error:
        raise ValueError(f"{name!r} needs the degrade package: pip install colddiff-degrade") \
            from error

    kind, constructor = match.groups()
    operator = getattr(degrade, kind, None) if kind in degrade.__all__ else None
    if not (inspect.isclass(operator) and issubclass(operator, degrade.Degradation)) \
            or operator is degrade.Degradation:
        raise ValueError(f"{name!r}: degrade has no operator {kind!r} (its operators: "
                         f"{', '.join(_operators())})")
    if constructor is None:
        return operator
    if not isinstance(inspect.getattr_static(operator, constructor, None), classmethod):
        raise ValueError(f"{name!r}: {kind} has no constructor {constructor!r}")
    return getattr(operator, constructor)


def _operators() -> list[str]:
    import degrade

    return [n for n in degrade.__all__ if inspect.isclass(getattr(degrade, n))
            and issubclass(getattr(degrade, n), degrade.Degradation) and n != "Degradation"]


def check(name: Any) -> None:
    """Refuse, in one line, a ``name`` that is none of the known kinds; imports nothing."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"the degradation factory is a name such as "
                         f"'degrade:GaussianBlurSchedule.exponential', got {name!r}")
    if name in _REGISTERED or _OWN.fullmatch(name) or name in _installed():
        return
    others = ", ".join(known()) or "none"
    raise ValueError(
        f"the degradation factory {name!r} is not a known operator, and configurations do not "
        "import code: name one of degrade's operators ('degrade:GaussianBlurSchedule' or "
        f"'degrade:GaussianBlurSchedule.exponential'), a registered factory ({others}), or "
        f"register yours in Python first: restore.register_degradation({name!r}, factory)")


def resolve(name: Any) -> Callable[..., Any]:
    """The factory a configuration's ``name`` stands for; any other name is refused before
    anything is imported (see the module's text)."""
    check(name)
    if name in _REGISTERED:
        return _REGISTERED[name]
    match = _OWN.fullmatch(name)
    if match:
        return _own(name, match)
    return _installed()[name].load()


def is_nested(value: Any) -> bool:
    """Whether an argument is itself a degradation to build: ``{"factory": NAME}`` with
    optional ``"arguments"`` (the corruption of ``degrade:SoftCorruption``, the endpoint of
    ``degrade:DirectIteration``)."""
    return isinstance(value, dict) and "factory" in value and set(value) <= {"factory",
                                                                            "arguments"}


def check_nested(name: Any, arguments: Any) -> None:
    """:func:`check` the factory ``name`` and every degradation nested in its ``arguments``."""
    check(name)
    for value in (arguments.values() if isinstance(arguments, dict) else ()):
        if is_nested(value):
            check_nested(value["factory"], value.get("arguments", {}))


def build(name: Any, arguments: dict[str, Any]) -> Any:
    """Call the factory ``name`` with ``arguments`` (plain data): the degradation. An argument
    written ``{"factory": NAME, "arguments": {...}}`` is built first, by the same rules, so
    that an operator of operators is data too."""
    factory = resolve(name)
    if not isinstance(arguments, dict) or not all(isinstance(k, str) for k in arguments):
        raise ValueError(f"the arguments of {name!r} must be a JSON object, got {arguments!r}")
    arguments = {key: build(value["factory"], value.get("arguments", {}))
                 if is_nested(value) else value for key, value in arguments.items()}
    try:
        return factory(**arguments)
    except TypeError as error:
        shown = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
        raise ValueError(f"{name}({shown}): {error}") from error

