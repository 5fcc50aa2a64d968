"""Reading YAML while remembering where every value stands, so errors can name FILE:LINE.

Dates are kept as the strings the administrator typed (``2025-04-26``): the JSON Schema checks
their format, and mapping keys are always strings (``2025:`` under ``years`` is the key "2025").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: dates stay strings until the schema has run."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Source:
    """One YAML file's data and the line (1-based) of every path in it."""

    file: str
    data: Any
    lines: dict[Path_, int]

    def line_of(self, path: Sequence[str | int]) -> int:
        """The line of ``path``, or of its nearest ancestor that has one (1 for the root)."""
        parts = tuple(path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return 1


class YamlSyntaxError(Exception):
    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


def read_yaml(path: Path, display_name: str | None = None) -> Source:
    """Parse ``path`` into plain Python data plus a path → line index.

    Raises :class:`YamlSyntaxError` (with the line) when the text is not YAML.
    """
    name = display_name or str(path)
    text = path.read_text(encoding="utf-8")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(name, line, f"{exc.problem or exc}") from exc
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    data = _convert(loader, node, (), lines) if node is not None else None
    return Source(name, data, lines)


def _convert(loader: _Loader, node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node, deep=True))
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _convert(loader, value_node, path + (key,), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, item, path + (i,), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
