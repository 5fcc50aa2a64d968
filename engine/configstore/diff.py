"""A readable diff between two configurations' files: unified, file by file, names sorted."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class FileChange:
    """One file that differs: ``status`` is ``added``, ``removed`` or ``changed``; ``text`` is its
    unified diff (``--- a/NAME``, ``+++ b/NAME``, hunks with three lines of context)."""

    name: str
    status: str
    added: int
    removed: int
    text: str


def changes(old: Mapping[str, str], new: Mapping[str, str], context: int = 3) -> list[FileChange]:
    """The files that differ between ``old`` and ``new`` (``{relative name: text}``)."""
    found: list[FileChange] = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        status = ADDED if before is None else REMOVED if after is None else CHANGED
        lines = list(
            difflib.unified_diff(
                (before or "").splitlines(),
                (after or "").splitlines(),
                fromfile="/dev/null" if before is None else f"a/{name}",
                tofile="/dev/null" if after is None else f"b/{name}",
                n=context,
                lineterm="",
            )
        )
        body = lines[2:]
        found.append(
            FileChange(
                name=name,
                status=status,
                added=sum(1 for line in body if line.startswith("+")),
                removed=sum(1 for line in body if line.startswith("-")),
                text="\n".join(lines) + "\n" if lines else "",
            )
        )
    return found


def unified(old: Mapping[str, str], new: Mapping[str, str], context: int = 3) -> str:
    """Every file's unified diff, one after another; empty when the files are the same."""
    return "".join(change.text for change in changes(old, new, context))


def stat(found: list[FileChange]) -> list[str]:
    """One line per file, like ``git diff --stat``: ``sectors.yaml | +3 -1``."""
    width = max((len(c.name) for c in found), default=0)
    return [f"{c.name:<{width}} | +{c.added} -{c.removed} ({c.status})" for c in found]
