"""Errors of the use cases: each a sentence in Vietnamese and English, each mapping to one status.

The web and API faces map these to HTTP in one place (problem details, RFC 9457); the CLI prints
them as one line. Raising any of them rolls the unit of work back: nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

#: How many problems one answer lists; the rest are only counted, so that a request naming
#: thousands of wrong fields gets an answer about its own size, not twenty times larger.
LISTED_MAX = 50


def listed(items: Sequence[T]) -> tuple[Sequence[T], int]:
    """The first :data:`LISTED_MAX` of ``items``, and how many are left out."""
    return items[:LISTED_MAX], max(0, len(items) - LISTED_MAX)


def joined(texts: Sequence[str], lang: str, separator: str = " ") -> str:
    """The first :data:`LISTED_MAX` texts joined, then how many more there are, in ``lang``."""
    shown, rest = listed(texts)
    text = separator.join(shown)
    if rest:
        text += f" (và {rest} mục khác)" if lang == "vi" else f" (and {rest} more)"
    return text


class DomainError(Exception):
    """Base of every refusal a use case can give. ``status`` is the HTTP status it maps to."""

    status = 400
    code = "invalid"

    def __init__(self, message_vi: str, message_en: str, field: str | None = None) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.field = field

    def field_errors(self) -> list[tuple[str, str, str]]:
        """``(field, message_vi, message_en)`` of each field the refusal names (none: ``[]``)."""
        return [(self.field, self.message_vi, self.message_en)] if self.field else []


class NotFound(DomainError):
    status, code = 404, "not_found"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class WrongState(DomainError):
    status, code = 422, "wrong_state"


class InvalidInput(DomainError):
    status, code = 422, "invalid_input"


class Conflict(DomainError):
    """The report changed since the caller read it (a stale version): refused, never merged."""

    status, code = 409, "conflict"
