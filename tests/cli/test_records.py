"""``report show`` tells a report's whole story; ``audit verify`` proves the record or names the break."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from cli.main import main
from engine.config.loader import load
from engine.services.lifecycle import Actor, Lifecycle, NewReport
from engine.store import UnitOfWork, make_engine
from engine.store.migrate import upgrade
from engine.workflow import Role

ROOT = Path(__file__).resolve().parents[2]
IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UnitOfWork:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    upgrade(url)
    return UnitOfWork(make_engine(url))


@pytest.fixture
def forwarded(database: UnitOfWork) -> str:
    life = Lifecycle(database, load(ROOT / "config"))
    submitted = life.submit(
        NewReport(
            name="Nguyễn Thị Hoa",
            phone="0918 765 432",
            content="Cột điện nghiêng sắp đổ trước trường tiểu học.",
            area="29557",
            address="Đường 2 Tháng 9",
        )
    )
    outcome = life.perform(
        IOC, submitted.code, "classify", version=submitted.version, sector="dien"
    )
    life.perform(IOC, submitted.code, "forward", version=outcome.version)
    return submitted.code


def test_report_show_json_tells_the_whole_story(
    forwarded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "show", forwarded, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["code"] == forwarded and data["state"] == "forwarded"
    assert data["agency"] == "SCT" and data["routing_rule"] == "dien"
    assert [e["action"] for e in data["events"]] == ["submit", "classify", "forward"]
    steps = {c["step"]: c for c in data["clocks"]}
    assert set(steps) == {"intake", "forward", "verify"}
    assert steps["intake"]["stopped_at"] and steps["verify"]["stopped_at"] is None
    assert "reporter" not in data and "Nguyễn Thị Hoa" not in json.dumps(data, ensure_ascii=False)


def test_report_show_in_words_and_for_an_unknown_code(
    forwarded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "show", forwarded]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{forwarded} — forwarded") and "Diễn biến:" in out
    assert main(["report", "show", "PA-2026-999999"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "phananh: lỗi: Không có phản ánh mã PA-2026-999999."


def test_audit_verify_passes_then_names_the_edited_event(
    database: UnitOfWork, forwarded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    assert "Hồ sơ toàn vẹn: 1 phản ánh" in capsys.readouterr().out
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE events SET note = 'sửa lén' WHERE action = 'classify'"))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"{forwarded}: event ") and "(#2)" in out and "changed" in out
