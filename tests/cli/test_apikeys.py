"""``phananh apikey``: a key is printed once, stored only as its hash, and refused once revoked."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.apikeys import apikey
from engine import apikeys
from engine.store import ApiKey, UnitOfWork, make_engine
from engine.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UnitOfWork:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    upgrade(url)
    return UnitOfWork(make_engine(url))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(apikey, list(args))
    return result.exit_code, result.output


def test_create_prints_only_the_key_and_stores_its_hash(database: UnitOfWork) -> None:
    code, out = run("create", "so-xay-dung")
    assert code == 0
    key = out.strip()
    assert out == key + "\n" and re.fullmatch(r"[A-Za-z0-9_-]{43}", key)
    with database.read() as session:
        row = session.scalars(select(ApiKey)).one()
        assert row.name == "so-xay-dung" and row.revoked_at is None
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert apikeys.check(session, key) is not None
    assert run("create", "ung-dung-khac")[1].strip() != key  # every key is new


def test_a_name_is_used_once(database: UnitOfWork) -> None:
    run("create", "doi-tac")
    code, out = run("create", "doi-tac")
    assert code == 1
    assert "Tên khóa 'doi-tac' đã được dùng; hãy chọn tên khác." in out
    assert run("create", "   ")[0] == 1
    with database.read() as session:
        assert len(session.scalars(select(ApiKey)).all()) == 1


def test_revoke_refuses_the_key_from_then_on(database: UnitOfWork) -> None:
    key = run("create", "doi-tac")[1].strip()
    code, out = run("revoke", "doi-tac")
    assert code == 0 and out.strip() == "Đã thu hồi khóa 'doi-tac'."
    with database.read() as session:
        assert apikeys.check(session, key) is None
        assert session.scalars(select(ApiKey)).one().revoked_at is not None
    code, out = run("revoke", "doi-tac")
    assert code == 1 and "Khóa 'doi-tac' đã bị thu hồi trước đó." in out
    code, out = run("create", "doi-tac")
    assert code == 1 and "đã được dùng (đã thu hồi)" in out


def test_revoking_an_unknown_name_is_one_line(database: UnitOfWork) -> None:
    code, out = run("revoke", "khong-co")
    assert code == 1 and "Không có khóa nào tên 'khong-co'." in out
    assert "Traceback" not in out


def test_list_shows_names_and_states_never_keys(database: UnitOfWork) -> None:
    assert run("list", "--config", str(ROOT / "config")) == (0, "Chưa có khóa nào.\n")
    first = run("create", "b-doi-tac")[1].strip()
    second = run("create", "a-doi-tac")[1].strip()
    run("revoke", "b-doi-tac")
    code, out = run("list", "--config", str(ROOT / "config"))
    assert code == 0
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["a-doi-tac", "b-doi-tac"]
    assert lines[0].endswith("\tđang dùng")
    assert re.search(r"\tđã thu hồi \d{2}/\d{2}/\d{4} \d{2}:\d{2}$", lines[1])
    assert first not in out and second not in out
