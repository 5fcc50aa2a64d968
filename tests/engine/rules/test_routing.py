"""Routing (Đ7, Phụ lục 1): a sector and an area to the agency that handles them (R10)."""

from __future__ import annotations

import pytest

from engine.rules import ROUTING, RulesEngine


def agency(rules: RulesEngine, sector: str, area: str | None = None, **kw: object) -> str | None:
    decision = rules.route(sector, area, **kw)  # type: ignore[arg-type]
    return None if decision is None else decision.value["agency"]


def test_a_fixed_route_names_its_agency_and_its_rule(rules: RulesEngine) -> None:
    decision = rules.route("dien-luc", "29641")
    assert decision is not None
    assert decision.pack == ROUTING and decision.kind == "route"
    assert decision.rule == "dien-luc"
    assert decision.value["route"] == "dien-luc"
    assert decision.value["agency"] == "EVN-VL"
    assert decision.value["area"] == "29641"
    assert decision.value["area_committee"] is False


def test_an_area_committee_route_resolves_the_committee_of_the_area(rules: RulesEngine) -> None:
    decision = rules.route("moi-truong", "29641")
    assert decision is not None
    assert decision.rule == "moi-truong"
    assert decision.value["agency"] == "UBND-29641"
    assert decision.value["area_committee"] is True
    assert decision.value["area"] == "29641"


def test_a_narrowed_higher_priority_route_wins(rules: RulesEngine) -> None:
    decision = rules.route("moi-truong", "29642")  # a phường
    assert decision is not None
    assert (decision.rule, decision.value["agency"]) == ("moi-truong-phuong", "STNMT")
    every = rules.evaluate(ROUTING, {"sector": "moi-truong", "area": "29642"})
    assert [d.rule for d in every] == ["moi-truong-phuong", "moi-truong", "moi-truong-so"]
    assert every[1].value["agency"] == "UBND-29642"


def test_the_area_kind_given_by_the_caller_is_used(rules: RulesEngine) -> None:
    assert agency(rules, "moi-truong", "29642", area_kind="xa") == "UBND-29642"


def test_an_area_without_committee_falls_to_the_next_route(rules: RulesEngine) -> None:
    decision = rules.route("moi-truong", "29643")
    assert decision is not None and decision.rule == "moi-truong-so"
    assert decision.value["agency"] == "STNMT"


def test_at_equal_priority_the_more_specific_route_wins(rules: RulesEngine) -> None:
    assert rules.route("giao-thong", "29641").rule == "giao-thong-cai-nhum"  # type: ignore[union-attr]
    assert agency(rules, "giao-thong", "29641") == "UBND-29641"
    assert agency(rules, "giao-thong", "29642") == "SXD"
    assert agency(rules, "giao-thong") == "SXD"


def test_no_route_gives_none(rules: RulesEngine) -> None:
    assert rules.route("khong-co") is None
    assert rules.route("") is None
    assert rules.evaluate(ROUTING, {}) == []


def test_ties_are_broken_by_rule_id(rules: RulesEngine) -> None:
    # Without a date both thong-tin routes match at the same priority and specificity.
    assert [d.rule for d in rules.evaluate(ROUTING, {"sector": "thong-tin"})] == [
        "thong-tin",
        "thong-tin-cu",
    ]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("2024-12-31", "STTTT"),
        ("2025-02-28", "STTTT"),
        ("2025-03-01", "SKHCN"),
        ("2026-01-01", "SKHCN"),
    ],
)
def test_routes_follow_the_effective_dates_of_agencies(
    rules: RulesEngine, on: str, expected: str
) -> None:
    assert agency(rules, "thong-tin", on=on) == expected


def test_routes_follow_the_effective_dates_of_sectors(rules: RulesEngine) -> None:
    assert agency(rules, "do-thi", on="2025-06-30") == "UBND-TPVL"
    assert rules.route("do-thi", on="2025-07-01") is None
    assert rules.route("thong-tin", on="2019-01-01") is None  # before the sector existed


def test_a_committee_counts_only_while_it_is_in_effect(rules: RulesEngine) -> None:
    assert agency(rules, "moi-truong", "29642", area_kind="xa", on="2025-06-30") == "STNMT"
    assert agency(rules, "moi-truong", "29642", area_kind="xa", on="2025-07-01") == "UBND-29642"


def test_dates_may_be_dates(rules: RulesEngine) -> None:
    from datetime import date

    assert agency(rules, "thong-tin", on=date(2025, 3, 1)) == "SKHCN"
