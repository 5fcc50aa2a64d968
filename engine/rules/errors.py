"""Errors raised by :mod:`engine.rules`."""

from __future__ import annotations


class RulesError(Exception):
    """Base class of every error raised by the rules engine."""


class UnknownPackError(RulesError, KeyError):
    """``evaluate`` was asked for a pack that does not exist."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"unknown rule pack {name!r}; the packs are: {', '.join(known)}")

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0])


class BackendUnavailableError(RulesError):
    """The requested backend cannot be used in this interpreter (e.g. durable-rules missing)."""


class RuleActionError(RulesError):
    """An action failed while a backend evaluated a fact (durable-rules swallows these)."""


class FactError(RulesError, ValueError):
    """A fact does not fit the pack: a field of the wrong type, an unreadable date, ..."""


class StalePackError(RulesError):
    """A compiled pack was closed (by a reload) before it could evaluate; retry on the new one."""
