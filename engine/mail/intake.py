"""One e-mail in, one report out — and the message itself kept, whatever becomes of it.

:func:`receive` is what both mail paths (the SMTP gateway, the IMAP fetch) call, in three steps:

1. **Store.** The raw bytes go into ``inbound_messages`` in a transaction of their own, committed
   before anything else is tried, with ``status="failed"`` and ``error="đang xử lý"`` — so a
   message whose processing dies half-way is still there, and says so. If this step fails,
   :class:`NotStored` is raised and the caller must not acknowledge the message (SMTP answers 451,
   IMAP leaves it unseen): it is the only exception :func:`receive` raises.
2. **Make the report.** The message is parsed (:mod:`engine.mail.parse`), the name, phone and
   place read from its text (:mod:`engine.mail.extract`), its pictures checked and cleaned like
   the portal's (:func:`engine.uploads.accept`), and ``Lifecycle.submit(…, ask_for_missing=True)``
   called: a report without the name or phone goes to ``needs_info`` and the lifecycle queues
   ``reporter.needs_info`` for the sender with what to add.
3. **Mark.** The inbound row gets ``status="report"`` and the report's id *in the report's own
   transaction*: :class:`_MarkingUnitOfWork` wraps the lifecycle's unit of work and, after
   ``submit`` has written the report and before it commits, updates the row. A report therefore
   never exists without its message being marked, which is what makes a second delivery of the
   same message (same Message-ID, or the same bytes when there is none) a no-op.

A message that answers one of our mails, from the address its report was sent with, is not a new
report: it becomes the reporter's ``provide_info`` or ``reply`` on that report
(:mod:`engine.mail.replies`), and the inbound row is marked ``status="reply"`` with the report's id
in that use case's transaction, the same way.

A message that cannot become a report (unreadable, no content, no place, a refused attachment)
stays ``failed`` with the reason in Vietnamese for IOC staff, and when there is a sender to answer
(not a robot: an out-of-office reply or a bounce is kept but never answered, RFC 3834),
an outbox message ``reporter.mail_refused`` (``{to, reason, subject, in_reply_to}``) is written
in the same transaction as that update. It is written with the models directly because no use
case of :class:`~engine.services.lifecycle.Lifecycle` covers a message that is not a report; the
worker that sends mail (another issue) picks it up like any outbox message.

Deliveries in one process are handled one at a time (a lock), so a retry arriving while the first
delivery is still being processed waits and then finds it done. ``inbound_messages.message_id`` has
no unique index, so two *processes* receiving the same message at the same instant could still
both make a report.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.mail import replies
from engine.mail.extract import extract
from engine.mail.parse import Envelope, ParsedMail, Unparseable, clean_text, parse, peek
from engine.services.errors import DomainError
from engine.services.lifecycle import Actor, Lifecycle, NewReport, Submitted
from engine.store import new_report
from engine.store.db import UnitOfWork
from engine.store.models import InboundMessage, OutboxMessage, Report
from engine.uploads import IncomingFile, MediaRefused, MediaStore, accept, proposed_place
from engine.workflow import Role

__all__ = ["CHANNEL", "PROCESSING", "InboundResult", "NotStored", "receive"]

log = logging.getLogger(__name__)

CHANNEL = "email"
#: The error of a stored message not yet processed; if it stays, processing died half-way.
PROCESSING = "đang xử lý"
REFUSED_KIND = "reporter.mail_refused"
#: An inbound row's status once it is on a report: a new one, or an answer on its report.
DONE = ("report", "reply")
#: How the record names a reporter answering by mail (the identity stays in ``reporters``).
MAIL_REPORTER = Actor("người phản ánh", Role.REPORTER)
#: How a refusal tells the sender to write again.
HOW_TO_WRITE = (
    "Vui lòng gửi lại thư, ghi rõ nội dung phản ánh và các dòng: "
    "«Họ tên: …», «Điện thoại: …», «Địa chỉ: … (số nhà, đường, xã/phường)»; "
    "ảnh, video đính kèm (JPEG, PNG, WebP, MP4…) không quá giới hạn của Cổng phản ánh."
)
TRUNCATED = "\n\n[… thư dài hơn {limit} ký tự; toàn văn lưu trong thư gốc]"

_one_at_a_time = threading.Lock()


class NotStored(RuntimeError):
    """The message could not be stored: do not acknowledge it, let the sender retry."""


class _FromRobot(Exception):
    """An automatic message (out-of-office, bounce): kept, never answered (RFC 3834)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.message_vi = (
            f"Thư tự động ({why}), không phải phản ánh; không trả lời để tránh lặp thư."
        )


@dataclass(frozen=True)
class InboundResult:
    """What became of a message: ``report`` (new), ``reply`` (an answer on the report ``code``),
    ``duplicate`` (seen before) or ``failed``."""

    inbound_id: int
    status: Literal["report", "reply", "duplicate", "failed"]
    code: str | None = None
    state: str | None = None
    error: str | None = None


def receive(raw: bytes, life: Lifecycle, store: MediaStore) -> InboundResult:
    """Store ``raw``, make a report of it, mark it; see the module's documentation."""
    with _one_at_a_time:
        envelope = peek(raw)
        stored = _store(raw, envelope, life)
        if isinstance(stored, InboundResult):
            return stored
        try:
            made = _make_report(raw, stored, life, store)
        except (Unparseable, MediaRefused, DomainError) as exc:
            return _refuse(life, stored, envelope, exc.message_vi, answer=True)
        except _FromRobot as exc:
            return _refuse(life, stored, envelope, exc.message_vi, answer=False)
        except Exception as exc:  # noqa: BLE001 - kept for staff, never lost
            log.exception("inbound message %s: processing failed", stored)
            reason = f"Lỗi hệ thống khi tạo phản ánh ({type(exc).__name__}); thư được giữ lại."
            return _refuse(life, stored, envelope, reason, answer=False)
        if isinstance(made, Answered):
            return InboundResult(stored, "reply", made.code, str(made.state))
        return InboundResult(stored, "report", made.code, str(made.state))


# -- 1. store --------------------------------------------------------------------------------------


def _store(raw: bytes, envelope: Envelope, life: Lifecycle) -> int | InboundResult:
    """The id of the row holding ``raw`` (new, or an earlier failed delivery of it) — committed.

    An earlier delivery that became a report makes this one a duplicate.
    """
    try:
        with life.uow.begin() as session:
            earlier = session.scalars(
                select(InboundMessage)
                .where(InboundMessage.message_id == envelope.key)
                .order_by(InboundMessage.id)
            ).all()
            done = next((m for m in earlier if m.status in DONE), None)
            if done is not None:
                report = session.get(Report, done.report_id) if done.report_id else None
                return InboundResult(
                    done.id,
                    "duplicate",
                    report.code if report else None,
                    report.state if report else None,
                )
            if earlier:
                row = earlier[0]
                row.error = PROCESSING
            else:
                row = InboundMessage(
                    channel=CHANNEL,
                    received_at=life.now(),
                    sender=_cut(envelope.sender, 320),
                    subject=_cut(envelope.subject, 500),
                    message_id=envelope.key,
                    raw=raw,
                    status="failed",
                    error=PROCESSING,
                )
                session.add(row)
            session.flush()
            return row.id
    except Exception as exc:
        log.exception("inbound message %s: not stored", envelope.key)
        raise NotStored(f"the message could not be stored: {type(exc).__name__}: {exc}") from exc


# -- 2. and 3. the report, and the mark in its transaction -----------------------------------------


@dataclass(frozen=True)
class Answered:
    """A message that became an answer (``provide_info`` or ``reply``) on report ``code``."""

    code: str
    state: str


def _make_report(
    raw: bytes, inbound_id: int, life: Lifecycle, store: MediaStore
) -> Submitted | Answered:
    mail = parse(raw)
    if mail.automatic:
        raise _FromRobot(mail.automatic)
    with life.uow.read() as session:
        answer = replies.answered_report(session, mail)
    if answer is not None:
        return _answer(mail, answer, inbound_id, life)
    new = _new_report(mail, life)
    if mail.attachments:
        files = accept(
            [IncomingFile(a.data, a.filename, a.content_type) for a in mail.attachments],
            life.snapshot.portal,
            store,
        )
        place = None
        if new.area is None and new.address is None:
            place = proposed_place(files, life.snapshot.portal.bounds)
        new = replace(
            new,
            attachments=tuple(files),
            latitude=place[0] if place else None,
            longitude=place[1] if place else None,
        )
    marking = copy.copy(life)
    marking.uow = _MarkingUnitOfWork(life.uow, inbound_id)
    return marking.submit(new, ask_for_missing=True)


def _answer(mail: ParsedMail, answer: replies.Answer, inbound_id: int, life: Lifecycle) -> Answered:
    """The reporter's answer by mail, through the use case the portal's forms call.

    The reporter is proven by the mailbox (:mod:`engine.mail.replies`); attachments of an answer
    are not kept on the report (neither use case takes files), only in the stored message.
    """
    if answer.action is None:
        raise replies.not_now(answer)
    text = _within(replies.own_text(mail.body), life.snapshot.portal.content_max_chars)
    marking = copy.copy(life)
    marking.uow = _MarkingUnitOfWork(life.uow, inbound_id, status="reply")
    outcome = marking.perform(
        MAIL_REPORTER,
        answer.code,
        answer.action,
        version=answer.version,
        mailbox=mail.from_address,
        text=text,
    )
    return Answered(outcome.code, str(outcome.state))


def _new_report(mail: ParsedMail, life: Lifecycle) -> NewReport:
    text = "\n\n".join(part for part in (mail.subject.strip(), mail.body.strip()) if part)
    found = extract(
        text,
        display_name=mail.display_name,
        sender=mail.sender,
        areas=life.snapshot.areas,
        on=life.now().astimezone(life.zone).date(),
    )
    if not found.text.strip():
        raise Unparseable(
            "Thư không có nội dung phản ánh (tiêu đề và nội dung đều trống).",
            "The message has no content (empty subject and body).",
        )
    return NewReport(
        name=found.name or "",
        phone=found.phone or "",
        content=_within(found.text, life.snapshot.portal.content_max_chars),
        channel=CHANNEL,
        email=mail.sender,
        area=found.area,
        address=found.address,
    )


def _within(text: str, limit: int) -> str:
    """A long e-mail (a quoted thread) is cut to the limit; the whole stays in the raw message."""
    if len(text) <= limit:
        return text
    tail = TRUNCATED.format(limit=limit)
    return text[: max(0, limit - len(tail))].rstrip() + tail


class _MarkingUnitOfWork(UnitOfWork):
    """The lifecycle's unit of work, which also marks the inbound row in the report's transaction.

    After the use case's block has run (the report is flushed, so it has an id) and before the
    commit, the row gets ``status="report"`` and ``report_id``; if another delivery of the same
    message has meanwhile become a report, the transaction is rolled back instead.
    """

    def __init__(self, base: UnitOfWork, inbound_id: int, status: str = "report") -> None:
        self.engine = base.engine
        self._sessions = sessionmaker(base.engine, expire_on_commit=False)
        self.inbound_id = inbound_id
        self.status = status

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session
            # A submission writes its report by Core (not in the identity map); an action on a
            # report (a reply) loads it.
            reports = new_report.written(session) or [
                o.id for o in session.identity_map.values() if isinstance(o, Report)
            ]
            if len(reports) != 1:
                raise RuntimeError(f"expected one new report, found {len(reports)}")
            row = session.get(InboundMessage, self.inbound_id, with_for_update=True)
            if row is None:
                raise RuntimeError(f"inbound message {self.inbound_id} disappeared")
            taken = session.scalars(
                select(InboundMessage.id).where(
                    InboundMessage.message_id == row.message_id,
                    InboundMessage.status.in_(DONE),
                )
            ).first()
            if taken is not None:
                raise RuntimeError(f"inbound message {row.message_id} was already handled")
            row.status, row.report_id, row.error = self.status, reports[0], None


# -- refusals --------------------------------------------------------------------------------------


def _refuse(
    life: Lifecycle, inbound_id: int, envelope: Envelope, reason: str, *, answer: bool
) -> InboundResult:
    """Record why the message is not a report; queue the answer to its sender (see module)."""
    reason = clean_text(reason)
    try:
        with life.uow.begin() as session:
            row = session.get(InboundMessage, inbound_id)
            if row is None:
                raise RuntimeError(f"inbound message {inbound_id} disappeared")
            row.status, row.error = "failed", reason
            key = f"{REFUSED_KIND}:inbound-{inbound_id}"
            queued = session.scalars(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key))
            if answer and envelope.sender and queued.first() is None:
                session.add(
                    OutboxMessage(
                        created_at=life.now(),
                        kind=REFUSED_KIND,
                        report_id=None,
                        dedup_key=key,
                        payload={
                            "to": envelope.sender,
                            "reason": f"{reason} {HOW_TO_WRITE}",
                            "subject": envelope.subject,
                            "in_reply_to": envelope.message_id,
                        },
                    )
                )
    except Exception:  # noqa: BLE001 - the message is stored; its row says "đang xử lý"
        log.exception("inbound message %s: could not record the refusal", inbound_id)
    return InboundResult(inbound_id, "failed", error=reason)


def _cut(text: str | None, size: int) -> str | None:
    return clean_text(text)[:size] if text else None
