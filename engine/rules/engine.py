"""The facade: :class:`RulesEngine` evaluates the packs of one snapshot on one backend."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from engine.config.snapshot import Snapshot

from .backend import CompiledPack, select_backend
from .builtin_backend import BuiltinBackend
from .errors import RulesError, StalePackError, UnknownPackError
from .model import Decision
from .packs import (
    COMPLETENESS,
    ROUTING,
    SECTOR_SUGGESTION,
    VISIBILITY,
    PackSpec,
    build_packs,
)

_STALE_RETRIES = 100


@dataclass(frozen=True)
class _Loaded:
    """Everything built from one snapshot; replaced as a whole by ``reload``."""

    snapshot: Snapshot
    specs: Mapping[str, PackSpec]
    compiled: Mapping[str, CompiledPack]
    #: The sector-suggestion pack indexed by keyword (:meth:`RulesEngine.suggest_sectors`).
    keywords: CompiledPack


class RulesEngine:
    """Routing, completeness, sector suggestion and visibility rules of one configuration.

    ``backend``: ``"auto"`` (durable-rules when it imports, else the built-in evaluator),
    ``"durable"`` or ``"builtin"``; both give the same decisions. Safe to use from many threads;
    ``reload`` builds the new packs completely, then swaps them in one assignment, so an
    evaluation sees either the old configuration or the new one, never a mixture.
    """

    def __init__(self, snapshot: Snapshot, backend: str = "auto") -> None:
        self._backend = select_backend(backend)
        self._reload_lock = threading.Lock()
        self._closed = False
        self._loaded = self._load(snapshot)
        self._last_completeness: tuple[_Loaded, tuple[Any, ...], tuple[Decision, ...]] | None = None

    # ------------------------------------------------------------------ state

    def _load(self, snapshot: Snapshot) -> _Loaded:
        specs = build_packs(snapshot)
        compiled: dict[str, CompiledPack] = {}
        try:
            for name, spec in specs.items():
                compiled[name] = self._backend.compile(spec.pack)
        except BaseException:
            for done in compiled.values():
                done.close()
            raise
        keywords = BuiltinBackend().compile(specs[SECTOR_SUGGESTION].pack)
        return _Loaded(snapshot, MappingProxyType(specs), MappingProxyType(compiled), keywords)

    @property
    def backend_name(self) -> str:
        """``"durable"`` or ``"builtin"``."""
        return self._backend.name

    @property
    def snapshot(self) -> Snapshot:
        return self._loaded.snapshot

    @property
    def packs(self) -> tuple[str, ...]:
        return tuple(self._loaded.specs)

    @property
    def versions(self) -> dict[str, str]:
        """Pack name → version (a hash of its rules)."""
        return {name: spec.pack.version for name, spec in self._loaded.specs.items()}

    def spec(self, pack: str) -> PackSpec:
        """The pack ``pack`` as currently loaded (rules, preparer)."""
        specs = self._loaded.specs
        if pack not in specs:
            raise UnknownPackError(pack, tuple(specs))
        return specs[pack]

    def compiled(self, pack: str) -> CompiledPack:
        """The backend's compiled form of ``pack`` as currently loaded (diagnostics, benchmarks)."""
        self.spec(pack)
        return self._loaded.compiled[pack]

    def reload(self, snapshot: Snapshot) -> None:
        """Switch to ``snapshot``: build every pack, swap atomically, release the old ones."""
        with self._reload_lock:
            if self._closed:
                raise RulesError("the rules engine is closed")
            fresh = self._load(snapshot)
            old, self._loaded = self._loaded, fresh
        for compiled in old.compiled.values():
            compiled.close()

    def close(self) -> None:
        """Release the backend's resources (durable-rules rulesets). Idempotent."""
        with self._reload_lock:
            self._closed = True
            for compiled in self._loaded.compiled.values():
                compiled.close()

    def __enter__(self) -> RulesEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, pack: str, fact: Mapping[str, Any]) -> list[Decision]:
        """The decisions of ``pack`` for ``fact``: priority descending, then specificity
        descending, then rule id. Raises :class:`UnknownPackError` for an unknown pack."""
        if self._closed:
            raise RulesError("the rules engine is closed")
        for _ in range(_STALE_RETRIES):
            loaded = self._loaded
            spec = loaded.specs.get(pack)
            if spec is None:
                raise UnknownPackError(pack, tuple(loaded.specs))
            prepared = spec.prepare(fact)
            projected = spec.pack.project(prepared)
            try:
                fired = loaded.compiled[pack].fire(projected)
            except StalePackError:
                if self._closed:
                    raise RulesError("the rules engine is closed") from None
                continue  # a reload released this pack after we read it: use the new one
            decisions = spec.pack.decisions(fired, projected)
            if spec.finish is not None:
                decisions = spec.finish(prepared, decisions)
            return decisions
        raise RulesError(f"pack {pack} kept being replaced during evaluation")

    def route(
        self,
        sector: str,
        area: str | None = None,
        *,
        area_kind: str | None = None,
        on: date | str | None = None,
    ) -> Decision | None:
        """The route to take for a report of ``sector`` in ``area`` (on ``on``), or ``None``.

        ``decision.value["agency"]`` is the agency code, ``decision.rule`` the route id.
        """
        fact = {"sector": sector, "area": area, "area_kind": area_kind, "on": on}
        decisions = self.evaluate(ROUTING, fact)
        return decisions[0] if decisions else None

    def check_completeness(self, fact: Mapping[str, Any]) -> list[Decision]:
        """What is missing or invalid in a report (Đ5.1–5.3); empty when it is complete.

        The last answer is remembered with the configuration it came from: a report is asked
        about twice in a row — by the API, to name every problem at once, then by the use case
        that stores it — and the second asks the same rules about the same fact.
        """
        loaded, asked = self._loaded, tuple(sorted(fact.items()))
        last = self._last_completeness
        if last is not None and last[0] is loaded and last[1] == asked:
            return list(last[2])
        decisions = self.evaluate(COMPLETENESS, fact)
        self._last_completeness = (loaded, asked, tuple(decisions))
        return decisions

    def suggest_sectors(self, text: str, *, on: date | str | None = None) -> list[Decision]:
        """Sectors whose keywords occur in ``text``, best score first.

        Every report that comes in is asked about, and the pack is one rule for each keyword of
        each sector, each a membership test of the text's terms: the rules are found by the
        terms in the keyword index built when the configuration was loaded (the built-in
        evaluator's, which decides as every backend does), not tried one by one.
        """
        if self._closed:
            raise RulesError("the rules engine is closed")
        loaded = self._loaded
        spec = loaded.specs[SECTOR_SUGGESTION]
        prepared = spec.prepare({"text": text, "on": on})
        projected = spec.pack.project(prepared)
        decisions = spec.pack.decisions(loaded.keywords.fire(projected), projected)
        assert spec.finish is not None
        return spec.finish(prepared, decisions)

    def visibility(self, confidential: bool = False, state_secret: bool = False) -> Decision:
        """What of a report may be shown (Đ5.4, Đ10.2–10.3)."""
        fact = {"confidential": confidential, "state_secret": state_secret}
        decisions = self.evaluate(VISIBILITY, fact)
        if len(decisions) != 1:
            raise RulesError(f"visibility rules gave {len(decisions)} decisions, expected 1")
        return decisions[0]
