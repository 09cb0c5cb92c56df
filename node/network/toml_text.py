"""TOML text: writing the files `network init` writes, and finding the line where a key is
written in a spec a person wrote (`KeyLines`: TOML's parser gives positions for syntax errors
only, and a message about a key should still point at its line).

`document` writes node.toml and network.toml laid out the way docs/node.md shows them: top-level
values first, then each table as ``[name]`` and each array of tables as ``[[name]]`` blocks, in
the order given; arrays on one line. It writes only what those files hold: bare keys, text,
integers, booleans and arrays of them.
Text is a basic string with ``"``, ``\\`` and the control characters (U+0000..U+001F but tab,
and U+007F, which TOML forbids raw) written as ``\\uXXXX``: `tomllib` reads back exactly the
value written (the tests check it on hostile text).
"""

from __future__ import annotations

import re
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
KeyPath = tuple[str | int, ...]  # ("channels", 1, "orgs", 0) is channels[1].orgs[0]


def document(values: dict[str, Any]) -> str:
    """`values` as a TOML document: a dict value is a table, a non-empty list of dicts an array
    of tables, anything else a value (written before every table, as TOML requires)."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in values.items() if not _is_table(v) and not _is_tables(v)]
    for key, value in values.items():
        for table in [value] if _is_table(value) else value if _is_tables(value) else []:
            lines.append("")
            lines.append(f"[[{_key(key)}]]" if _is_tables(value) else f"[{_key(key)}]")
            lines.extend(f"{_key(k)} = {_value(v)}" for k, v in table.items())
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(t, dict) for t in value)


def _key(key: str) -> str:
    if not _BARE_KEY.match(key):
        raise ValueError(f"not a bare TOML key: {key!r}")
    return key


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + "".join(_char(c) for c in value) + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML here")


def _char(c: str) -> str:
    code = ord(c)
    if c in '"\\' or (code < 0x20 and c != "\t") or code == 0x7F:
        return f"\\u{code:04x}"
    if 0xD800 <= code <= 0xDFFF:
        raise ValueError("text holding a lone surrogate cannot be written as TOML")
    return c


class KeyLines:
    """Where a key path is in the spec's text, when that is certain: the n-th ``[[orgs]]`` header
    (only when the file has exactly one header per table, so the count is right), then the one
    line of that table that sets the key. None otherwise."""

    _HEADER = re.compile(r"\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]\s*(#.*)?\Z")
    _TABLE = re.compile(r"\s*\[")

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")  # TOML ends lines at LF only (CRLF leaves a CR, which \s takes)

    def find(self, path: KeyPath, data: dict[str, Any]) -> int | None:
        """The line (1-based) where `path` is written in the text that parsed to `data`, or None."""
        if not path:
            return None
        top = str(path[0])
        if len(path) == 1 or not isinstance(path[1], int):
            return self._key(0, self._first_table(), top)
        headers = [i for i, line in enumerate(self.lines) if (m := self._HEADER.match(line)) and m[1] == top]
        if not isinstance(data.get(top), list) or len(headers) != len(data[top]):
            return None
        start = headers[path[1]]
        if len(path) == 2:
            return start + 1
        return self._key(start + 1, self._next_table(start + 1), str(path[2]))

    def _first_table(self) -> int:
        return self._next_table(0)

    def _next_table(self, start: int) -> int:
        for i in range(start, len(self.lines)):
            if self._TABLE.match(self.lines[i]):
                return i
        return len(self.lines)

    def _key(self, start: int, end: int, key: str) -> int | None:
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        hits = [i for i in range(start, end) if pattern.match(self.lines[i])]
        if not hits and start > 0:
            return start  # the key is missing from the table: its header, the line before `start`
        return hits[0] + 1 if len(hits) == 1 else None
