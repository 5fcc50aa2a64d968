"""The periodic report as PDF (fpdf2), in the layout of Nghị định 30/2020/NĐ-CP: the issuing body
and the number on the left, the national name and motto on the right, then title, addressee, body,
"Nơi nhận" and the signer.

The font is Source Serif Pro, a serif with every Vietnamese letter in its regular and bold faces,
from the ``font-source-serif-pro`` package (a declared dependency that ships the TTF files):
nothing is copied into the repository or fetched when the report is made. Its italic faces lack
most Vietnamese letters, so the lines the decree sets in italics (the date line, the signature's
note) are the regular face slanted (:func:`_oblique`). fpdf2 embeds the subset used, with its
Unicode map, so the text can be searched and copied.
"""

from __future__ import annotations

from pathlib import Path

import font_source_serif_pro
from fpdf import FPDF

from engine.periodic import (
    GENERAL,
    MOTTO,
    NATION,
    NUMBER,
    SIGNATURE,
    SUBTITLE,
    TITLE,
    Periodic,
    dated,
    notes,
    recipients,
    sections,
    summary,
)

FAMILY = "SourceSerif"
#: fpdf2's style letters → the package's font files (``font_files_ttf`` keys).
STYLES = {"": "SourceSerifPro", "B": "SourceSerifProBold"}
#: The slant of the oblique lines, in degrees.
SLANT = 12.0
#: A4, margins of Nghị định 30/2020 (top 20, bottom 20, left 30, right 15 mm).
LEFT, RIGHT, TOP, BOTTOM = 30.0, 15.0, 20.0, 20.0
LINE = 6.0
#: The tables' font size (pt), line height and padding (mm).
CELL_SIZE, CELL_LINE, PAD = 10, 4.6, 1.2
#: Column widths (shares of the text's width) of the tables that are not the figures': the
#: satisfaction's two columns, the late cases' five (the step's name is long).
WIDTHS: dict[int, list[float]] = {2: [0.6, 0.4], 5: [0.21, 0.14, 0.32, 0.19, 0.14]}


def font_files() -> dict[str, str]:
    """fpdf2 style → the TTF path inside the installed font package."""
    files = font_source_serif_pro.font_files_ttf
    return {style: files[name] for style, name in STYLES.items()}


class _Document(FPDF):
    def footer(self) -> None:
        """The page number, centred at the foot."""
        self.set_y(-BOTTOM + 5)
        self.set_font(FAMILY, "", 10)
        self.cell(0, 5, str(self.page_no()), align="C")


def write_pdf(path: Path, report: Periodic) -> None:
    pdf = _Document(format="A4")
    for style, file in font_files().items():
        pdf.add_font(FAMILY, style, file)
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, BOTTOM)
    pdf.set_title(SUBTITLE.format(start=f"{report.start:%d/%m/%Y}", end=f"{report.end:%d/%m/%Y}"))
    pdf.set_author(report.heading.issuer)
    pdf.set_creator("phananh")
    pdf.set_lang("vi")
    pdf.add_page()
    _heading(pdf, report)
    _body(pdf, report)
    _ending(pdf, report)
    pdf.output(str(path))


def _heading(pdf: FPDF, report: Periodic) -> None:
    """Two columns: the issuer (left), the nation (right); the title under both."""
    h = report.heading
    left_w = 70.0
    right_w = pdf.epw - left_w
    top = pdf.get_y()
    pdf.set_font(FAMILY, "", 12)
    pdf.multi_cell(left_w, LINE, h.parent, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(left_w, LINE, h.issuer, align="C", new_x="LMARGIN", new_y="NEXT")
    _rule(pdf, LEFT + left_w / 2, 20)
    pdf.set_font(FAMILY, "", 12)
    pdf.ln(2)
    pdf.multi_cell(left_w, LINE, NUMBER, align="C", new_x="LMARGIN", new_y="NEXT")
    below_left = pdf.get_y()

    pdf.set_xy(LEFT + left_w, top)
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(right_w, LINE, NATION, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 13)
    pdf.multi_cell(right_w, LINE, MOTTO, align="C", new_x="LEFT", new_y="NEXT")
    _rule(pdf, LEFT + left_w + right_w / 2, 55)
    pdf.ln(2)
    pdf.set_x(LEFT + left_w)
    pdf.set_font(FAMILY, "", 13)
    _oblique(pdf, right_w, LINE, dated(h.place, report.issued))
    pdf.set_y(max(below_left, pdf.get_y()) + 8)

    pdf.set_font(FAMILY, "B", 14)
    pdf.multi_cell(0, LINE + 1, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 13)
    period = SUBTITLE.format(start=f"{report.start:%d/%m/%Y}", end=f"{report.end:%d/%m/%Y}")
    pdf.multi_cell(0, LINE + 1, period, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FAMILY, "", 13)
    pdf.multi_cell(0, LINE, f"Kính gửi: {h.addressee}.", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _rule(pdf: FPDF, middle: float, width: float) -> None:
    """The short line under the issuer's name and under the motto."""
    y = pdf.get_y() + 0.5
    pdf.set_line_width(0.3)
    pdf.line(middle - width / 2, y, middle + width / 2, y)
    pdf.set_y(y + 0.5)


def _oblique(pdf: FPDF, width: float, height: float, text: str) -> None:
    """One centred line of ``text`` in the current face, slanted about its baseline."""
    x, y = pdf.get_x(), pdf.get_y()
    with pdf.skew(ax=SLANT, x=x + width / 2, y=y + height):
        pdf.multi_cell(width, height, text, align="C", new_x="LMARGIN", new_y="NEXT")


def _body(pdf: FPDF, report: Periodic) -> None:
    _section(pdf, GENERAL)
    pdf.set_font(FAMILY, "", 13)
    pdf.multi_cell(0, LINE, summary(report.found), align="J", new_x="LMARGIN", new_y="NEXT")
    for title, head, rows in sections(report):
        _section(pdf, title)
        if not rows:
            pdf.set_font(FAMILY, "", 12)
            pdf.multi_cell(0, LINE, "Không có.", new_x="LMARGIN", new_y="NEXT")
            continue
        shares = WIDTHS.get(len(head)) or [0.31, *([0.69 / (len(head) - 1)] * (len(head) - 1))]
        right = [_numeric(rows, i) for i in range(len(head))]
        _table(pdf, [pdf.epw * w for w in shares], right, head, rows)
    pdf.ln(2)
    pdf.set_font(FAMILY, "", 11)
    for line in notes():
        pdf.multi_cell(0, 5, line, align="J", new_x="LMARGIN", new_y="NEXT")


def _table(
    pdf: FPDF, widths: list[float], right: list[bool], head: list[str], rows: list[list[object]]
) -> None:
    """A grid table, its head repeated on each page; the head and the "Tổng" row in bold.

    Drawn with ``text`` and ``rect`` rather than fpdf2's ``table()``, which lays out each cell
    with ``multi_cell`` twice: the 500 late cases took 5.8 s that way, on a shared machine.
    """
    pdf.set_line_width(0.2)
    _row(pdf, widths, [False] * len(head), head, bold=True, centred=True)
    for values in rows:
        texts = ["" if v is None else str(v) for v in values]
        needed = _row_height(pdf, widths, texts, bold=texts[0] == "Tổng")
        if pdf.get_y() + needed > pdf.page_break_trigger:
            pdf.add_page()
            _row(pdf, widths, [False] * len(head), head, bold=True, centred=True)
        _row(pdf, widths, right, texts, bold=texts[0] == "Tổng")


def _row_height(pdf: FPDF, widths: list[float], texts: list[str], bold: bool) -> float:
    pdf.set_font(FAMILY, "B" if bold else "", CELL_SIZE)
    lines = max(len(_wrap(pdf, t, w - 2 * PAD)) for t, w in zip(texts, widths, strict=True))
    return lines * CELL_LINE + 2 * PAD


def _row(
    pdf: FPDF,
    widths: list[float],
    right: list[bool],
    texts: list[str],
    bold: bool = False,
    centred: bool = False,
) -> None:
    pdf.set_font(FAMILY, "B" if bold else "", CELL_SIZE)
    cells = [_wrap(pdf, t, w - 2 * PAD) for t, w in zip(texts, widths, strict=True)]
    height = max(len(lines) for lines in cells) * CELL_LINE + 2 * PAD
    x, y = pdf.l_margin, pdf.get_y()
    for lines, width, to_right in zip(cells, widths, right, strict=True):
        pdf.rect(x, y, width, height)
        top = y + (height - len(lines) * CELL_LINE) / 2
        for k, line in enumerate(lines):
            used = pdf.get_string_width(line)
            if to_right:
                left = x + width - PAD - used
            elif centred:
                left = x + (width - used) / 2
            else:
                left = x + PAD
            pdf.text(left, top + k * CELL_LINE + CELL_LINE * 0.75, line)
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` at the current font, broken at spaces."""
    if pdf.get_string_width(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and pdf.get_string_width(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line]


def _numeric(rows: list[list[object]], column: int) -> bool:
    """A column of counts and shares, aligned right."""
    return all(
        v is None or isinstance(v, int) or (isinstance(v, str) and (v == "—" or v.endswith("%")))
        for v in (row[column] for row in rows)
    )


def _section(pdf: FPDF, title: str) -> None:
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 13)
    pdf.multi_cell(0, LINE, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _ending(pdf: FPDF, report: Periodic) -> None:
    """ "Nơi nhận" (left), the signer's title and the signature's place (right), kept together."""
    lines = recipients(report.heading)
    if pdf.get_y() + 10 + 5 * (len(lines) + 1) > pdf.h - BOTTOM:
        pdf.add_page()
    pdf.ln(8)
    top = pdf.get_y()
    left_w = pdf.epw * 0.45
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(left_w, 5, "Nơi nhận:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 11)
    for line in lines:
        pdf.multi_cell(left_w, 5, line, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(LEFT + left_w, top)
    pdf.set_font(FAMILY, "B", 13)
    pdf.multi_cell(
        pdf.epw - left_w, LINE, report.heading.signer, align="C", new_x="LEFT", new_y="NEXT"
    )
    pdf.set_font(FAMILY, "", 12)
    _oblique(pdf, pdf.epw - left_w, LINE, SIGNATURE)
