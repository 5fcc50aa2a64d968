"""A citizen answers one of our mails: the answer lands on its report, never as a new report.

The mails answered are the worker's own (its real Message-IDs, captured at the SMTP boundary), on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.mail.intake import receive
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork
from engine.store.models import Event, InboundMessage, OutboxMessage, Reply, Report
from engine.uploads import MediaStore
from engine.worker import Worker
from engine.workflow import State
from tests.mail.messages import ADDRESS, SENDER, message
from tests.services.conftest import Clockwork
from tests.services.test_lifecycle import Tracked, do

NEEDS_PHONE = "Đèn đường hỏng cả tuần.\nHọ tên: Trần Thị Bé\nĐịa chỉ: ấp 3, Xã Giao Long\n"


class Captured:
    """Where the worker's SMTP sends go: every message as it left, by recipient."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, mail: Any, recipients: list[str]) -> None:
        self.sent.append(mail)

    def last_to(self, address: str, subject_start: str) -> EmailMessage:
        found = [
            m for m in self.sent if address in m["To"] and m["Subject"].startswith(subject_start)
        ]
        assert found, f"no mail to {address} starting {subject_start!r}"
        return found[-1]


@pytest.fixture
def outgoing(uow: UnitOfWork, life: Lifecycle, now: Clockwork) -> tuple[Captured, Worker]:
    captured = Captured()
    return captured, Worker(uow, life.snapshot, now=now, environ={}, mailer=captured)


def answer(
    to: EmailMessage | None,
    body: str,
    *,
    sender: str = SENDER,
    subject: str | None = None,
    message_id: str = "<answer-1@example.vn>",
) -> bytes:
    """A citizen's reply as mail clients write it: Re: subject, In-Reply-To, quoted original."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ADDRESS
    mail["Subject"] = subject or f"Re: {to['Subject']}"
    mail["Message-ID"] = message_id
    if to is not None:
        mail["In-Reply-To"] = to["Message-ID"]
        mail["References"] = to["Message-ID"]
        quoted = "\n".join("> " + line for line in to.get_content().splitlines())
        body = f"{body}\n\nVào 22/04/2026 lúc 08:05, dttm@vinhlong.gov.vn đã viết:\n{quoted}\n"
    mail.set_content(body)
    return mail.as_bytes(policy=SMTP.clone(max_line_length=998))


def _count(uow: UnitOfWork, model: Any) -> int:
    with uow.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _report(uow: UnitOfWork, code: str) -> Report:
    with uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        session.expunge_all()
        return report


def test_a_reply_to_the_needs_info_mail_completes_the_report(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore, outgoing: tuple[Captured, Worker]
) -> None:
    captured, worker = outgoing
    first = receive(message(NEEDS_PHONE, sender=f"Bé <{SENDER}>"), life, media)
    assert first.state == "needs_info"
    worker.run_once()
    asked = captured.last_to(SENDER, "Đề nghị bổ sung")

    result = receive(answer(asked, "Điện thoại của tôi: 0909 123 456"), life, media)

    assert (result.status, result.code, result.state) == ("reply", first.code, "received")
    assert _count(uow, Report) == 1  # not a new report
    report = _report(uow, first.code or "")
    assert report.content.endswith("Điện thoại của tôi: 0909 123 456")
    assert "đã viết" not in report.content and "> " not in report.content  # the quote stays out
    with uow.read() as session:
        rows = session.execute(
            select(InboundMessage.status, InboundMessage.report_id).order_by(InboundMessage.id)
        ).all()
        actions = session.scalars(
            select(Event.action).where(Event.report_id == report.id).order_by(Event.seq)
        ).all()
    assert [tuple(r) for r in rows] == [("report", report.id), ("reply", report.id)]
    assert actions[-1] == "provide_info"


def test_a_reply_to_the_result_mail_is_the_reporters_reply_on_the_report(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore, outgoing: tuple[Captured, Worker]
) -> None:
    captured, worker = outgoing
    first = receive(message(), life, media)
    with uow.read() as session:
        version = session.scalar(select(Report.version).where(Report.code == first.code))
    tracked = Tracked(first.code or "", "", version or 1)
    for action in ("classify", "forward", "accept", "propose_result", "approve", "publish"):
        do(life, tracked, action)
    worker.run_once()
    result_mail = captured.last_to(SENDER, "Kết quả xử lý")

    text = "Ổ gà đã vá nhưng lại bong sau trận mưa hôm qua."
    result = receive(answer(result_mail, text), life, media)

    assert (result.status, result.code, result.state) == ("reply", first.code, "published")
    assert _count(uow, Report) == 1
    with uow.read() as session:
        replies = session.scalars(select(Reply.text)).all()
        ioc = session.scalars(select(OutboxMessage.kind).where(OutboxMessage.kind == "ioc.reply"))
        assert list(ioc) == ["ioc.reply"]  # the IOC hears of it, as of a reply on the portal
    assert replies == [text]
    # The same message delivered again changes nothing.
    again = receive(answer(result_mail, text), life, media)
    assert again.status == "duplicate"
    assert _count(uow, Reply) == 1


def test_the_code_in_the_subject_is_enough_from_the_reporters_address(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    first = receive(message(NEEDS_PHONE), life, media)
    subject = f"Bổ sung cho phản ánh {first.code}"

    result = receive(answer(None, "Điện thoại: 0909 123 456", subject=subject), life, media)

    assert (result.status, result.code) == ("reply", first.code)
    assert _count(uow, Report) == 1


def test_another_sender_answering_the_same_mail_makes_a_new_report(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore, outgoing: tuple[Captured, Worker]
) -> None:
    """The pointer (Message-ID, code) can be written by anyone; only the reporter's address
    makes it the reporter's answer."""
    captured, worker = outgoing
    first = receive(message(NEEDS_PHONE), life, media)
    worker.run_once()
    asked = captured.last_to(SENDER, "Đề nghị bổ sung")
    body = (
        "Đèn đường ấp 3 Xã Giao Long cũng tắt ở nhà tôi.\nHọ tên: Lê Văn Tư\n"
        "Điện thoại: 0912 345 678\nĐịa chỉ: ấp 3, Xã Giao Long\n"
    )

    result = receive(answer(asked, body, sender="neighbour@example.vn"), life, media)

    assert result.status == "report" and result.code != first.code
    assert _report(uow, first.code or "").state == State.NEEDS_INFO  # untouched


def test_an_answer_while_the_report_is_being_handled_is_kept_and_the_sender_told(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore, outgoing: tuple[Captured, Worker]
) -> None:
    captured, worker = outgoing
    first = receive(message(), life, media)
    worker.run_once()
    received = captured.last_to(SENDER, "Đã tiếp nhận")

    result = receive(answer(received, "Xin hỏi bao giờ sửa?"), life, media)

    assert result.status == "failed" and "đã được lưu" in (result.error or "")
    assert _count(uow, Report) == 1
    assert _report(uow, first.code or "").state == State.RECEIVED
    with uow.read() as session:
        refused = session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "reporter.mail_refused")
        ).all()
    assert [p["to"] for p in refused] == [SENDER]


def test_the_acknowledgement_carries_the_private_tracking_link(
    life: Lifecycle, media: MediaStore, outgoing: tuple[Captured, Worker]
) -> None:
    """An e-mailed report has no page to show its link on: the acknowledgement is where it is."""
    from engine.services.public import tracking

    captured, worker = outgoing
    first = receive(message(), life, media)
    worker.run_once()
    body = captured.last_to(SENDER, "Đã tiếp nhận").get_content()
    base = life.snapshot.notify.public_base_url
    prefix = f"{base}/theo-doi/{first.code}?t="
    (line,) = [ln for ln in body.splitlines() if ln.startswith(prefix)]
    with life.uow.read() as session:
        view = tracking(session, life.snapshot, first.code or "", line.removeprefix(prefix))
    assert view.code == first.code
