"""Both backends give identical decisions on random facts (property-based)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.rules import (
    AnyOf,
    Condition,
    FactError,
    Outcome,
    Rule,
    RulePack,
    RulesEngine,
    durable_backend,
    select_backend,
)
from engine.rules.facts import fold

from .conftest import DURABLE_SKIP
from .sample import AREAS, SECTORS, make_snapshot
from .test_facts import INVALID_PHONES, VALID_LANDLINES, VALID_MOBILES

pytestmark = DURABLE_SKIP

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def engines() -> Iterator[tuple[RulesEngine, RulesEngine]]:
    snapshot = make_snapshot()
    durable, builtin = RulesEngine(snapshot, "durable"), RulesEngine(snapshot, "builtin")
    yield durable, builtin
    durable.close()
    builtin.close()


def same(engines: tuple[RulesEngine, RulesEngine], pack: str, fact: dict[str, Any]) -> None:
    outcomes = []
    for rules in engines:
        try:
            outcomes.append(("ok", rules.evaluate(pack, fact)))
        except FactError as exc:
            outcomes.append(("error", str(exc)))
    assert outcomes[0] == outcomes[1], fact


codes = st.sampled_from([s.code for s in SECTORS] + ["khong-co", ""])
areas = st.sampled_from([a.code for a in AREAS] + ["99999", None])
days = st.one_of(st.none(), st.dates(date(2019, 1, 1), date(2027, 12, 31)))


@SETTINGS
@given(
    sector=codes,
    area=areas,
    kind=st.sampled_from([None, "xa", "phuong", "dac_khu"]),
    on=days,
    as_text=st.booleans(),
)
def test_routing(engines, sector, area, kind, on, as_text) -> None:
    when = on.isoformat() if on is not None and as_text else on
    same(engines, "routing", {"sector": sector, "area": area, "area_kind": kind, "on": when})


phones = st.one_of(
    st.none(),
    st.sampled_from(VALID_MOBILES + VALID_LANDLINES + INVALID_PHONES),
    st.text(alphabet="0123456789 +.-()84", max_size=16),
    st.text(max_size=12),
)
texts = st.one_of(st.none(), st.just(""), st.just("   "), st.text(max_size=40))
coords = st.one_of(
    st.none(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8), st.integers()
)


@SETTINGS
@given(
    name=texts,
    phone=phones,
    email=st.one_of(texts, st.emails()),
    content=texts,
    area=st.one_of(st.none(), st.sampled_from(["", "29641"])),
    address=texts,
    lat=coords,
    lon=coords,
)
def test_completeness(engines, name, phone, email, content, area, address, lat, lon) -> None:
    fact = dict(name=name, phone=phone, email=email, content=content, area=area, address=address)
    same(engines, "completeness", {**fact, "lat": lat, "lon": lon})


KEYWORDS = [k for s in SECTORS for k in s.keywords]


def variants(keyword: str) -> st.SearchStrategy[str]:
    return st.sampled_from([keyword, keyword.upper(), fold(keyword), keyword.title()])


@SETTINGS
@given(
    parts=st.lists(
        st.one_of(
            st.sampled_from(KEYWORDS).flatmap(variants),
            st.sampled_from(["và", "bị", "ở", "gà", "thoại", ",", ".", "!", "điện"]),
            st.text(max_size=6),
        ),
        max_size=12,
    ),
    on=days,
)
def test_sector_suggestion(engines, parts, on) -> None:
    same(engines, "sector_suggestion", {"text": " ".join(parts), "on": on})


flags = st.one_of(st.booleans(), st.none(), st.sampled_from(["có", "không", "yes", "x", 0, 1, 2]))


@SETTINGS
@given(confidential=flags, state_secret=flags)
def test_visibility(engines, confidential, state_secret) -> None:
    same(engines, "visibility", {"confidential": confidential, "state_secret": state_secret})


# ------------------------------------------------------------------ every operator, random facts

WORDS = ["a", "b", "ab", "abc", "x", "điện", "Điện", "1", "10", "true", "a b", 'q"q', "\\", "ẫ"]
FIELDS = {"s": "str", "t": "str", "n": "int", "b": "bool", "tags": "strs"}
word = st.sampled_from(WORDS)
number = st.one_of(st.integers(-3, 3), st.integers(-(2**53), 2**53))


def condition_on(name: str) -> st.SearchStrategy[Condition]:
    kind = FIELDS[name]
    ops: list[st.SearchStrategy[Condition]] = [
        st.sampled_from([Condition(name, "present"), Condition(name, "absent")])
    ]
    if kind == "str":
        ops += [
            st.builds(Condition, st.just(name), st.sampled_from(["eq", "ne"]), word),
            st.builds(
                Condition, st.just(name), st.just("in"), st.lists(word, min_size=1, max_size=3)
            ),
            st.builds(
                Condition,
                st.just(name),
                st.just("matches"),
                st.sampled_from(
                    ["a.*", "[a-c]+", "(ab|x)?c?", "[^0-9]+", "điện|x", ".{1,2}", "1[0-9]*"]
                ),
            ),
        ]
    elif kind == "int":
        ops.append(
            st.builds(
                Condition,
                st.just(name),
                st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
                number,
            )
        )
    elif kind == "bool":
        ops.append(
            st.builds(Condition, st.just(name), st.sampled_from(["eq", "ne"]), st.booleans())
        )
    else:
        ops.append(st.builds(Condition, st.just(name), st.just("contains"), word))
    return st.one_of(ops)


conditions = st.sampled_from(sorted(FIELDS)).flatmap(condition_on)
tests = st.one_of(
    conditions, st.builds(AnyOf, st.lists(conditions, min_size=1, max_size=3).map(tuple))
)
rules = st.lists(st.lists(tests, max_size=4), min_size=1, max_size=8).map(
    lambda whens: RulePack(
        "random",
        "1",
        FIELDS,
        tuple(Rule(f"r{i}", tuple(w), Outcome("hit", {"i": i})) for i, w in enumerate(whens)),
    )
)
facts = st.fixed_dictionaries(
    {},
    optional={
        "s": word,
        "t": word,
        "n": number,
        "b": st.booleans(),
        "tags": st.lists(word, max_size=4),
    },
)


@settings(max_examples=200, deadline=None)
@given(pack=rules, batch=st.lists(facts, min_size=1, max_size=8))
def test_random_packs_and_facts(pack: RulePack, batch: list[dict[str, Any]]) -> None:
    assert durable_backend.available()
    durable = select_backend("durable").compile(pack)
    builtin = select_backend("builtin").compile(pack)
    try:
        for fact in batch:
            projected = pack.project(fact)
            assert durable.fire(projected) == builtin.fire(projected), (projected, pack)
    finally:
        durable.close()
        builtin.close()
