"""A citizen who lost the private link finds the report again by its code and phone number.

:func:`recover` checks the pair — the phone compared in its national form, so ``+84 912 345 678``,
``84912345678`` and ``0912.345.678`` are one number (:func:`engine.rules.check_phone`) — and
answers a wrong pair exactly as a code that does not exist (:class:`NotFound`, one message), so
the page is no oracle for which codes exist or whose number goes with which report.

On a match it issues a **new** private link and the old one stops working: the report keeps one
token hash, and a link that was lost is also a link someone else may hold (a shared phone, a
forwarded message). Where the report gave an e-mail address the new link is **mailed** there
(``reporter.new_link`` through the outbox) and never shown: the phone number is the weaker secret
(written on forms, known to acquaintances), the mailbox the stronger, so knowing the pair alone
only sends the owner a mail. Without an e-mail address the phone is all there is, and the new
link is returned for the page to open. Either way the reissue is written into the report's chain
of events (:data:`REISSUE`, no identity in it), in the transaction that changes the token.

Confidential reports follow the same rules: a wrong pair reveals nothing, a right one only leads
to the reporter's own tracking page (which never shows the name to anyone else).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from engine.rules import check_phone
from engine.services.errors import NotFound
from engine.store.models import Report, Reporter
from engine.workflow import Role, State, Transition

if TYPE_CHECKING:
    from engine.services.lifecycle import Lifecycle

NEW_LINK_KIND = "reporter.new_link"
#: The record's name for a reissued link. Like a disclosure, not a row of the workflow table: it
#: changes no state and no clock, but it is a change of the report and so joins its chain.
REISSUE = Transition(
    action="reissue_link",
    sources=frozenset(State),
    target=None,
    roles=frozenset({Role.REPORTER}),
    article="Đ4, Đ5.3",
    label_vi="Cấp lại đường dẫn theo dõi",
)


def no_match() -> NotFound:
    """One answer for a missing code and a wrong pair (see the module's documentation)."""
    return NotFound(
        "Không tìm thấy phản ánh với mã và số điện thoại này. Hãy kiểm tra lại mã phản ánh và số "
        "điện thoại đã ghi khi gửi.",
        "No report matches this code and phone number. Check the report code and the phone number "
        "given when it was sent.",
        field="code",
    )


@dataclass(frozen=True)
class Recovered:
    """A found report: the new link's token when it may be shown, else ``None`` (it was mailed)."""

    code: str
    token: str | None

    @property
    def mailed(self) -> bool:
        return self.token is None


def same_phone(given: str, on_record: str) -> bool:
    """Both numbers read the same in their national form (an unreadable one matches nothing)."""
    a, b = check_phone(given).digits, check_phone(on_record).digits
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def recover(life: Lifecycle, code: str, phone: str) -> Recovered:
    """Issue a new private link for report ``code`` if ``phone`` is the one it was sent with."""
    from engine.services.lifecycle import REPORTER_IN_RECORD, Actor, token_hash

    code = code.strip().upper()
    at = life.now()
    with life.uow.begin() as session:
        found = session.execute(
            select(Report, Reporter.phone, Reporter.email)
            .join(Reporter, Reporter.report_id == Report.id)
            .where(Report.code == code)
        ).one_or_none()
        # The comparison runs for a missing code too, against nothing: the same work either way.
        report, on_record, email = found if found is not None else (None, "", None)
        if not same_phone(phone, on_record) or report is None:
            raise no_match()
        token = secrets.token_urlsafe(24)
        report.tracking_token_hash = token_hash(token)
        state = State(report.state)
        data = {"sent_to": "email" if email else "page"}
        actor = Actor(REPORTER_IN_RECORD, Role.REPORTER)
        event = life.record(session, report, actor, REISSUE, state, state, None, data, at)
        if email:
            life.notify(session, report, NEW_LINK_KIND, event, {"to": email, "token": token})
        session.flush()
        return Recovered(report.code or code, None if email else token)
