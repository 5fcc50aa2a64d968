"""An e-mail that answers one of our mails lands on its report, not as a new report.

:func:`answered_report` finds the report a message answers: by a Message-ID of ours in its
In-Reply-To or References (each is a mail delivery's key, :func:`engine.worker.senders.message_id`,
looked up in the outbox), else by a report code in its subject (``Re: Đã tiếp nhận phản ánh
PA-2026-000123``). Either is only a pointer: both can be written by anyone (our Message-IDs are
built from the report's code), so the message counts as the reporter's only when its **From**
address is the address the report was sent with. Anything else — no pointer, a report without an
e-mail address, another sender (a neighbour writing about the same pothole) — is a new report, as
before. From can be forged like any header; the mailbox a report was sent from is the channel's
only proof of who writes, as it is for the report itself.

What the answer becomes follows the report's state and the workflow table: ``provide_info`` while
the IOC waits for details (``needs_info``), ``reply`` once there is a result (Đ11.1); in any other
state nothing is asked of the reporter, so the message is kept for IOC staff and the sender is
told why (:class:`NotNow`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.mail.parse import ParsedMail, Unparseable
from engine.services.errors import DomainError
from engine.store.models import OutboxMessage, Report, Reporter
from engine.worker.senders import key_of_message_id
from engine.workflow import ACTIONS, State

#: What an answer does, by the report's state.
ACTION_IN_STATE = {
    State.NEEDS_INFO: "provide_info",
    State.PUBLISHED: "reply",
    State.ANSWERED_PRIVATELY: "reply",
}
CODE_IN_SUBJECT = re.compile(r"\b[A-Z]{1,5}-\d{4}-\d{6,9}\b")
#: Where the quoted message begins in a reply (Gmail, Outlook, Thunderbird, Vietnamese clients).
_QUOTE_STARTS = re.compile(
    r"^\s*(?:On\b.{0,200}\bwrote:|Vào\b.{0,200}\bviết:|-{2,}\s*(?:Original Message|"
    r"Forwarded message|Thư gốc|Thư chuyển tiếp)\s*-{2,}|(?:From|Từ):\s.*[<@].*)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Answer:
    """A message that answers report ``code``, from its reporter, and what it becomes."""

    code: str
    version: int
    action: str | None  # None: nothing to answer in the report's state
    state: State


class NotNow(DomainError):
    """The report is not waiting for the reporter: the message is kept, the sender told why."""


def answered_report(session: Session, mail: ParsedMail) -> Answer | None:
    """The report ``mail`` answers, when it comes from that report's own address; else None."""
    report = _by_message_id(session, mail.answers) or _by_subject(session, mail.subject)
    if report is None or not mail.from_address:
        return None
    email = session.scalar(select(Reporter.email).where(Reporter.report_id == report.id))
    if not email or email.strip().lower() != mail.from_address.strip().lower():
        return None
    state = State(report.state)
    return Answer(report.code or "", report.version, ACTION_IN_STATE.get(state), state)


def _by_message_id(session: Session, answers: tuple[str, ...]) -> Report | None:
    keys = [k for k in (key_of_message_id(a) for a in answers) if k]
    if not keys:
        return None
    rows = dict(
        session.execute(
            select(OutboxMessage.dedup_key, OutboxMessage.report_id).where(
                OutboxMessage.dedup_key.in_(keys),
                OutboxMessage.kind == "mail",
                OutboxMessage.report_id.is_not(None),
            )
        ).all()
    )
    for key in keys:  # In-Reply-To first, then the newest reference
        if key in rows:
            return session.get(Report, rows[key])
    return None


def _by_subject(session: Session, subject: str) -> Report | None:
    codes = CODE_IN_SUBJECT.findall(subject.upper())
    if len(set(codes)) != 1:  # none, or several: no single report is meant
        return None
    return session.scalars(select(Report).where(Report.code == codes[0])).one_or_none()


def own_text(body: str) -> str:
    """What the sender wrote above the quoted message: quoted lines and what follows go."""
    kept: list[str] = []
    for line in body.splitlines():
        if _QUOTE_STARTS.match(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
    text = "\n".join(kept).strip()
    if not text:
        raise Unparseable(
            "Thư trả lời không có nội dung ngoài phần trích dẫn thư cũ.",
            "The reply has no text of its own besides the quoted message.",
        )
    return text


def not_now(answer: Answer) -> NotNow:
    allowed = sorted({str(s) for a in set(ACTION_IN_STATE.values()) for s in ACTIONS[a].sources})
    return NotNow(
        f"Phản ánh {answer.code} đang ở bước không cần Ông/Bà trả lời; thư đã được lưu để Trung "
        "tâm xem xét. Khi có đề nghị bổ sung hoặc có kết quả, Ông/Bà trả lời thư đó, hoặc dùng "
        "trang theo dõi phản ánh.",
        f"Report {answer.code} is in state '{answer.state}', which asks nothing of the reporter "
        f"(answers count in: {', '.join(allowed)}); the message is kept for the IOC.",
    )
