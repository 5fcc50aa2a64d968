"""``phananh worker`` killed with SIGKILL in the middle of its mail (issue #10, R29).

Twenty citizens each wait for the mail that acknowledges their report. The worker sends through a
slow SMTP server on loopback and is killed after the first few; a new worker, started at once,
takes over the dead one's claims when their lease runs out. Every citizen gets their mail; a mail
may arrive twice only when the worker died between the server's 250 and marking it sent (the
documented at-least-once), and then with the same Message-ID, so the receiver sees it once.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from engine.config.loader import load
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork
from engine.store.models import OutboxMessage
from tests.faults.conftest import Process, environment, free_port
from tests.services.conftest import road_report
from tests.worker.conftest import Inbox, configuration_sending_to

REPORTS = 20
KILL_AFTER = 5  # mails received
LEASE = 2  # seconds: the new worker waits this long for the dead one's claims


class SlowInbox(Inbox):
    """An SMTP server that takes its time over each mail, so that a kill lands mid-batch."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(0.1)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def inbox() -> Any:
    box = SlowInbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def unsent_mail(uow: UnitOfWork) -> int:
    with uow.read() as session:
        return session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "mail", OutboxMessage.sent_at.is_(None))
        )


def test_a_killed_worker_loses_no_mail_and_repeats_one_at_most(
    database: str, uow: UnitOfWork, tmp_path: Path, inbox: tuple[SlowInbox, int]
) -> None:
    box, port = inbox
    conf = configuration_sending_to(tmp_path, port)
    life = Lifecycle(uow, load(conf))
    codes = {
        f"dan{i}@example.vn": life.submit(road_report(email=f"dan{i}@example.vn")).code
        for i in range(REPORTS)
    }
    args = ["worker", "--interval", "0.2", "--lease", str(LEASE), "--config", str(conf)]
    worker = Process(args, environment(database, tmp_path), tmp_path).start()
    try:
        deadline = time.monotonic() + 120
        while len(box.envelopes) < KILL_AFTER:
            assert worker.alive() and time.monotonic() < deadline, worker.log.read_text()
            time.sleep(0.02)
        worker.kill()
        received_before = len(box.envelopes)
        worker.start()
        while unsent_mail(uow) or not all(box.to(address) for address in codes):
            assert worker.alive() and time.monotonic() < deadline, worker.log.read_text()
            time.sleep(0.1)
    finally:
        worker.stop()
    assert received_before < REPORTS, "the kill came after the work: nothing was interrupted"
    for address, code in codes.items():
        mails = box.to(address)
        assert {str(m["Subject"]) for m in mails} == {f"Đã tiếp nhận phản ánh {code}"}
        assert len({m["Message-ID"] for m in mails}) == 1
    repeated = len(box.envelopes) - len({m["Message-ID"] for m in box.messages})
    assert repeated <= 1
    with uow.read() as session:
        parked = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.parked.is_(True))
        )
    assert parked == 0
