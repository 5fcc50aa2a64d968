"""The use cases of a report's life: ``submit`` and ``perform(action)`` for every row of the table.

Each call is one unit of work: it checks the actor's role and scope, the report's state and
version, and the inputs the table requires; then it writes the report, its clocks, its event and
any outbox message together — or, on any refusal or failure, nothing at all.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import audit, sector_fields
from engine.calendar import WorkingCalendar
from engine.config.snapshot import Snapshot
from engine.rules import RulesEngine
from engine.services import effects
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound, WrongState
from engine.sla import clocks
from engine.sla.allowance import Allowance, allowance
from engine.store import new_report
from engine.store.db import UnitOfWork
from engine.store.models import Clock, Event, OutboxMessage, Report, Reporter
from engine.uploads import StoredFile
from engine.workflow import ACTIONS, Role, State, Transition
from engine.workflow import Clock as Step

CODE_PREFIX = "PA"
#: How the record names the reporter: their identity stays in the reporters table (Đ5.4), so a
#: story shown to anyone never carries it.
REPORTER_IN_RECORD = "người phản ánh"
#: What a channel without a person on duty may leave for the reporter to complete later.
IDENTITY_FIELDS = frozenset({"name", "phone"})


@dataclass(frozen=True)
class Actor:
    """Who acts: a person's name, the role they act in, their agency, and — for staff signed in
    with an account — its username (what an assignment names, Đ14.3)."""

    name: str
    role: Role
    agency: str | None = None
    account: str | None = None


#: The intake itself, when it asks the reporter for missing details on its own.
INTAKE_SYSTEM = Actor("Hệ thống tiếp nhận", Role.IOC_OPERATOR)


@dataclass(frozen=True)
class NewReport:
    """What a reporter sends (Đ5): content, place, and who they are."""

    name: str
    phone: str
    content: str
    channel: str = "web"
    email: str | None = None
    reporter_address: str | None = None
    area: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    sector: str | None = None
    confidential: bool = False
    state_secret: bool = False
    attachments: tuple[StoredFile, ...] = ()
    #: Answers to the chosen sector's extra fields of stage ``report``, by field code, as the
    #: channel received them (:mod:`engine.sector_fields` checks and normalises them).
    extra: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Submitted:
    code: str
    tracking_token: str
    state: State
    version: int


@dataclass(frozen=True)
class Outcome:
    """The report after an action: its new state and the version to send with the next action."""

    code: str
    state: State
    version: int
    event_seq: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Lifecycle:
    """The use cases over one database and one configuration snapshot."""

    def __init__(
        self,
        uow: UnitOfWork,
        snapshot: Snapshot,
        *,
        config_version_id: int | None = None,
        rules: RulesEngine | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow = uow
        self.snapshot = snapshot
        self.calendar = WorkingCalendar.from_config(snapshot.calendar)
        self.rules = rules or RulesEngine(snapshot)
        self.config_version_id = config_version_id
        self.now = now
        self.zone = ZoneInfo(snapshot.calendar.timezone)

    # -- creation ------------------------------------------------------------------------------

    def submit(
        self, new: NewReport, *, at: datetime | None = None, ask_for_missing: bool = False
    ) -> Submitted:
        """Receive a report (Đ4–Đ5): store it with its reporter, start the intake clocks.

        The chosen sector's extra fields are checked as every channel checks them
        (:func:`engine.sector_fields.validated`): a wrong or missing required one refuses the whole
        report, naming each field, and nothing is stored.

        With ``ask_for_missing`` (the e-mail channel, where nobody can be asked at once) a report
        that lacks the reporter's name or phone is kept and moved to ``needs_info`` in the same
        transaction, with a note telling the reporter what to add (Đ5.3, Đ6).
        """
        at = at or self.now()
        tolerate = IDENTITY_FIELDS if ask_for_missing else frozenset()
        missing = effects.check_new_report(self, new, tolerate)
        extra = sector_fields.validated(
            self.snapshot.sectors.get(new.sector or ""), new.extra, "report"
        )
        token = secrets.token_urlsafe(24)
        row = ACTIONS["submit"]
        with self.uow.begin() as session:
            report = Report(
                id=new_report.reserve_id(session),
                tracking_token_hash=token_hash(token),
                state=State.RECEIVED,
                channel=new.channel,
                content=new.content.strip(),
                suggested_sector=new.sector or effects.suggested_sector(self, new.content),
                area=new.area,
                address=new.address,
                latitude=new.latitude,
                longitude=new.longitude,
                confidential=new.confidential,
                state_secret=new.state_secret,
                extra=extra or None,
                submitted_at=at,
                updated_at=at,
                version=1,
                reporter=Reporter(
                    name=new.name.strip(),
                    phone=new.phone.strip(),
                    email=(new.email or "").strip() or None,
                    address=new.reporter_address,
                ),
                clocks=[],
                attachments=[],
            )
            effects.index_text(report)
            written = report.id is None
            if written:  # no sequence to ask (SQLite): the INSERT gives the id
                report.id = new_report.insert_report(session, report)
            report.code = f"{CODE_PREFIX}-{at.astimezone(self.zone).year}-{report.id:06d}"
            for stored in new.attachments:
                report.attachments.append(stored.attachment("report", at))
            self._move_clocks(report, row, at)
            record = new_report.NewRecord(report)
            actor = Actor(new.name.strip(), Role.REPORTER)
            event = self.event(report, actor, row, None, State.RECEIVED, None, {}, at, None)
            record.events.append(event)
            if new.email:
                # The private link goes into the acknowledgement: a reporter who loses the page
                # (or never saw one: the e-mail channel) still has it.
                record.messages.append(
                    self.message(
                        report, "reporter.received", event, {"to": new.email, "token": token}
                    )
                )
            if missing:
                self._ask_for_missing(record, missing, new.email, event, at)
            new_report.write(session, record, report_written=written)
            return Submitted(report.code, token, State(report.state), report.version)

    def _ask_for_missing(
        self,
        record: new_report.NewRecord,
        missing: list[str],
        email: str | None,
        received: Event,
        at: datetime,
    ) -> None:
        row = ACTIONS["request_info"]
        note = "Vui lòng bổ sung: " + " ".join(missing)
        report = record.report
        report.state = row.target
        self._move_clocks(report, row, at)
        event = self.event(
            report, INTAKE_SYSTEM, row, State.RECEIVED, row.target, note, {}, at, received
        )
        record.events.append(event)
        if email:
            record.messages.append(
                self.message(report, "reporter.needs_info", event, {"to": email, "note": note})
            )

    # -- every other action --------------------------------------------------------------------

    def perform(
        self,
        actor: Actor,
        code: str,
        action: str,
        *,
        version: int,
        note: str | None = None,
        token: str | None = None,
        mailbox: str | None = None,
        at: datetime | None = None,
        **inputs: Any,
    ) -> Outcome:
        """Do ``action`` on report ``code`` as ``actor``, if the table and the report allow it.

        A reporter proves who they are with the report's ``token``, or — for a reply by e-mail —
        with ``mailbox``, the address the mail came from, when it is the address the report was
        sent with.

        Refusals come in this order: the action and its inputs, the actor's role and token, the
        version the caller read (409), the report's state, and the actor's agency.
        """
        row = ACTIONS.get(action)
        if row is None or row.creates:
            known = ", ".join(a for a, r in ACTIONS.items() if not r.creates)
            raise InvalidInput(
                f"Thao tác '{action}' không tồn tại; các thao tác: {known}.",
                f"Unknown action '{action}'; the actions are: {known}.",
                field="action",
            )
        at = at or self.now()
        note = (note or "").strip() or None
        inputs = {k: v for k, v in inputs.items() if v is not None and v != ""}
        self._check_inputs(row, note, inputs)
        try:
            with self.uow.begin() as session:
                report = self._load(session, code)
                self._check_actor(session, actor, row, report, token, mailbox)
                self._check_report(actor, row, report, version)
                before = State(report.state)
                target, data = effects.apply(
                    effects.Act(self, session, actor, row, report, note, inputs, at)
                )
                report.state = target
                report.updated_at = at
                self._move_clocks(report, row, at)
                event = self.record(session, report, actor, row, before, target, note, data, at)
                effects.notify_after(self, session, actor, row, report, event, data)
                session.flush()
                return Outcome(report.code or code, target, report.version, event.seq)
        except StaleDataError:
            raise Conflict(
                f"Phản ánh {code} vừa được người khác cập nhật; hãy tải lại và thực hiện lại.",
                f"Report {code} was changed by someone else at the same time; reload and retry.",
            ) from None

    # -- checks --------------------------------------------------------------------------------

    @staticmethod
    def _check_inputs(row: Transition, note: str | None, inputs: Mapping[str, Any]) -> None:
        if row.note_required and not note:
            raise InvalidInput(
                f"Thao tác '{row.action}' ({row.label_vi}) cần ghi chú.",
                f"The action '{row.action}' requires a note.",
                field="note",
            )
        missing = sorted(row.requires - set(inputs))
        if missing:
            raise InvalidInput(
                f"Thao tác '{row.action}' thiếu: {', '.join(missing)}.",
                f"The action '{row.action}' is missing: {', '.join(missing)}.",
                field=missing[0],
            )
        unexpected = sorted(set(inputs) - row.requires - row.accepts)
        if unexpected:
            raise InvalidInput(
                f"Thao tác '{row.action}' không nhận: {', '.join(unexpected)}.",
                f"The action '{row.action}' does not take: {', '.join(unexpected)}.",
                field=unexpected[0],
            )

    def _check_actor(
        self,
        session: Session,
        actor: Actor,
        row: Transition,
        report: Report,
        token: str | None,
        mailbox: str | None = None,
    ) -> None:
        if actor.role not in row.roles:
            allowed = ", ".join(sorted(row.roles))
            raise Forbidden(
                f"Vai trò '{actor.role}' không được thực hiện '{row.action}' (chỉ: {allowed}).",
                f"The role '{actor.role}' may not '{row.action}' (only: {allowed}).",
            )
        if actor.role is Role.REPORTER and not (
            (
                token is not None
                and secrets.compare_digest(token_hash(token), report.tracking_token_hash)
            )
            or (mailbox is not None and self._reporters_mailbox(session, report, mailbox))
        ):
            raise Forbidden(
                "Mã theo dõi không đúng: chỉ người gửi phản ánh mới thực hiện được thao tác này.",
                "The tracking token does not match: only the reporter may do this.",
            )

    @staticmethod
    def _reporters_mailbox(session: Session, report: Report, mailbox: str) -> bool:
        """``mailbox`` is the e-mail address the report was sent with (case aside)."""
        reporter = session.get(Reporter, report.id)
        given = mailbox.strip().lower()
        return bool(given) and reporter is not None and (reporter.email or "").lower() == given

    def _check_report(self, actor: Actor, row: Transition, report: Report, version: int) -> None:
        """A stale version is a conflict first: the caller must reload before anything else.

        Then the state, then the agency: an officer may only act on a report their agency holds.
        """
        if report.version != version:
            raise Conflict(
                f"Phản ánh {report.code} đã được cập nhật (phiên bản {report.version}, bạn gửi "
                f"{version}); hãy tải lại và thực hiện lại.",
                f"Report {report.code} has changed (version {report.version}, you sent "
                f"{version}); reload it and try again.",
            )
        if State(report.state) not in row.sources:
            sources = ", ".join(sorted(row.sources))
            raise WrongState(
                f"Không thể '{row.action}' khi phản ánh đang ở trạng thái '{report.state}' "
                f"(chỉ khi: {sources}).",
                f"Cannot '{row.action}' a report in state '{report.state}' (only from: {sources}).",
            )
        if actor.role in (Role.OFFICER, Role.LEADER) and not self.in_scope(actor, report):
            raise Forbidden(
                f"Phản ánh {report.code} không thuộc cơ quan {actor.agency}.",
                f"Report {report.code} does not belong to agency {actor.agency}.",
            )

    def in_scope(self, actor: Actor, report: Report) -> bool:
        """An agency's staff act on its reports and those of its sub-units (Đ14.3)."""
        if actor.agency is None:
            return False
        agency = report.unit or report.agency
        while agency is not None:
            if agency == actor.agency:
                return True
            known = self.snapshot.agencies.get(agency)
            agency = known.parent if known else None
        return report.agency == actor.agency

    @staticmethod
    def _load(session: Session, code: str) -> Report:
        report = session.scalars(select(Report).where(Report.code == code)).one_or_none()
        if report is None:
            raise NotFound(f"Không có phản ánh mã {code}.", f"There is no report {code}.")
        return report

    # -- clocks, events, outbox ----------------------------------------------------------------

    def step_allowance(
        self, step: Step, agency: str | None = None, *, sector: str | None = None
    ) -> Allowance:
        """What a step allows a report of ``sector`` held by ``agency``, and which rule says so.

        :func:`engine.sla.allowance.allowance`: the step's deadline, the most specific override,
        the agency's handling limit for ``handle``, never beyond the regulation's maximum.
        """
        return allowance(
            self.snapshot,
            step,
            sector=sector,
            agency=agency,
            day_minutes=self.calendar.day_minutes,
        )

    def step_minutes(
        self, step: Step, agency: str | None = None, *, sector: str | None = None
    ) -> int:
        """The working minutes a step allows a report of ``sector`` held by ``agency``."""
        return self.step_allowance(step, agency, sector=sector).minutes

    def _move_clocks(self, report: Report, row: Transition, at: datetime) -> None:
        running = {c.step: c for c in report.clocks if c.stopped_at is None}
        for step in row.stop:
            if step in running:
                clocks.stop(running[step], at, self.calendar)
        for step in row.pause:
            if step in running and running[step].paused_at is None:
                clocks.pause(running[step], at, self.calendar)
        for step in row.resume:
            if step in running and running[step].paused_at is not None:
                clocks.resume(running[step], at, self.calendar)
        for step in row.start:
            report.clocks.append(
                clocks.start(
                    step,
                    self.step_minutes(step, report.agency, sector=report.sector),
                    at,
                    self.calendar,
                )
            )

    def running_clock(self, report: Report, step: Step) -> Clock | None:
        return next((c for c in report.clocks if c.step == step and c.stopped_at is None), None)

    def record(
        self,
        session: Session,
        report: Report,
        actor: Actor,
        row: Transition,
        before: State | None,
        after: State,
        note: str | None,
        data: dict[str, Any],
        at: datetime,
    ) -> Event:
        """Append the event to the report's chain, after its last stored event (R23)."""
        previous = session.scalars(
            select(Event).where(Event.report_id == report.id).order_by(Event.seq.desc()).limit(1)
        ).one_or_none()
        event = self.event(report, actor, row, before, after, note, data, at, previous)
        session.add(event)
        return event

    @staticmethod
    def event(
        report: Report,
        actor: Actor,
        row: Transition,
        before: State | None,
        after: State,
        note: str | None,
        data: dict[str, Any],
        at: datetime,
        previous: Event | None,
    ) -> Event:
        """The event that follows ``previous`` (``None``: the first of a new report), sealed and
        made the report's head (R23)."""
        event = Event(
            report=report,  # the backref's append is queued: never loads the report's events
            report_id=report.id,
            at=at,
            actor=REPORTER_IN_RECORD if actor.role is Role.REPORTER else actor.name,
            role=actor.role,
            action=row.action,
            from_state=before,
            to_state=after,
            note=note,
            data=data,
        )
        audit.seal(event, previous)
        report.last_event_hash = event.hash
        return event

    def notify(
        self, session: Session, report: Report, kind: str, event: Event, payload: dict[str, Any]
    ) -> None:
        """Queue a message for the worker."""
        session.add(self.message(report, kind, event, payload))

    @staticmethod
    def message(report: Report, kind: str, event: Event, payload: dict[str, Any]) -> OutboxMessage:
        """A message for the worker; the key makes a retried send recognisable downstream."""
        return OutboxMessage(
            created_at=event.at,
            kind=kind,
            report=report,
            report_id=report.id,
            dedup_key=f"{kind}:{report.code}:{event.seq}",
            payload={"code": report.code, "action": event.action, **payload},
        )
