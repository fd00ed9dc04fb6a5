"""A griffe extension for the documentation site (``mkdocs.yml``): our docstrings cite names
the Sphinx way (``:func:`samplers.tacos```, ``:meth:`~Pretrained.restore```); the site shows
them as code, as the Markdown pages do, rather than as the literal role."""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|meth|class|attr|mod|data|exc|obj):`~?([^`]+)`")


def plain(text: str) -> str:
    """``text`` with each Sphinx role written as inline code: ``:func:`~a.b``` is ```b```
    (the ``~`` keeps the last part, as Sphinx shows it), ``:func:`a.b``` is ```a.b```."""
    return ROLE.sub(lambda m: "`" + _shown(m.group(0), m.group(1)) + "`", text)


def _shown(role: str, target: str) -> str:
    return target.rsplit(".", 1)[-1] if ":`~" in role else target


class SphinxRoles(griffe.Extension):
    """Rewrites the roles of every docstring before it is parsed."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
