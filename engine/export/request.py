"""What an export asks for, checked before anything is read or written (Đ12.1, R23).

A period of submission dates (from/to inclusive, in the province's time zone), optionally one
agency with its sub-units (Đ14.3), a format, whether the media go with it, and the reason — the
state body's request it answers. Who may export: the operations administrator (Sở KH&CN, which
runs the service and its IOC and keeps the reports "to provide to state bodies on request",
Đ12.1) and the auditor (inspection reads the whole record, and may need it as a file). Of the
two, only the operations administrator hands reporters' details on (Đ13.7), so only its exports
carry an identity, and only one on the register of disclosures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from engine.config.snapshot import Snapshot
from engine.services import disclosure
from engine.services.errors import Forbidden, InvalidInput
from engine.workflow import Role

#: Who exports (see the module's docstring).
EXPORTERS = frozenset({Role.OPERATOR_ADMIN, Role.AUDITOR})
#: Whose exports carry a disclosed reporter's details: who discloses them (Đ13.7).
IDENTITY_READERS = disclosure.DISCLOSERS
FORMATS = ("csv", "xlsx", "jsonl")
REASON_MAX = 2000


@dataclass(frozen=True)
class ExportRequest:
    date_from: date
    date_to: date
    format: str
    reason: str
    agency: str | None = None
    with_media: bool = False

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """The period as instants: from the first day's midnight to the midnight after the last."""
        start = datetime.combine(self.date_from, time(), zone)
        end = datetime.combine(self.date_to + timedelta(days=1), time(), zone)
        return start, end

    @property
    def file_name(self) -> str:
        """``phan-anh-2026-01-01-2026-03-31[-SXD].jsonl`` (``.zip`` with the media)."""
        agency = f"-{self.agency}" if self.agency else ""
        stem = f"phan-anh-{self.date_from.isoformat()}-{self.date_to.isoformat()}{agency}"
        return f"{stem}.{'zip' if self.with_media else self.format}"

    @property
    def data_name(self) -> str:
        """The export file's own name (inside the zip when there are media)."""
        return self.file_name.rsplit(".", 1)[0] + f".{self.format}"


def parse_date(text: str | None, field: str, what: str) -> date:
    value = (text or "").strip()
    if not value:
        raise InvalidInput(f"Cần chọn {what}.", f"The {field} date is required.", field=field)
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise InvalidInput(
            f"{what.capitalize()} «{value}» không phải ngày hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd).",
            f"The {field} date '{value}' is not a date (dd/mm/yyyy or yyyy-mm-dd).",
            field=field,
        ) from None


def build_request(
    snapshot: Snapshot,
    *,
    date_from: str | None,
    date_to: str | None,
    format: str | None,
    reason: str | None,
    agency: str | None = None,
    with_media: bool = False,
) -> ExportRequest:
    """The request from what was typed; :class:`InvalidInput` naming the first wrong field."""
    start = parse_date(date_from, "from", "ngày bắt đầu")
    end = parse_date(date_to, "to", "ngày kết thúc")
    if start > end:
        raise InvalidInput(
            f"Ngày bắt đầu {start:%d/%m/%Y} sau ngày kết thúc {end:%d/%m/%Y}; hãy chọn lại khoảng "
            "thời gian.",
            f"The period starts ({start}) after it ends ({end}).",
            field="from",
        )
    chosen = (format or "").strip().lower()
    if chosen not in FORMATS:
        raise InvalidInput(
            f"Định dạng «{chosen}» không có; chọn một trong: {', '.join(FORMATS)}.",
            f"The format '{chosen}' is not one of {', '.join(FORMATS)}.",
            field="format",
        )
    code = (agency or "").strip() or None
    if code is not None and code not in snapshot.agencies:
        raise InvalidInput(
            f"Cơ quan «{code}» không có trong cấu hình.",
            f"There is no agency '{code}' in the configuration.",
            field="agency",
        )
    why = (reason or "").strip()
    if not why:
        raise InvalidInput(
            "Cần ghi lý do xuất dữ liệu (văn bản đề nghị của cơ quan nhà nước).",
            "The reason for the export (the state body's request) is required.",
            field="reason",
        )
    if len(why) > REASON_MAX:
        raise InvalidInput(
            f"Lý do dài quá {REASON_MAX} ký tự.",
            f"The reason is longer than {REASON_MAX} characters.",
            field="reason",
        )
    return ExportRequest(start, end, chosen, why, code, with_media)


def check_exporter(role: Role) -> None:
    if role not in EXPORTERS:
        raise Forbidden(
            "Chỉ quản trị vận hành và kiểm tra, giám sát mới xuất dữ liệu phản ánh cho cơ quan "
            "nhà nước (Đ12.1).",
            "Only the operations administrator and the auditor export reports (Đ12.1).",
        )
