"""The reporter's identity on the staff side: who reads it, and its recorded disclosure (Đ13.7).

The identity (name, phone, e-mail, address) lives in its own table (:class:`Reporter`); this module
is the one place the staff side reads it, always by explicit columns, never a whole row:

* :func:`reporter_details` — for the roles that need to contact the citizen
  (:data:`SEES_REPORTER`: the IOC's operators, the operations administrator, and the officers and
  leaders of the handling agency, who only ever open reports in their scope). Not the province's
  viewers nor the auditors: they read the reports and their records, not who sent them (Đ5.4).
* :func:`disclose` — handing the details to a competent authority on its request (Đ13.7), done by
  the operations administrator (Sở KH&CN, which runs the service since the TT&TT merger). It asks
  for the requesting authority and the reason, and records both twice in one transaction: a
  :class:`Disclosure` row (the register the auditor reads) and an event in the report's
  hash-chained record (so ``phananh audit verify`` covers it). Neither carries the identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.store.models import Disclosure, Report, Reporter
from engine.workflow import Role, State, Transition

if TYPE_CHECKING:
    from engine.services.lifecycle import Actor, Lifecycle

#: Roles shown the reporter's details on a report they may open (see the module's docstring).
SEES_REPORTER = frozenset({Role.IOC_OPERATOR, Role.OPERATOR_ADMIN, Role.OFFICER, Role.LEADER})
#: Who hands the details to an authority (Đ13.7: the department that runs the service).
DISCLOSERS = frozenset({Role.OPERATOR_ADMIN})
#: Who reads the register of disclosures.
REGISTER_READERS = frozenset({Role.OPERATOR_ADMIN, Role.AUDITOR})

AUTHORITY_MAX = 300
REASON_MAX = 2000
#: The record's name for a disclosure. Not a row of the workflow table — it changes no state and
#: no clock — but it is written into the same chain of events; ``Lifecycle.record`` reads only
#: ``.action`` of the row it is given. Its label is what the desk's timeline shows.
DISCLOSE = Transition(
    action="disclose",
    sources=frozenset(State),
    target=None,
    roles=DISCLOSERS,
    article="Đ13.7",
    label_vi="Cung cấp thông tin người phản ánh cho cơ quan có thẩm quyền",
)


@dataclass(frozen=True)
class ReporterDetails:
    code: str
    name: str
    phone: str
    email: str | None
    address: str | None
    confidential: bool


@dataclass(frozen=True)
class DisclosureRecord:
    """One line of the register: when, by whom, to which authority, why — never the details."""

    id: int
    code: str
    disclosed_at: datetime
    disclosed_by: str
    authority: str
    reason: str


def reporter_details(session: Session, code: str) -> ReporterDetails | None:
    """The reporter's identity for report ``code`` (the caller has checked the reader's role)."""
    row = session.execute(
        select(
            Report.code,
            Reporter.name,
            Reporter.phone,
            Reporter.email,
            Reporter.address,
            Report.confidential,
        )
        .join(Reporter, Reporter.report_id == Report.id)
        .where(Report.code == code)
    ).one_or_none()
    return ReporterDetails(*row) if row is not None else None


def disclose(
    life: Lifecycle,
    actor: Actor,
    code: str,
    *,
    authority: str,
    reason: str,
    at: datetime | None = None,
) -> ReporterDetails:
    """Hand the reporter's details of ``code`` to ``authority`` for ``reason``, on the record.

    Refused (nothing written) unless the actor is the operations administrator, both the
    authority and the reason are given, and the report exists.
    """
    if actor.role not in DISCLOSERS:
        raise Forbidden(
            "Chỉ quản trị vận hành (Sở quản lý dịch vụ) mới cung cấp thông tin người phản ánh "
            "cho cơ quan có thẩm quyền (Đ13.7).",
            "Only the operations administrator discloses a reporter's details (Đ13.7).",
        )
    authority, reason = (authority or "").strip(), (reason or "").strip()
    _check_text("authority", authority, AUTHORITY_MAX, "cơ quan có thẩm quyền đề nghị")
    _check_text("reason", reason, REASON_MAX, "lý do, căn cứ đề nghị")
    at = at or life.now()
    try:
        with life.uow.begin() as session:
            report = session.scalars(select(Report).where(Report.code == code)).one_or_none()
            if report is None:
                raise NotFound(f"Không có phản ánh mã {code}.", f"There is no report {code}.")
            details = reporter_details(session, code)
            if details is None:
                raise NotFound(
                    f"Phản ánh {code} không có thông tin người phản ánh.",
                    f"Report {code} has no reporter on record.",
                )
            record = Disclosure(
                report_id=report.id,
                disclosed_at=at,
                disclosed_by=actor.name,
                authority=authority,
                reason=reason,
            )
            session.add(record)
            session.flush()
            state = State(report.state)
            data = {"authority": authority, "reason": reason, "disclosure": record.id}
            life.record(session, report, actor, DISCLOSE, state, state, None, data, at)
            report.updated_at = at
            session.flush()
            return details
    except StaleDataError:
        raise Conflict(
            f"Phản ánh {code} vừa được người khác cập nhật; hãy thực hiện lại.",
            f"Report {code} was changed by someone else at the same time; try again.",
        ) from None


def _check_text(field: str, value: str, limit: int, what: str) -> None:
    if not value:
        raise InvalidInput(
            f"Cần ghi {what}.", f"The {field} is required for a disclosure.", field=field
        )
    if len(value) > limit:
        raise InvalidInput(
            f"Nội dung {what} dài quá {limit} ký tự.",
            f"The {field} is longer than {limit} characters.",
            field=field,
        )


def disclosures(
    session: Session, *, code: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[DisclosureRecord]]:
    """The register, newest first (of one report when ``code`` is given), and its total size."""
    query = select(
        Disclosure.id,
        Report.code,
        Disclosure.disclosed_at,
        Disclosure.disclosed_by,
        Disclosure.authority,
        Disclosure.reason,
    ).join(Report, Report.id == Disclosure.report_id)
    count = select(func.count()).select_from(Disclosure).join(Report)
    if code is not None:
        query, count = query.where(Report.code == code), count.where(Report.code == code)
    rows = session.execute(
        query.order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return session.scalar(count) or 0, [DisclosureRecord(*row) for row in rows]
