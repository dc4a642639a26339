"""Config errors a person can act on (issue 27): one notation for keys, the TOML line, and the
near miss of an unknown key.

Keys are written as ``tailwatch validate`` writes them: ``generators[0] (claims-gan).sample_size``
(array index, the entry's name when it has one, then the key). Each line names the TOML line of
the key where the file has it (or of its table when the key is missing), and an unknown key gets
the closest known key of its table (:func:`difflib.get_close_matches`)::

    invalid configuration (/etc/tailwatch/tailwatch.toml):
      line 12: generators[0] (claims-gan).sampel_size: unknown key; did you mean 'sample_size'?
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["format_errors", "key_notation", "known_keys", "toml_line"]

Loc = Sequence[str | int]
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _parts(dotted: str) -> list[str]:
    return [
        p.strip().strip("\"'")
        for p in re.split(r"\.(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)", dotted)
    ]


def key_notation(loc: Loc, data: Mapping[str, Any] | None = None) -> str:
    """``("generators", 0, "sample_size")`` -> ``generators[0] (name).sample_size``."""
    out: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            text = f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                text += f" ({node['name']})"
            if out:
                out[-1] += text
            else:
                out.append(text)
        else:
            out.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(out) or "(top level)"


def toml_line(loc: Loc, text: str) -> int | None:
    """The 1-based line of the key at ``loc`` in the TOML ``text``; the line of its table when
    the key is not written there (a missing key); None when neither is found."""
    wanted = [p for p in loc]
    arrays: dict[tuple[str, ...], int] = {}
    table: list[str | int] = []
    tables: dict[tuple[str | int, ...], int] = {(): 0}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names = _parts(header.group(2))
            if header.group(1) == "[[":
                arrays[tuple(names)] = arrays.get(tuple(names), 0) + 1
            table = []
            for i, name in enumerate(names):
                table.append(name)
                count = arrays.get(tuple(names[: i + 1]))
                if count:
                    table.append(count - 1)
            tables.setdefault(tuple(table), number)
            if table == wanted:  # the key is a table: its header
                return number
            continue
        key = _KEY.match(line)
        if key and [*table, *_parts(key.group(1))] == wanted:
            return number
    for end in range(len(wanted) - 1, 0, -1):
        found = tables.get(tuple(wanted[:end]))
        if found:
            return found
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return None
    for argument in typing.get_args(annotation):
        model = _model_in(argument)
        if model is not None:
            return model
    return None


def known_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the table at ``loc`` (a path of keys and indexes) accepts."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part)) if current is not None else None
        current = _model_in(field.annotation) if field is not None else None
        if current is None:
            return []
    return list(current.model_fields) if current is not None else []


def _message(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    if error["type"] != "extra_forbidden":
        return str(error["msg"]).removeprefix("Value error, ")
    loc = error["loc"]
    near = difflib.get_close_matches(str(loc[-1]), known_keys(model, loc[:-1]), n=1, cutoff=0.6)
    return "unknown key" + (f"; did you mean {near[0]!r}?" if near else "")


def format_errors(
    exc: ValidationError, model: type[BaseModel], text: str | None, data: Mapping[str, Any] | None
) -> str:
    """One line per error: ``  line N: key: message`` (``line N`` where the file has it)."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = [p for p in error["loc"] if isinstance(p, int) or not str(p).startswith("function-")]
        line = toml_line(loc, text) if text is not None else None
        where = f"line {line}: " if line is not None else ""
        lines.append(f"  {where}{key_notation(loc, data)}: {_message(error, model)}")
    return "\n".join(lines)
