"""What the durable-rules backend must get right beyond the shared semantics."""

from __future__ import annotations

import gc
import threading

import pytest

from engine.rules import (
    COMPLETENESS,
    ROUTING,
    Condition,
    Outcome,
    Rule,
    RuleActionError,
    RulePack,
    RulesEngine,
    RulesError,
    durable_backend,
)

from .conftest import DURABLE_SKIP

pytestmark = DURABLE_SKIP


@pytest.fixture
def durable(snapshot):
    rules = RulesEngine(snapshot, backend="durable")
    yield rules
    rules.close()


def compiled(rules: RulesEngine, pack: str) -> durable_backend.DurableCompiledPack:
    return rules.compiled(pack)  # type: ignore[return-value]


def test_states_are_deleted_and_evaluations_beyond_1024_work(durable: RulesEngine) -> None:
    routing = compiled(durable, ROUTING)
    completeness = compiled(durable, COMPLETENESS)
    for i in range(2500):
        # matching and non-matching facts alike (a complete report matches no rule)
        assert durable.route("dien-luc", "29641").value["agency"] == "EVN-VL"  # type: ignore[union-attr]
        assert durable.route("khong-co") is None
        report = {"name": "A", "phone": "0912345678", "content": "x", "area": str(i)}
        assert durable.check_completeness(report) == []
    assert routing.evaluations == 5000 and completeness.evaluations == 2500
    for sid in ("1", "1024", "1025", "2500", "4999", "5000"):
        assert not routing.state_exists(sid)
    assert not completeness.state_exists("2500")
    assert routing.left_states == ()


def test_action_errors_surface(durable: RulesEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    routing = compiled(durable, ROUTING)

    def boom(rule_id: str) -> None:
        raise ZeroDivisionError(f"boom in {rule_id}")

    monkeypatch.setattr(routing._sink, "record", boom)
    with pytest.raises(RuleActionError, match="boom in dien-luc"):
        durable.route("dien-luc")
    monkeypatch.undo()
    # The failed evaluation's state was still deleted, and the pack keeps working.
    assert not routing.state_exists(str(routing.evaluations))
    assert durable.route("dien-luc").value["agency"] == "EVN-VL"  # type: ignore[union-attr]


def test_unfinished_actions_leave_the_state_and_eventually_renew_the_ruleset(
    durable: RulesEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    routing = compiled(durable, ROUTING)
    monkeypatch.setattr(durable_backend, "MAX_LEFT_STATES", 3)
    first_name = routing.ruleset_name
    ruleset = routing._ruleset()
    monkeypatch.setattr(ruleset, "do_actions", lambda handle, complete: None)
    for n in (1, 2):
        with pytest.raises(RuleActionError, match="did not complete"):
            durable.route("dien-luc")
        assert len(routing.left_states) == n
    with pytest.raises(RuleActionError):
        durable.route("dien-luc")
    assert routing.left_states == ()  # the ruleset was rebuilt
    assert routing.ruleset_name != first_name
    assert durable.route("dien-luc").value["agency"] == "EVN-VL"  # type: ignore[union-attr]


def test_no_thread_is_started(snapshot) -> None:
    before = set(threading.enumerate())
    with RulesEngine(snapshot, backend="durable") as rules:
        for _ in range(50):
            rules.route("moi-truong", "29641")
        rules.reload(snapshot)
    assert set(threading.enumerate()) - before == set()


def test_a_forgotten_engine_frees_its_rulesets(snapshot) -> None:
    rules = RulesEngine(snapshot, backend="durable")
    rules.route("dien-luc")
    finalizers = [compiled(rules, p)._finalizer for p in rules.packs]
    assert all(f.alive for f in finalizers)
    del rules
    gc.collect()
    assert not any(f.alive for f in finalizers)


def test_too_many_fields_are_refused_before_durable_sees_them() -> None:
    with pytest.raises(ValueError, match="more than 200 fields"):
        RulePack("big", "1", {f"f{i}": "str" for i in range(201)}, ())


def test_the_compiled_expression_guards_against_the_state_document() -> None:
    expr = durable_backend.rule_expression((Condition("s", "ne", "a"),))
    assert expr == {
        "$and": [
            {"$nex": {"$s": 1}},
            {"$or": [{"$nex": {"s": 1}}, {"$neq": {"s": "a"}}]},
        ]
    }


def test_a_closed_pack_refuses_to_evaluate() -> None:
    pack = RulePack("p", "1", {"s": "str"}, (Rule("r", (), Outcome("k")),))
    done = durable_backend.DurableBackend().compile(pack)
    assert done.fire({"s": "x"}) == {"r"}
    done.close()
    done.close()
    with pytest.raises(RulesError, match="closed"):
        done.fire({"s": "x"})


def test_the_version_is_reported() -> None:
    assert durable_backend.version()


def test_durable_times_actions_on_the_monotonic_clock(durable: RulesEngine) -> None:
    import time
    import warnings

    assert durable_backend._engine._unix_now is time.monotonic  # type: ignore[union-attr]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        durable.route("moi-truong", "29641")
    assert [w for w in caught if issubclass(w.category, DeprecationWarning)] == []
