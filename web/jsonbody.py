"""JSON bodies are parsed only when they nest no deeper than :data:`MAX_DEPTH`.

Python's parser recurses once per level of ``[`` or ``{``: a body of a few thousand brackets ends
in ``RecursionError``, which is no ``ValueError`` and so escapes ``get_json(silent=True)`` as a
500. The depth is therefore measured before the parser sees the text, in one pass over the
characters that matter (quotes, escapes, brackets), and a body that nests too deeply is refused
as such (:class:`TooDeep`, answered in ``web.errors``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Request

#: Deeper than any body the service takes (a report's ``extra`` answers nest two or three levels).
MAX_DEPTH = 32

_STRUCTURE = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)
_OPENERS = (ord("["), ord("{"))
_BACKSLASH = ord("\\")
_CHUNK = 64 * 1024


class TooDeep(Exception):
    """A JSON text nesting arrays and objects deeper than :data:`MAX_DEPTH`."""

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        super().__init__(f"The JSON text nests deeper than {limit} levels.")
        self.limit = limit


def too_deep(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects (outside strings) deeper than ``limit``.

    Fewer openers than ``limit`` cannot nest deeper, so most bodies are answered by counting. The
    rest is read in chunks, so that a body of nothing but brackets is refused after its first.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth, in_string, start = 0, False, 0
    while start < len(data):
        end = _chunk_end(data, start)
        for token in _STRUCTURE.findall(data, start, end):
            if token == b'"':
                in_string = not in_string
            elif in_string or len(token) == 2:  # a bracket inside a string, or an escape
                continue
            elif token[0] in _OPENERS:
                depth += 1
                if depth > limit:
                    return True
            else:
                depth -= 1
        start = end
    return False


def _chunk_end(data: bytes, start: int) -> int:
    """Where a chunk from ``start`` may end: after a byte that is not a backslash, so that no
    escape (a backslash and the byte after it) is cut in two."""
    end = min(len(data), start + _CHUNK)
    while end < len(data) and data[end - 1] == _BACKSLASH:
        end += 1
    return end


class BoundedRequest(Request):
    """Flask's request, whose JSON body is refused (:class:`TooDeep`) before it can nest too deeply."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if (force or self.is_json) and too_deep(self.get_data(cache=True)):
            raise TooDeep()
        return super().get_json(force=force, silent=silent, cache=cache)
