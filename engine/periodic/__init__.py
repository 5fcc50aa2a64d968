"""The periodic report to the province (R30, Đ13.9): the figures of :mod:`engine.stats` for a
period, laid out as a Vietnamese administrative report, as XLSX (openpyxl), DOCX (python-docx) or
PDF (fpdf2, :mod:`engine.periodic.pdf`).

No figure is defined here: every number comes from ``engine.stats.figures`` (the tables by agency
and by sector are its ``by_agency`` and ``by_sector``); the late cases are the stored clocks marked
late. Who issues the report and to whom it goes is the province's configuration
(:class:`engine.config.snapshot.ReportHeading`, ``portal.yaml``'s ``report:`` block).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.config.regulation import STEP_NAMES_VI
from engine.config.snapshot import ReportHeading, Snapshot
from engine.stats import EXPLAINED, RATING_VALUES, Counts, Figures
from engine.store.models import Clock, Report
from engine.workflow import RATINGS, Role

VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: Who builds the report to the province's committee: the IOC operators who compile it, the
#: province's viewers who receive it, and the operator-administrator. An agency's staff see their
#: own figures in the stats; the report covers every agency.
READERS: tuple[Role, ...] = (Role.IOC_OPERATOR, Role.PROVINCE_VIEWER, Role.OPERATOR_ADMIN)
FORMATS = ("xlsx", "docx", "pdf")
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
NUMBER = "Số: …/BC-…"
TITLE = "BÁO CÁO"
SUBTITLE = "Kết quả tiếp nhận, xử lý phản ánh hiện trường từ ngày {start} đến ngày {end}"
LATE_MAX = 500

GENERAL = "I. TÌNH HÌNH CHUNG"
AGENCIES = "II. KẾT QUẢ THEO CƠ QUAN"
SECTORS = "III. KẾT QUẢ THEO LĨNH VỰC"
SATISFACTION = "IV. MỨC ĐỘ HÀI LÒNG"
LATE = "V. PHẢN ÁNH XỬ LÝ TRỄ HẠN"
FIGURES_HEAD = ["Tiếp nhận", "Đã có kết quả", "Đang xử lý", "Từ chối", "Đúng hạn", "Hài lòng"]
LATE_HEAD = ["Mã phản ánh", "Cơ quan", "Bước", "Hạn của bước", "Trễ (phút)"]
SIGNATURE = "(Ký, ghi rõ họ tên)"


@dataclass(frozen=True)
class Late:
    code: str
    agency: str
    step: str
    due: datetime
    late_minutes: int | None


@dataclass(frozen=True)
class Labels:
    """The names the tables print for the agencies' and sectors' codes (the code when unknown)."""

    agencies: Mapping[str, str] = field(default_factory=dict)
    sectors: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, snapshot: Snapshot) -> Labels:
        return cls(
            {code: a.name for code, a in snapshot.agencies.items()},
            {code: s.name for code, s in snapshot.sectors.items()},
        )


def late_cases(session: Session, start: date, end: date) -> list[Late]:
    """The clocks stopped late of the reports submitted in the period, oldest due first.

    Late is the flag frozen when the clock stopped: after the step's own limit (``base_due_at``),
    an extension granted or not (Đ8.B3); the due time and the minutes late are against that limit,
    as the flag is, so that a case stopped within its extension is not shown as negative minutes.
    """
    rows = session.execute(
        select(Report.code, Report.agency, Clock.step, Clock.base_due_at, Clock.stopped_at)
        .join(Report, Report.id == Clock.report_id)
        .where(Clock.late.is_(True))
        .where(Report.submitted_at >= _after(start - timedelta(days=1)))
        .where(Report.submitted_at < _after(end))
        .order_by(Clock.base_due_at)
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


def share(value: float | None) -> str:
    """A share as the report prints it, with a decimal comma; "—" when there is none."""
    return "—" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def summary(found: Figures) -> str:
    """The short generated text of section I."""
    return (
        f"Trong kỳ, hệ thống tiếp nhận {found.received} phản ánh; đã có kết quả {found.with_result} "
        f"({share(found.processed_share)}), đang xử lý {found.open}, từ chối {found.rejected} "
        f"(trong đó trùng {found.duplicates}). Tỷ lệ người dân hài lòng và chấp nhận được: "
        f"{share(found.rating.satisfied_share)}."
    )


def dated(place: str, day: date) -> str:
    """The date line (Nghị định 30/2020/NĐ-CP): days below 10 and months below 3 take a 0."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def _figures_row(name: str, counts: Counts) -> list[object]:
    on_time, stopped = counts.agency_on_time()
    return [
        name,
        counts.received,
        counts.with_result,
        counts.open,
        counts.rejected,
        share(on_time / stopped if stopped else None),
        share(counts.rating.satisfied_share),
    ]


def rows_of(found: Figures, labels: Labels = Labels()) -> tuple[list[str], list[list[object]]]:
    """Section II: the figures by agency, then the whole."""
    rows = [_figures_row(labels.agencies.get(code, code), c) for code, c in found.by_agency.items()]
    return ["Cơ quan", *FIGURES_HEAD], [*rows, _figures_row("Tổng", found)]


def sector_rows_of(
    found: Figures, labels: Labels = Labels()
) -> tuple[list[str], list[list[object]]]:
    """Section III: the same figures by sector, then the whole."""
    rows = [_figures_row(labels.sectors.get(code, code), c) for code, c in found.by_sector.items()]
    return ["Lĩnh vực", *FIGURES_HEAD], [*rows, _figures_row("Tổng", found)]


def satisfaction_rows(found: Figures) -> list[list[object]]:
    return [
        *([RATINGS[v], getattr(found.rating, v)] for v in RATING_VALUES),
        ["Tỷ lệ hài lòng và chấp nhận được", share(found.rating.satisfied_share)],
    ]


def late_rows(late: list[Late]) -> list[list[object]]:
    return [
        [
            x.code,
            x.agency,
            STEP_NAMES_VI.get(x.step, x.step),
            f"{x.due.astimezone(VN):%d/%m/%Y %H:%M}",
            x.late_minutes,
        ]
        for x in late
    ]


def notes() -> list[str]:
    """What the two shares of the tables count (``Counts.agency_on_time``, ``satisfied_share``)."""
    return [
        "Đúng hạn: Tỷ lệ thời hạn đã dừng trong hạn của các bước do cơ quan xử lý thực hiện "
        "(xác minh, xử lý, phê duyệt, công khai).",
        f"Hài lòng: {EXPLAINED['rating.satisfied_share'][0]}",
    ]


def recipients(heading: ReportHeading) -> list[str]:
    """The "Nơi nhận" lines: each with ``;``, the last with ``.``."""
    last = len(heading.recipients) - 1
    return [f"- {r};" if i < last else f"- {r}." for i, r in enumerate(heading.recipients)]


def heading_lines(heading: ReportHeading, start: date, end: date, issued: date) -> list[str]:
    return [
        heading.parent,
        heading.issuer,
        NATION,
        MOTTO,
        NUMBER,
        dated(heading.place, issued),
        TITLE,
        SUBTITLE.format(start=f"{start:%d/%m/%Y}", end=f"{end:%d/%m/%Y}"),
        f"Kính gửi: {heading.addressee}.",
    ]


@dataclass(frozen=True)
class Periodic:
    """Everything one report prints."""

    found: Figures
    late: list[Late]
    start: date
    end: date
    heading: ReportHeading
    labels: Labels
    issued: date


def write(
    path: Path, fmt: str, found: Figures, late: list[Late], start: date, end: date,
    heading: ReportHeading | None = None, labels: Labels = Labels(),
    issued: date | None = None,
) -> None:  # fmt: skip
    """Write the report as ``fmt``; ``issued`` (the date line) is today in Vietnam by default."""
    issued = issued or datetime.now(VN).date()
    report = Periodic(found, late, start, end, heading or ReportHeading(), labels, issued)
    if fmt == "xlsx":
        _xlsx(path, report)
    elif fmt == "docx":
        _docx(path, report)
    elif fmt == "pdf":
        from engine.periodic.pdf import write_pdf

        write_pdf(path, report)
    else:
        raise ValueError(fmt)


def sections(report: Periodic) -> list[tuple[str, list[str], list[list[object]]]]:
    """Sections II–V: title, table head, rows."""
    return [
        (AGENCIES, *rows_of(report.found, report.labels)),
        (SECTORS, *sector_rows_of(report.found, report.labels)),
        (SATISFACTION, ["Mức", "Số lượt"], satisfaction_rows(report.found)),
        (LATE, LATE_HEAD, late_rows(report.late)),
    ]


def _ending(heading: ReportHeading) -> list[str]:
    return ["Nơi nhận:", *recipients(heading), heading.signer, SIGNATURE]


def _opening(report: Periodic) -> list[str]:
    """The XLSX's first column down to the summary."""
    return [
        *heading_lines(report.heading, report.start, report.end, report.issued),
        GENERAL,
        summary(report.found),
    ]


def _xlsx(path: Path, report: Periodic) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Báo cáo"
    for line in _opening(report):
        sheet.append([line])
    for title, head, rows in sections(report):
        sheet.append([title])
        sheet.append(head)
        for row in rows:
            sheet.append(row)
    for line in [*notes(), *_ending(report.heading)]:
        sheet.append([line])
    book.save(path)


#: (bold, italic) of each line of the heading (:func:`heading_lines`) in the DOCX, all centred.
_DOCX_HEADING = [
    (False, False),
    (True, False),
    (True, False),
    (True, False),
    (False, False),
    (False, True),
    (True, False),
    (True, False),
    (False, False),
]


def _docx(path: Path, report: Periodic) -> None:
    """Times New Roman 13 on A4 with the decree's margins; the heading centred, bold where the
    decree sets it so; tables with a grid. A reader edits the number and signs."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(13)
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = section.bottom_margin = Mm(20)
        section.left_margin, section.right_margin = Mm(30), Mm(15)

    def line(text: str, bold: bool = False, italic: bool = False, centred: bool = False) -> None:
        paragraph = doc.add_paragraph()
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        if centred:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    heading = heading_lines(report.heading, report.start, report.end, report.issued)
    for text, (bold, italic) in zip(heading, _DOCX_HEADING, strict=True):
        line(text, bold, italic, centred=True)
    line(GENERAL, bold=True)
    line(summary(report.found))
    for title, head, rows in sections(report):
        line(title, bold=True)
        table = doc.add_table(rows=1, cols=len(head))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, head, strict=True):
            cell.text = text
            cell.paragraphs[0].runs[0].bold = True
        for row in rows:
            for cell, value in zip(table.add_row().cells, row, strict=True):
                cell.text = "" if value is None else str(value)
    for text in notes():
        line(text, italic=True)
    ending = _ending(report.heading)
    line(ending[0], bold=True, italic=True)
    for text in ending[1:-2]:
        line(text)
    line(ending[-2], bold=True, centred=True)
    line(ending[-1], italic=True, centred=True)
    doc.save(str(path))
