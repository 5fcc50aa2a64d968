"""``phananh config export|import|versions|diff|rollback|cancel`` (issue: point 5), and ``route``
and ``calendar`` following the version in force when ``--config`` is not given."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from engine import configstore
from engine.config.loader import config_files, load
from engine.store import UnitOfWork
from tests.configstore.conftest import AREA, ROOT, moved_environment

PHANANH = str(Path(sys.executable).with_name("phananh"))


@pytest.fixture
def database(uow: UnitOfWork, database_url: str, monkeypatch: pytest.MonkeyPatch) -> UnitOfWork:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return uow


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def versions(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    code, out, _ = run(capsys, "config", "versions", "--json")
    assert code == 0
    return json.loads(out)


def test_import_versions_export_rollback_diff(
    database: UnitOfWork,
    files: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert versions(capsys) == []
    code, _, err = run(capsys, "config", "export", str(tmp_path / "none"))
    assert code == 1 and "chưa có phiên bản" in err
    code, out, _ = run(
        capsys, "config", "import", str(ROOT / "config"), "--reason", "Bắt đầu", "--author", "an"
    )
    assert code == 0 and out.startswith("Đã tạo phiên bản")
    moved = write(tmp_path / "moved", moved_environment(files))
    code, out, _ = run(capsys, "config", "import", str(moved), "--reason", "Thử", "--author", "an")
    assert code == 0 and "sectors.yaml | +5 -0 (changed)" in out
    listed = versions(capsys)
    assert [(v["author"], v["reason"], v["active"], v["status"]) for v in listed] == [
        ("an", "Thử", True, "active"),
        ("an", "Bắt đầu", False, "superseded"),
    ]
    v1, v2 = listed[1]["id"], listed[0]["id"]
    assert listed[0]["parent_id"] == v1 and listed[0]["created_at"]
    code, out, _ = run(capsys, "config", "versions")
    assert code == 0 and f"*{v2}" in out and "đang áp dụng" in out and "đã thay thế" in out
    code, out, _ = run(capsys, "config", "diff", str(v2))
    assert code == 0 and "+++ b/sectors.yaml" in out and "+    agency: SNNMT" in out
    # Export then import: the same snapshot (and the same files).
    code, out, _ = run(capsys, "config", "export", str(tmp_path / "out"))
    assert code == 0 and config_files(tmp_path / "out") == moved_environment(files)
    exported = dataclasses.replace(load(tmp_path / "out"), source="")
    assert exported == dataclasses.replace(load(moved), source="")
    code, out, _ = run(capsys, "config", "export", str(tmp_path / "out"))
    assert code == 1  # not into a directory in use without --force
    code, out, _ = run(capsys, "config", "import", str(tmp_path / "out"), "--reason", "lại")
    assert code == 0 and "Không có thay đổi" in out
    # Rollback: version 1's files again, as a new version in force.
    code, out, _ = run(capsys, "config", "rollback", str(v1), "--author", "lanhdao")
    assert code == 0
    listed = versions(capsys)
    assert (listed[0]["restored_from_id"], listed[0]["active"], listed[0]["author"]) == (
        v1,
        True,
        "lanhdao",
    )
    with database.read() as session:
        assert configstore.active(session).files == configstore.get(session, v1).files
    code, _, err = run(capsys, "config", "rollback", "999")
    assert code == 1 and err.count("\n") == 1


def test_a_scheduled_import_and_its_cancellation(
    database: UnitOfWork,
    files: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "config", "import", str(ROOT / "config"), "--reason", "Bắt đầu")[0] == 0
    moved = write(tmp_path / "moved", moved_environment(files))
    code, out, _ = run(
        capsys, "config", "import", str(moved), "--reason", "Năm mới",
        "--from", "2099-01-01T00:00+07:00",
    )  # fmt: skip
    assert code == 0 and "áp dụng từ 01/01/2099 00:00" in out
    listed = versions(capsys)
    assert [v["status"] for v in listed] == ["scheduled", "active"]
    assert listed[0]["active_from"] == "2098-12-31T17:00:00+00:00"
    code, _, err = run(capsys, "config", "import", str(moved), "--reason", "x", "--from", "mai")
    assert code == 2 and "ISO 8601" in err
    assert run(capsys, "config", "cancel", str(listed[0]["id"]))[0] == 0
    assert [v["status"] for v in versions(capsys)] == ["inactive", "active"]


def test_an_invalid_import_prints_every_file_line_and_changes_nothing(
    database: UnitOfWork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "config", "import", str(ROOT / "config"), "--reason", "Bắt đầu")[0] == 0
    broken = tmp_path / "broken"
    shutil.copytree(ROOT / "config", broken, ignore=shutil.ignore_patterns("examples"))
    sla = broken / "sla.yaml"
    sla.write_text(
        sla.read_text(encoding="utf-8")
        .replace("verify:  {duration: 1d", "verify:  {duration: 3d")
        .replace("timezone: Asia/Ho_Chi_Minh", "timezone: Mars/Olympus"),
        encoding="utf-8",
    )
    (broken / "portal.yaml").write_text("zoom: [\n", encoding="utf-8")
    before = versions(capsys)
    code, out, _ = run(capsys, "config", "import", str(broken), "--reason", "hỏng")
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 3, lines
    for line in lines:
        file, number = line.split(": ", 1)[0].rsplit(":", 1)
        assert file.startswith(str(broken)) and number.isdigit(), line
    assert any(line.startswith(f"{broken}/sla.yaml:41: steps.verify.duration") for line in lines)
    assert any(f"{broken}/portal.yaml:" in line for line in lines)
    # Same lines as 'config validate' gives for the directory.
    assert run(capsys, "config", "validate", str(broken))[1].strip().splitlines() == lines
    assert versions(capsys) == before
    code, out, _ = run(capsys, "config", "import", str(tmp_path / "nothing"), "--reason", "x")
    assert code == 1 and "không tồn tại" in out


def test_route_follows_the_version_in_force_unless_given_a_directory(
    database: UnitOfWork,
    files: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def agency(*extra: str) -> str:
        code, out, err = run(capsys, "route", "--sector", "moi-truong", "--area", AREA, *extra)
        assert code == 0, err
        return json.loads(out)["agency"]["code"]

    assert agency() == f"UBND-{AREA}"  # no version yet: the directory
    moved = write(tmp_path / "moved", moved_environment(files))
    assert run(capsys, "config", "import", str(moved), "--reason", "Thử")[0] == 0
    assert agency() == "SNNMT"
    assert agency("--config", str(ROOT / "config")) == f"UBND-{AREA}"


def test_calendar_without_config_uses_the_version_in_force(
    database: UnitOfWork, files: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}

    def add() -> str:
        done = subprocess.run(
            [PHANANH, "calendar", "add", "2026-04-28T16:00+07:00", "1d"],
            capture_output=True, text=True, cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert add() == "2026-04-29T16:00+07:00"
    day_off = dict(files)
    day_off["sla.yaml"] = files["sla.yaml"].replace(
        "    2026:\n      days_off:\n",
        '    2026:\n      days_off:\n        - {date: 2026-04-29, reason: "Nghỉ thử"}\n',
    )
    assert day_off["sla.yaml"] != files["sla.yaml"]
    with database.begin() as session:
        configstore.create(session, day_off, author="quantri", reason="Nghỉ 29/4")
    assert add() == "2026-05-04T16:00+07:00"  # 29/4 off, then 30/4, 1/5 and the weekend
