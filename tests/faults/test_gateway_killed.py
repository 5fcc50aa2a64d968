"""``phananh mail-gateway`` killed with SIGKILL while mail arrives (issue #10, Đ4: thư điện tử).

A mail server relays thirty citizens' mails one after another and, like any mail server, sends a
mail again until it gets 250 for it. The gateway is killed after ten and started again. Every
mail that was answered 250 had been stored before the answer, and at the end each mail is one
report: a mail stored but killed before its 250 is sent again and recognised by its Message-ID.
"""

from __future__ import annotations

import smtplib
import threading
import time
from pathlib import Path

from sqlalchemy import select

from engine.store import UnitOfWork
from engine.store.models import InboundMessage, Report
from tests.faults.conftest import Process, environment, free_port, wait_for_port
from tests.mail.messages import ADDRESS, SENDER, message

MAILS = 30
KILL_AFTER = 10


def stored_ids(uow: UnitOfWork) -> list[str]:
    with uow.read() as session:
        return list(session.scalars(select(InboundMessage.message_id)))


def test_a_killed_gateway_has_stored_every_mail_it_acknowledged(
    database: str, uow: UnitOfWork, tmp_path: Path
) -> None:
    port = free_port()
    gateway = Process(
        ["mail-gateway", "--port", str(port)], environment(database, tmp_path), tmp_path
    ).start()
    wait_for_port(port, gateway)
    acknowledged: list[str] = []
    stored_at_ack: dict[str, bool] = {}
    retries = 0

    def relay() -> None:
        nonlocal retries
        for index in range(MAILS):
            message_id = f"<relay-{index}@example.vn>"
            mail = message(message_id=message_id, subject=f"Ổ gà số {index} đường 3 Tháng 2")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    with smtplib.SMTP("127.0.0.1", port, timeout=15) as client:
                        client.sendmail(SENDER, [ADDRESS], mail)
                    stored_at_ack[message_id] = message_id in stored_ids(uow)
                    acknowledged.append(message_id)
                    break
                except (OSError, smtplib.SMTPException):
                    retries += 1
                    time.sleep(0.1)

    sender = threading.Thread(target=relay, daemon=True)
    sender.start()
    try:
        while len(acknowledged) < KILL_AFTER:
            assert sender.is_alive(), "the relay finished before the kill"
            time.sleep(0.01)
        gateway.kill()
        time.sleep(0.5)  # the relay meets a closed port, as after a real crash
        gateway.start()
        wait_for_port(port, gateway)
        sender.join(timeout=300)
    finally:
        gateway.stop()
    assert len(acknowledged) == MAILS and retries > 0
    assert all(stored_at_ack.values())
    assert sorted(stored_ids(uow)) == sorted(acknowledged)
    with uow.read() as session:
        reports = session.scalars(select(Report.channel)).all()
    assert reports == ["email"] * MAILS
