"""What the API takes from a request: each field's type and length, checked before any use case.

Only the shape of the input is checked here — a string where a string belongs, within the length
its column holds, a number that is a number. Whether a report is complete and correct (Đ5: name,
a Vietnamese phone number, a place in the province, a commune that exists) is the use case's
question, answered by its rules. Every problem found is reported at once, each naming its field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from engine.services.errors import joined
from engine.uploads import IncomingFile
from engine.workflow import RATINGS
from web.jsonbody import MAX_DEPTH, too_deep

#: Longest value each text field takes (the database column's size).
TEXT_LIMITS = {
    "name": 200,
    "phone": 30,
    "email": 254,
    "address": 500,
    "reporter_address": 500,
    "area": 10,
    "sector": 60,
}
CHANNELS = ("mobile", "web")
REPORT_FIELDS = (
    *TEXT_LIMITS,
    "content",
    "latitude",
    "longitude",
    "confidential",
    "channel",
    "extra",
)
#: The longest ``extra`` a multipart form may carry as JSON text.
EXTRA_JSON_MAX = 20_000
MEDIA_FIELD = "media"
#: How a multipart form may write a flag.
TRUE_WORDS = frozenset({"true", "1", "on", "yes"})
FALSE_WORDS = frozenset({"false", "0", "off", "no"})

LABELS_VI = {
    "name": "Họ tên",
    "phone": "Số điện thoại",
    "email": "Thư điện tử",
    "content": "Nội dung phản ánh",
    "address": "Địa chỉ nơi xảy ra sự việc",
    "reporter_address": "Địa chỉ của người phản ánh",
    "area": "Mã xã, phường",
    "sector": "Mã lĩnh vực",
    "latitude": "Vĩ độ",
    "longitude": "Kinh độ",
    "confidential": "Yêu cầu bảo mật",
    "channel": "Kênh gửi",
    "extra": "Thông tin riêng của lĩnh vực",
    "text": "Nội dung phản hồi",
    "rating": "Đánh giá",
    MEDIA_FIELD: "Tệp ảnh, video",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    message_en: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message, "message_en": self.message_en}


class ApiProblem(Exception):
    """A request the API refuses before any use case runs; answered as problem details."""

    def __init__(
        self,
        status: int,
        detail: str,
        detail_en: str,
        *,
        code: str = "invalid_request",
        errors: list[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail_en)
        self.status = status
        self.detail = detail
        self.detail_en = detail_en
        self.code = code
        self.errors = errors or []
        self.headers = dict(headers or {})


def invalid(errors: list[FieldError]) -> ApiProblem:
    """422 naming every field that is wrong (the answer lists the first ``LISTED_MAX``)."""
    return ApiProblem(
        422,
        "Dữ liệu gửi lên chưa hợp lệ: " + joined([e.message for e in errors], "vi"),
        "The request is not valid: " + joined([e.message_en for e in errors], "en"),
        code="invalid_input",
        errors=errors,
    )


@dataclass(frozen=True)
class ReportInput:
    """A new report as the API received it, each field of the right type (not yet checked by Đ5)."""

    name: str
    phone: str
    content: str
    email: str | None = None
    address: str | None = None
    reporter_address: str | None = None
    area: str | None = None
    sector: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    confidential: bool = False
    channel: str = "mobile"
    #: Answers to the sector's extra fields by field code, not yet checked against the sector.
    extra: dict[str, Any] = field(default_factory=dict)


# -- reading the body ----------------------------------------------------------------------------


def bounded_int(
    args: Mapping[str, str], name: str, default: int, high: int, errors: list[FieldError]
) -> int:
    """A whole number from 1 to ``high`` in the query (``page``, ``size``), else a field error."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if raw.isdigit() and 1 <= int(raw) <= high:
        return int(raw)
    errors.append(
        FieldError(
            name,
            f"'{name}' phải là số nguyên từ 1 đến {high}.",
            f"'{name}' must be a whole number from 1 to {high}.",
        )
    )
    return default


def json_object(data: Any) -> dict[str, Any]:
    """The body must be one JSON object."""
    if not isinstance(data, dict):
        raise ApiProblem(
            400,
            "Nội dung gửi lên không phải một đối tượng JSON hợp lệ.",
            "The body is not a valid JSON object.",
            code="malformed_json",
        )
    return data


def form_fields(form: MultiDict[str, str], files: MultiDict[str, FileStorage]) -> dict[str, Any]:
    """The fields of a multipart form, each sent once; files only under ``media``."""
    errors = []
    fields: dict[str, Any] = {}
    for key in form:
        values = form.getlist(key)
        if key == MEDIA_FIELD:
            errors.append(
                FieldError(
                    key,
                    "Trường media phải là tệp ảnh hoặc video.",
                    "The media field must carry files.",
                )
            )
        elif len(values) > 1:
            errors.append(
                FieldError(
                    key,
                    f"{_label(key)} chỉ được gửi một lần.",
                    f"The field '{key}' may be sent only once.",
                )
            )
        else:
            fields[key] = values[0]
    for key in files:
        if key != MEDIA_FIELD:
            errors.append(
                FieldError(
                    key,
                    f"Tệp chỉ được gửi trong trường '{MEDIA_FIELD}', không phải '{key}'.",
                    f"Files go in the '{MEDIA_FIELD}' field, not '{key}'.",
                )
            )
    if errors:
        raise invalid(errors)
    return fields


def media_files(files: MultiDict[str, FileStorage]) -> list[IncomingFile]:
    return [
        IncomingFile(f.read(), f.filename or "tep", f.mimetype or None)
        for f in files.getlist(MEDIA_FIELD)
        if f.filename or f.content_length
    ]


# -- the fields ----------------------------------------------------------------------------------


def report_input(data: Mapping[str, Any], *, form: bool, content_max: int) -> ReportInput:
    """A new report's fields, or ``ApiProblem`` (422) naming each wrong one.

    ``form``: the values came from a multipart form, so numbers and flags arrive as text.
    """
    errors: list[FieldError] = [_unknown(k) for k in data if k not in REPORT_FIELDS]
    values: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        values[name] = _text(data.get(name), name, limit, errors)
    values["content"] = _text(data.get("content"), "content", content_max, errors)
    values["latitude"] = _number(data.get("latitude"), "latitude", 90, form, errors)
    values["longitude"] = _number(data.get("longitude"), "longitude", 180, form, errors)
    values["confidential"] = _flag(data.get("confidential"), "confidential", form, errors)
    values["channel"] = _choice(data.get("channel"), "channel", CHANNELS, errors) or "mobile"
    values["extra"] = _extra(data.get("extra"), form, errors)
    if errors:
        raise invalid(errors)
    for required in ("name", "phone", "content"):
        values[required] = values[required] or ""  # a missing one is the rules' to name (Đ5.3)
    return ReportInput(**values)


def _extra(raw: Any, form: bool, errors: list[FieldError]) -> dict[str, Any]:
    """``extra``: a JSON object (in a multipart form, its JSON text); its values are the sector's
    to check (:mod:`engine.sector_fields`)."""
    if raw is None or raw == "":
        return {}
    if form and isinstance(raw, str) and len(raw) <= EXTRA_JSON_MAX:
        if too_deep(raw):
            errors.append(
                FieldError(
                    "extra",
                    f"Thông tin riêng của lĩnh vực (extra) lồng nhau quá sâu (tối đa {MAX_DEPTH} "
                    "tầng).",
                    f"The field 'extra' is nested too deeply (at most {MAX_DEPTH} levels).",
                )
            )
            return {}
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, dict):
        errors.append(
            FieldError(
                "extra",
                "Thông tin riêng của lĩnh vực (extra) phải là một đối tượng JSON "
                '{"mã trường": giá trị}.',
                "The field 'extra' must be a JSON object {\"field code\": value}.",
            )
        )
        return {}
    return raw


def reply_text(data: Mapping[str, Any], max_chars: int) -> str:
    errors: list[FieldError] = [_unknown(k) for k in data if k != "text"]
    text = _text(data.get("text"), "text", max_chars, errors)
    if not errors and not (text or "").strip():
        errors.append(
            FieldError("text", "Chưa có nội dung phản hồi.", "The text of the reply is missing.")
        )
    if errors:
        raise invalid(errors)
    return text or ""


def rating_value(data: Mapping[str, Any]) -> str:
    errors: list[FieldError] = [_unknown(k) for k in data if k != "rating"]
    value = _choice(data.get("rating"), "rating", tuple(RATINGS), errors)
    if not errors and value is None:
        errors.append(
            FieldError(
                "rating",
                "Chưa chọn đánh giá: " + _options(tuple(RATINGS)) + ".",
                "The rating is missing: " + ", ".join(RATINGS) + ".",
            )
        )
    if errors:
        raise invalid(errors)
    return value or ""


def _label(field: str) -> str:
    return LABELS_VI.get(field, f"Trường '{field}'")


def _unknown(field: str) -> FieldError:
    return FieldError(
        field,
        f"Trường '{field}' không được hỗ trợ.",
        f"The field '{field}' is not supported.",
    )


def _text(raw: Any, field: str, limit: int, errors: list[FieldError]) -> str | None:
    """A string (``None`` when absent or empty), within ``limit`` characters, storable as is."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        errors.append(
            FieldError(
                field,
                f"{_label(field)} phải là chuỗi ký tự.",
                f"The field '{field}' must be a string.",
            )
        )
        return None
    if len(raw) > limit:
        errors.append(
            FieldError(
                field,
                f"{_label(field)} dài quá {limit} ký tự (đã gửi {len(raw)} ký tự).",
                f"The field '{field}' is longer than {limit} characters ({len(raw)} sent).",
            )
        )
        return None
    if not _storable(raw):
        errors.append(
            FieldError(
                field,
                f"{_label(field)} chứa ký tự điều khiển hoặc ký tự không hợp lệ.",
                f"The field '{field}' contains control or invalid characters.",
            )
        )
        return None
    return raw


def _storable(text: str) -> bool:
    """Text every database keeps as sent: valid UTF-8, no control characters but tab and newline."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which JSON can carry as \\ud800
        return False
    return _UNSTORABLE.search(text) is None


#: The control characters :func:`_storable` refuses: below 32 but tab, newline and carriage
#: return, and DEL.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _number(
    raw: Any, field: str, limit: float, form: bool, errors: list[FieldError]
) -> float | None:
    if raw is None or raw == "":
        return None
    value: float | None = None
    if form and isinstance(raw, str):
        try:
            value = float(raw.strip().replace(",", "."))
        except ValueError:
            value = None
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    if value is None or not math.isfinite(value) or abs(value) > limit:
        errors.append(
            FieldError(
                field,
                f"{_label(field)} phải là một số thập phân từ -{limit:g} đến {limit:g}.",
                f"The field '{field}' must be a decimal number from -{limit:g} to {limit:g}.",
            )
        )
        return None
    return value


def _flag(raw: Any, field: str, form: bool, errors: list[FieldError]) -> bool:
    if raw is None or raw == "":
        return False
    if isinstance(raw, bool):
        return raw
    if form and isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.strip().lower() in TRUE_WORDS
    errors.append(
        FieldError(
            field,
            f"{_label(field)} phải là true hoặc false.",
            f"The field '{field}' must be true or false.",
        )
    )
    return False


def _choice(raw: Any, field: str, options: tuple[str, ...], errors: list[FieldError]) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in options:
        errors.append(
            FieldError(
                field,
                f"{_label(field)} phải là một trong: {_options(options)}.",
                f"The field '{field}' must be one of: {', '.join(options)}.",
            )
        )
        return None
    return str(raw)


def _options(options: tuple[str, ...]) -> str:
    return ", ".join(f"{o} ({RATINGS[o]})" if o in RATINGS else o for o in options)
