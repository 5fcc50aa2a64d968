"""A sector's extra fields (``sectors[].fields``): what was sent for them, checked the same way on
every channel, and how stored values read for people.

The portal's generated form fields, the mobile API's ``extra`` object, Open311's ``attribute[…]``,
the desk's result form and the staff API all hand what they received to :func:`check` (or, one
field at a time, :func:`check_value`); the use cases call :func:`validated` again before anything
is stored, so no channel can store a value another would refuse.

What a channel sends may be text (a form) or JSON values; what is stored is JSON, by type:

* ``text``, ``textarea``: the text without surrounding spaces;
* ``number``: a number (``2,5`` and ``2.5`` are the same; a whole number is stored whole);
* ``integer``: a whole number;
* ``date``: ``YYYY-MM-DD`` (``dd/mm/yyyy`` and an ISO 8601 instant are read too);
* ``choice``: the chosen option's code; ``multichoice``: the chosen codes in configured order;
* ``boolean``: ``true`` or ``false`` (``có``/``không``, ``yes``/``no``, ``1``/``0`` are read too).

An empty value (nothing, ``""``, only spaces, an empty list) is "not answered": refused for a
required field, left out of the stored values otherwise. Each problem names the field as
``extra.<code>`` with a sentence in Vietnamese and one in English.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.config.snapshot import CHOICE_TYPES, Sector, SectorField
from engine.services.errors import InvalidInput

#: How a problem names its field, for every channel (``extra.loai_o_nhiem``).
FIELD_PREFIX = "extra."
TEXT_MAX = 500
TEXTAREA_MAX = 5000
#: The largest number a number field takes, either side of zero.
NUMBER_MAX = 1_000_000_000_000
FIRST_YEAR, LAST_YEAR = 1900, 2100
TRUE_WORDS = frozenset({"true", "1", "on", "yes", "có", "co", "y"})
FALSE_WORDS = frozenset({"false", "0", "off", "no", "không", "khong", "n"})
#: How a yes/no answer reads: (Vietnamese, English).
YES, NO = ("Có", "Yes"), ("Không", "No")
DECIMAL = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
WHOLE = re.compile(r"[+-]?\d+")
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with the value sent for one field (``code``)."""

    code: str
    message_vi: str
    message_en: str

    @property
    def field(self) -> str:
        return f"{FIELD_PREFIX}{self.code}"


@dataclass(frozen=True)
class Checked:
    """The values to store (only the answered fields) and every problem found."""

    values: dict[str, Any]
    problems: tuple[FieldProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


class InvalidExtra(InvalidInput):
    """A refusal naming every extra field that is wrong (``problems``); ``field`` is the first."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__(
            " ".join(p.message_vi for p in problems),
            " ".join(p.message_en for p in problems),
            field=problems[0].field,
        )
        self.problems = tuple(problems)

    def field_errors(self) -> list[tuple[str, str, str]]:
        return [(p.field, p.message_vi, p.message_en) for p in self.problems]


@dataclass(frozen=True)
class Detail:
    """One stored value as people read it: the field's label and the value in words."""

    code: str
    stage: str
    label: str
    label_en: str
    value: Any
    text: str
    text_en: str
    public: bool = True


# -- checking --------------------------------------------------------------------------------------


def check(sector: Sector | None, raw: Mapping[str, Any] | None, stage: str = "report") -> Checked:
    """Check ``raw`` (field code → what was sent) against ``sector``'s fields of ``stage``.

    Every field of the stage is looked at (a required one left empty is a problem), and every key
    of ``raw`` that is not one of them is a problem too. Without a sector nothing may be sent.
    """
    raw = dict(raw or {})
    problems: list[FieldProblem] = []
    fields = sector.fields_for(stage) if sector is not None else ()
    known = [f.code for f in fields]
    for code in raw:
        if code in known or _empty(raw[code]):
            continue
        if sector is None:
            problems.append(
                FieldProblem(
                    str(code),
                    f"Trường '{code}' chỉ dùng được khi đã chọn lĩnh vực có trường này.",
                    f"The field '{code}' can only be sent with a sector that has it.",
                )
            )
        else:
            names = ", ".join(known)
            problems.append(
                FieldProblem(
                    str(code),
                    f"Lĩnh vực {sector.name} không có trường '{code}' "
                    f"(các trường: {names or 'không có'}).",
                    f"The sector '{sector.code}' has no field '{code}' "
                    f"(its fields: {names or 'none'}).",
                )
            )
    values: dict[str, Any] = {}
    for field in fields:
        value, problem = check_value(field, raw.get(field.code))
        if problem is not None:
            problems.append(problem)
        elif value is not None:
            values[field.code] = value
    return Checked(values, tuple(problems))


def validated(
    sector: Sector | None, raw: Mapping[str, Any] | None, stage: str = "report"
) -> dict[str, Any]:
    """The values to store, or :class:`InvalidExtra` naming every problem (nothing is written)."""
    checked = check(sector, raw, stage)
    if checked.problems:
        raise InvalidExtra(checked.problems)
    return checked.values


def check_value(field: SectorField, raw: Any) -> tuple[Any, FieldProblem | None]:
    """One field's value to store (``None``: not answered), or the problem with it."""
    if _empty(raw):
        if field.required:
            verb = "chọn" if field.type in (*CHOICE_TYPES, "boolean") else "nhập"
            return None, _problem(
                field, f"Vui lòng {verb} {field.label}.", f"{_label_en(field)} is required."
            )
        return None, None
    if field.type in ("text", "textarea"):
        return _text(field, raw)
    if field.type == "number":
        return _number(field, raw)
    if field.type == "integer":
        return _integer(field, raw)
    if field.type == "date":
        return _date(field, raw)
    if field.type == "boolean":
        return _boolean(field, raw)
    if field.type in CHOICE_TYPES:
        return _choices(field, raw)
    raise ValueError(f"unknown field type {field.type!r}")  # the schema allows no other


def _empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return all(_empty(item) for item in raw)
    return False


def _problem(field: SectorField, vi: str, en: str) -> FieldProblem:
    return FieldProblem(field.code, vi, en)


def _label_en(field: SectorField) -> str:
    return field.label_en or field.code


def _text(field: SectorField, raw: Any) -> tuple[Any, FieldProblem | None]:
    limit = TEXTAREA_MAX if field.type == "textarea" else TEXT_MAX
    if not isinstance(raw, str):
        return None, _problem(
            field,
            f"{field.label} phải là chuỗi ký tự.",
            f"{_label_en(field)} must be text.",
        )
    text = raw.strip()
    if len(text) > limit:
        return None, _problem(
            field,
            f"{field.label} dài quá {limit} ký tự (đã nhập {len(text)} ký tự).",
            f"{_label_en(field)} is longer than {limit} characters ({len(text)} sent).",
        )
    if any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in text) or not _utf8(text):
        return None, _problem(
            field,
            f"{field.label} chứa ký tự điều khiển hoặc ký tự không hợp lệ.",
            f"{_label_en(field)} contains control or invalid characters.",
        )
    return text, None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _number(field: SectorField, raw: Any) -> tuple[Any, FieldProblem | None]:
    value: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str) and DECIMAL.fullmatch(raw.strip()):
        value = float(raw.strip().replace(",", "."))
    if value is None or not math.isfinite(value) or abs(value) > NUMBER_MAX:
        return None, _problem(
            field,
            f"{field.label} phải là một số (ví dụ 2,5).",
            f"{_label_en(field)} must be a number (for example 2.5).",
        )
    return (int(value) if value.is_integer() else value), None


def _integer(field: SectorField, raw: Any) -> tuple[Any, FieldProblem | None]:
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and WHOLE.fullmatch(raw.strip()):
        value = int(raw.strip())
    if value is None or abs(value) > NUMBER_MAX:
        return None, _problem(
            field,
            f"{field.label} phải là một số nguyên.",
            f"{_label_en(field)} must be a whole number.",
        )
    return value, None


def _date(field: SectorField, raw: Any) -> tuple[Any, FieldProblem | None]:
    day: date | None = None
    if isinstance(raw, datetime):
        day = raw.date()
    elif isinstance(raw, date):
        day = raw
    elif isinstance(raw, str):
        day = _parse_day(raw.strip())
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None, _problem(
            field,
            f"{field.label} phải là một ngày, dạng dd/mm/yyyy hoặc yyyy-mm-dd.",
            f"{_label_en(field)} must be a date, as yyyy-mm-dd.",
        )
    return day.isoformat(), None


def _parse_day(text: str) -> date | None:
    found = DAY_MONTH_YEAR.fullmatch(text)
    try:
        if found:
            return date(int(found[3]), int(found[2]), int(found[1]))
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _boolean(field: SectorField, raw: Any) -> tuple[Any, FieldProblem | None]:
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.strip().lower() in TRUE_WORDS, None
    return None, _problem(
        field,
        f"{field.label}: chọn Có hoặc Không.",
        f"{_label_en(field)} must be true or false.",
    )


def _choices(field: SectorField, raw: Any) -> tuple[Any, FieldProblem | None]:
    codes = [c.code for c in field.choices]
    options_vi = ", ".join(f"{c.code} ({c.label})" for c in field.choices)
    if field.type == "choice":
        picked = [raw] if isinstance(raw, str) else None
    elif isinstance(raw, str):
        picked = raw.split(",")
    elif isinstance(raw, list | tuple):
        picked = list(raw)
    else:
        picked = None
    if picked is None or not all(isinstance(p, str) for p in picked):
        return None, _problem(
            field,
            f"{field.label}: chọn trong {options_vi}.",
            f"{_label_en(field)} must be one of: {', '.join(codes)}.",
        )
    chosen = {p.strip() for p in picked if p.strip()}
    unknown = sorted(chosen - set(codes))
    if unknown:
        return None, _problem(
            field,
            f"{field.label}: '{', '.join(unknown)}' không có trong danh sách; chọn trong "
            f"{options_vi}.",
            f"{_label_en(field)}: '{', '.join(unknown)}' is not one of: {', '.join(codes)}.",
        )
    if field.type == "choice":
        return next(iter(chosen)), None
    return [code for code in codes if code in chosen], None


# -- reading stored values -------------------------------------------------------------------------


def details(
    sector: Sector | None,
    values: Mapping[str, Any] | None,
    stage: str,
    *,
    public_only: bool = False,
) -> tuple[Detail, ...]:
    """Stored ``values`` of ``stage`` as labelled words, in the sector's order of fields.

    A value whose field the configuration no longer has is still shown, under its code, so that
    nothing stored disappears from the desk when a field is removed.
    """
    values = dict(values or {})
    fields = {f.code: f for f in sector.fields_for(stage)} if sector is not None else {}
    out = []
    for code in [*(c for c in fields if c in values), *(c for c in values if c not in fields)]:
        field = fields.get(code)
        if field is not None and public_only and not field.public:
            continue
        text, text_en = words(field, values[code])
        out.append(
            Detail(
                code=code,
                stage=stage,
                label=field.label if field else code,
                label_en=(field.label_en or field.label) if field else code,
                value=values[code],
                text=text,
                text_en=text_en,
                public=field.public if field else False,
            )
        )
    return tuple(out)


def words(field: SectorField | None, value: Any) -> tuple[str, str]:
    """A stored value in Vietnamese and in English (a number with a decimal comma in Vietnamese)."""
    if field is not None and field.type in CHOICE_TYPES:
        labels = {c.code: (c.label, c.label_en or c.label) for c in field.choices}
        picked = value if isinstance(value, list) else [value]
        found = [labels.get(str(p), (str(p), str(p))) for p in picked]
        return ", ".join(vi for vi, _ in found), ", ".join(en for _, en in found)
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int | float):
        text = format(value, ",") if isinstance(value, int) else f"{value:,}"
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", "."), text
    if field is not None and field.type == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y"), value
        except ValueError:
            return value, value
    if isinstance(value, list):
        text = ", ".join(map(str, value))
        return text, text
    return str(value), str(value)


def codes_of(sectors: Iterable[Sector], stage: str) -> dict[str, list[tuple[Sector, SectorField]]]:
    """Every field code of ``stage`` across ``sectors``, with the sectors that have it."""
    found: dict[str, list[tuple[Sector, SectorField]]] = {}
    for sector in sectors:
        for field in sector.fields_for(stage):
            found.setdefault(field.code, []).append((sector, field))
    return found
