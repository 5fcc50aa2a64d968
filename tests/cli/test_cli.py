"""The command-line contract that operators and scripts rely on (issue: foundation, point 8).

Success prints only the answer; every failure is one line on stderr and a non-zero exit, never a
traceback.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_failure(code: int, out: str, err: str, expected_code: int) -> None:
    assert code == expected_code
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("phananh: lỗi")
    assert "Traceback" not in err


def test_validate_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "config", "validate", "config")
    assert (code, err) == (0, "")
    assert out.strip() == "config: hợp lệ — 9 lĩnh vực, 133 cơ quan, 124 địa bàn"
    code, out, _ = run(capsys, "config", "validate", "config/examples/pilot-2020", "--lang", "en")
    assert code == 0 and "valid — 9 sectors" in out and "8 areas" in out


def test_validate_prints_every_error_as_file_line_path_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "config"
    shutil.copytree(ROOT / "config", broken, ignore=shutil.ignore_patterns("examples"))
    sla = broken / "sla.yaml"
    sla.write_text(
        sla.read_text(encoding="utf-8")
        .replace("verify:  {duration: 1d", "verify:  {duration: 3d")
        .replace("timezone: Asia/Ho_Chi_Minh", "timezone: Mars/Olympus"),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "config", "validate", str(broken), "--lang", "en")
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        file, number, path, message = line.split(": ", 1)[0].split(":") + line.split(": ", 2)[1:]
        assert file.endswith("sla.yaml") and number.isdigit() and path and message
    assert any("steps.verify.duration" in line and "Đ8.B2" in line for line in lines)
    assert any("calendar.timezone" in line for line in lines)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-04-29T16:00+07:00", "2h", "2026-05-04T08:00+07:00"),  # 30/4, 1/5, weekend
        ("2026-04-29T09:00+07:00", "90m", "2026-04-29T10:30+07:00"),
        ("2026-04-28T16:00+07:00", "1d", "2026-04-29T16:00+07:00"),  # a working day, not 24 h
        ("2026-04-29T02:00+00:00", "2h", "2026-04-29T11:00+07:00"),  # another offset
        ("2026-11-27T22:00+07:00", "6d", "2026-12-07T17:00+07:00"),  # Friday night, six days
    ],
)
def test_calendar_add(
    capsys: pytest.CaptureFixture[str], start: str, duration: str, expected: str
) -> None:
    code, out, err = run(capsys, "calendar", "add", start, duration)
    assert (code, out, err) == (0, expected + "\n", "")


def test_calendar_elapsed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "calendar", "elapsed", "2026-04-29T16:00+07:00", "2026-05-04T08:00+07:00"
    )
    assert (code, out) == (0, "120\n")


@pytest.mark.parametrize(
    ("argv", "expected_code"),
    [
        (("calendar", "add", "2026-04-29T16:00", "2h"), 2),  # naive: no offset
        (("calendar", "add", "yesterday", "2h"), 2),
        (("calendar", "add", "2026-04-29T16:00+07:00", "2 hours"), 2),
        (("calendar", "add", "2026-04-29T16:00+07:00", "0h"), 2),
        (("calendar", "add", "2026-04-29T16:00+07:00"), 2),
        (("calendar", "add", "2046-04-29T16:00+07:00", "2h"), 1),  # beyond the calendar's years
        (("calendar", "elapsed", "2026-04-29T16:00+07:00", "later"), 2),
        (("calendar", "add", "2026-04-29T16:00+07:00", "2h", "--config", "/nonexistent"), 1),
        (("route",), 2),
        (("route", "--sector", "khong-co"), 1),
        (("route", "--sector", "moi-truong", "--area", "00000"), 1),
        (("route", "--sector", "moi-truong"), 1),  # routed by commune: an area is needed
        (("serve", "--port", "99999"), 2),
        (("no-such-command",), 2),
    ],
)
def test_bad_arguments_get_one_line_and_non_zero_exit(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], expected_code: int
) -> None:
    assert_one_line_failure(*run(capsys, *argv), expected_code)


def test_route_names_agency_rule_and_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "route",
        "--sector",
        "giao-thong-van-tai",
        "--text",
        "Đường có ổ gà lớn, đèn giao thông hư",
    )
    assert (code, err) == (0, "")
    answer = json.loads(out)
    assert answer["agency"] == {"code": "SXD", "name": "Sở Xây dựng"}
    assert answer["rule"] == "giao-thong-van-tai"
    assert answer["suggested_sectors"][0]["code"] == "giao-thong-van-tai"


def test_route_environment_goes_to_the_communes_committee(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from engine.config.loader import load

    snapshot = load(ROOT / "config")
    area = next(iter(snapshot.areas))
    code, out, _ = run(
        capsys, "route", "--sector", "moi-truong", "--area", area, "--text", "rac thai do bay"
    )
    answer = json.loads(out)
    assert code == 0
    assert answer["agency"]["code"] == snapshot.committee_of(area).code
    assert answer["rule"].startswith("moi-truong")
    assert answer["suggested_sectors"][0]["code"] == "moi-truong"  # without diacritics too


def test_console_script_is_installed_and_never_tracebacks() -> None:
    script = Path(sys.executable).with_name("phananh")
    done = subprocess.run(
        [str(script), "calendar", "add", "not-a-time", "2h"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_database_without_tables_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    code, out, err = run(capsys, "audit", "verify")
    assert_one_line_failure(code, out, err, 1)
    assert "phananh db upgrade" in err
