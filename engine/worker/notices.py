"""From a notice to its deliveries: who hears about it, by which channel, with what text.

A *notice* is an outbox row written by a use case or a timed job (its kind says what happened:
``reporter.received``, ``agency.forwarded``, ``clock.late``…). The worker turns it into
*deliveries* — outbox rows of kind ``mail`` (one message, its recipients in To/Cc) and ``webhook``
(one POST to one agency's system) — and marks the notice sent, in one transaction. Each delivery is
then claimed, sent, retried and parked on its own, so a broken webhook never holds up the e-mail.

Deliveries are rendered here, once: the subject, body and JSON stored in the delivery are what every
attempt sends, so a resend is byte for byte the message the receiver may already have.

Who receives what:

=======================  =============================================  ==========================
notice                   e-mail to                                      webhook
=======================  =============================================  ==========================
reporter.received        the reporter (payload ``to``)                  —
reporter.needs_info      the reporter                                   —
reporter.result          the reporter (published, or answered privately —
                         when confidential; a state-secret result is
                         never queued)
reporter.mail_refused    the sender of the refused mail (In-Reply-To)   —
reporter.new_link        the reporter (a link reissued on recovery)     —
agency.forwarded         the agency's ``email`` and its staff (*)       the agency's ``webhook_url``
ioc.reply                ``ioc_email``                                  —
clock.warning/late       intake/forward steps: ``ioc_email``; the       the agency (agency steps)
                         agency's steps: the agency's and its sub-unit's
                         ``email`` and staff (*), Cc ``ioc_email``
digest                   the agency's ``email`` and its leaders (IOC:   —
                         ``ioc_email``)
=======================  =============================================  ==========================

(*) Staff: the active ``leader`` accounts of the agency (and of the sub-unit holding the report)
that have an e-mail address, and its ``officer`` accounts — only the report's officer once one is
named (matched by display name or user name), all of them before. This reads ``users.email``, which
the staff-side work adds; without that column the agency's own ``email`` is the only address.

A notice with nobody to receive it (no e-mail address configured, a reporter without e-mail) is
marked sent with the reason in ``last_error``; a clock notice whose clock has stopped before the
worker got to it is dropped the same way (the step is done). Mails and webhooks to agencies never
carry the reporter's identity (Đ5.4; disclosure is a recorded act of its own, Đ13.7).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import templates
from engine.calendar import WorkingCalendar
from engine.config.regulation import STEP_NAMES_VI
from engine.config.snapshot import Snapshot
from engine.services.lifecycle import token_hash
from engine.sla import clocks
from engine.store.models import Clock, Event, OutboxMessage, Reply, Report, Reporter, User
from engine.timefmt import when_vi
from engine.workflow import ACTIONS, STATE_LABELS_VI, Role, State

#: Kinds of the rows the worker sends itself; every other kind is a notice to expand.
MAIL, WEBHOOK = "mail", "webhook"
DELIVERY_KINDS = frozenset({MAIL, WEBHOOK})
#: Every kind of notice the worker knows, each with its template ``templates/mail/<kind>.j2``.
NOTICE_KINDS = (
    "reporter.received",
    "reporter.needs_info",
    "reporter.result",
    "reporter.mail_refused",
    "reporter.new_link",
    "agency.forwarded",
    "ioc.reply",
    "clock.warning",
    "clock.late",
    "digest",
)
#: Steps the IOC owns (Đ6, Đ7); the others are the handling agency's (Đ8–Đ10).
IOC_STEPS = frozenset({"intake", "forward"})


def template_name(kind: str) -> str:
    return f"mail/{kind}.j2"


def missing_templates(snapshot: Snapshot) -> list[str]:
    """The mail templates the configuration lacks (the worker can't start without them)."""
    return [
        f"templates/{template_name(k)}"
        for k in NOTICE_KINDS
        if template_name(k) not in snapshot.templates
    ]


def staff_emails(
    session: Session, agencies: list[str | None], *, officer: str | None = None
) -> list[str]:
    """E-mail addresses of the agencies' active leaders and officers (see the module's table)."""
    email = getattr(User, "email", None)  # the staff-side work adds the column
    codes = [c for c in agencies if c]
    if email is None or not codes:
        return []
    roles = [Role.LEADER, Role.OFFICER]
    rows = session.execute(
        select(User.role, User.username, User.display_name, email)
        .where(
            User.agency.in_(codes),
            User.active.is_(True),
            User.role.in_(roles),
            email.is_not(None),
        )
        .order_by(User.id)
    ).all()
    leaders = [r for r in rows if r.role == Role.LEADER]
    officers = [r for r in rows if r.role == Role.OFFICER]
    if officer:
        officers = [r for r in officers if officer in (r.username, r.display_name)]
    return [r[3] for r in leaders + officers]


def leader_emails(session: Session) -> dict[str, list[str]]:
    """Every agency's active leaders' e-mail addresses, by agency code (one query)."""
    email = getattr(User, "email", None)
    if email is None:
        return {}
    found: dict[str, list[str]] = {}
    rows = session.execute(
        select(User.agency, email)
        .where(User.active.is_(True), User.role == Role.LEADER, email.is_not(None))
        .order_by(User.id)
    ).all()
    for agency, address in rows:
        if agency:
            found.setdefault(agency, []).append(address)
    return found


def delivery_key(notice_key: str, channel: str) -> str:
    """``<notice key>/<channel>``, shortened with a hash if it would not fit the column."""
    key = f"{notice_key}/{channel}"
    if len(key) <= 120:
        return key
    digest = hashlib.sha256(notice_key.encode()).hexdigest()[:16]
    return f"{notice_key[: 120 - len(channel) - 18]}~{digest}/{channel}"


@dataclass(frozen=True)
class Delivery:
    kind: str
    dedup_key: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Expansion:
    deliveries: list[Delivery]
    #: Why there are none, when there are none (kept as the notice's ``last_error``).
    note: str | None = None


class UnknownNotice(ValueError):
    """A notice kind this worker does not know (a newer writer, or a typo)."""


class Expander:
    """Turns notices into deliveries for one configuration snapshot."""

    def __init__(self, snapshot: Snapshot, calendar: WorkingCalendar) -> None:
        self.snapshot = snapshot
        self.calendar = calendar
        self.notify = snapshot.notify
        self.zone = ZoneInfo(snapshot.calendar.timezone)

    # -- entry point -----------------------------------------------------------------------------

    def expand(self, session: Session, notice: OutboxMessage) -> Expansion:
        handler = getattr(self, "_" + notice.kind.replace(".", "_"), None)
        if notice.kind not in NOTICE_KINDS or handler is None:
            raise UnknownNotice(f"loại thông báo không rõ: '{notice.kind}'")
        return handler(session, notice)

    # -- the reporter ----------------------------------------------------------------------------

    def _reporter_received(self, session: Session, notice: OutboxMessage) -> Expansion:
        report = self._report(session, notice)
        context = {
            **self._report_context(report),
            **self._reporter(session, report),
            "duong_dan_theo_doi": self._tracking_link(report, notice),
        }
        return self._mails(notice, [notice.payload.get("to")], [], context)

    def _reporter_new_link(self, session: Session, notice: OutboxMessage) -> Expansion:
        report = self._report(session, notice)
        link = self._tracking_link(report, notice)
        if not link:
            return Expansion([], "chưa đặt public_base_url: không có đường dẫn để gửi")
        context = {
            **self._report_context(report),
            **self._reporter(session, report),
            "duong_dan_theo_doi": link,
        }
        return self._mails(notice, [notice.payload.get("to")], [], context)

    def _tracking_link(self, report: Report, notice: OutboxMessage) -> str:
        """The reporter's private link, from the token the use case put in the notice.

        Only the token's hash is in the report; the notice is the one place the token itself is
        kept, for the mail. A link reissued since the notice was written no longer opens the page,
        so it is left out rather than sent dead.
        """
        token, base = notice.payload.get("token"), self.notify.public_base_url
        if not token or not base or token_hash(str(token)) != report.tracking_token_hash:
            return ""
        return f"{base}/theo-doi/{report.code}?t={token}"

    def _reporter_needs_info(self, session: Session, notice: OutboxMessage) -> Expansion:
        report = self._report(session, notice)
        event = self._event(session, notice, report)
        note = notice.payload.get("note") or (event.note if event else None) or ""
        context = {
            **self._report_context(report),
            **self._reporter(session, report),
            "ghi_chu": note,
        }
        return self._mails(notice, [notice.payload.get("to")], [], context)

    def _reporter_result(self, session: Session, notice: OutboxMessage) -> Expansion:
        report = self._report(session, notice)
        event = self._event(session, notice, report)
        reached = event.to_state if event else report.state
        if reached == State.RESTRICTED:
            return Expansion([], "kết quả không công khai (bí mật nhà nước): không gửi")
        agency = self.snapshot.agencies.get(report.agency or "")
        context = {
            **self._report_context(report),
            **self._reporter(session, report),
            "trang_thai": STATE_LABELS_VI.get(State(reached), reached),
            "co_quan_xu_ly": agency.name if agency else (report.agency or ""),
            "cong_khai": reached == State.PUBLISHED,
            "ket_qua": (report.published_text or "").strip(),
        }
        return self._mails(notice, [notice.payload.get("to")], [], context)

    def _reporter_mail_refused(self, session: Session, notice: OutboxMessage) -> Expansion:
        payload = notice.payload
        context = {
            **self._common(),
            "ly_do": payload.get("reason") or "",
            "tieu_de_thu": (payload.get("subject") or "").strip(),
        }
        return self._mails(
            notice, [payload.get("to")], [], context, in_reply_to=payload.get("in_reply_to")
        )

    # -- agencies and the IOC --------------------------------------------------------------------

    def _agency_forwarded(self, session: Session, notice: OutboxMessage) -> Expansion:
        report = self._report(session, notice)
        event = self._event(session, notice, report)
        code = notice.payload.get("agency") or report.agency
        agency = self.snapshot.agencies.get(code or "")
        verify = next(
            (c for c in report.clocks if c.step == "verify" and c.stopped_at is None), None
        )
        context = {
            **self._report_context(report),
            "co_quan": agency.name if agency else (code or ""),
            "thao_tac": ACTIONS[event.action].label_vi if event and event.action in ACTIONS else "",
            "ghi_chu": (event.note if event else None) or "",
            "han_xac_minh": when_vi(verify.due_at, self.zone) if verify else "",
        }
        to = [*self._agency_emails(code), *staff_emails(session, [code], officer=report.officer)]
        mails = self._mails(notice, to, [], context)
        hooks = self._webhook(notice, code, report, {"note": event.note if event else None})
        return _joined(mails, hooks)

    def _ioc_reply(self, session: Session, notice: OutboxMessage) -> Expansion:
        report = self._report(session, notice)
        event = self._event(session, notice, report)
        text = (event.data or {}).get("text") if event else None
        if not text:
            text = session.scalars(
                select(Reply.text).where(Reply.report_id == report.id).order_by(Reply.id.desc())
            ).first()
        agency = self.snapshot.agencies.get(report.agency or "")
        context = {
            **self._report_context(report),
            "co_quan": agency.name if agency else (report.agency or ""),
            "phan_hoi": text or "",
        }
        return self._mails(notice, [self.notify.ioc_email], [], context)

    def _clock_warning(self, session: Session, notice: OutboxMessage) -> Expansion:
        return self._clock(session, notice)

    def _clock_late(self, session: Session, notice: OutboxMessage) -> Expansion:
        return self._clock(session, notice)

    def _clock(self, session: Session, notice: OutboxMessage) -> Expansion:
        report = self._report(session, notice)
        clock = session.get(Clock, notice.payload.get("clock_id"))
        if clock is None or clock.stopped_at is not None:
            return Expansion([], "bước đã xong trước khi gửi nhắc hạn: không gửi")
        ioc_step = clock.step in IOC_STEPS
        code = None if ioc_step else (notice.payload.get("agency") or report.agency)
        agency = self.snapshot.agencies.get(code or "")
        now = notice.created_at
        left = clocks.status(clock, now, self.calendar, self.snapshot.sla.warning_threshold)
        step = self.snapshot.sla.steps.get(clock.step)
        context = {
            **self._report_context(report),
            "co_quan": agency.name if agency else (code or ""),
            "buoc": STEP_NAMES_VI.get(clock.step, clock.step),
            "dieu": step.article if step else "",
            "han": when_vi(clock.due_at, self.zone),
            "con_lai": self._left(left.remaining_minutes),
        }
        if ioc_step:
            to, cc = [self.notify.ioc_email], []
        else:
            units = [report.unit, code]
            to = [
                *self._agency_emails(*units),
                *staff_emails(session, units, officer=report.officer),
            ]
            cc = [self.notify.ioc_email]
        mails = self._mails(notice, to, cc, context)
        extra = {"clock": {"id": clock.id, "step": clock.step, "due_at": _iso(clock.due_at)}}
        hooks = Expansion([]) if ioc_step else self._webhook(notice, code, report, extra)
        return _joined(mails, hooks)

    def _digest(self, session: Session, notice: OutboxMessage) -> Expansion:
        context = {**self._common(), **(notice.payload.get("context") or {})}
        return self._mails(notice, list(notice.payload.get("to") or []), [], context)

    # -- pieces ----------------------------------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        return {"tinh": self.snapshot.province, "trang_chu": self.notify.public_base_url}

    def _report_context(self, report: Report) -> dict[str, Any]:
        area = self.snapshot.areas.get(report.area or "")
        sector = self.snapshot.sectors.get(report.sector or "")
        base = self.notify.public_base_url
        hidden = report.confidential or report.state_secret
        return {
            **self._common(),
            "ma_phan_anh": report.code or "",
            "noi_dung": report.content,
            "dia_diem": ", ".join(p for p in (report.address, area.name if area else None) if p),
            "linh_vuc": sector.name if sector else "",
            "trang_thai": STATE_LABELS_VI.get(State(report.state), report.state),
            "thoi_diem_gui": when_vi(report.submitted_at, self.zone),
            "duong_dan_ket_qua": f"{base}/ket-qua/{report.code}" if base and not hidden else "",
        }

    @staticmethod
    def _reporter(session: Session, report: Report) -> dict[str, Any]:
        reporter = session.get(Reporter, report.id)
        return {"ten_nguoi_phan_anh": reporter.name if reporter else ""}

    @staticmethod
    def _report(session: Session, notice: OutboxMessage) -> Report:
        report = session.get(Report, notice.report_id) if notice.report_id else None
        if report is None:
            raise LookupError(f"thông báo {notice.dedup_key}: không tìm thấy phản ánh")
        return report

    @staticmethod
    def _event(session: Session, notice: OutboxMessage, report: Report) -> Event | None:
        """The event a use case's notice was written with: its key ends with the event's seq."""
        match = re.fullmatch(rf"{re.escape(notice.kind)}:[^:]+:(\d+)", notice.dedup_key)
        if match is None:
            return None
        return session.scalars(
            select(Event).where(Event.report_id == report.id, Event.seq == int(match.group(1)))
        ).one_or_none()

    def _agency_emails(self, *codes: str | None) -> list[str | None]:
        return [self.snapshot.agencies[c].email for c in codes if c and c in self.snapshot.agencies]

    def _left(self, minutes: int) -> str:
        span = _span(abs(minutes), self.calendar.day_minutes)
        return f"còn {span} làm việc" if minutes >= 0 else f"quá hạn {span} làm việc"

    def _mails(
        self,
        notice: OutboxMessage,
        to: list[str | None],
        cc: list[str | None],
        context: dict[str, Any],
        in_reply_to: str | None = None,
    ) -> Expansion:
        to_, cc_ = _addresses(to), _addresses(cc)
        cc_ = [a for a in cc_ if a not in to_]
        if not to_:
            to_, cc_ = cc_, []
        if not to_:
            return Expansion([], f"không có địa chỉ thư nhận thông báo '{notice.kind}'")
        source = self.snapshot.templates[template_name(notice.kind)].source
        subject, body = templates.split_mail(templates.render(source, context))
        payload = {
            "notice": notice.dedup_key,
            "notice_kind": notice.kind,
            "to": to_,
            "cc": cc_,
            "subject": subject,
            "body": body,
            "in_reply_to": in_reply_to,
        }
        return Expansion([Delivery(MAIL, delivery_key(notice.dedup_key, MAIL), payload)])

    def _webhook(
        self, notice: OutboxMessage, code: str | None, report: Report, extra: dict[str, Any]
    ) -> Expansion:
        agency = self.snapshot.agencies.get(code or "")
        if agency is None or not agency.webhook_url:
            return Expansion([])
        key = delivery_key(notice.dedup_key, WEBHOOK)
        body = {
            "id": key,
            "event": notice.kind,
            "occurred_at": _iso(notice.created_at),
            "agency": agency.code,
            "report": {
                "code": report.code,
                "state": report.state,
                "sector": report.sector,
                "area": report.area,
                "address": report.address,
                "latitude": report.latitude,
                "longitude": report.longitude,
                "content": report.content,
                "submitted_at": _iso(report.submitted_at),
                "agency": report.agency,
                "unit": report.unit,
            },
            **{k: v for k, v in extra.items() if v is not None},
        }
        text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        payload = {
            "notice": notice.dedup_key,
            "notice_kind": notice.kind,
            "agency": agency.code,
            "body": text,
        }
        return Expansion([Delivery(WEBHOOK, key, payload)])


def _addresses(values: list[str | None]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value.strip() and value.strip() not in seen:
            seen.append(value.strip())
    return seen


def _joined(*parts: Expansion) -> Expansion:
    deliveries = [d for p in parts for d in p.deliveries]
    notes = [p.note for p in parts if p.note]
    return Expansion(deliveries, None if deliveries else "; ".join(notes) or "không có kênh nhận")


def _span(minutes: int, day_minutes: int) -> str:
    """Working time in words: ``1 ngày 2 giờ 30 phút`` (a day is the calendar's working day)."""
    days, rest = divmod(minutes, day_minutes) if day_minutes else (0, minutes)
    hours, mins = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "ngày"), (hours, "giờ"), (mins, "phút")) if n]
    return " ".join(parts) or "0 phút"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
