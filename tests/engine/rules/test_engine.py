"""The facade: backend choice, unknown packs, reload under concurrent use (R29: config changes)."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from engine.config.snapshot import Agency, Route
from engine.rules import (
    ROUTING,
    BackendUnavailableError,
    RulesEngine,
    RulesError,
    UnknownPackError,
    available_backends,
    durable_backend,
)

from .conftest import DURABLE_SKIP
from .sample import AGENCIES, ROUTES, make_snapshot


def test_backend_name(rules: RulesEngine, backend: str) -> None:
    assert rules.backend_name == backend


def test_auto_prefers_durable_when_it_imports(snapshot) -> None:
    with RulesEngine(snapshot) as rules:
        expected = "durable" if durable_backend.available() else "builtin"
        assert rules.backend_name == expected


def test_without_durable_auto_falls_back_and_durable_is_refused(
    snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(durable_backend, "_engine", None)
    monkeypatch.setattr(durable_backend, "_IMPORT_ERROR", "ImportError: simulated")
    assert list(available_backends()) == ["builtin"]
    with RulesEngine(snapshot, backend="auto") as rules:
        assert rules.backend_name == "builtin"
        assert rules.route("dien-luc").value["agency"] == "EVN-VL"  # type: ignore[union-attr]
    with pytest.raises(BackendUnavailableError, match="simulated"):
        RulesEngine(snapshot, backend="durable")


def test_an_unknown_backend_is_refused(snapshot) -> None:
    with pytest.raises(ValueError, match="unknown rules backend"):
        RulesEngine(snapshot, backend="drools")


def test_an_unknown_pack_is_a_clear_error(rules: RulesEngine) -> None:
    with pytest.raises(UnknownPackError) as info:
        rules.evaluate("routng", {"sector": "dien-luc"})
    message = str(info.value)
    assert "routng" in message and "routing" in message and "completeness" in message
    assert isinstance(info.value, KeyError)


def test_packs_and_versions(rules: RulesEngine) -> None:
    assert rules.packs == ("routing", "completeness", "sector_suggestion", "visibility")
    assert set(rules.versions) == set(rules.packs)
    assert all(len(v) == 12 for v in rules.versions.values())


# ------------------------------------------------------------------ reload

SNAPSHOT_A = make_snapshot(source="A")
SNAPSHOT_B = make_snapshot(
    agencies=(*AGENCIES, Agency("SGTVT", "Sở Giao thông vận tải", "so")),
    routes=tuple(
        dataclasses.replace(r, agency="SGTVT")
        if r.id == "giao-thong"
        else dataclasses.replace(r, priority=20)
        if r.id == "moi-truong-so"
        else r
        for r in ROUTES
    )
    + (Route("giao-thong-moi", "giao-thong", agency="SGTVT", priority=-1),),
    source="B",
)


FACTS = ({"sector": "giao-thong", "area": "29642"}, {"sector": "moi-truong", "area": "29641"})
Answer = tuple[tuple[str, str], ...]


def answer(rules: RulesEngine, fact: dict[str, str]) -> Answer:
    return tuple((d.rule, d.value["agency"]) for d in rules.evaluate(ROUTING, fact))


def routing_answer(rules: RulesEngine) -> tuple[Answer, ...]:
    return tuple(answer(rules, fact) for fact in FACTS)


def answer_for(snapshot, backend: str) -> tuple[Answer, ...]:
    with RulesEngine(snapshot, backend=backend) as rules:
        return routing_answer(rules)


def test_reload_switches_to_the_new_configuration(backend: str) -> None:
    with RulesEngine(SNAPSHOT_A, backend=backend) as rules:
        before = routing_answer(rules)
        old_versions = rules.versions
        rules.reload(SNAPSHOT_B)
        assert rules.snapshot.source == "B"
        assert routing_answer(rules) != before
        assert rules.route("giao-thong").value["agency"] == "SGTVT"  # type: ignore[union-attr]
        assert rules.versions[ROUTING] != old_versions[ROUTING]
        assert rules.versions["visibility"] == old_versions["visibility"]


@DURABLE_SKIP
def test_reload_drops_the_old_durable_rulesets() -> None:
    with RulesEngine(SNAPSHOT_A, backend="durable") as rules:
        old = [rules.compiled(p) for p in rules.packs]
        names = {c.ruleset_name for c in old}  # type: ignore[attr-defined]
        rules.reload(SNAPSHOT_A)  # same content: still new rulesets, with new names
        assert all(c.closed for c in old)  # type: ignore[attr-defined]
        new_names = {rules.compiled(p).ruleset_name for p in rules.packs}  # type: ignore[attr-defined]
        assert not names & new_names
        assert rules.route("dien-luc") is not None


def test_a_failed_reload_keeps_the_old_configuration(backend: str) -> None:
    broken = make_snapshot(routes=(Route("x", "dien-luc"),))  # neither agency nor committee
    with RulesEngine(SNAPSHOT_A, backend=backend) as rules:
        before = routing_answer(rules)
        with pytest.raises(ValueError, match="route x"):
            rules.reload(broken)
        assert routing_answer(rules) == before


def test_close_is_final(backend: str) -> None:
    rules = RulesEngine(SNAPSHOT_A, backend=backend)
    rules.close()
    rules.close()
    with pytest.raises(RulesError):
        rules.reload(SNAPSHOT_B)
    with pytest.raises(RulesError, match="closed"):
        rules.route("dien-luc")


def test_concurrent_evaluations_during_reloads_see_old_or_new(backend: str) -> None:
    """Each evaluation answers wholly from the old or wholly from the new configuration."""
    a, b = answer_for(SNAPSHOT_A, backend), answer_for(SNAPSHOT_B, backend)
    assert all(x != y for x, y in zip(a, b, strict=True))
    rules = RulesEngine(SNAPSHOT_A, backend=backend)
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[set[Answer]] = [set() for _ in FACTS]
    count = [0]

    def evaluate(worker: int) -> None:
        try:
            i = worker
            while not stop.is_set():
                k = i % len(FACTS)
                seen[k].add(answer(rules, FACTS[k]))
                count[0] += 1
                i += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            stop.set()

    def reload() -> None:
        try:
            for i in range(60):
                rules.reload(SNAPSHOT_B if i % 2 == 0 else SNAPSHOT_A)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()

    workers = [threading.Thread(target=evaluate, args=(w,)) for w in range(4)]
    reloader = threading.Thread(target=reload)
    for t in workers:
        t.start()
    reloader.start()
    reloader.join(60)
    for t in workers:
        t.join(60)
    rules.close()
    assert not errors, errors
    for k in range(len(FACTS)):
        assert seen[k] <= {a[k], b[k]}, seen[k] - {a[k], b[k]}
    assert count[0] > 0
