"""``phananh demo`` (what ``make run`` calls first): a working database on first start, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from cli.main import main
from engine import audit
from engine.accounts import check_password
from engine.store import Report, UnitOfWork, User, make_engine
from engine.workflow import Role


def test_demo_creates_accounts_and_reports_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["demo", "--reports", "30"]) == 0
    out = capsys.readouterr().out
    assert f"mật khẩu: {DEMO_PASSWORD}" in out and "Đã tạo 30 phản ánh mẫu" in out
    uow = UnitOfWork(make_engine(url))
    with uow.read() as session:
        users = session.scalars(select(User)).all()
        assert {u.role for u in users} == set(Role) - {Role.REPORTER}
        assert all(check_password(DEMO_PASSWORD, u.password_hash) for u in users)
        assert DEMO_PASSWORD not in {u.password_hash for u in users}
        assert session.scalar(select(func.count()).select_from(Report)) == 30
        assert list(audit.verify(session)) == []
    # A second start keeps what is there.
    assert main(["demo"]) == 0
    assert "giữ nguyên" in capsys.readouterr().out
    with uow.read() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 30
        assert len(session.scalars(select(User)).all()) == len(DEMO_ACCOUNTS)


def test_demo_is_refused_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its accounts' password is printed in the README: never on a real deployment."""
    url = f"sqlite:///{tmp_path / 'production.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PHANANH_ENV", "production")
    assert main(["demo", "--reports", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PHANANH_ENV=production" in err and "Traceback" not in err
    assert not (tmp_path / "production.db").exists()  # not even migrated
