"""The periodic report to the province (R30): ``phananh report periodic`` writes XLSX, DOCX and PDF
files in the administrative form, whose figures — by agency and by sector — are those of
``phananh stats`` for the period; the issuing body and the recipients are the configuration's;
bad input is one line and exit 2 with nothing written."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from cli.main import main
from engine.config.loader import load

PERIOD = ["--from", "01/01/2000", "--to", "31/12/2099"]
ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = load(ROOT / "config")
AGENCY_STEPS = ("verify", "handle", "approve", "publish")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("periodic")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite:///{folder / 'demo.db'}")
        assert main(["demo", "--reports", "40"]) == 0
        yield folder


def _figures(capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["stats", "--json", *PERIOD]) == 0
    return json.loads(capsys.readouterr().out)


def _report(folder: Path, fmt: str, *extra: str) -> Path:
    out = folder / f"r.{fmt}"
    assert main(["report", "periodic", *PERIOD, "--format", fmt, "--out", str(out), *extra]) == 0
    return out


def _share(part: int, whole: int) -> str:
    return "—" if not whole else f"{part / whole * 100:.1f}%".replace(".", ",")


def expected_row(counts: dict) -> list[object]:
    """A table's row as the stats JSON gives it: counts, on-time share of the agency's steps,
    satisfied share."""
    steps = [counts["steps"][s] for s in AGENCY_STEPS]
    on_time = sum(s["on_time"] for s in steps)
    stopped = sum(s["on_time"] + s["late"] + s.get("late_within_extension", 0) for s in steps)
    rating = counts["rating"]
    satisfied = rating["hai_long"] + rating["chap_nhan_duoc"]
    return [
        counts["received"],
        counts["with_result"],
        counts["open"],
        counts["rejected"],
        _share(on_time, stopped),
        _share(satisfied, rating["rated"]),
    ]


def _table(rows: list[list], title: str) -> list[list]:
    """The rows of the XLSX table under ``title``, up to its "Tổng" row."""
    start = next(i for i, r in enumerate(rows) if r[0] == title) + 2
    end = next(i for i in range(start, len(rows)) if rows[i][0] == "Tổng")
    return rows[start : end + 1]


def test_the_xlsx_report_carries_the_period_figures_and_the_form(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = _figures(capsys)
    rows = [
        list(r) for r in load_workbook(_report(demo, "xlsx")).active.iter_rows(values_only=True)
    ]
    texts = [r[0] for r in rows]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts
    assert "Độc lập - Tự do - Hạnh phúc" in texts
    assert "Kính gửi: Ủy ban nhân dân tỉnh Vĩnh Long." in texts
    agencies = _table(rows, "II. KẾT QUẢ THEO CƠ QUAN")
    assert agencies[-1][1:] == expected_row(figures)
    assert len(agencies) == len(figures["by_agency"]) + 1
    for code, counts in figures["by_agency"].items():
        row = next(r for r in agencies if r[0] == SNAPSHOT.agencies[code].name)
        assert row[1:] == expected_row(counts), code
    assert figures["received"] > 0


def test_the_figures_by_sector_are_the_stats_by_sector(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """R30 asks for the figures by sector: one row per sector of the period, named as in
    sectors.yaml, with the numbers of ``phananh stats`` for that sector."""
    figures = _figures(capsys)
    rows = [
        list(r) for r in load_workbook(_report(demo, "xlsx")).active.iter_rows(values_only=True)
    ]
    sectors = _table(rows, "III. KẾT QUẢ THEO LĨNH VỰC")
    assert len(figures["by_sector"]) > 1 and len(sectors) == len(figures["by_sector"]) + 1
    for code, counts in figures["by_sector"].items():
        row = next(r for r in sectors if r[0] == SNAPSHOT.sectors[code].name)
        assert row[1:] == expected_row(counts), code
    assert sectors[-1][1:] == expected_row(figures)


def test_the_docx_report_carries_the_same_figures(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = _figures(capsys)
    doc = Document(str(_report(demo, "docx")))
    texts = [p.text for p in doc.paragraphs]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts and "Nơi nhận:" in texts
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in texts and "- Lưu: VT." in texts
    agencies, sectors = doc.tables[0], doc.tables[1]
    for table in (agencies, sectors):
        total = next(r for r in table.rows if r.cells[0].text == "Tổng")
        assert [c.text for c in total.cells[1:]] == [str(v) for v in expected_row(figures)]
    names = {r.cells[0].text for r in sectors.rows}
    assert {SNAPSHOT.sectors[code].name for code in figures["by_sector"]} <= names


def test_the_pdf_report_has_the_figures_and_the_vietnamese_text(
    demo: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The PDF's text, read back, has the form's lines with their diacritics, the summary of the
    period and every sector's row; no letter was drawn without a glyph."""
    figures = _figures(capsys)
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        out = _report(demo, "pdf")
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    reader = PdfReader(out)
    text = " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
    for line in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "Kính gửi: Ủy ban nhân dân tỉnh Vĩnh Long.",
        "III. KẾT QUẢ THEO LĨNH VỰC",
        "Nơi nhận:",
        "GIÁM ĐỐC",
    ):
        assert line in text, line
    assert (
        f"Trong kỳ, hệ thống tiếp nhận {figures['received']} phản ánh; đã có kết quả "
        f"{figures['with_result']}"
    ) in text
    for code, counts in figures["by_sector"].items():
        cells = [SNAPSHOT.sectors[code].name, *map(str, expected_row(counts))]
        assert " ".join(cells) in text, code
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert all("SourceSerifPro" in name for name in fonts), fonts


def test_the_issuer_and_the_recipients_come_from_the_configuration(
    demo: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config, ignore=shutil.ignore_patterns("examples"))
    portal = config / "portal.yaml"
    text = portal.read_text(encoding="utf-8")
    head, _, _ = text.partition("report:\n")
    portal.write_text(
        head + "report:\n  issuer: SỞ THÔNG TIN VÀ TRUYỀN THÔNG\n  place: Trà Vinh\n"
        '  recipients: [UBND tỉnh (b/c), "Lưu: VT, IOC"]\n  signer: KT. GIÁM ĐỐC\n',
        encoding="utf-8",
    )
    docx = _report(tmp_path, "docx", "--config", str(config))
    pdf = _report(tmp_path, "pdf", "--config", str(config))
    lines = [p.text for p in Document(str(docx)).paragraphs]
    # The PDF's columns wrap long names: its text is compared with the line breaks as spaces.
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    for line in (
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "ỦY BAN NHÂN DÂN TỈNH VĨNH LONG",  # the default parent body: the province's committee
        "- UBND tỉnh (b/c);",
        "- Lưu: VT, IOC.",
        "KT. GIÁM ĐỐC",
    ):
        assert line in lines and line in text, line
    assert any(line.startswith("Trà Vinh, ngày ") for line in lines) and "Trà Vinh, ngày " in text


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "31/12/2025", "--to", "01/01/2025", "--format", "pdf"],
        ["--from", "32/01/2025", "--to", "01/02/2025", "--format", "xlsx"],
        ["--from", "01/01/2025", "--to", "01/02/2025", "--format", "odt"],
    ],
)
def test_bad_input_is_exit_2_and_nothing_written(demo: Path, args: list[str]) -> None:
    out = demo / "bad.out"
    assert main(["report", "periodic", *args, "--out", str(out)]) == 2
    assert not out.exists()


def test_the_late_cases_are_the_clocks_stored_late(demo: Path) -> None:
    from sqlalchemy import func, select

    from engine.store import UnitOfWork, make_engine
    from engine.store.models import Clock

    engine = make_engine(f"sqlite:///{demo / 'demo.db'}")
    with UnitOfWork(engine).read() as session:
        stored = session.scalar(select(func.count()).where(Clock.late.is_(True)))
    engine.dispose()
    rows = [
        list(r) for r in load_workbook(_report(demo, "xlsx")).active.iter_rows(values_only=True)
    ]
    start = next(i for i, r in enumerate(rows) if r[0] == "Mã phản ánh") + 1
    listed = [r for r in rows[start:] if r[2] is not None]  # the ending lines fill one column
    assert len(listed) == min(stored, 500)
    # Late is after the step's own limit, which the due time and the minutes are measured against.
    assert all(r[4] is None or r[4] >= 0 for r in listed)
