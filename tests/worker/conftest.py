"""The worker against real receivers: an SMTP server (aiosmtpd) and an HTTP server (http.server),
both started by the test on 127.0.0.1 — no mail or request ever leaves the machine.

The database fixtures are those of ``tests/services/conftest.py``: SQLite, and PostgreSQL when
``TEST_DATABASE_URL`` is set. Time is the ``now`` Clockwork the use cases share, so back-off,
leases, deadlines and the digest hour are driven by setting it.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.config.snapshot import NotifyConfig, RetryPolicy, SmtpConfig, Snapshot
from engine.egress import WEBHOOK_ALLOW_ENV
from engine.store import OutboxMessage, UnitOfWork
from engine.worker import Worker
from tests.services.conftest import Clockwork, db_engine, life, now, snapshot, uow

__all__ = ["db_engine", "life", "now", "snapshot", "uow"]

SECRET_ENV = "PHANANH_WEBHOOK_SECRET_SXD"
SECRET = "khoa-bi-mat-cua-so-xay-dung"
#: The test's receivers are on this machine: the deployment allows its webhooks to reach them.
LOOPBACK = "127.0.0.1"
IOC_MAIL = "ioc@example.vn"
SXD_MAIL = "phananh.sxd@example.vn"


ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server accepted, parsed."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [message_from_bytes(c, policy=policy.default) for _, _, c in self.envelopes]  # type: ignore[misc]

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            raw = [c for _, rcpt, c in self.envelopes if address in rcpt]
        return [message_from_bytes(c, policy=policy.default) for c in raw]  # type: ignore[misc]

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Hooks:
    """An agency's system: records every request; answers with ``statuses`` in turn, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.url = ""

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    receiver = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = receiver.answer()
            with receiver.lock:
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": body,
                        "status": status,
                    }
                )
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/phananh/webhook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def configured(snapshot: Snapshot, smtp: tuple[Inbox, int], hooks: Hooks) -> Snapshot:
    """The default configuration, pointed at the test's receivers; Sở Xây dựng has a webhook."""
    _, port = smtp
    agencies = dict(snapshot.agencies)
    agencies["SXD"] = dataclasses.replace(
        agencies["SXD"], email=SXD_MAIL, webhook_url=hooks.url, webhook_secret_env=SECRET_ENV
    )
    notify = NotifyConfig(
        smtp=SmtpConfig(
            host="127.0.0.1",
            port=port,
            sender="Phản ánh hiện trường Vĩnh Long <dttm@vinhlong.gov.vn>",
            timeout_seconds=5,
        ),
        ioc_email=IOC_MAIL,
        public_base_url="https://phananh.vinhlong.gov.vn",
        retry=RetryPolicy(max_attempts=3, base_seconds=60, max_seconds=3600),
        webhook_timeout_seconds=5,
    )
    return dataclasses.replace(snapshot, agencies=agencies, notify=notify)


@pytest.fixture
def make_worker(uow: UnitOfWork, configured: Snapshot, now: Clockwork) -> Callable[..., Worker]:
    def make(**options: Any) -> Worker:
        options.setdefault("environ", {SECRET_ENV: SECRET, WEBHOOK_ALLOW_ENV: LOOPBACK})
        return Worker(uow, options.pop("snapshot", configured), now=now, **options)

    return make


def outbox_rows(uow: UnitOfWork) -> list[OutboxMessage]:
    with uow.read() as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        session.expunge_all()  # readable after the read-only session rolls back
        return rows


def configuration_sending_to(folder: Path, port: int) -> Path:
    """A copy of the default configuration in ``folder`` whose notify.yaml sends to
    127.0.0.1:``port`` (a test's SMTP server)."""
    target = folder / "config"
    shutil.copytree(ROOT / "config", target, ignore=shutil.ignore_patterns("examples"))
    notify = target / "notify.yaml"
    text = notify.read_text(encoding="utf-8")
    notify.write_text(
        text.replace("host: localhost", "host: 127.0.0.1").replace("port: 25", f"port: {port}"),
        encoding="utf-8",
    )
    return target
