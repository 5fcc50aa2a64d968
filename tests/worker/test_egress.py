"""What a configuration edit can make the worker send, and where (issue #12, item 1).

An administrator edits ``notify.yaml`` and the agencies' webhooks; the worker reads the secrets
they name from its environment and sends. Here each attack of the report is replayed against the
worker with a configuration that skipped validation (a snapshot built in code, as an old stored
version would be), so the refusal at send time is what is tested: nothing reaches the receivers,
and the row's error says why.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from engine import egress
from engine.config.snapshot import Snapshot
from engine.egress import WEBHOOK_ALLOW_ENV
from engine.services.lifecycle import Lifecycle
from engine.worker import Worker
from engine.worker.senders import DeliveryError, SmtpMailer, WebhookPoster, build_mail
from engine.workflow import State
from tests.services.conftest import road_report
from tests.services.test_lifecycle import report_in
from tests.worker.conftest import SECRET, SECRET_ENV, Hooks, Inbox, free_port, outbox_rows

ENV = {
    "DATABASE_URL": "postgresql+psycopg://phananh:mat-khau-csdl@db/phananh",
    "SECRET_KEY": "khoa-phien-dang-nhap",
    "PHANANH_SMTP_USER": "dttm",
    "PHANANH_SMTP_PASSWORD": "mat-khau",
    SECRET_ENV: SECRET,
}
AT = datetime(2026, 4, 22, 1, 0, tzinfo=UTC)


class AuthServer:
    """An SMTP server that accepts a login in plain text and records it."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.logins: list[tuple[bytes, bytes]] = []
        self.port = free_port()

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> Any:
        if isinstance(data, LoginPassword):
            self.logins.append((data.login, data.password))
            return AuthResult(success=True)
        return AuthResult(success=False)


@pytest.fixture
def auth_server() -> Iterator[AuthServer]:
    server = AuthServer()
    controller = Controller(
        server.inbox,
        hostname="127.0.0.1",
        port=server.port,
        authenticator=server.authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def with_smtp(snapshot: Snapshot, **changes: Any) -> Snapshot:
    smtp = dataclasses.replace(snapshot.notify.smtp, **changes)
    return dataclasses.replace(snapshot, notify=dataclasses.replace(snapshot.notify, smtp=smtp))


def with_webhook(snapshot: Snapshot, url: str, secret_env: str = SECRET_ENV) -> Snapshot:
    agencies = dict(snapshot.agencies)
    agencies["SXD"] = dataclasses.replace(
        agencies["SXD"], webhook_url=url, webhook_secret_env=secret_env
    )
    return dataclasses.replace(snapshot, agencies=agencies)


def rows_of(life: Lifecycle, kind: str) -> list[Any]:
    return [r for r in outbox_rows(life.uow) if r.kind == kind]


# -- SMTP ----------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_database_url_and_secret_key_are_never_sent_as_the_mail_account(
    life: Lifecycle,
    make_worker: Callable[..., Worker],
    configured: Snapshot,
    auth_server: AuthServer,
) -> None:
    snap = with_smtp(
        configured,
        port=auth_server.port,
        username_env="DATABASE_URL",
        password_env="SECRET_KEY",
        allow_plain_login_localhost=True,
    )
    life.submit(road_report())
    summary = make_worker(snapshot=snap, environ=ENV).run_once()
    assert summary.mails == 0 and summary.failed == 1
    assert auth_server.logins == [] and auth_server.inbox.envelopes == []
    (mail,) = rows_of(life, "mail")
    assert "PHANANH_SMTP_" in mail.last_error and "DATABASE_URL" in mail.last_error
    assert ENV["DATABASE_URL"] not in mail.last_error


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_login_without_tls_is_refused_unless_allowed_for_localhost(
    life: Lifecycle,
    make_worker: Callable[..., Worker],
    configured: Snapshot,
    auth_server: AuthServer,
    now: Any,
) -> None:
    plain = with_smtp(
        configured,
        port=auth_server.port,
        security="none",
        username_env="PHANANH_SMTP_USER",
        password_env="PHANANH_SMTP_PASSWORD",
    )
    life.submit(road_report())
    assert make_worker(snapshot=plain, environ=ENV).run_once().failed == 1
    assert auth_server.logins == [] and auth_server.inbox.envelopes == []
    (mail,) = rows_of(life, "mail")
    assert "starttls" in mail.last_error

    relay = with_smtp(plain, allow_plain_login_localhost=True)  # 127.0.0.1: this machine
    now.value = mail.next_attempt_at
    assert make_worker(snapshot=relay, environ=ENV).run_once().mails == 1
    assert auth_server.logins == [(b"dttm", b"mat-khau")]


def test_a_plain_login_is_never_allowed_to_another_host(configured: Snapshot) -> None:
    smtp = with_smtp(
        configured,
        host="mail.example.vn",
        security="none",
        username_env="PHANANH_SMTP_USER",
        password_env="PHANANH_SMTP_PASSWORD",
        allow_plain_login_localhost=True,
    ).notify.smtp
    mail = build_mail(
        key="k",
        sender=smtp.sender,
        to=["a@example.vn"],
        cc=[],
        subject="s",
        body="b",
        queued_at=AT,
    )
    with pytest.raises(DeliveryError, match="starttls"):
        SmtpMailer(smtp, ENV).send(mail, ["a@example.vn"])  # refused before any connection


# -- webhooks ------------------------------------------------------------------------------------


def test_a_webhook_signed_with_the_secret_key_is_refused(
    life: Lifecycle, make_worker: Callable[..., Worker], configured: Snapshot, hooks: Hooks
) -> None:
    snap = with_webhook(configured, hooks.url, secret_env="SECRET_KEY")
    report_in(life, State.FORWARDED)
    make_worker(snapshot=snap, environ={**ENV, WEBHOOK_ALLOW_ENV: "127.0.0.1"}).run_once()
    assert hooks.requests == []
    (hook,) = rows_of(life, "webhook")
    assert "PHANANH_WEBHOOK_" in hook.last_error and "SECRET_KEY" in hook.last_error


def test_a_webhook_to_loopback_is_refused_unless_the_deployment_allows_it(
    life: Lifecycle, make_worker: Callable[..., Worker], hooks: Hooks, now: Any
) -> None:
    report_in(life, State.FORWARDED)
    make_worker(environ=ENV).run_once()  # hooks.url is http://127.0.0.1:PORT/…
    assert hooks.requests == []
    (hook,) = rows_of(life, "webhook")
    assert WEBHOOK_ALLOW_ENV in hook.last_error and "127.0.0.1" in hook.last_error

    now.value = hook.next_attempt_at
    make_worker(environ={**ENV, WEBHOOK_ALLOW_ENV: "10.0.0.0/8, 127.0.0.1"}).run_once()
    assert len(hooks.requests) == 1


def test_a_name_that_resolves_to_an_internal_address_is_refused_when_sending(
    life: Lifecycle, make_worker: Callable[..., Worker], configured: Snapshot, hooks: Hooks
) -> None:
    port = int(hooks.url.split(":")[2].split("/")[0])
    resolved: list[str] = []

    def dns(host: str, port_: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        resolved.append(host)
        assert host == "hethong.sxd.example.vn"
        return socket.getaddrinfo("127.0.0.1", port_, *args, **kwargs)

    snap = with_webhook(configured, f"http://hethong.sxd.example.vn:{port}/phananh/webhook")
    report_in(life, State.FORWARDED)
    poster = WebhookPoster(5, ENV, resolve=dns)
    make_worker(snapshot=snap, environ=ENV, poster=poster).run_once()
    assert resolved and hooks.requests == []
    (hook,) = rows_of(life, "webhook")
    assert "hethong.sxd.example.vn (127.0.0.1)" in hook.last_error


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://2130706433:2601/hook",
        "http://localhost:2601/hook",
    ],
)
def test_metadata_private_and_disguised_loopback_targets_are_refused(url: str) -> None:
    poster = WebhookPoster(5, ENV)
    with pytest.raises(DeliveryError, match="nội bộ"):
        poster.post(url=url, secret_env=SECRET_ENV, body=b"{}", key="k", event="e", at=AT)


def test_a_malformed_allow_list_is_a_failed_attempt_that_says_why(hooks: Hooks) -> None:
    poster = WebhookPoster(5, {**ENV, WEBHOOK_ALLOW_ENV: "127.0.0.1,mang-noi-bo"})
    with pytest.raises(DeliveryError, match="'mang-noi-bo'"):
        poster.post(url=hooks.url, secret_env=SECRET_ENV, body=b"{}", key="k", event="e", at=AT)
    assert hooks.requests == []


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.100.100.200", True),  # shared address space: a cloud's metadata service
        ("0.0.0.0", True),
        ("::1", True),
        ("fd00:ec2::254", True),
        ("fe80::1", True),
        ("::ffff:127.0.0.1", True),
        ("224.0.0.1", True),
        ("203.113.131.1", False),
        ("2001:ee0::1", False),
    ],
)
def test_which_addresses_are_internal(address: str, inside: bool) -> None:
    assert egress.internal(ipaddress.ip_address(address)) is inside
