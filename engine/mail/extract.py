"""Who wrote a citizen's e-mail and where it happened, read from the text when it says so.

* phone: the first valid Vietnamese number (``0909 123 456``, ``0909.123.456``, ``+84 909 123
  456``, ``090-912-3456``, a landline ``0270 3822 123``), preferring one on a labelled line
  (``SĐT:``, ``Điện thoại:`` …); validity is :func:`engine.rules.facts.check_phone`'s, the same as
  the portal's;
* name: a labelled line (``Họ tên:``, ``Họ và tên:``, ``Tên:``, ``Người gửi:``…), else ``Tôi là``
  / ``Tôi tên là`` followed by a capitalised name, else the display name of ``From``;
* address: a line ``Địa chỉ:`` / ``Địa điểm:`` / ``Vị trí:`` / ``Nơi xảy ra:``;
* area: a ``Xã …`` / ``Phường …`` / ``Đặc khu …`` named in the address (else the text) whose
  name, folded (:func:`engine.rules.fold`), is exactly one configured area in effect.

Labels are matched folded, so ``Ho ten:`` and ``SDT:`` written without diacritics count too.

The text given back (``text``) is what goes into the report's content, which is published: the
labelled identity lines (name, phone, e-mail) are taken out, and the reporter's own number,
address and full name are masked wherever else they appear (Đ5.4); other numbers — a shop's, say —
stay. The message as sent stays in ``inbound_messages`` for staff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from engine.config.snapshot import Area
from engine.rules import fold
from engine.rules.facts import check_phone

__all__ = ["Extracted", "extract", "find_area", "find_phone"]

NAME_LABELS = frozenset(
    {
        "ho ten",
        "ho va ten",
        "ten",
        "ten toi",
        "nguoi gui",
        "nguoi phan anh",
        "ten nguoi phan anh",
        "ten nguoi gui",
        "ho ten nguoi phan anh",
        "ho va ten nguoi phan anh",
    }
)
PHONE_LABELS = frozenset(
    {
        "sdt",
        "so dt",
        "dt",
        "dien thoai",
        "so dien thoai",
        "dien thoai lien he",
        "so dien thoai lien he",
        "di dong",
        "dtdd",
        "zalo",
        "phone",
        "tel",
        "mobile",
    }
)
EMAIL_LABELS = frozenset({"email", "e-mail", "thu dien tu", "dia chi email", "mail"})
ADDRESS_LABELS = frozenset(
    {
        "dia chi",
        "dia diem",
        "dia chi phan anh",
        "dia diem phan anh",
        "vi tri",
        "noi xay ra",
        "noi phan anh",
    }
)
AREA_KINDS = ("xa", "phuong", "dac khu")

MASK_PHONE = "[số điện thoại]"
MASK_EMAIL = "[thư điện tử]"
MASK_NAME = "[người phản ánh]"

_LABELLED = re.compile(r"^\s*[-*•>]?\s*([^\W\d][^:\n]{0,40}?)\s*:\s*(.*)$")
_DIGIT_RUN = re.compile(r"(?<![\w+])\+?\d+(?:[ .\-]\d+)*")
_SEPARATOR = re.compile(r"[ .\-]")
_VALUE_END = re.compile(r"\s*(?:[,;|\t]|\s-\s|\s{2,}).*$", re.DOTALL)
_I_AM = re.compile(r"\b(?:tôi|tui|em|cháu|con)\s+(?:tên\s+là|tên|là)\s+", re.IGNORECASE)
_CAPITALISED = re.compile(r"[^\W\d_][\w]*", re.UNICODE)


@dataclass(frozen=True)
class Extracted:
    name: str | None
    phone: str | None
    address: str | None
    area: str | None
    text: str


def extract(
    text: str,
    *,
    display_name: str | None = None,
    sender: str | None = None,
    areas: Mapping[str, Area] | None = None,
    on: date | None = None,
) -> Extracted:
    """Identity and place from ``text``; ``text`` in the result is safe to publish."""
    lines = text.split("\n")
    kept: list[str] = []
    name = phone = address = None
    identity: list[str] = []
    for line in lines:
        label, value = _label_of(line)
        if label in NAME_LABELS:
            found = _name_value(value)
            name = name or found
            identity.append(line)
            if found is None:
                kept.append(line)
            continue
        if label in PHONE_LABELS:
            found_phone = find_phone(value)
            written = _VALUE_END.sub("", value).strip()
            # A number that isn't valid is kept as written: the reporter is then told it's invalid.
            phone = phone or (found_phone[1] if found_phone else written[:30] or None)
            identity.append(line)
            continue
        if label in EMAIL_LABELS:
            identity.append(line)
            continue
        if label in ADDRESS_LABELS and value.strip():
            address = address or value.strip()[:500]
        kept.append(line)
    body = "\n".join(kept)
    # Labelled lines first; a number in the free text (or a line "Tên: An, SĐT: 09…") after.
    if phone is None:
        found_phone = find_phone("\n".join(identity)) or find_phone(body)
        phone = found_phone[1] if found_phone else None
    if name is None:
        name = _i_am(body) or _display_name(display_name, sender)
    area = None
    if areas:
        area = (find_area(address, areas, on) if address else None) or find_area(body, areas, on)
    return Extracted(name, phone, address, area, _masked(body, name, phone, sender).strip())


# -- phone -----------------------------------------------------------------------------------------


def find_phone(text: str) -> tuple[str, str] | None:
    """The first valid phone number in ``text``: (as written, national digits ``0…``)."""
    for match in _DIGIT_RUN.finditer(text):
        found = _longest_valid(match.group())
        if found is not None:
            return found
    return None


def _longest_valid(run: str) -> tuple[str, str] | None:
    """A run may glue a number to what follows ("0909 123 456 45"): try shorter prefixes."""
    cuts = [m.start() for m in _SEPARATOR.finditer(run)] + [len(run)]
    for end in reversed(cuts):
        candidate = run[:end]
        checked = check_phone(candidate)
        if checked.kind in ("mobile", "landline"):
            return candidate, checked.digits
    return None


def _phone_spans(text: str, digits: str) -> Iterable[str]:
    """Each way ``text`` writes the number ``digits``."""
    for match in _DIGIT_RUN.finditer(text):
        found = _longest_valid(match.group())
        if found is not None and found[1] == digits:
            yield found[0]


# -- name ------------------------------------------------------------------------------------------


def _label_of(line: str) -> tuple[str | None, str]:
    match = _LABELLED.match(line)
    if match is None:
        return None, line
    label = " ".join(fold(match.group(1)).split())
    return label, match.group(2)


def _name_value(value: str) -> str | None:
    value = _VALUE_END.sub("", value).strip().strip(".").strip()
    return value[:200] if _looks_like_name(value) else None


def _looks_like_name(value: str) -> bool:
    words = value.split()
    return (
        0 < len(words) <= 8
        and any(ch.isalpha() for ch in value)
        and not any(ch.isdigit() for ch in value)
        and "@" not in value
    )


def _i_am(text: str) -> str | None:
    """``Tôi là Nguyễn Văn An, …`` → the capitalised words after it (two or more)."""
    for match in _I_AM.finditer(text):
        words = []
        for word in text[match.end() :].split():
            bare = word.strip(".,;:!?()\"'")
            if not bare or not _CAPITALISED.fullmatch(bare) or not bare[0].isupper():
                break
            words.append(bare)
            if bare != word:  # punctuation ends the name
                break
        if len(words) >= 2:
            return " ".join(words)[:200]
    return None


def _display_name(display: str | None, sender: str | None) -> str | None:
    if not display:
        return None
    display = " ".join(display.strip().strip("\"'").split())
    if sender and fold(display) == fold(sender):
        return None
    return display[:200] if _looks_like_name(display) else None


# -- area ------------------------------------------------------------------------------------------


def find_area(text: str, areas: Mapping[str, Area], on: date | None = None) -> str | None:
    """The one area in effect named in ``text`` as "Xã …", "Phường …" or "Đặc khu …"; else None.

    Names are compared folded and as whole words; a name inside a longer matched name does not
    count ("Xã An" inside "Xã An Định"); two different areas named → None (a person decides).
    """
    folded = fold(text)
    matches: list[tuple[int, int, str]] = []
    for area in areas.values():
        if on is not None and not area.effective.covers(on):
            continue
        name = fold(area.name)
        if not name.startswith(AREA_KINDS):
            continue
        for match in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", folded):
            matches.append((match.start(), match.end(), area.code))
    kept = {
        code
        for start, end, code in matches
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in matches)
    }
    return kept.pop() if len(kept) == 1 else None


# -- what may be published -------------------------------------------------------------------------


def _masked(text: str, name: str | None, phone: str | None, sender: str | None) -> str:
    """The reporter's own number, address and (full) name masked; other people's left alone."""
    if phone:
        for written in sorted(set(_phone_spans(text, phone)), key=len, reverse=True):
            text = text.replace(written, MASK_PHONE)
    if sender:
        text = re.sub(re.escape(sender), MASK_EMAIL, text, flags=re.IGNORECASE)
    if name and len(name.split()) >= 2:
        text = re.sub(re.escape(name), MASK_NAME, text, flags=re.IGNORECASE)
    return text
