"""Configuration errors: every one names the file, the line and the path, in Vietnamese and English."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ConfigError:
    file: str
    line: int
    path: str
    message_vi: str
    message_en: str

    def format(self, lang: str = "vi") -> str:
        """``FILE:LINE: PATH: message`` — the form operators, editors and CI all read."""
        if lang == "en":
            return f"{self.file}:{self.line}: {self.path or '(root)'}: {self.message_en}"
        return f"{self.file}:{self.line}: {self.path or '(gốc)'}: {self.message_vi}"

    def __str__(self) -> str:
        return self.format("en")


class ConfigInvalid(Exception):
    """A configuration directory that does not validate; carries every error found, not the first."""

    def __init__(self, errors: Sequence[ConfigError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file, e.line, e.path, e.message_en))
        count = len(self.errors)
        first = self.errors[0].format("en") if self.errors else ""
        super().__init__(f"The configuration has {count} error(s); the first: {first}")


def format_path(path: Sequence[str | int]) -> str:
    """``("sectors", 3, "code")`` → ``sectors[3].code``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
