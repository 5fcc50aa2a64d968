"""``phananh export`` (R23): the file has the period's reports, the export is on the register, and
bad input is one line, exit 2, with no file and no register line written."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from cli.main import main
from engine.config.loader import load
from engine.services.lifecycle import Lifecycle, NewReport
from engine.store import UnitOfWork, make_engine
from engine.store.migrate import upgrade
from engine.store.models import ExportRecord
from tests.export.test_export import every_text

ROOT = Path(__file__).resolve().parents[2]
VN = ZoneInfo("Asia/Ho_Chi_Minh")
MARKER = "Qwzmarker"
CONFIG = ["--config", str(ROOT / "config")]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UnitOfWork:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    upgrade(url)
    uow = UnitOfWork(make_engine(url))
    days = ("2026-03-31T23:00", "2026-04-02T09:00", "2026-04-29T16:00", "2026-05-01T08:00")
    for number, day in enumerate(days):
        when = datetime.fromisoformat(day).replace(tzinfo=VN)
        life = Lifecycle(uow, load(ROOT / "config"), now=lambda when=when: when)
        life.submit(
            NewReport(
                name=f"{MARKER} {number}",
                phone="0918 765 432",
                content=f"Cột điện nghiêng số {number} trước trường tiểu học.",
                area="29557",
                confidential=True,
            )
        )
    return uow


def in_april(uow: UnitOfWork) -> list[str]:
    with uow.read() as session:
        return list(
            session.scalars(
                text(
                    "SELECT code FROM reports WHERE code IN "
                    "('PA-2026-000002', 'PA-2026-000003') ORDER BY id"
                )
            )
        )


def records(uow: UnitOfWork) -> list[tuple[str, int | None, str, str, bool]]:
    """The register: format, rows, reason, role, whether finished."""
    with uow.read() as session:
        return [
            (r.format, r.rows, r.reason, r.role, r.finished_at is not None)
            for r in session.scalars(select(ExportRecord).order_by(ExportRecord.id))
        ]


def test_export_writes_each_format_with_the_period_s_reports_and_records_it(
    database: UnitOfWork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    april = ["--from", "2026-04-01", "--to", "30/04/2026", "--reason", "Công văn 3/UBND"]
    expected = in_april(database)
    assert len(expected) == 2
    assert main(["export", *CONFIG, *april, "--format", "jsonl", "--out", "a.jsonl"]) == 0
    assert "Đã xuất 2 phản ánh vào a.jsonl" in capsys.readouterr().out
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["code"] for line in lines] == expected
    assert main(["export", *CONFIG, *april, "--format", "csv", "--out", "a.csv"]) == 0
    with (tmp_path / "a.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [row["Mã phản ánh"] for row in csv.DictReader(handle)] == expected
    assert main(["export", *CONFIG, *april, "--format", "xlsx"]) == 0
    book = load_workbook(tmp_path / "phan-anh-2026-04-01-2026-04-30.xlsx", read_only=True)
    assert [row[0] for row in list(book["Phản ánh"].values)[1:]] == expected
    for name in ("a.jsonl", "a.csv", "phan-anh-2026-04-01-2026-04-30.xlsx"):
        assert MARKER not in every_text((tmp_path / name).read_bytes())  # the workbook opened
    assert records(database) == [
        (format, 2, "Công văn 3/UBND", "operator_admin", True)
        for format in ("jsonl", "csv", "xlsx")
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "2026-05-01", "--to", "2026-04-01", "--reason", "x"], "sau ngày kết thúc"),
        (["--from", "2026-02-30", "--to", "2026-04-01", "--reason", "x"], "không phải ngày"),
        (["--from", "2026-04-01", "--to", "2026-04-30", "--reason", " "], "lý do"),
        (
            ["--from", "2026-04-01", "--to", "2026-04-30", "--reason", "x", "--agency", "ZZZ"],
            "Cơ quan «ZZZ»",
        ),
        (["--from", "2026-04-01", "--to", "2026-04-30"], "--reason"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    database: UnitOfWork,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    assert main(["export", *CONFIG, *arguments, "--format", "csv", "--out", "x.csv"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err
    assert not (tmp_path / "x.csv").exists() and records(database) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export-")] == []
