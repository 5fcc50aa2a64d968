"""``phananh mail-gateway`` and ``phananh mail-fetch`` as an operator runs them (SQLite file)."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import cli.mail
from cli.mail import mail_fetch, mail_gateway
from engine.mail.intake import NotStored
from engine.store import Base, UnitOfWork, make_engine
from engine.store.models import InboundMessage, Report
from tests.mail.imap_server import ImapServer, Mailbox
from tests.mail.messages import ADDRESS, SENDER, message

CONFIG = Path(__file__).resolve().parents[2] / "config"
USER, PASSWORD = "dttm@vinhlong.gov.vn", "s3cret pass"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UnitOfWork]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    yield UnitOfWork(engine)
    engine.dispose()


def _reports(uow: UnitOfWork) -> list[tuple[str, str]]:
    with uow.read() as session:
        return [(r.channel, r.state) for r in session.scalars(select(Report))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _common(tmp_path: Path) -> list[str]:
    return ["--config", str(CONFIG), "--media", str(tmp_path / "media")]


# -- mail-gateway ----------------------------------------------------------------------------------


def test_mail_gateway_receives_until_stopped(
    database: UnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _free_port()
    answers = []

    def send_then_stop() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            answers.append(client.sendmail(SENDER, [ADDRESS], message(photos=1)))
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail(SENDER, ["khac@vinhlong.gov.vn"], message())

    monkeypatch.setattr(cli.mail, "_wait", send_then_stop)
    result = CliRunner().invoke(mail_gateway, ["--port", str(port), *_common(tmp_path)])

    assert result.exit_code == 0, result.output
    assert f"Đang nhận thư cho {ADDRESS} tại 127.0.0.1:{port}" in result.output
    assert answers == [{}]
    assert _reports(database) == [("email", "received")]
    assert list((tmp_path / "media").rglob("*.jpg"))  # the photo, kept in --media


def test_mail_gateway_port_in_use_is_one_line(database: UnitOfWork, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(mail_gateway, ["--port", str(port), *_common(tmp_path)])
    assert result.exit_code == 1
    assert f"không mở được cổng SMTP 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_mail_gateway_without_database_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(mail_gateway, ["--port", str(_free_port()), *_common(tmp_path)])
    assert result.exit_code == 1
    assert "cơ sở dữ liệu" in result.output and "Traceback" not in result.output


# -- mail-fetch ------------------------------------------------------------------------------------


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox(USER, PASSWORD)
    with ImapServer(box) as server:
        yield box, server.port


def _fetch(port: int, tmp_path: Path, *extra: str) -> list[str]:
    return [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-ssl",
        "--user",
        USER,
        "--password-env",
        "TEST_IMAP_PASSWORD",
        *_common(tmp_path),
        *extra,
    ]


def test_mail_fetch_stores_unseen_and_marks_them(
    database: UnitOfWork,
    mailbox: tuple[Mailbox, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box, port = mailbox
    box.add(message(message_id="<a@x>"))
    box.add(b"junk \x00\x01")
    box.add(message(message_id="<b@x>"), seen=True)
    monkeypatch.setenv("TEST_IMAP_PASSWORD", PASSWORD)

    result = CliRunner().invoke(mail_fetch, _fetch(port, tmp_path))

    assert result.exit_code == 0, result.output
    assert result.output.startswith("INBOX: 2 thư mới: 1 phản ánh, 0 thư trùng, 1 thư không")
    assert "  PA-" in result.output
    assert all(box.seen().values())
    assert _reports(database) == [("email", "received")]
    with database.read() as session:
        assert len(session.scalars(select(InboundMessage.id)).all()) == 2


def test_mail_fetch_leaves_unstored_messages_unseen_and_fails(
    database: UnitOfWork,
    mailbox: tuple[Mailbox, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box, port = mailbox
    uid = box.add(message())
    monkeypatch.setenv("TEST_IMAP_PASSWORD", PASSWORD)

    def down(*_: object, **__: object) -> None:
        raise NotStored("database down")

    monkeypatch.setattr(cli.mail, "receive", down)
    result = CliRunner().invoke(mail_fetch, _fetch(port, tmp_path))
    assert result.exit_code == 1
    assert "1 thư chưa lưu được (sẽ thử lại)" in result.output
    assert f"UID {uid}" in result.output
    assert box.seen() == {uid: False}


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        (None, "biến môi trường TEST_IMAP_PASSWORD (mật khẩu IMAP) chưa được đặt"),
        ("wrong", f"đăng nhập '{USER}' thất bại"),
    ],
)
def test_mail_fetch_login_problems_are_one_line(
    database: UnitOfWork,
    mailbox: tuple[Mailbox, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    password: str | None,
    expected: str,
) -> None:
    if password is not None:
        monkeypatch.setenv("TEST_IMAP_PASSWORD", password)
    else:
        monkeypatch.delenv("TEST_IMAP_PASSWORD", raising=False)
    result = CliRunner().invoke(mail_fetch, _fetch(mailbox[1], tmp_path))
    assert result.exit_code == 1
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_mail_fetch_connection_refused_is_one_line(
    database: UnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", PASSWORD)
    port = _free_port()
    result = CliRunner().invoke(mail_fetch, _fetch(port, tmp_path))
    assert result.exit_code == 1
    assert f"không kết nối được máy chủ IMAP 127.0.0.1:{port}" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_mail_gateway_follows_the_configuration_version_in_force(
    database: UnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --config the gateway runs on the database's version in force; a version an
    administrator puts in force meanwhile is the one the next mail is taken in with."""
    from engine import configstore
    from engine.config.loader import config_files

    monkeypatch.setenv("CONFIG_RELOAD_SECONDS", "0")
    monkeypatch.chdir(CONFIG.parent)  # the default folder seeds the new database's first version
    port = _free_port()
    made: list[int] = []
    used: list[tuple[int | None, float]] = []
    original = cli.mail.receive

    def receive(raw: bytes, life, store):  # noqa: ANN001, ANN202 - spy on the real intake
        used.append((life.config_version_id, life.snapshot.sla.warning_threshold))
        return original(raw, life=life, store=store)

    def send_change_send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail(SENDER, [ADDRESS], message(message_id="<mail-1@example.vn>"))
        files = config_files(CONFIG)
        files["sla.yaml"] = files["sla.yaml"].replace(
            "warning_threshold: 0.75", "warning_threshold: 0.8"
        )
        with database.begin() as session:
            made.append(configstore.create(session, files, author="quản trị", reason="thử").id)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail(SENDER, [ADDRESS], message(message_id="<mail-2@example.vn>"))

    monkeypatch.setattr(cli.mail, "receive", receive)
    monkeypatch.setattr(cli.mail, "_wait", send_change_send)
    result = CliRunner().invoke(
        mail_gateway, ["--port", str(port), "--media", str(tmp_path / "media")]
    )
    assert result.exit_code == 0, result.output
    assert [threshold for _, threshold in used] == [0.75, 0.8]
    assert used[0][0] != made[0] and used[1][0] == made[0]
    assert _reports(database) == [("email", "received"), ("email", "received")]
