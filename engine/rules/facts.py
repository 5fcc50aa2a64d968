"""Turning raw report data into prepared facts that rules can test.

Rules only compare prepared fields; everything fiddly happens here, once, in plain Python:
Vietnamese text folding (diacritics, đ/Đ, case), phone-number normalisation, e-mail syntax,
coordinates, report dates and the routing lookups that are data rather than rules (the kind of an
area, the People's Committee that governs it).

A preparer returns a dict; the pack then keeps only its declared fields (``RulePack.project``),
so a preparer may also return private extras (keys starting with ``_``) for the pack's
post-processing step.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.config.snapshot import Snapshot

from .errors import FactError

# --------------------------------------------------------------------------- text


def fold(text: str) -> str:
    """Vietnamese text without diacritics, in lower case: ``"RÁC Thải Đô thị"`` → ``"rac thai do thi"``.

    Works for NFC and NFD input alike: the text is decomposed (NFD), combining marks are dropped,
    ``đ``/``Đ`` (a letter of its own, not a ``d`` with a mark) become ``d``, then it is case-folded.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# Punctuation that ends a phrase: a keyword never matches across it ("điện, thoại" is two
# phrases). Spaces, hyphens and other separators only separate words.
_CHUNK_BREAK = re.compile(r"[.,;:!?…()\[\]{}\"'“”‘’«»/\\|\n\r\t]+")
_WORD = re.compile(r"[^\W_]+")


def chunks(text: str) -> list[list[str]]:
    """The folded words of ``text``, grouped in punctuation-delimited chunks."""
    out = []
    for piece in _CHUNK_BREAK.split(fold(text)):
        words = _WORD.findall(piece)
        if words:
            out.append(words)
    return out


def words(text: str) -> tuple[str, ...]:
    """The folded words of a short text such as a keyword (punctuation ignored)."""
    return tuple(_WORD.findall(fold(text)))


def phrases(groups: Iterable[list[str]], lengths: Iterable[int]) -> list[str]:
    """Every run of ``n`` consecutive words (for each ``n`` in ``lengths``), joined by spaces."""
    seen: dict[str, None] = {}
    sizes = sorted(set(lengths))
    for group in groups:
        for n in sizes:
            for i in range(len(group) - n + 1):
                seen[" ".join(group[i : i + n])] = None
    return list(seen)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


# --------------------------------------------------------------------------- phone, e-mail

_PHONE_INPUT = re.compile(r"\+?[0-9\s.\-()]+")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"0[35789][0-9]{8}")
_LANDLINE = re.compile(r"02[0-9]{9}")


@dataclass(frozen=True)
class Phone:
    """A phone number as written and what it is: ``mobile``, ``landline`` or ``invalid``."""

    digits: str
    kind: str


def check_phone(raw: Any) -> Phone:
    """Normalise a Vietnamese phone number and classify it.

    Accepted input: digits with spaces, dots, dashes and parentheses, optionally in the
    international form ``+84``/``84`` instead of the leading ``0`` (``+84 (0) 912…`` too).
    Valid numbers: mobile — 10 digits starting 03, 05, 07, 08 or 09; landline — 11 digits
    starting 02. ``digits`` is the national form (``0…``) or ``""`` when unreadable.
    """
    text = _text(raw)
    if not _PHONE_INPUT.fullmatch(text):
        return Phone("", "invalid")
    digits = _PHONE_SEPARATORS.sub("", text)
    international = False
    if digits.startswith("+"):
        if not digits.startswith("+84"):
            return Phone(digits, "invalid")
        digits, international = digits[3:], True
    elif digits.startswith("84"):
        digits, international = digits[2:], True
    if international:
        digits = "0" + (digits[1:] if digits.startswith("0") else digits)
    if _MOBILE.fullmatch(digits):
        return Phone(digits, "mobile")
    if _LANDLINE.fullmatch(digits):
        return Phone(digits, "landline")
    return Phone(digits, "invalid")


_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def is_valid_email(raw: Any) -> bool:
    """A practical syntax check: ``local@domain.tld``, ASCII, at most 254 characters."""
    text = _text(raw)
    if len(text) > 254 or "@" not in text or len(text.split("@", 1)[0]) > 64:
        return False
    return _EMAIL.fullmatch(text) is not None


# --------------------------------------------------------------------------- numbers, dates


def coordinate(raw: Any, limit: float) -> float | None:
    """A latitude (limit 90) or longitude (limit 180) as a float, or ``None`` if unusable."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value) or abs(value) > limit:
        return None
    return value


def _as_text(value: float | None) -> str | None:
    return None if value is None else repr(value)


def day_number(on: Any) -> int | None:
    """A report date as its proleptic ordinal (``date.toordinal``), or ``None`` if not given."""
    if on is None or on == "":
        return None
    if isinstance(on, datetime):
        return on.date().toordinal()
    if isinstance(on, date):
        return on.toordinal()
    if isinstance(on, str):
        try:
            if len(on.strip()) == 10:
                return date.fromisoformat(on.strip()).toordinal()
            return datetime.fromisoformat(on.strip()).date().toordinal()
        except ValueError:
            pass
    raise FactError(f"'{on}' is not a date: give a date or an ISO date such as 2025-07-01")


def flag(raw: Any, name: str) -> bool:
    """A yes/no answer: booleans, 0/1, or the strings true/false, yes/no, on/off, có/không."""
    if raw is None or raw == "":
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = fold(raw.strip())
        if word in ("true", "1", "yes", "on", "co"):
            return True
        if word in ("false", "0", "no", "off", "khong"):
            return False
    raise FactError(f"{name} must be yes or no, not {raw!r}")


# --------------------------------------------------------------------------- preparers


class RoutingFacts:
    """Prepares ``{sector, area, area_kind?, on?}`` for the routing pack.

    Adds ``area_kind`` from the snapshot when the caller did not give it, ``day`` (the report
    date's ordinal) when ``on`` is given, and ``committee``: the People's Committee that governs
    the area (``Snapshot.committee_of``), omitted when there is none or when it is not in effect
    on the report date.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self._kinds = {code: area.kind for code, area in snapshot.areas.items()}
        governed = {a.area for a in snapshot.agencies.values() if a.area is not None}
        self._committees = {code: snapshot.committee_of(code) for code in governed}

    def __call__(self, fact: Mapping[str, Any]) -> dict[str, Any]:
        area = _text(fact.get("area"))
        out: dict[str, Any] = {
            "sector": _text(fact.get("sector")),
            "area": area,
            "area_kind": _text(fact.get("area_kind")) or self._kinds.get(area),
        }
        day = day_number(fact.get("on"))
        if day is not None:
            out["day"] = day
        committee = self._committees.get(area)
        if committee is not None and (
            day is None or committee.effective.covers(date.fromordinal(day))
        ):
            out["committee"] = committee.code
        return out


def completeness_fact(fact: Mapping[str, Any]) -> dict[str, Any]:
    """Prepares a report for the completeness pack (Đ5.1–5.3).

    Fields: ``name``, ``phone`` (as written) with ``phone_kind`` (mobile/landline/invalid) and
    ``phone_digits`` (not shown to the rules), ``email`` with ``email_ok``, ``content``, and the place: ``area``,
    ``address``, ``lat``/``lon`` (as text — rule facts hold no floats; unusable coordinates are
    left out, so they count as missing). Blank strings count as missing.
    """
    out: dict[str, Any] = {
        "name": _text(fact.get("name")),
        "content": _text(fact.get("content")),
        "area": _text(fact.get("area")),
        "address": _text(fact.get("address")),
        "lat": _as_text(coordinate(fact.get("lat"), 90)),
        "lon": _as_text(coordinate(fact.get("lon"), 180)),
    }
    phone = _text(fact.get("phone"))
    if phone:
        checked = check_phone(phone)
        out.update(phone=phone, phone_kind=checked.kind, phone_digits=checked.digits)
    email = _text(fact.get("email"))
    if email:
        out.update(email=email, email_ok=is_valid_email(email))
    return out


class SuggestionFacts:
    """Prepares a report text for the sector-suggestion pack.

    ``terms`` holds the phrases of the folded text (runs of whole words, never across
    punctuation) that are in ``vocabulary`` — the folded keywords — so a keyword rule is a plain
    membership test and the fact stays small (durable-rules scans a list for every rule:
    2.5 ms per report with every phrase of a 58-word text, against 0.3 ms with the keywords).
    ``_chunks`` (private, not shown to the backends) keeps the words in order for resolving
    overlapping matches afterwards.
    """

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._vocabulary = frozenset(vocabulary)
        self._lengths = tuple(sorted({len(p.split()) for p in self._vocabulary}))

    def __call__(self, fact: Mapping[str, Any]) -> dict[str, Any]:
        text = fact.get("text")
        if text is None:
            text = " . ".join(_text(fact.get(k)) for k in ("title", "content"))
        groups = chunks(str(text))
        terms = [p for p in phrases(groups, self._lengths) if p in self._vocabulary]
        out: dict[str, Any] = {"terms": terms, "_chunks": groups}
        day = day_number(fact.get("on"))
        if day is not None:
            out["day"] = day
        return out


def visibility_fact(fact: Mapping[str, Any]) -> dict[str, Any]:
    """Prepares ``{confidential, state_secret}``; both always present as booleans."""
    return {
        "confidential": flag(fact.get("confidential"), "confidential"),
        "state_secret": flag(fact.get("state_secret"), "state_secret"),
    }
