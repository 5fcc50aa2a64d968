"""``phananh user``: accounts made from the command line, with the password from standard input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.users import user
from engine import accounts, throttle
from engine.store import ApiToken, UnitOfWork, User, make_engine
from engine.store.migrate import upgrade
from engine.store.models import SignInFailure

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ("--config", str(ROOT / "config"))
PASSWORD = "mat-khau-du-dai-1"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UnitOfWork:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    upgrade(url)
    return UnitOfWork(make_engine(url))


def run(*args: str, password: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(user, list(args), input=password)
    return result.exit_code, result.output


def create(name: str, *options: str, password: str = PASSWORD) -> tuple[int, str]:
    return run("create", name, *options, "--password-stdin", *CONFIG, password=password + "\n")


def account(database: UnitOfWork, username: str) -> User:
    with database.read() as session:
        found = accounts.find_user(session, username)
        assert found is not None
        session.expunge(found)
        return found


def test_create_an_officer_of_an_agency(database: UnitOfWork) -> None:
    code, out = create(
        "CanBo.SXD", "--role", "officer", "--agency", "SXD", "--name", "Phạm Minh Đức"
    )
    assert (code, out) == (0, "Đã tạo tài khoản 'canbo.sxd' (officer, SXD).\n")
    row = account(database, "canbo.sxd")
    assert (row.role, row.agency, row.display_name, row.active) == (
        "officer",
        "SXD",
        "Phạm Minh Đức",
        True,
    )
    assert row.password_hash.startswith("scrypt$") and PASSWORD not in row.password_hash
    assert accounts.check_password(PASSWORD, row.password_hash)
    code, out = create("ioc", "--role", "ioc_operator", "--email", "ioc@vinhlong.gov.vn")
    assert code == 0 and account(database, "ioc").email == "ioc@vinhlong.gov.vn"


@pytest.mark.parametrize(
    ("options", "password", "message"),
    [
        (
            ("--role", "officer", "--agency", "SO-KHONG-CO"),
            PASSWORD,
            "không có cơ quan 'SO-KHONG-CO'",
        ),
        (("--role", "leader"), PASSWORD, "Vai trò leader cần cơ quan (--agency MÃ)"),
        (("--role", "ioc_operator", "--agency", "SXD"), PASSWORD, "không thuộc cơ quan nào"),
        (("--role", "auditor"), "ngan", "Mật khẩu cần ít nhất 10 ký tự"),
        (("--role", "auditor"), " " * 12, "không được chỉ gồm khoảng trắng"),
    ],
)
def test_create_refusals_are_one_line(
    database: UnitOfWork, options: tuple[str, ...], password: str, message: str
) -> None:
    code, out = create("moi", *options, password=password)
    assert code == 1 and message in out
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out
    with database.read() as session:
        assert session.scalars(select(User)).all() == []


def test_a_username_is_used_once(database: UnitOfWork) -> None:
    assert create("ioc", "--role", "ioc_operator")[0] == 0
    code, out = create("IOC", "--role", "auditor")
    assert code == 1 and "Tài khoản 'ioc' đã tồn tại" in out
    code, out = create("có dấu", "--role", "auditor")
    assert code == 1 and "không hợp lệ" in out


def test_the_password_comes_only_from_stdin(database: UnitOfWork) -> None:
    code, out = run("create", "ioc", "--role", "ioc_operator", *CONFIG)
    assert code == 2 and "--password-stdin" in out
    code, out = run("create", "dan", "--role", "reporter", "--password-stdin", password=PASSWORD)
    assert code == 2  # citizens have no account
    with database.read() as session:
        assert session.scalars(select(User)).all() == []


def test_list_shows_accounts_never_secrets(database: UnitOfWork) -> None:
    assert run("list", *CONFIG) == (0, "Chưa có tài khoản nào.\n")
    create("lanhdao.sxd", "--role", "leader", "--agency", "SXD", "--name", "Võ Thị Em")
    create("ioc", "--role", "ioc_operator")
    with database.begin() as session:
        found = accounts.find_user(session, "ioc")
        assert found is not None
        for _ in range(5):
            attempt = throttle.Attempt("203.0.113.9", "ioc")
            throttle.record_failure(session, attempt, "password", datetime.now(UTC))
        found.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    code, out = run("list", *CONFIG)
    assert code == 0
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["ioc", "lanhdao.sxd"]
    assert re.fullmatch(
        r"ioc\tioc_operator\t-\tđang dùng, 5 lần đăng nhập sai trong 24 giờ\t2FA\t"
        r"chưa đăng nhập\tioc",
        lines[0],
    )
    assert lines[1] == "lanhdao.sxd\tleader\tSXD\tđang dùng\t-\tchưa đăng nhập\tVõ Thị Em"
    assert "JBSWY3DP" not in out and "scrypt" not in out


def test_deactivate_activate_unlock_reset_totp_revoke_tokens(database: UnitOfWork) -> None:
    create("ioc", "--role", "ioc_operator")
    now = datetime.now(UTC)
    with database.begin() as session:
        found = accounts.find_user(session, "ioc")
        assert found is not None
        for _ in range(3):
            throttle.record_failure(session, throttle.Attempt("203.0.113.9", "ioc"), "code", now)
        found.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        accounts.issue_token(session, found, now, timedelta(hours=12))
        accounts.issue_token(session, found, now, timedelta(hours=12))

    assert run("unlock", "ioc") == (
        0,
        "Đã bỏ thời gian chờ đăng nhập của 'ioc' (3 lần đăng nhập sai không còn được tính).\n",
    )
    with database.read() as session:
        assert throttle.recent_failures(session, "ioc", datetime.now(UTC)) == []
        assert len(session.scalars(select(SignInFailure)).all()) == 3  # kept: the audit

    assert run("reset-totp", "IOC") == (0, "Đã đặt lại xác thực hai bước của tài khoản 'ioc'.\n")
    assert account(database, "ioc").totp_secret is None

    assert run("revoke-tokens", "ioc") == (0, "Đã thu hồi 2 mã truy cập API của 'ioc'.\n")
    with database.begin() as session:
        found = accounts.find_user(session, "ioc")
        assert found is not None
        token, _ = accounts.issue_token(session, found, now, timedelta(hours=12))

    assert run("deactivate", "ioc") == (0, "Đã ngừng tài khoản 'ioc'.\n")
    assert account(database, "ioc").active is False
    with database.read() as session:
        assert all(t.revoked_at is not None for t in session.scalars(select(ApiToken)))
        assert accounts.token_owner(session, token, now) is None

    assert run("activate", "ioc") == (0, "Đã mở lại tài khoản 'ioc'.\n")
    assert account(database, "ioc").active is True


@pytest.mark.parametrize("command", ["deactivate", "activate", "unlock", "reset-totp"])
def test_an_unknown_account_is_one_line(database: UnitOfWork, command: str) -> None:
    code, out = run(command, "khong.ai")
    assert code == 1 and "Không có tài khoản 'khong.ai'" in out and "Traceback" not in out
