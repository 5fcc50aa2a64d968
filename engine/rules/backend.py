"""What a backend is, and which backends this interpreter can run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from . import builtin_backend, durable_backend
from .errors import BackendUnavailableError
from .model import RulePack

BACKENDS = ("durable", "builtin")


class CompiledPack(Protocol):
    """A pack compiled by a backend."""

    pack: RulePack

    def fire(self, fact: Mapping[str, Any]) -> frozenset[str]:
        """The ids of the rules whose tests hold for the (projected) ``fact``."""

    def close(self) -> None:
        """Release what the backend holds; ``fire`` may raise ``StalePackError`` afterwards."""


class Backend(Protocol):
    name: str

    def compile(self, pack: RulePack) -> CompiledPack: ...


def available_backends() -> dict[str, str]:
    """Backend name → description, for the backends usable here (durable first if present)."""
    out = {}
    if durable_backend.available():
        out["durable"] = f"durable-rules {durable_backend.version()}"
    out["builtin"] = "builtin"
    return out


def select_backend(name: str = "auto") -> Backend:
    """``"auto"`` (durable-rules if it imports, else built-in), ``"durable"`` or ``"builtin"``."""
    if name == "auto":
        name = "durable" if durable_backend.available() else "builtin"
    if name == "builtin":
        return builtin_backend.BuiltinBackend()
    if name == "durable":
        if not durable_backend.available():
            raise BackendUnavailableError(
                f"durable-rules cannot be used here: {durable_backend.unavailable_reason()}"
            )
        return durable_backend.DurableBackend()
    raise ValueError(f"unknown rules backend {name!r}; use 'auto', {', '.join(BACKENDS)}")
