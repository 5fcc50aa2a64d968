"""The periodic report to the province (R30, Đ13.9): the figures of :mod:`engine.stats` for a
period, laid out as a Vietnamese administrative report, as XLSX (openpyxl) or DOCX (python-docx).

No figure is defined here: every number comes from ``engine.stats.figures``; the late cases are
the stored clocks marked late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.stats import RATING_VALUES, Figures
from engine.store.models import Clock, Report
from engine.workflow import RATINGS

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FORMATS = ("xlsx", "docx")
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
TITLE = "BÁO CÁO"
SUBTITLE = "Kết quả tiếp nhận, xử lý phản ánh hiện trường từ ngày {start} đến ngày {end}"
LATE_MAX = 500


@dataclass(frozen=True)
class Late:
    code: str
    agency: str
    step: str
    due: datetime
    late_minutes: int | None


@dataclass(frozen=True)
class Heading:
    issuer: str = "TRUNG TÂM GIÁM SÁT, ĐIỀU HÀNH ĐÔ THỊ THÔNG MINH TỈNH VĨNH LONG"
    place: str = "Vĩnh Long"
    province: str = "Vĩnh Long"


def late_cases(session: Session, start: date, end: date) -> list[Late]:
    """The clocks stopped late of the reports submitted in the period, oldest due first."""
    rows = session.execute(
        select(Report.code, Report.agency, Clock.step, Clock.due_at, Clock.stopped_at)
        .join(Report, Report.id == Clock.report_id)
        .where(Clock.late.is_(True))
        .where(Report.submitted_at >= _after(start - timedelta(days=1)))
        .where(Report.submitted_at < _after(end))
        .order_by(Clock.due_at)
        .limit(LATE_MAX)
    ).all()
    out = []
    for code, agency, step, due, stopped in rows:
        minutes = None
        if due is not None and stopped is not None:
            minutes = int((_aware(stopped) - _aware(due)).total_seconds() // 60)
        out.append(Late(code or "", agency or "", step, _aware(due), minutes))
    return out


def _after(end: date) -> datetime:
    """The first instant after the day ``end`` in Vietnam, in UTC as the clocks are stored."""
    return (datetime(end.year, end.month, end.day, tzinfo=VN) + timedelta(days=1)).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def summary(found: Figures) -> str:
    """The short generated text of section I."""
    return (
        f"Trong kỳ, hệ thống tiếp nhận {found.received} phản ánh; đã có kết quả {found.with_result} "
        f"({_share(found.processed_share)}), đang xử lý {found.open}, từ chối {found.rejected} "
        f"(trong đó trùng {found.duplicates}). Tỷ lệ người dân hài lòng và chấp nhận được: "
        f"{_share(found.rating.satisfied_share)}."
    )


def rows_of(found: Figures) -> tuple[list[str], list[list[object]]]:
    """Section II: the figures by agency."""
    head = ["Cơ quan", "Tiếp nhận", "Đã có kết quả", "Đang xử lý", "Từ chối"]
    rows: list[list[object]] = [
        [code, c.received, c.with_result, c.open, c.rejected]
        for code, c in sorted(found.by_agency.items())
    ]
    rows.append(["Tổng", found.received, found.with_result, found.open, found.rejected])
    return head, rows


def _lines(found: Figures, heading: Heading, start: date, end: date) -> list[str]:
    return [
        heading.issuer,
        NATION,
        MOTTO,
        "Số: …/BC-…",
        f"{heading.place}, ngày … tháng … năm …",
        TITLE,
        SUBTITLE.format(start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}"),
        f"Kính gửi: Ủy ban nhân dân tỉnh {heading.province}",
        "I. TÌNH HÌNH CHUNG",
        summary(found),
    ]


def write(
    path: Path, fmt: str, found: Figures, late: list[Late], start: date, end: date,
    heading: Heading = Heading(),
) -> None:  # fmt: skip
    if fmt == "xlsx":
        _xlsx(path, found, late, start, end, heading)
    elif fmt == "docx":
        _docx(path, found, late, start, end, heading)
    else:
        raise ValueError(fmt)


def _satisfaction(found: Figures) -> list[list[object]]:
    return [[RATINGS[v], getattr(found.rating, v)] for v in RATING_VALUES]


def _late_rows(late: list[Late]) -> list[list[object]]:
    return [
        [x.code, x.agency, x.step, f"{x.due.astimezone(VN):%d/%m/%Y %H:%M}", x.late_minutes]
        for x in late
    ]


LATE_HEAD = ["Mã phản ánh", "Cơ quan", "Bước", "Hạn", "Trễ (phút)"]
ENDING = ["Nơi nhận:", "- Như trên;", "- Lưu: VT.", "THỦ TRƯỞNG CƠ QUAN", "(Ký, ghi rõ họ tên)"]


def _xlsx(path: Path, found: Figures, late: list[Late], start: date, end: date, h: Heading) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Báo cáo"
    for line in _lines(found, h, start, end):
        sheet.append([line])
    sheet.append(["II. KẾT QUẢ THEO CƠ QUAN"])
    head, rows = rows_of(found)
    sheet.append(head)
    for row in rows:
        sheet.append(row)
    sheet.append(["III. MỨC ĐỘ HÀI LÒNG"])
    for row in _satisfaction(found):
        sheet.append(row)
    sheet.append(["IV. PHẢN ÁNH XỬ LÝ TRỄ HẠN"])
    sheet.append(LATE_HEAD)
    for row in _late_rows(late):
        sheet.append(row)
    for line in ENDING:
        sheet.append([line])
    book.save(path)


def _docx(path: Path, found: Figures, late: list[Late], start: date, end: date, h: Heading) -> None:
    from docx import Document

    doc = Document()
    for line in _lines(found, h, start, end):
        doc.add_paragraph(line)
    for title, head, rows in (
        ("II. KẾT QUẢ THEO CƠ QUAN", *rows_of(found)),
        ("III. MỨC ĐỘ HÀI LÒNG", ["Mức", "Số lượt"], _satisfaction(found)),
        ("IV. PHẢN ÁNH XỬ LÝ TRỄ HẠN", LATE_HEAD, _late_rows(late)),
    ):
        doc.add_paragraph(title)
        table = doc.add_table(rows=1, cols=len(head))
        for cell, text in zip(table.rows[0].cells, head, strict=True):
            cell.text = text
        for row in rows:
            for cell, value in zip(table.add_row().cells, row, strict=True):
                cell.text = "" if value is None else str(value)
    for line in ENDING:
        doc.add_paragraph(line)
    doc.save(str(path))
