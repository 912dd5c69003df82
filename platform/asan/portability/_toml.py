"""Writing ``tenant.toml``: the small part of TOML a bundle uses.

The standard library reads TOML but does not write it, and a bundle needs
only strings, numbers, booleans, arrays and nested tables, so a few lines here
do instead of a new dependency. The exporter reads every text it writes back
with ``tomllib`` and compares, so a value this writer gets wrong stops the
export instead of landing in a bundle.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"


def _string(value: str) -> str:
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} has no place in a bundle")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item, where) for item in value) + "]"
    if isinstance(value, Mapping):
        pairs = (f"{_key(k)} = {_value(v, f'{where}.{k}')}" for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }" if value else "{}"
    raise ValueError(f"{where}: a {type(value).__name__} cannot be written as TOML")


def _table(path: list[str], table: Mapping[str, Any], out: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    # A table holding only tables gets no header of its own: theirs create it.
    if path and (scalars or not tables):
        out.append("")
        out.append("[" + ".".join(_key(part) for part in path) + "]")
    out.extend(f"{_key(k)} = {_value(v, '.'.join([*path, k]))}" for k, v in scalars.items())
    for key, value in tables.items():
        _table([*path, key], value, out)


def dump_toml(document: Mapping[str, Any], *, header: str = "") -> str:
    """``document`` as TOML, keys in the order given (the caller decides it)."""
    out = [f"# {line}" if line else "#" for line in header.splitlines()]
    _table([], document, out)
    return "\n".join(out) + "\n"
