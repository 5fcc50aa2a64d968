"""The neutral rule model, and that both backends give each operator the same meaning."""

from __future__ import annotations

from typing import Any

import pytest

from engine.rules import (
    AnyOf,
    Condition,
    Decision,
    FactError,
    Outcome,
    Rule,
    RulePack,
    select_backend,
    sort_decisions,
)
from engine.rules.model import check_portable_regex

FIELDS = {"s": "str", "n": "int", "b": "bool", "tags": "strs"}


def pack_of(*rules: Rule) -> RulePack:
    return RulePack("test", "1", FIELDS, rules)


def rule(rule_id: str, *when: Any, priority: int = 0) -> Rule:
    return Rule(rule_id, when, Outcome("hit", {"id": rule_id}), priority)


OPERATOR_RULES = pack_of(
    rule("s-eq", Condition("s", "eq", "a")),
    rule("s-ne", Condition("s", "ne", "a")),
    rule("s-in", Condition("s", "in", ("a", "b"))),
    rule("s-present", Condition("s", "present")),
    rule("s-absent", Condition("s", "absent")),
    rule("s-matches", Condition("s", "matches", "[a-c]+x?")),
    rule("s-matches-alt", Condition("s", "matches", "(ab|c)*[.]")),
    rule("n-lt", Condition("n", "lt", 5)),
    rule("n-le", Condition("n", "le", 5)),
    rule("n-gt", Condition("n", "gt", 5)),
    rule("n-ge", Condition("n", "ge", 5)),
    rule("n-eq", Condition("n", "eq", 5)),
    rule("b-true", Condition("b", "eq", True)),
    rule("b-false", Condition("b", "eq", False)),
    rule("b-ne-true", Condition("b", "ne", True)),
    rule("tags-has-x", Condition("tags", "contains", "x")),
    rule("any", AnyOf((Condition("s", "absent"), Condition("n", "absent")))),
    rule("both-absent", Condition("s", "absent"), Condition("n", "absent")),
    rule("always"),
)

CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({}, {"s-ne", "s-absent", "any", "both-absent", "always", "b-ne-true"}),
    (
        {"s": "a", "n": 5, "b": True},
        {"s-eq", "s-in", "s-present", "s-matches", "n-le", "n-ge", "n-eq", "b-true", "always"},
    ),
    (
        {"s": "abcx", "n": 4, "b": False},
        {"s-ne", "s-present", "s-matches", "n-lt", "n-le", "b-false", "b-ne-true", "always"},
    ),
    (
        {"s": "ababc.", "n": 6, "tags": ["y", "x"]},
        {"s-ne", "s-present", "s-matches-alt", "n-gt", "n-ge", "tags-has-x", "b-ne-true"}
        | {"always"},
    ),
    ({"s": "xab", "tags": ["xx"]}, {"s-ne", "s-present", "any", "b-ne-true", "always"}),
    ({"n": 5}, {"s-ne", "s-absent", "n-le", "n-ge", "n-eq", "any", "b-ne-true", "always"}),
    (
        {"s": "", "n": None, "tags": []},
        {"s-ne", "s-absent", "any", "both-absent", "always"} | {"b-ne-true"},
    ),
]


@pytest.mark.parametrize(("fact", "expected"), CASES)
def test_each_operator_means_the_same_on_every_backend(
    backend: str, fact: dict[str, Any], expected: set[str]
) -> None:
    compiled = select_backend(backend).compile(OPERATOR_RULES)
    try:
        fired = compiled.fire(OPERATOR_RULES.project(fact))
    finally:
        compiled.close()
    assert fired == expected


def test_decisions_name_their_rule_and_are_sorted() -> None:
    pack = pack_of(rule("b", priority=1), rule("a", priority=1), rule("c", priority=5))
    decisions = pack.decisions(["b", "a", "c", "a"], {})
    assert [d.rule for d in decisions] == ["c", "a", "b"]
    assert decisions[0] == Decision("test", "c", "hit", {"id": "c"}, 5)
    assert decisions[0].as_dict()["value"] == {"id": "c"}


def test_sort_uses_specificity_between_priority_and_rule_id() -> None:
    d = [
        Decision("p", "a", "k", {}, 0, 0),
        Decision("p", "b", "k", {}, 0, 2),
        Decision("p", "c", "k", {}, 1, 0),
    ]
    assert [x.rule for x in sort_decisions(d)] == ["c", "b", "a"]


def test_outcome_copies_fields_from_the_fact() -> None:
    out = Outcome("route", {"route": "r"}, from_fact={"agency": "s"})
    assert dict(out.render({"s": "UBND"})) == {"route": "r", "agency": "UBND"}
    assert dict(out.render({})) == {"route": "r", "agency": None}


@pytest.mark.parametrize("pattern", ["a\\.b", "\\d+", "^ab", "ab$", "(?i)ab", "a\\sb", ""])
def test_non_portable_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError):
        check_portable_regex(pattern)


@pytest.mark.parametrize("pattern", ["[^0-9]+", "0[35789][0-9]{8}", "(ab|cd)+", "a.{2,}[.]"])
def test_portable_patterns_are_accepted(pattern: str) -> None:
    assert check_portable_regex(pattern) == pattern


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("S", "eq", "a"), "field name"),
        (("sid", "eq", "a"), "reserved"),
        (("s", "like", "a"), "unknown operator"),
        (("s", "eq", ""), "empty strings"),
        (("s", "in", ()), "at least one"),
        (("s", "in", "ab"), "tuple"),
        (("s", "present", 1), "takes no value"),
        (("n", "lt", "5"), "integer"),
        (("n", "lt", True), "integer"),
        (("n", "eq", 1.5), "not a string"),
        (("n", "lt", 2.5), "integer"),
        (("n", "eq", 2**53 + 1), "2\\*\\*53"),
        (("tags", "contains", ""), "non-empty"),
    ],
)
def test_malformed_conditions_are_refused(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Condition(*args)


@pytest.mark.parametrize(
    "condition",
    [
        Condition("s", "eq", 1),
        Condition("n", "eq", "5"),
        Condition("n", "eq", True),
        Condition("b", "eq", 1),
        Condition("s", "lt", 3),
        Condition("n", "matches", "a"),
        Condition("s", "contains", "a"),
        Condition("tags", "eq", "a"),
        Condition("zz", "present"),
    ],
)
def test_conditions_must_fit_the_declared_field(condition: Condition) -> None:
    with pytest.raises(ValueError):
        pack_of(rule("r", condition))


def test_duplicate_rule_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        pack_of(rule("r"), rule("r"))


def test_project_keeps_declared_non_empty_typed_fields() -> None:
    pack = pack_of()
    fact = {"s": "a", "n": 3, "b": False, "tags": ("a", ""), "other": 1.5, "n2": None}
    assert pack.project(fact) == {"s": "a", "n": 3, "b": False, "tags": ["a"]}
    assert pack.project({"s": "", "tags": [""]}) == {}


@pytest.mark.parametrize(
    "fact",
    [
        {"s": 1},
        {"n": "1"},
        {"n": True},
        {"n": 1.0},
        {"n": 2**53 + 1},
        {"b": 1},
        {"tags": "abc"},
        {"tags": [1]},
    ],
)
def test_project_refuses_values_of_the_wrong_kind(fact: dict[str, Any]) -> None:
    with pytest.raises(FactError):
        pack_of().project(fact)
