"""The periodic report to the province (R30): ``phananh report periodic`` writes XLSX and DOCX
files in the administrative form, whose figures are those of ``phananh stats`` for the period;
bad input is one line and exit 2 with nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from cli.main import main

PERIOD = ["--from", "01/01/2000", "--to", "31/12/2099"]


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


def test_the_xlsx_report_carries_the_period_figures_and_the_form(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = _figures(capsys)
    out = demo / "r.xlsx"
    assert main(["report", "periodic", *PERIOD, "--format", "xlsx", "--out", str(out)]) == 0
    rows = [list(r) for r in load_workbook(out).active.iter_rows(values_only=True)]
    texts = [r[0] for r in rows]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts
    assert "Độc lập - Tự do - Hạnh phúc" in texts
    assert any(str(t).startswith("Kính gửi: Ủy ban nhân dân tỉnh") for t in texts)
    total = next(r for r in rows if r[0] == "Tổng")
    assert total[1:5] == [
        figures["received"],
        figures["with_result"],
        figures["open"],
        figures["rejected"],
    ]
    for agency, counts in figures["by_agency"].items():
        row = next(r for r in rows if r[0] == agency)
        assert row[1] == counts["received"]
    assert figures["received"] > 0


def test_the_docx_report_carries_the_same_figures(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = _figures(capsys)
    out = demo / "r.docx"
    assert main(["report", "periodic", *PERIOD, "--format", "docx", "--out", str(out)]) == 0
    doc = Document(str(out))
    texts = [p.text for p in doc.paragraphs]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts and "Nơi nhận:" in texts
    agencies = doc.tables[0]
    total = next(r for r in agencies.rows if r.cells[0].text == "Tổng")
    assert total.cells[1].text == str(figures["received"])
    assert total.cells[2].text == str(figures["with_result"])


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "31/12/2025", "--to", "01/01/2025", "--format", "xlsx"],
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
    out = demo / "late.xlsx"
    assert main(["report", "periodic", *PERIOD, "--format", "xlsx", "--out", str(out)]) == 0
    rows = [list(r) for r in load_workbook(out).active.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == "Mã phản ánh") + 1
    listed = [r for r in rows[start:] if r[2] is not None]  # the ending lines fill one column
    assert len(listed) == min(stored, 500)
