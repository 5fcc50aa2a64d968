"""The rule packs, generated from a configuration :class:`~engine.config.snapshot.Snapshot`.

Each pack is a :class:`PackSpec`: the neutral :class:`RulePack` (what a backend compiles), the
preparer that turns raw input into a prepared fact (:mod:`engine.rules.facts`) and an optional
``finish`` step that post-processes the decisions in plain Python (shared by every backend).

``routing`` (Đ7, Phụ lục 1)
    One rule per :class:`Route`, with the route's id as rule id. A route to a fixed agency
    names it in the rule; an ``area_committee`` route is still ONE rule: the preparer looks up
    the committee of the report's area (``Snapshot.committee_of``, a data lookup, not a rule)
    into the fact field ``committee``, the rule requires that field and copies it into the
    decision. We chose this over expanding the route into one rule per commune (124 in Vĩnh
    Long): the pack stays a one-to-one image of the routing table, every decision names the
    route that produced it, a commune added to ``areas.yaml`` needs no new rule, and
    durable-rules' per-fact cost grows with the number of rules (measured with its own
    evaluation loop: ≈12k facts/s with 258 rules, ≈50k/s with 14). The decision value is
    ``{route, agency, area, area_committee}``; ``priority`` is the route's and ``specificity``
    is 2 for a route narrowed by ``areas`` plus 1 for one narrowed by ``area_kinds``, so the
    first decision (priority, then specificity, then rule id) is the route to take.
    Dates: when the fact has ``on``, a route matches only if its sector and its fixed agency
    (or the area's committee) are in effect on that day; without ``on`` dates are not checked.

``completeness`` (Đ5.1–5.3)
    Decisions ``missing``/``invalid`` with ``{field, message_vi, message_en, article}`` for:
    name missing, phone missing, phone invalid, e-mail given but invalid, content missing,
    place missing (a place is an area, an address or a latitude+longitude pair). A complete
    report yields NO decision: the empty list means "complete". Priorities follow the order of
    the form (name first). Đ5.1 (Vietnamese language) is not checked mechanically.

``sector_suggestion`` (Đ6: classify by sector)
    One rule per (sector, keyword), id ``"<sector>/<folded keyword>"``, testing whether the
    folded keyword occurs in the folded text as whole words ("Rác thải" = "rac thai" =
    "RÁC THẢI"; keyword "ga" never matches inside "gas"; a phrase never spans punctuation).
    Afterwards, a match lying inside a longer match does not count: where "điện thoại" matched,
    the "điện" inside it is ignored (it still counts where it stands alone). Partly overlapping
    matches both count ("mất điện thoại" suggests both "mất điện" and "điện thoại": the text is
    ambiguous and a person chooses).
    The surviving keywords give one ``suggest`` decision per sector, rule id = sector code,
    value ``{sector, score, matched, rules}``; score = the number of words of the distinct
    keywords matched (so longer keywords weigh more); decision priority = score.

``visibility`` (Đ5.4, Đ10.2–10.3)
    Exactly one decision of kind ``visibility``: ``restricted`` when the report touches state
    secrets (wins), else ``private`` when the reporter asked for confidentiality, else
    ``public``; the value says what may be shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.config.snapshot import Effective, Snapshot

from . import facts
from .model import AnyOf, Condition, Decision, Outcome, Rule, RulePack, Test, sort_decisions

Preparer = Callable[[Mapping[str, Any]], dict[str, Any]]
Finisher = Callable[[Mapping[str, Any], list[Decision]], list[Decision]]

ROUTING = "routing"
COMPLETENESS = "completeness"
SECTOR_SUGGESTION = "sector_suggestion"
VISIBILITY = "visibility"


@dataclass(frozen=True)
class PackSpec:
    """A rule pack with its fact preparer and its (optional) post-processing step."""

    pack: RulePack
    prepare: Preparer
    finish: Finisher | None = None

    @property
    def name(self) -> str:
        return self.pack.name


def _version(rules: tuple[Rule, ...]) -> str:
    return hashlib.sha256(repr(rules).encode()).hexdigest()[:12]


def _pack(name: str, fields: Mapping[str, str], rules: list[Rule]) -> RulePack:
    return RulePack(name, _version(tuple(rules)), fields, tuple(rules))


def _window(effectives: list[Effective | None]) -> list[Test]:
    """Tests for "the report day, if given, is inside every one of these periods"."""
    starts = [e.start for e in effectives if e is not None and e.start is not None]
    ends = [e.end for e in effectives if e is not None and e.end is not None]
    tests: list[Test] = []
    if starts:
        first: date = max(starts)
        tests.append(AnyOf((Condition("day", "absent"), Condition("day", "ge", first.toordinal()))))
    if ends:
        last: date = min(ends)
        tests.append(AnyOf((Condition("day", "absent"), Condition("day", "le", last.toordinal()))))
    return tests


# --------------------------------------------------------------------------- routing

ROUTING_FIELDS = {
    "sector": "str",
    "area": "str",
    "area_kind": "str",
    "day": "int",
    "committee": "str",
}


def routing_pack(snapshot: Snapshot) -> PackSpec:
    rules = []
    for route in snapshot.routes:
        when: list[Test] = [Condition("sector", "eq", route.sector)]
        if route.areas:
            when.append(Condition("area", "in", tuple(route.areas)))
        if route.area_kinds:
            when.append(Condition("area_kind", "in", tuple(route.area_kinds)))
        effectives: list[Effective | None] = []
        sector = snapshot.sectors.get(route.sector)
        effectives.append(sector.effective if sector else None)
        if route.area_committee:
            when.append(Condition("committee", "present"))
            then = Outcome(
                "route",
                {"route": route.id, "area_committee": True},
                from_fact={"agency": "committee", "area": "area"},
            )
        elif route.agency:
            agency = snapshot.agencies.get(route.agency)
            effectives.append(agency.effective if agency else None)
            then = Outcome(
                "route",
                {"route": route.id, "agency": route.agency, "area_committee": False},
                from_fact={"area": "area"},
            )
        else:
            raise ValueError(f"route {route.id}: set either 'agency' or 'area_committee'")
        when.extend(_window(effectives))
        specificity = 2 * bool(route.areas) + bool(route.area_kinds)
        rules.append(Rule(route.id, tuple(when), then, route.priority, specificity))
    return PackSpec(_pack(ROUTING, ROUTING_FIELDS, rules), facts.RoutingFacts(snapshot))


# --------------------------------------------------------------------------- completeness

COMPLETENESS_FIELDS = {
    "name": "str",
    "phone": "str",
    "phone_kind": "str",
    "email": "str",
    "email_ok": "bool",
    "content": "str",
    "area": "str",
    "address": "str",
    "lat": "str",
    "lon": "str",
}

_MESSAGES: dict[str, tuple[str, str, str, str, str, int]] = {
    # rule id: (kind, field, article, message_vi, message_en, priority)
    "name-missing": (
        "missing",
        "name",
        "Đ5.3",
        "Chưa có họ tên của cá nhân, tổ chức gửi phản ánh.",
        "The name of the person or organisation reporting is missing.",
        60,
    ),
    "phone-missing": (
        "missing",
        "phone",
        "Đ5.3",
        "Chưa có số điện thoại của cá nhân, tổ chức gửi phản ánh.",
        "The phone number of the person or organisation reporting is missing.",
        50,
    ),
    "phone-invalid": (
        "invalid",
        "phone",
        "Đ5.3",
        "Số điện thoại không hợp lệ: cần số di động 10 chữ số bắt đầu bằng 03, 05, 07, 08, 09 "
        "hoặc số cố định 11 chữ số bắt đầu bằng 02 (có thể viết +84 thay cho số 0 đầu).",
        "The phone number is not valid: give a 10-digit mobile number starting 03, 05, 07, 08 "
        "or 09, or an 11-digit landline number starting 02 (+84 may replace the leading 0).",
        50,
    ),
    "email-invalid": (
        "invalid",
        "email",
        "Đ5.3",
        "Địa chỉ thư điện tử không hợp lệ (có thể để trống).",
        "The e-mail address is not valid (it may be left empty).",
        40,
    ),
    "content-missing": (
        "missing",
        "content",
        "Đ5.2",
        "Chưa có nội dung phản ánh.",
        "The content of the report is missing.",
        30,
    ),
    "place-missing": (
        "missing",
        "place",
        "Đ5.2",
        "Chưa có địa điểm phản ánh: chọn xã, phường, ghi địa chỉ hoặc chọn vị trí trên bản đồ.",
        "The place of the report is missing: choose a commune or ward, give an address or pick "
        "a point on the map.",
        20,
    ),
}

_COMPLETENESS_WHEN: dict[str, tuple[Test, ...]] = {
    "name-missing": (Condition("name", "absent"),),
    "phone-missing": (Condition("phone", "absent"),),
    "phone-invalid": (Condition("phone", "present"), Condition("phone_kind", "eq", "invalid")),
    "email-invalid": (Condition("email", "present"), Condition("email_ok", "eq", False)),
    "content-missing": (Condition("content", "absent"),),
    "place-missing": (
        Condition("area", "absent"),
        Condition("address", "absent"),
        AnyOf((Condition("lat", "absent"), Condition("lon", "absent"))),
    ),
}


def completeness_pack() -> PackSpec:
    rules = []
    for rule_id, when in _COMPLETENESS_WHEN.items():
        kind, field_name, article, vi, en, priority = _MESSAGES[rule_id]
        value = {"field": field_name, "message_vi": vi, "message_en": en, "article": article}
        rules.append(Rule(rule_id, when, Outcome(kind, value), priority))
    return PackSpec(_pack(COMPLETENESS, COMPLETENESS_FIELDS, rules), facts.completeness_fact)


# --------------------------------------------------------------------------- sector suggestion

SUGGESTION_FIELDS = {"terms": "strs", "day": "int"}


def suggestion_pack(snapshot: Snapshot) -> PackSpec:
    rules = []
    ids: set[str] = set()
    vocabulary: set[str] = set()
    for code in sorted(snapshot.sectors):
        sector = snapshot.sectors[code]
        window = _window([sector.effective])
        for keyword in sector.keywords:
            folded = facts.words(keyword)
            rule_id = f"{code}/{' '.join(folded)}"
            if not folded or rule_id in ids:
                continue  # two spellings of one keyword ("rác", "rac") are one rule
            ids.add(rule_id)
            vocabulary.add(" ".join(folded))
            then = Outcome("keyword", {"sector": code, "keyword": keyword, "words": list(folded)})
            when = (Condition("terms", "contains", " ".join(folded)), *window)
            rules.append(Rule(rule_id, when, then, priority=len(folded)))
    return PackSpec(
        _pack(SECTOR_SUGGESTION, SUGGESTION_FIELDS, rules),
        facts.SuggestionFacts(vocabulary),
        _finish_suggestions,
    )


def _finish_suggestions(fact: Mapping[str, Any], hits: list[Decision]) -> list[Decision]:
    """Drop keyword matches contained in a longer match, then score each sector."""
    by_words: dict[tuple[str, ...], list[Decision]] = {}
    for hit in hits:
        by_words.setdefault(tuple(hit.value["words"]), []).append(hit)
    used: set[tuple[str, ...]] = set()
    if by_words:
        longest = max(len(w) for w in by_words)
        for group in fact.get("_chunks", ()):
            spans = [
                (i, i + n, tuple(group[i : i + n]))
                for n in range(1, longest + 1)
                for i in range(len(group) - n + 1)
                if tuple(group[i : i + n]) in by_words
            ]
            for start, end, key in spans:
                if not any(s <= start and end <= e and e - s > end - start for s, e, _ in spans):
                    used.add(key)
    per_sector: dict[str, list[Decision]] = {}
    for key in used:
        for hit in by_words[key]:
            per_sector.setdefault(hit.value["sector"], []).append(hit)
    out = []
    for sector, sector_hits in per_sector.items():
        sector_hits.sort(key=lambda d: (-len(d.value["words"]), d.rule))
        score = sum(len(d.value["words"]) for d in sector_hits)
        value = {
            "sector": sector,
            "score": score,
            "matched": [d.value["keyword"] for d in sector_hits],
            "rules": [d.rule for d in sector_hits],
        }
        out.append(Decision(SECTOR_SUGGESTION, sector, "suggest", value, priority=score))
    return sort_decisions(out)


# --------------------------------------------------------------------------- visibility

VISIBILITY_FIELDS = {"confidential": "bool", "state_secret": "bool"}


def visibility_pack() -> PackSpec:
    levels = [
        # rule id, when, level, what may be shown, priority
        ("state-secret", (Condition("state_secret", "eq", True),), "restricted", "Đ10.3", 30),
        (
            "confidential",
            (Condition("confidential", "eq", True), Condition("state_secret", "eq", False)),
            "private",
            "Đ5.4, Đ10.2",
            20,
        ),
        (
            "public",
            (Condition("confidential", "eq", False), Condition("state_secret", "eq", False)),
            "public",
            "Đ5.4, Đ10.1",
            10,
        ),
    ]
    shown = {
        # level: (report shown publicly, reporter's name and address shown, result published)
        "restricted": (False, False, False),
        "private": (True, False, False),
        "public": (True, True, True),
    }
    rules = []
    for rule_id, when, level, article, priority in levels:
        report, reporter, result = shown[level]
        value = {
            "level": level,
            "show_report": report,
            "show_name": reporter,
            "show_address": reporter,
            "publish_result": result,
            "article": article,
        }
        rules.append(Rule(rule_id, when, Outcome("visibility", value), priority))
    return PackSpec(_pack(VISIBILITY, VISIBILITY_FIELDS, rules), facts.visibility_fact)


# --------------------------------------------------------------------------- all packs


def build_packs(snapshot: Snapshot) -> dict[str, PackSpec]:
    """Every pack for ``snapshot``, by name."""
    specs = [
        routing_pack(snapshot),
        completeness_pack(),
        suggestion_pack(snapshot),
        visibility_pack(),
    ]
    return {spec.name: spec for spec in specs}
