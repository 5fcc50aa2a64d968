"""Errors of the use cases: each a sentence in Vietnamese and English, each mapping to one status.

The web and API faces map these to HTTP in one place (problem details, RFC 9457); the CLI prints
them as one line. Raising any of them rolls the unit of work back: nothing is written.
"""

from __future__ import annotations


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
