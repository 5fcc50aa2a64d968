"""The schedule of the periodic reports (Đ13.9, R30) is data: ``periodic.yaml`` says which
reports the worker builds, on which day and over which period; a bad schedule is refused at
its line with a message the administrator can act on, and without the file nothing is built."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from cli.main import main
from engine.config.errors import ConfigError, ConfigInvalid
from engine.config.loader import config_files, load, load_files
from engine.config.snapshot import ScheduledReport
from engine.periodic.schedule import due, period

ROOT = Path(__file__).resolve().parents[2]

OCTOBER = ScheduledReport("Báo cáo tháng 10", (10, 10), (1, 1), ("docx", "xlsx"))
DECEMBER = ScheduledReport("Báo cáo tháng 12", (10, 12), (1, 1), ("docx", "xlsx"))
DECEMBER_AFTER = ScheduledReport("Báo cáo tháng 12", (10, 12), None, ("docx",))


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target, ignore=shutil.ignore_patterns("examples"))
    return target


def errors_of(directory: Path) -> list[ConfigError]:
    with pytest.raises(ConfigInvalid) as caught:
        load(directory)
    return caught.value.errors


def test_the_default_schedule_is_october_and_december_from_new_year() -> None:
    assert load(ROOT / "config").periodic == (OCTOBER, DECEMBER)


def test_validate_accepts_the_default_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate", "config"]) == 0
    assert "hợp lệ" in capsys.readouterr().out


def test_without_the_file_nothing_is_scheduled(conf: Path) -> None:
    (conf / "periodic.yaml").unlink()
    assert load(conf).periodic == ()


def test_a_configuration_version_carries_its_schedule(conf: Path) -> None:
    files = config_files(conf)
    assert "periodic.yaml" in files
    assert load_files(files).periodic == (OCTOBER, DECEMBER)


@pytest.mark.parametrize(
    ("old", "new", "path", "fragment"),
    [
        ('build_on: "10/10"', 'build_on: "31/04"', "reports[0].build_on", "'31/04' không có"),
        ('build_on: "10/10"', 'build_on: "29/02"', "reports[0].build_on", "'29/02' không có"),
        ('build_on: "10/10"', 'build_on: "2026-10-10"', "reports[0].build_on", "định dạng"),
        ('from: "01/01"', "from: last", "reports[0].from", "không hợp lệ"),
        ("formats: [docx, xlsx]", "formats: [odt]", "reports[0].formats[0]", "'odt'"),
        ('"Báo cáo tháng 12"', '"Báo cáo tháng 10"', "reports[1].name", "bị trùng"),
    ],
)
def test_a_bad_schedule_is_refused_at_its_line(
    conf: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, path: str, fragment: str
) -> None:
    schedule = conf / "periodic.yaml"
    text = schedule.read_text(encoding="utf-8")
    at = text.index(old) if old != '"Báo cáo tháng 12"' else text.rindex(old)
    line = text.count("\n", 0, at) + 1
    schedule.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    errors = errors_of(conf)
    assert len(errors) == 1, [str(e) for e in errors]
    error = errors[0]
    assert (error.file.endswith("periodic.yaml"), error.line, error.path) == (True, line, path)
    assert fragment in error.message_vi
    assert main(["config", "validate", str(conf)]) == 1
    assert f"periodic.yaml:{line}: {path}: " in capsys.readouterr().out


def test_a_missing_field_is_named(conf: Path) -> None:
    schedule = conf / "periodic.yaml"
    text = schedule.read_text(encoding="utf-8")
    schedule.write_text(text.replace('    from: "01/01"\n', "", 1), encoding="utf-8")
    (error,) = errors_of(conf)
    assert error.path == "reports[0]" and "'from'" in error.message_vi


def test_the_period_ends_the_day_before_and_starts_on_its_from_day() -> None:
    entries = (OCTOBER, DECEMBER)
    assert period(entries, OCTOBER, date(2026, 10, 10)) == (date(2026, 1, 1), date(2026, 10, 9))
    assert period(entries, DECEMBER, date(2026, 12, 10)) == (date(2026, 1, 1), date(2026, 12, 9))
    late_start = ScheduledReport("Năm", (10, 3), (15, 12), ("xlsx",))
    assert period([late_start], late_start, date(2027, 3, 10)) == (
        date(2026, 12, 15),
        date(2027, 3, 9),
    )


def test_from_previous_follows_on_from_the_report_before() -> None:
    entries = (OCTOBER, DECEMBER_AFTER)
    assert period(entries, DECEMBER_AFTER, date(2026, 12, 10)) == (
        date(2026, 10, 10),
        date(2026, 12, 9),
    )
    alone = ScheduledReport("Hằng năm", (10, 12), None, ("xlsx",))
    assert period([alone], alone, date(2026, 12, 10)) == (date(2025, 12, 10), date(2026, 12, 9))


def test_a_report_is_due_from_its_day_to_the_end_of_that_year() -> None:
    entries = (OCTOBER, DECEMBER)
    assert due(entries, date(2026, 10, 9)) == []
    assert [(d.entry.name, d.start, d.end) for d in due(entries, date(2026, 10, 10))] == [
        ("Báo cáo tháng 10", date(2026, 1, 1), date(2026, 10, 9))
    ]
    assert [(d.entry.name, d.built_on) for d in due(entries, date(2026, 12, 31))] == [
        ("Báo cáo tháng 10", date(2026, 10, 10)),
        ("Báo cáo tháng 12", date(2026, 12, 10)),
    ]
    assert due(entries, date(2027, 1, 1)) == []
