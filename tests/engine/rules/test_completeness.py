"""Completeness of a report (Đ5.1–5.3, R6–R7, checked at intake per Đ6/R9)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.rules import COMPLETENESS, RulesEngine

from .test_facts import INVALID_PHONES, VALID_LANDLINES, VALID_MOBILES

COMPLETE: dict[str, Any] = {
    "name": "Nguyễn Văn A",
    "phone": "0912 345 678",
    "content": "Rác thải đổ trộm ven đường.",
    "area": "29641",
}


def findings(rules: RulesEngine, **changes: Any) -> list[tuple[str, str, str]]:
    fact = {**COMPLETE, **changes}
    return [(d.rule, d.kind, d.value["field"]) for d in rules.check_completeness(fact)]


def test_a_complete_report_gives_no_decision(rules: RulesEngine) -> None:
    assert rules.check_completeness(COMPLETE) == []
    assert findings(rules, email="nguyenvana@gmail.com") == []


def test_an_empty_report_lists_everything_in_form_order(rules: RulesEngine) -> None:
    decisions = rules.check_completeness({})
    assert [(d.rule, d.kind) for d in decisions] == [
        ("name-missing", "missing"),
        ("phone-missing", "missing"),
        ("content-missing", "missing"),
        ("place-missing", "missing"),
    ]
    for d in decisions:
        assert d.pack == COMPLETENESS
        assert d.value["message_vi"] and d.value["message_en"]
        assert d.value["article"].startswith("Đ5.")


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_name_and_content_are_missing(rules: RulesEngine, blank: Any) -> None:
    assert findings(rules, name=blank) == [("name-missing", "missing", "name")]
    assert findings(rules, content=blank) == [("content-missing", "missing", "content")]
    assert findings(rules, phone=blank) == [("phone-missing", "missing", "phone")]


@pytest.mark.parametrize("phone", VALID_MOBILES + VALID_LANDLINES)
def test_valid_phone_numbers_pass(rules: RulesEngine, phone: str) -> None:
    assert findings(rules, phone=phone) == []


@pytest.mark.parametrize("phone", [p for p in INVALID_PHONES if p.strip()])
def test_invalid_phone_numbers_are_reported(rules: RulesEngine, phone: str) -> None:
    assert findings(rules, phone=phone) == [("phone-invalid", "invalid", "phone")]


def test_email_is_optional_but_checked_when_given(rules: RulesEngine) -> None:
    assert findings(rules, email="  ") == []
    assert findings(rules, email="dttm@vinhlong.gov.vn") == []
    assert findings(rules, email="dttm@vinhlong") == [("email-invalid", "invalid", "email")]


@pytest.mark.parametrize(
    "place",
    [
        {"area": "29641"},
        {"address": "Số 1, đường 30/4"},
        {"lat": 10.25, "lon": 105.97},
        {"lat": "10.25", "lon": "105.97"},
        {"lat": 0, "lon": 0},
    ],
)
def test_any_kind_of_place_is_enough(rules: RulesEngine, place: dict[str, Any]) -> None:
    fact = {k: v for k, v in COMPLETE.items() if k != "area"} | place
    assert rules.check_completeness(fact) == []


@pytest.mark.parametrize(
    "place",
    [{}, {"lat": 10.25}, {"lon": 105.97}, {"lat": 91, "lon": 105}, {"lat": "x", "lon": "y"}],
)
def test_a_missing_or_unusable_place_is_reported(rules: RulesEngine, place: dict[str, Any]) -> None:
    fact = {k: v for k, v in COMPLETE.items() if k != "area"} | place
    assert [d.rule for d in rules.check_completeness(fact)] == ["place-missing"]


def test_a_report_asked_about_twice_in_a_row_is_checked_once(
    rules: RulesEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: intake asks the API's question and the use case's about the same report; the
    rules fire once, and a changed report or a reloaded configuration is asked again."""
    fired: list[str] = []
    evaluate = rules.evaluate

    def counted(pack: str, fact: Any) -> Any:
        fired.append(pack)
        return evaluate(pack, fact)

    monkeypatch.setattr(rules, "evaluate", counted)
    first = findings(rules, phone="12")
    assert findings(rules, phone="12") == first == [("phone-invalid", "invalid", "phone")]
    assert fired == [COMPLETENESS]
    assert findings(rules) == [] and len(fired) == 2
    rules.reload(rules.snapshot)
    assert findings(rules) == [] and len(fired) == 3
