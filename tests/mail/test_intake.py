"""A message in, a report out, the message kept — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from engine.mail import intake
from engine.mail.intake import PROCESSING, REFUSED_KIND, NotStored, receive
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork, make_engine
from engine.store.models import Attachment, InboundMessage, OutboxMessage, Report, Reporter
from engine.uploads import MediaStore
from tests.mail.messages import SENDER, SUBJECT, message

GARBAGE = bytes(range(256)) * 4


def _rows(uow: UnitOfWork, statement: Any) -> list[Any]:
    """Rows as read, usable after the session (which rolls back, expiring what it still holds)."""
    with uow.read() as session:
        rows = list(session.scalars(statement))
        session.expunge_all()
        return rows


def _inbound(uow: UnitOfWork) -> list[InboundMessage]:
    return _rows(uow, select(InboundMessage).order_by(InboundMessage.id))


def _outbox(uow: UnitOfWork, kind: str) -> list[OutboxMessage]:
    return _rows(uow, select(OutboxMessage).where(OutboxMessage.kind == kind))


def _reports(uow: UnitOfWork) -> list[Report]:
    return _rows(uow, select(Report).order_by(Report.id))


def test_a_complete_mail_becomes_a_received_report_with_its_photo(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    raw = message(photos=1)
    result = receive(raw, life, media)

    assert (result.status, result.state) == ("report", "received")
    (report,) = _reports(uow)
    (reporter,) = _rows(uow, select(Reporter))
    (attachment,) = _rows(uow, select(Attachment))
    assert report.code == result.code
    assert report.channel == "email"
    assert report.content.startswith(SUBJECT + "\n\nKính gửi Trung tâm IOC,")
    assert "0909" not in report.content and "Nguyễn Văn An" not in report.content  # Đ5.4
    assert (report.area, report.address) == ("29557", "45 Phạm Thái Bường, Phường Phước Hậu")
    assert (reporter.name, reporter.phone, reporter.email) == (
        "Nguyễn Văn An",
        "0909123456",
        SENDER,
    )
    assert (attachment.kind, attachment.filename) == ("photo", "ảnh ổ gà 1.jpg")
    with Image.open(media.path(attachment.path)) as stored:
        assert not stored.getexif()  # metadata stripped, GPS included
        assert "exif" not in stored.info
    (row,) = _inbound(uow)
    assert (row.status, row.report_id, row.error) == ("report", report.id, None)
    assert (row.channel, row.sender, row.subject) == ("email", SENDER, SUBJECT)
    assert (row.message_id, row.raw) == ("<mail-1@example.vn>", raw)
    assert [m.payload["to"] for m in _outbox(uow, "reporter.received")] == [SENDER]


def test_a_mail_without_phone_needs_info_and_the_sender_is_told_what_to_add(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    body = "Đèn đường hỏng cả tuần.\nHọ tên: Trần Thị Bé\nĐịa chỉ: ấp 3, Xã Giao Long\n"
    result = receive(message(body, sender=f"Bé <{SENDER}>"), life, media)

    assert (result.status, result.state) == ("report", "needs_info")
    (asked,) = _outbox(uow, "reporter.needs_info")
    assert asked.payload["to"] == SENDER
    assert asked.payload["code"] == result.code
    assert "số điện thoại" in asked.payload["note"]
    assert "họ tên" not in asked.payload["note"]  # the name was there
    (report,) = _reports(uow)
    assert [r.name for r in _rows(uow, select(Reporter))] == ["Trần Thị Bé"]
    assert report.area == "28807"
    assert _inbound(uow)[0].status == "report"


def test_a_mail_with_neither_name_nor_phone_asks_for_both(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    result = receive(message("Cây đổ.\nĐịa chỉ: ấp 3", sender=SENDER), life, media)
    assert result.state == "needs_info"
    (asked,) = _outbox(uow, "reporter.needs_info")
    assert "họ tên" in asked.payload["note"] and "số điện thoại" in asked.payload["note"]


def test_an_unparseable_mail_is_kept_whole_and_nothing_is_lost(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    result = receive(GARBAGE, life, media)

    assert result.status == "failed" and result.error
    (row,) = _inbound(uow)
    assert (row.status, row.raw, row.report_id) == ("failed", GARBAGE, None)
    assert row.error == result.error and row.error != PROCESSING
    assert _reports(uow) == []
    assert _outbox(uow, REFUSED_KIND) == []  # nobody to answer


def test_a_mail_without_place_is_refused_and_the_sender_told_how_to_write(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    result = receive(message("Đèn đường hỏng.\nHọ tên: Lê Cường\nSĐT: 0909123456"), life, media)

    assert result.status == "failed" and "địa điểm" in (result.error or "")
    (row,) = _inbound(uow)
    assert row.status == "failed" and row.error == result.error
    (answer,) = _outbox(uow, REFUSED_KIND)
    assert answer.report_id is None
    assert answer.payload["to"] == SENDER
    assert answer.payload["in_reply_to"] == "<mail-1@example.vn>"
    assert "địa điểm" in answer.payload["reason"] and "Địa chỉ:" in answer.payload["reason"]


def test_a_refused_attachment_keeps_the_mail_and_says_why(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    raw = message(photos=1).replace(b"image/jpeg", b"application/pdf")
    with_pdf = raw.replace(b"/9j/", b"JVBERi0xLjQK", 1)  # the photo's bytes now begin "%PDF-1.4"
    result = receive(with_pdf, life, media)

    assert result.status == "failed"
    assert _inbound(uow)[0].error == result.error
    (answer,) = _outbox(uow, REFUSED_KIND)
    assert answer.payload["reason"].startswith(result.error or "?")


def test_the_same_message_id_twice_makes_one_report(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    first = receive(message(photos=1), life, media)
    second = receive(message(photos=1), life, media)

    assert (first.status, second.status) == ("report", "duplicate")
    assert second.code == first.code and second.inbound_id == first.inbound_id
    assert len(_reports(uow)) == 1
    assert len(_inbound(uow)) == 1


def test_a_message_without_message_id_is_recognised_by_its_bytes(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    raw = message(message_id=None)
    assert receive(raw, life, media).status == "report"
    assert receive(raw, life, media).status == "duplicate"
    assert _inbound(uow)[0].message_id.startswith("sha256:")


def test_a_failed_message_delivered_again_is_retried_on_the_same_row(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A system error while making the report: kept, and a later delivery makes the report."""

    def broken(*_: object, **__: object) -> object:
        raise ConnectionError("database went away")

    monkeypatch.setattr(Lifecycle, "submit", broken)
    failed = receive(message(), life, media)
    assert failed.status == "failed" and "ConnectionError" in (failed.error or "")
    assert _outbox(uow, REFUSED_KIND) == []  # not the sender's fault: nothing to tell them

    monkeypatch.undo()
    again = receive(message(), life, media)
    assert (again.status, again.inbound_id) == ("report", failed.inbound_id)
    assert [(r.status, r.error) for r in _inbound(uow)] == [("report", None)]


def test_a_report_is_never_made_without_its_message_marked(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the mark can't be written, the report's transaction is rolled back with it."""
    real = intake._MarkingUnitOfWork.begin

    def failing_mark(self: intake._MarkingUnitOfWork):  # noqa: ANN202
        self.inbound_id = -1  # the row "disappeared"
        return real(self)

    monkeypatch.setattr(intake._MarkingUnitOfWork, "begin", failing_mark)
    result = receive(message(), life, media)
    assert result.status == "failed"
    assert _reports(uow) == []
    assert _rows(uow, select(OutboxMessage)) == []
    assert _inbound(uow)[0].status == "failed"


def test_nothing_stored_raises_not_stored(life: Lifecycle, media: MediaStore, tmp_path) -> None:
    """A database without the table (or unreachable): the caller must not acknowledge."""
    broken = Lifecycle(
        UnitOfWork(make_engine(f"sqlite:///{tmp_path / 'empty.db'}")), life.snapshot, now=life.now
    )
    with pytest.raises(NotStored):
        receive(message(), broken, media)


@pytest.mark.parametrize(
    "header",
    [
        b"Auto-Submitted: auto-replied",
        b"Precedence: auto_reply",
        b"X-Autoreply: yes",
    ],
)
def test_an_automatic_reply_is_kept_but_never_answered(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore, header: bytes
) -> None:
    """An out-of-office answer to our own mail must not start a loop of mails."""
    raw = message().replace(b"To:", header + b"\r\nTo:", 1)
    result = receive(raw, life, media)
    assert result.status == "failed" and "Thư tự động" in (result.error or "")
    assert _reports(uow) == [] and _rows(uow, select(OutboxMessage)) == []
    assert _inbound(uow)[0].raw == raw


def test_a_bounce_is_kept_but_never_answered(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.vn>\r\nSubject: Undelivered\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nDelivery failed.\r\n"
    )
    result = receive(raw, life, media)
    assert result.status == "failed"
    assert _rows(uow, select(OutboxMessage)) == []


def test_a_long_mail_is_cut_to_the_content_limit_and_kept_whole(
    life: Lifecycle, uow: UnitOfWork, media: MediaStore
) -> None:
    limit = life.snapshot.portal.content_max_chars
    body = "Đường ngập nước.\nĐịa chỉ: ấp 3\n" + "> trích thư cũ, rất dài\n" * (limit // 10)
    raw = message(body)
    assert receive(raw, life, media).status == "report"
    (report,) = _reports(uow)
    assert len(report.content) <= limit
    assert report.content.endswith("toàn văn lưu trong thư gốc]")
    assert _inbound(uow)[0].raw == raw
