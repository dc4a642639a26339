"""A version's name from the path it was read from (``tailwatch check VERSION``,
``tailwatch.compare([paths])``): what a person would call the version, not its part file."""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["version_name"]

_WILDCARDS = set("*?[")
_PART = re.compile(r"part[-_]?(\d+(-.*)?)?")  # Spark/Hive/DuckDB part files: part-0, part-00000-…


def version_name(pattern: str | os.PathLike[str]) -> str:
    """``data/v8.parquet`` -> ``v8``; ``data/v8/`` -> ``v8``; ``gen-7/part-0.parquet`` and
    ``gen-7/part-*.parquet`` -> ``gen-7``; ``versions/gen-004.*`` -> ``gen-004``."""
    path = Path(os.fspath(pattern))
    parts = list(path.parts)
    while parts:
        last = parts[-1]
        cut = min((last.index(c) for c in _WILDCARDS if c in last), default=len(last))
        stem = last[:cut] if cut < len(last) else (Path(last).stem if Path(last).suffix else last)
        stem = stem.rstrip("._-")
        if stem and not _PART.fullmatch(stem) and not set(stem) & _WILDCARDS:
            return stem
        parts.pop()  # a part file or a bare wildcard: the folder above names the version
    return os.fspath(pattern)
