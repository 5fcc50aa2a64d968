"""The export's three formats, each written as the reports arrive (Đ12.1, R23).

* JSONL — one nested object a line, a report with everything :mod:`engine.export.reading` gives.
* CSV — one row a report: the main fields, and the clocks, events, replies and ratings summed up
  in a cell each (UTF-8 with a byte-order mark, so that a spreadsheet reads the diacritics).
* XLSX — the same rows on the first sheet, and one row per clock, per event and per reply or
  rating on sheets of their own; openpyxl's write-only mode keeps no row in memory.

Times are ``dd/mm/yyyy HH:MM`` in the province's time zone in CSV and XLSX (read by people),
ISO 8601 with the offset in JSONL (read by programs).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import PurePosixPath
from typing import IO, Any

from engine.config.regulation import STEP_NAMES_VI
from engine.workflow import RATINGS, STATE_LABELS_VI, State

Report = dict[str, Any]


def media_name(code: str | None, attachment: dict[str, Any]) -> str:
    """Where an attachment goes in the zip: by report and id, never by the sender's file name."""
    suffix = PurePosixPath(attachment["path"]).suffix
    return f"media/{code}/{attachment['id']}{suffix}"


def for_output(report: Report, *, with_media: bool) -> Report:
    """The report as it goes out: the media store's own paths replaced by the zip's names."""
    shown = dict(report)
    shown["attachments"] = [
        {
            **{k: v for k, v in a.items() if k != "path"},
            "file": media_name(report["code"], a) if with_media else None,
        }
        for a in report["attachments"]
    ]
    return shown


def _when(iso: str | None) -> str:
    return datetime.fromisoformat(iso).strftime("%d/%m/%Y %H:%M") if iso else ""


def _yes(value: bool | None) -> str:
    return "Có" if value else "Không"


def clock_standing(clock: dict[str, Any]) -> str:
    """How a step's clock stands, from its stored facts (late flags are never recomputed)."""
    if clock["stopped_at"] is None:
        if clock["paused_at"] is not None:
            return "tạm dừng"
        return f"đang chạy, hạn {_when(clock['due_at'])}"
    if not clock["late"]:
        return "đúng hạn"
    if clock["late_after_extension"] is False:
        return "quá hạn, trong thời gian gia hạn"
    return "quá hạn"


def _clocks(report: Report) -> str:
    return "; ".join(
        f"{STEP_NAMES_VI.get(c['step'], c['step'])}: {clock_standing(c)}" for c in report["clocks"]
    )


def _disclosures(report: Report) -> str:
    return "; ".join(
        f"{_when(d['at'])} cho {d['authority']} ({d['reason']}), người cung cấp {d['by']}"
        for d in report["disclosures"]
    )


def _identity(key: str) -> Callable[[Report], str]:
    return lambda report: (report["reporter"] or {}).get(key) or ""


#: The main sheet and the CSV: (header, value of a report).
COLUMNS: tuple[tuple[str, Callable[[Report], Any]], ...] = (
    ("Mã phản ánh", lambda r: r["code"] or ""),
    ("Thời điểm gửi", lambda r: _when(r["submitted_at"])),
    ("Kênh", lambda r: r["channel"]),
    ("Tình trạng", lambda r: r["state"]),
    ("Tình trạng (diễn giải)", lambda r: STATE_LABELS_VI.get(State(r["state"]), r["state"])),
    ("Nội dung", lambda r: r["content"]),
    ("Lĩnh vực", lambda r: r["sector"] or ""),
    ("Lĩnh vực gợi ý", lambda r: r["suggested_sector"] or ""),
    ("Xã, phường", lambda r: r["area"] or ""),
    ("Địa điểm", lambda r: r["address"] or ""),
    ("Vĩ độ", lambda r: r["coordinates"][0] if r["coordinates"] else ""),
    ("Kinh độ", lambda r: r["coordinates"][1] if r["coordinates"] else ""),
    ("Yêu cầu giữ bí mật", lambda r: _yes(r["confidential"])),
    ("Bí mật nhà nước", lambda r: _yes(r["state_secret"])),
    ("Trùng với", lambda r: r["duplicate_of"] or ""),
    ("Cơ quan xử lý", lambda r: r["routing"]["agency"] or ""),
    ("Đơn vị", lambda r: r["routing"]["unit"] or ""),
    ("Cán bộ xử lý", lambda r: r["routing"]["officer"] or ""),
    ("Quy tắc phân công", lambda r: r["routing"]["rule"] or ""),
    ("Phiên bản cấu hình", lambda r: r["routing"]["config_version"] or ""),
    ("Kết quả đề xuất", lambda r: r["proposed_result"] or ""),
    ("Kết quả được duyệt", lambda r: r["approved_result"] or ""),
    ("Nội dung công khai", lambda r: r["published_text"] or ""),
    ("Thời điểm công khai", lambda r: _when(r["published_at"])),
    ("Thời hạn các bước", _clocks),
    ("Số lần gia hạn", lambda r: len(r["extensions"])),
    ("Số sự kiện", lambda r: len(r["events"])),
    ("Diễn biến", lambda r: " → ".join(e["action"] for e in r["events"])),
    ("Số lần đề nghị làm rõ", lambda r: len(r["replies"])),
    ("Đề nghị làm rõ", lambda r: " | ".join(x["text"] for x in r["replies"])),
    ("Đánh giá", lambda r: RATINGS.get(r["rating"] or "", r["rating"] or "")),
    (
        "Các lần đánh giá",
        lambda r: "; ".join(RATINGS.get(x["value"], x["value"]) for x in r["ratings"]),
    ),
    ("Số tệp", lambda r: len(r["attachments"])),
    ("Tệp trong gói", lambda r: "; ".join(a["file"] for a in r["attachments"] if a["file"])),
    ("Cung cấp thông tin người phản ánh (Đ13.7)", _disclosures),
    ("Họ tên người phản ánh", _identity("name")),
    ("Điện thoại người phản ánh", _identity("phone")),
    ("Thư điện tử người phản ánh", _identity("email")),
    ("Địa chỉ người phản ánh", _identity("address")),
)
HEADERS = tuple(header for header, _ in COLUMNS)


def row_of(report: Report) -> list[Any]:
    return [value(report) for _, value in COLUMNS]


def jsonl(reports: Iterable[Report]) -> Iterator[bytes]:
    for report in reports:
        yield (json.dumps(report, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def csv_rows(reports: Iterable[Report]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode()

    writer.writerow(HEADERS)
    yield "\ufeff".encode() + take()
    for report in reports:
        writer.writerow([_inert(value) for value in row_of(report)])
        yield take()


#: What a spreadsheet opening a CSV reads as the start of a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """A citizen's text that a spreadsheet would run as a formula, made plain text.

    A CSV cell has no type: ``=HYPERLINK(…)`` typed in a report would become a live link, or
    worse, in the spreadsheet of the state body the export is for. A leading apostrophe is what
    the spreadsheets themselves show for "this is text"; numbers (ints) are left as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


#: The XLSX's other sheets: title, headers, and the rows one report gives.
CLOCK_HEADERS = (
    "Mã phản ánh",
    "Bước",
    "Bắt đầu",
    "Hạn theo quy định",
    "Hạn (kể cả gia hạn)",
    "Dừng lúc",
    "Phút làm việc được giao",
    "Phút làm việc đã dùng",
    "Đã gia hạn",
    "Quá hạn",
    "Quá hạn cả thời gian gia hạn",
    "Tình trạng",
)
EVENT_HEADERS = (
    "Mã phản ánh",
    "Thứ tự",
    "Thời điểm",
    "Người thực hiện",
    "Vai trò",
    "Thao tác",
    "Từ tình trạng",
    "Đến tình trạng",
    "Ghi chú",
    "Mã băm",
)
FEEDBACK_HEADERS = ("Mã phản ánh", "Loại", "Thời điểm", "Nội dung")


def _flag(value: bool | None) -> str:
    return "" if value is None else _yes(value)


def _clock_rows(report: Report) -> Iterator[list[Any]]:
    for c in report["clocks"]:
        yield [
            report["code"],
            STEP_NAMES_VI.get(c["step"], c["step"]),
            _when(c["started_at"]),
            _when(c["base_due_at"]),
            _when(c["due_at"]),
            _when(c["stopped_at"]),
            c["budget_minutes"],
            c["used_minutes"],
            _yes(c["extended"]),
            _flag(c["late"]),
            _flag(c["late_after_extension"]),
            clock_standing(c),
        ]


def _event_rows(report: Report) -> Iterator[list[Any]]:
    for e in report["events"]:
        yield [
            report["code"],
            e["seq"],
            _when(e["at"]),
            e["actor"],
            e["role"],
            e["action"],
            e["from"] or "",
            e["to"],
            e["note"] or "",
            e["hash"],
        ]


def _feedback_rows(report: Report) -> Iterator[list[Any]]:
    for reply in report["replies"]:
        yield [report["code"], "Đề nghị làm rõ", _when(reply["at"]), reply["text"]]
    for rating in report["ratings"]:
        label = RATINGS.get(rating["value"], rating["value"])
        yield [report["code"], "Đánh giá", _when(rating["at"]), label]


def xlsx(reports: Iterable[Report], target: IO[bytes]) -> None:
    """Write the workbook to ``target``; each sheet's rows go to openpyxl's temporary files."""
    from openpyxl import Workbook  # imported here: only an XLSX export needs it

    book = Workbook(write_only=True)
    sheets = (
        (book.create_sheet("Phản ánh"), HEADERS, lambda r: iter([row_of(r)])),
        (book.create_sheet("Thời hạn"), CLOCK_HEADERS, _clock_rows),
        (book.create_sheet("Diễn biến"), EVENT_HEADERS, _event_rows),
        (book.create_sheet("Làm rõ, đánh giá"), FEEDBACK_HEADERS, _feedback_rows),
    )
    for sheet, headers, _ in sheets:
        sheet.append(list(headers))
    for report in reports:
        for sheet, _, rows in sheets:
            for row in rows(report):
                sheet.append([_cell(sheet, value) for value in row])
    book.save(target)


def _cell(sheet: Any, value: Any) -> Any:
    """A cell; text beginning with ``=`` stays text, as the citizen wrote it, never a formula."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value
