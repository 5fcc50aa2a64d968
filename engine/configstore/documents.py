"""Change one entry of a configuration file and leave every other byte of it as it was.

The administration edits the configuration entity by entity (a sector, an agency, a route, a
year of the calendar), but the files stay the source of truth and people keep reading them: the
comments say which 2025 merger each agency line assumes, and a diff of a version should show the
one entry that changed, not a file re-wrapped by a YAML emitter. So an edit here replaces only
the lines of the entry it touches:

* the file is parsed with ruamel.yaml's round-trip loader, which knows the line of every node;
* the lines of the entry (a list item, or the block of a top-level key) are cut out — without
  the comment and blank lines that end it, which belong to what follows — and replaced by the
  entry dumped alone (an existing entry keeps its end-of-line comments, key order and flow style);
* the text is parsed again before the next edit, so lines are always those of the current text.

Nothing here validates: the caller hands the new files to :func:`engine.configstore.create`,
the one validation path of every change.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString, ScalarString

#: An entry written anew is never wrapped by the emitter (its wrapped flow lists would leave
#: trailing spaces and odd indents): :func:`_wrapped` wraps long lists of words at ``LINE``.
WIDTH = 4096
LINE = 100


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = WIDTH
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def plain(node: Any) -> Any:
    """A round-trip node as plain ``dict`` / ``list`` / scalars (dates stay ``date``)."""
    if isinstance(node, Mapping):
        return {k if isinstance(k, int | date) else str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None or isinstance(node, date):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _merge(node: Any, value: Any) -> Any:
    """``value`` written over ``node``, keeping the node's comments and key order where it can."""
    if isinstance(node, CommentedMap) and isinstance(value, Mapping):
        for key in [k for k in node if k not in value or value[k] is None]:
            del node[key]
        for key, item in value.items():
            if item is None:
                continue
            node[key] = _merge(node[key], item) if key in node else _fresh(item)
        return node
    if isinstance(node, CommentedSeq) and isinstance(value, list | tuple):
        if [plain(v) for v in node] == list(value):
            return node
        sibling = node[-1] if node else None
        merged = CommentedSeq(
            _merge(node[i], v) if i < len(node) else _like(sibling, _fresh(v))
            for i, v in enumerate(value)
        )
        if node.fa.flow_style():
            merged.fa.set_flow_style()
        return merged
    if isinstance(node, ScalarString) and isinstance(value, str):
        return type(node)(value)  # "07:00-11:00" keeps its quotes
    return _fresh(value)


def _like(sibling: Any, node: Any) -> Any:
    """A new list entry written in its siblings' style (``{…}`` when they are)."""
    flow = isinstance(sibling, CommentedMap) and sibling.fa.flow_style()
    if flow and isinstance(node, CommentedMap):
        node.fa.set_flow_style()
    return node


def _fresh(value: Any) -> Any:
    """A new node for ``value``: a mapping of plain values, with nested short maps in flow style."""
    if isinstance(value, Mapping):
        out = CommentedMap()
        for key, item in value.items():
            if item is not None:
                out[key] = _fresh(item)
        return out
    if isinstance(value, list | tuple):
        out_seq = CommentedSeq(_fresh(v) for v in value)
        if all(_scalar(v) for v in value):
            out_seq.fa.set_flow_style()
        for item in out_seq:
            if isinstance(item, CommentedMap) and all(_scalar(v) for v in item.values()):
                item.fa.set_flow_style()  # - {date: 2027-02-03, reason: …}
        return out_seq
    if isinstance(value, str) and value.isdigit():
        return DoubleQuotedScalarString(value)  # an area code stays text: "28756"
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        return LiteralScalarString(value)  # a sector's description stays a | block
    return value


def _scalar(value: Any) -> bool:
    return not isinstance(value, Mapping | list | tuple)


class YamlFile:
    """One configuration file, edited entry by entry (see the module's docstring)."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self._data: CommentedMap | None = None

    @property
    def data(self) -> CommentedMap:
        """The parsed text, with every node's line: parsed when first asked after a change
        (a large file such as ``areas.yaml`` takes a noticeable time to parse)."""
        if self._data is None:
            self._data = self._parse()
        return self._data

    def _parse(self) -> CommentedMap:
        data = _yaml().load(self.text)
        return data if isinstance(data, CommentedMap) else CommentedMap()

    # -- reading ----------------------------------------------------------------------------

    def items(self, key: str) -> list[dict[str, Any]]:
        """The entries of the top-level list ``key`` as plain dicts (empty when absent)."""
        seq = self.data.get(key)
        return [plain(item) for item in seq] if isinstance(seq, list) else []

    def get(self, key: str, default: Any = None) -> Any:
        """The top-level value ``key`` as plain data."""
        return plain(self.data[key]) if key in self.data else default

    def index(self, key: str, match: Callable[[Mapping[str, Any]], bool]) -> int | None:
        """The position of the first entry of list ``key`` that ``match`` accepts."""
        return next((i for i, item in enumerate(self.items(key)) if match(item)), None)

    # -- changing ---------------------------------------------------------------------------

    def replace_item(self, key: str, position: int, value: Mapping[str, Any]) -> None:
        """Entry ``position`` of list ``key`` becomes ``value`` (a ``None`` value drops a key)."""
        seq = self.data[key]
        _keep_end_of_line_comment_only(seq[position])
        node = _merge(seq[position], dict(value))
        start, end = self._item_span(key, position)
        self._splice(start, end, self._dump_item(node, self._dash_column(start)))

    def append_item(self, key: str, value: Mapping[str, Any]) -> None:
        """Add ``value`` at the end of list ``key`` (the list is made when absent)."""
        seq = self.data.get(key)
        if not isinstance(seq, list) or not seq:
            self.replace_key(key, [dict(value)])
            return
        node = _like(seq[-1], _fresh(dict(value)))
        start, end = self._item_span(key, len(seq) - 1)
        self._splice(end, end, self._dump_item(node, self._dash_column(start)))

    def remove_item(self, key: str, position: int) -> None:
        """Drop entry ``position`` of list ``key`` (with the comment lines just above it)."""
        start, end = self._item_span(key, position)
        lines = self.text.splitlines(keepends=True)
        while (
            start > 0
            and lines[start - 1].strip().startswith("#")
            and start - 1 > self._key_line(key)
        ):
            start -= 1
        self._splice(start, end, "")

    def replace_key(self, key: str, value: Any) -> None:
        """The top-level ``key`` becomes ``value`` (added at the end of the file when absent)."""
        if key in self.data:
            node = _merge(self.data[key], value)
            start, end = self._key_span(key)
        else:
            node = _fresh(value)
            start = end = len(self.text.splitlines())
            if self.text and not self.text.endswith("\n"):
                self.text += "\n"
        out = io.StringIO()
        _yaml().dump(CommentedMap([(key, node)]), out)
        self._splice(start, end, _wrapped(_without_trailing_comments(out.getvalue())))

    def replace_in(self, path: Sequence[str], value: Any) -> None:
        """The value at the mapping keys ``path`` (``("steps", "verify")``) becomes ``value``;
        only that entry's lines are rewritten (a top-level key: :meth:`replace_key`)."""
        if len(path) == 1:
            self.replace_key(path[0], value)
            return
        parent = self.data
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        if key not in parent:
            whole = self.get(path[0])
            place = whole
            for step in path[1:-1]:
                place = place[step]
            place[key] = value
            self.replace_key(path[0], whole)
            return
        start, column = parent.lc.key(key)
        alone = CommentedMap([(key, _merge(parent[key], value))])
        if key in parent.ca.items:
            alone.ca.items[key] = parent.ca.items[key]
            _keep_end_of_line_comment_only(alone)
        out = io.StringIO()
        _yaml().dump(alone, out)
        dumped = _without_trailing_comments(out.getvalue())
        lines = [" " * column + line if line.strip() else line for line in dumped.splitlines(True)]
        end = self._trim(start, self._end_of(path))
        self._splice(start, end, _wrapped("".join(lines)))

    # -- lines ------------------------------------------------------------------------------

    def _end_of(self, path: Sequence[str]) -> int:
        """The line after the block of the mapping key at ``path`` (comments and all)."""
        if len(path) == 1:
            return self._section_end(path[0])
        parent = self.data
        for key in path[:-1]:
            parent = parent[key]
        line = parent.lc.key(path[-1])[0]
        after = [parent.lc.key(k)[0] for k in parent if parent.lc.key(k)[0] > line]
        return min(after) if after else self._end_of(path[:-1])

    def _key_line(self, key: str) -> int:
        return self.data.lc.key(key)[0]

    def _top_lines(self) -> Iterator[int]:
        for key in self.data:
            yield self.data.lc.key(key)[0]

    def _section_end(self, key: str) -> int:
        after = [line for line in self._top_lines() if line > self._key_line(key)]
        return min(after) if after else len(self.text.splitlines())

    def _trim(self, start: int, end: int) -> int:
        lines = self.text.splitlines()
        while end > start + 1 and _comment_or_blank(lines[end - 1]):
            end -= 1
        return end

    def _item_span(self, key: str, position: int) -> tuple[int, int]:
        seq = self.data[key]
        start = seq.lc.item(position)[0]
        end = seq.lc.item(position + 1)[0] if position + 1 < len(seq) else self._section_end(key)
        return start, self._trim(start, end)

    def _key_span(self, key: str) -> tuple[int, int]:
        start = self._key_line(key)
        return start, self._trim(start, self._section_end(key))

    def _dash_column(self, line: int) -> int:
        text = self.text.splitlines()[line]
        return len(text) - len(text.lstrip(" "))

    def _dump_item(self, node: Any, column: int) -> str:
        out = io.StringIO()
        _yaml().dump(CommentedSeq([node]), out)
        dumped = _without_trailing_comments(out.getvalue())
        lines = dumped.splitlines(keepends=True)
        shift = column - (len(lines[0]) - len(lines[0].lstrip(" ")))
        if shift > 0:
            lines = [" " * shift + line if line.strip() else line for line in lines]
        elif shift < 0:
            lines = [line[-shift:] if line[:-shift].strip() == "" else line for line in lines]
        return _wrapped("".join(lines))

    def _splice(self, start: int, end: int, replacement: str) -> None:
        lines = self.text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        self.text = "".join(lines[:start]) + replacement + "".join(lines[end:])
        self._data = None


def _keep_end_of_line_comment_only(node: Any) -> None:
    """Detach from an entry the comment lines that follow it in the file.

    ruamel.yaml attaches the comment lines after an entry (those that introduce the next one) to
    the entry's last key, with that key's end-of-line comment. Were keys added after it (an
    agency's ``leader``), the entry would be written with those lines in its middle while they
    also stay in place after it. They belong to what follows: only the end-of-line comment stays.
    """
    while isinstance(node, CommentedMap | CommentedSeq) and len(node):
        last = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        slots = node.ca.items.get(last) or []
        for n, token in enumerate(slots):
            if token is None or isinstance(token, list) or "\n" not in token.value.rstrip("\n"):
                continue
            first = token.value.split("\n", 1)[0]
            if first.strip():
                token.value = first + "\n"
            else:
                slots[n] = None
        node = node[last]


_FLOW_LIST = re.compile(r"^(?P<head>\s*(?:- )?[\w-]+: \[)(?P<items>[^\[\]\"'#]*)\]$")


def _wrapped(dumped: str) -> str:
    """Long one-line lists of plain words wrapped as the files write them by hand::

    keywords: [internet, mạng internet, wifi, cáp quang,
               đứt cáp quang, sóng điện thoại]
    """
    out = []
    for line in dumped.splitlines(keepends=True):
        found = _FLOW_LIST.match(line.rstrip("\n"))
        if len(line.rstrip("\n")) <= LINE or found is None:
            out.append(line)
            continue
        head, items = found["head"], found["items"].split(", ")
        current = head
        for n, item in enumerate(items):
            piece = item + ("]" if n == len(items) - 1 else ",")
            if current != head and len(current) + 1 + len(piece) > LINE:
                out.append(current + "\n")
                current = " " * len(head) + piece
            else:
                current += ("" if current == head else " ") + piece
        out.append(current + "\n")
    return "".join(out)


def _without_trailing_comments(dumped: str) -> str:
    """A dumped entry without the comment lines ruamel attached after its last key.

    Those lines belong to the next entry in the file (they stay there, untouched).
    """
    lines = dumped.splitlines(keepends=True)
    while len(lines) > 1 and _comment_or_blank(lines[-1]):
        lines.pop()
    return "".join(lines)


class Documents:
    """The files of a configuration version, some of them being edited.

    ``files()`` gives the whole set again, the untouched files as they were, byte for byte.
    """

    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = dict(files)
        self._open: dict[str, YamlFile] = {}

    def __getitem__(self, name: str) -> YamlFile:
        if name not in self._open:
            self._open[name] = YamlFile(name, self._files.get(name, ""))
        return self._open[name]

    def __contains__(self, name: str) -> bool:
        return name in self._files or name in self._open

    def set_text(self, name: str, text: str) -> None:
        """Replace a whole file (a template)."""
        self._open.pop(name, None)
        self._files[name] = text

    def files(self) -> dict[str, str]:
        out = dict(self._files)
        for name, document in self._open.items():
            out[name] = document.text
        return out
