"""A package's names loaded on first use (PEP 562), shared by the modules that re-export names
they import only when needed (``collectors``, ``monitor.report``, ``monitor.commands.check``)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

__all__ = ["load_name"]


def load_name(module: str, homes: Mapping[str, str], namespace: dict[str, Any], name: str) -> Any:
    """The body of ``module``'s ``__getattr__``: ``name`` from its home module in ``homes``,
    kept in ``namespace`` (the module's globals) so that later lookups skip ``__getattr__``;
    ``AttributeError`` for a name that is not there."""
    home = homes.get(name)
    if home is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    namespace[name] = value
    return value
