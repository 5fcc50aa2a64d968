"""The database tables of the service (SQLAlchemy 2.x declarative, typed).

The reporter's identity lives in :class:`Reporter`, a table of its own, so that a query for public
output — which selects from :class:`Report` — cannot carry a name or a phone number by accident
(Đ5.4, Đ10.2). Every change of a report writes an :class:`Event` in the same transaction; events
are chained by hash so that an edited or deleted one is found (R23, R25).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from engine.store import search as search_index
from engine.store.types import UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: The largest id a table's key holds on every database the service runs on: PostgreSQL's
#: ``integer`` (SQLite's keys reach 2**63 - 1). A larger id names no row and must not reach a query.
MAX_ID = 2**31 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class ConfigVersion(Base):
    """One configuration (Đ13.8), kept whole: ``files`` maps each file's relative name to its text.

    The version in force at an instant ``t`` is the one with the latest ``active_from`` not after
    ``t`` (the higher id on a tie); ``active_from`` is ``None`` for a version never put in force
    (files a command ran with, kept so the reports it routed can name them, or a scheduled
    version that was cancelled). ``parent_id`` is the version in force it was made from, ``diff``
    the unified diff of its files against that parent's, ``restored_from_id`` the earlier version
    a rollback copied. Reports keep the version that routed them (``Report.config_version_id``).
    :mod:`engine.configstore` creates, activates and restores versions.
    """

    __tablename__ = "config_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(500), default="")
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active_from: Mapped[datetime | None] = mapped_column(index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("config_versions.id"))
    restored_from_id: Mapped[int | None] = mapped_column(ForeignKey("config_versions.id"))
    diff: Mapped[str] = mapped_column(Text, default="")


#: The columns the figures read from a report and from a clock, carried by their indexes below.
FIGURES_REPORT_COLUMNS: tuple[str, ...] = (
    "id", "agency", "unit", "state", "rating", "duplicate_of_id",
    "sector", "area", "channel", "latitude", "longitude",
)  # fmt: skip
FIGURES_CLOCK_COLUMNS: tuple[str, ...] = (
    "step", "stopped_at", "paused_at", "due_at", "late", "late_after_extension", "used_minutes",
)  # fmt: skip


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_state_agency", "state", "agency"),
        # The figures (engine.stats) read the reports of a period from this index alone: it
        # carries every column they count or filter by (PostgreSQL's INCLUDE; migration 0014).
        Index(
            "ix_reports_submitted_at",
            "submitted_at",
            postgresql_include=list(FIGURES_REPORT_COLUMNS),
        ),
        # The officer scope is `agency IN … OR unit IN …`: each side needs its own index.
        Index("ix_reports_unit", "unit"),
        # "Được giao cho tôi": an officer's own reports, by state (Đ14.3).
        Index("ix_reports_officer_account", "officer_account", "state"),
        # The public list (portal, API, Open311): published results, newest publication first.
        # The predicate is written as the queries render it, so that both planners match it.
        Index(
            "ix_reports_published",
            "published_at",
            "id",
            postgresql_where=text("state = 'published' AND confidential IS false"),
            sqlite_where=text("state = 'published' AND confidential IS 0"),
        ),
        # The IOC's replies queue (Đ11.3): the reports with feedback to follow, oldest first.
        Index(
            "ix_reports_feedback_to_follow",
            "submitted_at",
            "id",
            postgresql_where=text("feedback_to_follow IS true"),
            sqlite_where=text("feedback_to_follow IS 1"),
        ),
        # The reports changed since the tallies counted them (engine.stats.tallies): the few of
        # the last minutes, against a province's millions tallied. By day of submission.
        Index(
            "ix_reports_untallied",
            "submitted_at",
            postgresql_where=text("version <> tallied_version"),
            sqlite_where=text("version <> tallied_version"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)
    tracking_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    sector: Mapped[str | None] = mapped_column(String(60))
    suggested_sector: Mapped[str | None] = mapped_column(String(60))
    area: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    state_secret: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    agency: Mapped[str | None] = mapped_column(String(40))
    routing_rule: Mapped[str | None] = mapped_column(String(120))
    config_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("config_versions.id"), index=True
    )
    #: The officer the report is assigned to: ``officer`` their name as shown, ``officer_account``
    #: the username of their account (what "Được giao cho tôi" looks for).
    officer: Mapped[str | None] = mapped_column(String(100))
    officer_account: Mapped[str | None] = mapped_column(String(60))
    unit: Mapped[str | None] = mapped_column(String(40))
    proposed_result: Mapped[str | None] = mapped_column(Text)
    #: Answers to the sector's extra fields (``sectors[].fields``) by field code, as
    #: :mod:`engine.sector_fields` stores them: ``extra`` those asked with the report, for the
    #: sector chosen then (``suggested_sector``); ``result_extra`` those asked with the proposed
    #: result, for ``sector``. ``None`` when there were none.
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    approved_result: Mapped[str | None] = mapped_column(Text)
    published_text: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(20))
    #: A reply, or a latest rating "Không hài lòng", that the IOC has not followed up yet
    #: (:func:`engine.services.feedback.to_follow`, kept by the effects of ``reply``, ``rate``,
    #: ``reopen`` and ``close_feedback``): what puts the report in the replies queue.
    feedback_to_follow: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_event_hash: Mapped[str | None] = mapped_column(String(64))
    #: The folded words searched (:mod:`engine.store.search` indexes them): the content, the
    #: address, and the published answer (empty until publication), so "o ga" finds "Ổ gà".
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_place: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_result: Mapped[str] = mapped_column(Text, default="", server_default="")
    submitted_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The ``version`` the figures' tallies last counted (:mod:`engine.stats.tallies`); ``0``:
    #: never. Every change of a report bumps ``version``, so a report whose two differ has a
    #: day the tallies must count again, and until then the figures count that day directly.
    tallied_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __mapper_args__ = {"version_id_col": version}

    reporter: Mapped[Reporter] = relationship(back_populates="report", lazy="raise")
    clocks: Mapped[list[Clock]] = relationship(
        back_populates="report", order_by="Clock.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[Event]] = relationship(back_populates="report", order_by="Event.seq")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="report", order_by="Attachment.id"
    )
    extensions: Mapped[list[Extension]] = relationship(
        back_populates="report", order_by="Extension.id"
    )
    replies: Mapped[list[Reply]] = relationship(back_populates="report", order_by="Reply.id")
    ratings: Mapped[list[Rating]] = relationship(back_populates="report", order_by="Rating.id")


search_index.attach(Report.__table__)


class Reporter(Base):
    """Who reported (Đ5.3). Never joined into public output; disclosure is recorded (Đ13.7)."""

    __tablename__ = "reporters"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(500))

    report: Mapped[Report] = relationship(back_populates="reporter")


class Attachment(Base):
    """Metadata of a picture, video or document; the bytes are on disk under ``path``."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))  # report | result
    kind: Mapped[str] = mapped_column(String(20))  # photo | video | document
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    thumbnail_path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]

    report: Mapped[Report] = relationship(back_populates="attachments")


class Clock(Base):
    """One step's deadline for one report (R9–R16); the arithmetic is in :mod:`engine.sla`.

    ``base_minutes`` is the step's working time, ``budget_minutes`` the same plus any granted
    extension. ``used_minutes`` counts the working time used before ``running_since``; a paused
    clock has ``paused_at`` and no running time. ``late`` (against the base due) and
    ``late_after_extension`` (against the extended due) are decided when the clock stops and never
    recomputed.
    """

    __tablename__ = "clocks"
    __table_args__ = (
        # Running clocks only (a few per open report, against millions stopped): the overdue
        # filter, the late and warning queues, the worker's deadline job and /metrics.
        Index(
            "ix_clocks_running",
            "due_at",
            "report_id",
            postgresql_where=text("stopped_at IS NULL"),
            sqlite_where=text("stopped_at IS NULL"),
        ),
        # The figures read a period's clocks as one slice of this index, with every column
        # they count (PostgreSQL's INCLUDE; migration 0014).
        Index("ix_clocks_report_id", "report_id", postgresql_include=list(FIGURES_CLOCK_COLUMNS)),
        # The figures' running and overdue clocks of a period, as one slice by report id of the
        # running clocks only (the stopped ones are in the tallies).
        Index(
            "ix_clocks_running_report",
            "report_id",
            postgresql_include=["step", "paused_at", "due_at"],
            postgresql_where=text("stopped_at IS NULL"),
            sqlite_where=text("stopped_at IS NULL"),
        ),
        # Counting clocks, by budget: the worker's deadline job finds the few budgets in use and,
        # for each, the clocks due before its warning window closes (engine/worker/jobs.py).
        Index(
            "ix_clocks_counting_budget",
            "budget_minutes",
            "due_at",
            postgresql_where=text("stopped_at IS NULL AND paused_at IS NULL"),
            sqlite_where=text("stopped_at IS NULL AND paused_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    step: Mapped[str] = mapped_column(String(20))
    base_minutes: Mapped[int]
    budget_minutes: Mapped[int]
    used_minutes: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime]
    running_since: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    base_due_at: Mapped[datetime]
    due_at: Mapped[datetime]
    pauses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    extended: Mapped[bool] = mapped_column(default=False)
    stopped_at: Mapped[datetime | None]
    late: Mapped[bool | None]
    late_after_extension: Mapped[bool | None]

    report: Mapped[Report] = relationship(back_populates="clocks")


class Extension(Base):
    """A request for more handling time and its grant or refusal (Đ8.B3: case-by-case handling
    time). A refused request leaves the handling clock at its due time."""

    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    requested_by: Mapped[str | None] = mapped_column(String(100))
    requested_at: Mapped[datetime | None]
    requested_due: Mapped[datetime | None]
    request_reason: Mapped[str | None] = mapped_column(Text)
    granted_by: Mapped[str | None] = mapped_column(String(100))
    granted_at: Mapped[datetime | None]
    granted_due: Mapped[datetime | None]
    grant_reason: Mapped[str | None] = mapped_column(Text)
    refused_by: Mapped[str | None] = mapped_column(String(100))
    refused_at: Mapped[datetime | None]
    refusal_reason: Mapped[str | None] = mapped_column(Text)

    report: Mapped[Report] = relationship(back_populates="extensions")


class Reply(Base):
    """The reporter's request for clarification of a result (Đ11.1)."""

    __tablename__ = "replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    handled: Mapped[bool] = mapped_column(default=False)

    report: Mapped[Report] = relationship(back_populates="replies")


class Rating(Base):
    """Each rating given (Đ11.2); the latest is the report's rating, earlier ones stay on record."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    value: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]

    report: Mapped[Report] = relationship(back_populates="ratings")


class Event(Base):
    """One step of a report's story: append-only, chained to the previous event by hash."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("report_id", "seq"),
        # Follow-ups of feedback only (engine.services.feedback): the IOC's replies queue asks
        # "no reopening or handling since this reply?".
        Index(
            "ix_events_feedback_followed",
            "report_id",
            "at",
            postgresql_where=text("action = 'close_feedback' OR action = 'reopen'"),
            sqlite_where=text("action = 'close_feedback' OR action = 'reopen'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    seq: Mapped[int]
    #: Indexed for the auditor's record, newest first across every report.
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    report: Mapped[Report] = relationship(back_populates="events")


class OutboxMessage(Base):
    """A message to send after the transaction commits (e-mail, webhook), at least once.

    ``dedup_key`` lets the receiver see it at most once. The worker (:mod:`engine.worker`) claims a
    row by setting ``claimed_by`` and a lease ``claimed_until`` in a short transaction of its own,
    handles it, then sets ``sent_at``; a worker that dies in between leaves the row to be claimed
    again once the lease has passed. A failed attempt counts in ``attempts``, says why in
    ``last_error`` and waits until ``next_attempt_at``; after the last attempt the row is
    ``parked`` for a person to look at. A notice the worker turned into deliveries (rows of kind
    ``mail`` and ``webhook``) is marked sent when they are queued.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "sent_at", "parked", "next_attempt_at"),
        #: What the worker claims from (:func:`engine.worker.outbox.claim_batch`): only the rows
        #: still to send, by kind, oldest first — a claim never walks past the sent ones.
        Index(
            "ix_outbox_unsent",
            "kind",
            "id",
            postgresql_where=text("sent_at IS NULL AND parked IS false"),
            sqlite_where=text("sent_at IS NULL AND parked IS 0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    dedup_key: Mapped[str] = mapped_column(String(120), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    parked: Mapped[bool] = mapped_column(default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    #: Set by the use cases so that a notice is written after its new report in one flush.
    report: Mapped[Report | None] = relationship(lazy="raise")


class User(Base):
    """A staff account: one role, and the agency it works for (officers and leaders, Đ14.1).

    Sign-in, sessions and two-factor come with the staff-side issue; the password is stored only
    as a salted hash (:mod:`engine.accounts`).
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    agency: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    email: Mapped[str | None] = mapped_column(String(254))
    #: The former hard lock's columns, kept for old databases: no longer read (a lock let
    #: strangers lock accounts out); failures are :class:`SignInFailure` rows.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    last_login_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token for a staff account's use of the API; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class Disclosure(Base):
    """A reporter's details handed to a competent authority on its request (Đ13.7), on record."""

    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    disclosed_at: Mapped[datetime]
    disclosed_by: Mapped[str] = mapped_column(String(100))
    authority: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)


class ExportRecord(Base):
    """One export of the reports of a period for a state body on its request (Đ12.1, R23).

    Written before the first row goes out (``finished_at`` and ``rows`` empty), completed when
    the last one has: an export that stopped half-way stays on record as unfinished. It names
    the filters, never a reporter; ``identities`` counts the reports whose reporter's details
    went out under a recorded disclosure (Đ13.7).
    """

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed for the register, newest first.
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(30))
    date_from: Mapped[date]
    date_to: Mapped[date]
    agency: Mapped[str | None] = mapped_column(String(40))
    format: Mapped[str] = mapped_column(String(10))
    with_media: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text)
    rows: Mapped[int | None]
    identities: Mapped[int | None]


class IdempotentRequest(Base):
    """The first answer to a POST carrying an ``Idempotency-Key``: a retry gets it again.

    Keyed by the client's key and the route, with a hash of the request body so that the same key
    reused for a different request is refused rather than answered wrongly.
    """

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("key", "route"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class ApiKey(Base):
    """A key for an agency's or partner's system (Open311 POST, R24); only its hash is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class InboundMessage(Base):
    """A message received by a channel (e-mail), kept whole before anything is made of it.

    A message that could not become a report stays here with the reason, for IOC staff to read:
    nothing a citizen sent is dropped.
    """

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime]
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20))  # report | failed
    error: Mapped[str | None] = mapped_column(Text)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)


class AccountChange(Base):
    """One change of a staff account — made, given another role or agency, stopped, reopened,
    unlocked, its password or two-factor reset, its tokens revoked — by whom and when (R25).

    Written in the transaction of the change; read by administrators and auditors.
    """

    __tablename__ = "account_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(300))
    username: Mapped[str] = mapped_column(String(60), index=True)
    what: Mapped[str] = mapped_column(Text)


class SignInFailure(Base):
    """A failed sign-in — a wrong password or TOTP code, on the pages or the token endpoint — with
    when, from which client address and for which typed name (an account or not) (R25).

    The audit of failures, and what the sign-in back-off counts (:mod:`engine.throttle`).
    ``forgiven_at`` is set, the row kept, when a sign-in from the same address to the same name
    succeeds or an administrator lifts the back-off; forgiven rows no longer count.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_client_username", "client", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    client: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    forgiven_at: Mapped[datetime | None]


class PeriodicReport(Base):
    """One periodic report to the province's committee as built (Đ13.9, R30), kept for download.

    ``schedule`` names the ``periodic.yaml`` entry it was built for, or is empty for a report built
    on request ("theo yêu cầu"); ``built_by`` / ``role`` say who built it (the worker, role
    ``worker``, or the staff member who asked). The file is in the media store under
    ``storage_key`` (:class:`engine.uploads.MediaStore`, named by its content), with its size and
    SHA-256. One row per scheduled entry, period and format: the unique key is what keeps two
    workers from recording the same scheduled report twice (empty ``schedule``s never collide).
    """

    __tablename__ = "periodic_reports"
    __table_args__ = (UniqueConstraint("schedule", "period_start", "period_end", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule: Mapped[str | None] = mapped_column(String(120))
    period_start: Mapped[date]
    period_end: Mapped[date]
    #: Indexed for the list, newest first.
    built_at: Mapped[datetime] = mapped_column(index=True)
    built_by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(30))
    format: Mapped[str] = mapped_column(String(10))
    storage_key: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))


# -- the figures' tallies (engine.stats.tallies) ---------------------------------------------------
#
# Counts of one local day of submission (Asia/Ho_Chi_Minh) and one group, kept by the worker from
# the rows above so that a period's figures add a few thousand tallies instead of reading every
# report and clock. They are derived data: rebuilt day by day, never edited, never the only copy.


class _TalliedGroup:
    """A tally's day and group: the reports' responsible agency, unit and sector, what
    :func:`engine.services.queues.visible` and the figures' filters read."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    agency: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(40))
    sector: Mapped[str | None] = mapped_column(String(60))


class FigureTally(_TalliedGroup, Base):
    """The reports submitted on ``day`` with this responsible agency, unit and sector: the
    counts of :func:`engine.stats.counting.report_columns`, their replies and reopenings."""

    __tablename__ = "figure_tallies"

    received: Mapped[int]
    rejected: Mapped[int]
    duplicates: Mapped[int]
    with_result: Mapped[int]
    rating_hai_long: Mapped[int]
    rating_chap_nhan_duoc: Mapped[int]
    rating_khong_hai_long: Mapped[int]
    replies: Mapped[int]
    reopened: Mapped[int]


class ClockTally(_TalliedGroup, Base):
    """The stopped clocks of one step of the reports of a :class:`FigureTally`'s group: on time,
    late, late within an extension (the flags frozen when each stopped)."""

    __tablename__ = "clock_tallies"

    step: Mapped[str] = mapped_column(String(20))
    on_time: Mapped[int]
    late: Mapped[int]
    late_within_extension: Mapped[int]


class AreaTally(Base):
    """The reports submitted on ``day`` in commune ``area``: how many, and of those with a place
    (latitude and longitude) how many and the sums of their coordinates — the province's top
    communes and the map's mean points."""

    __tablename__ = "area_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    area: Mapped[str] = mapped_column(String(10))
    received: Mapped[int]
    placed: Mapped[int]
    latitude_sum: Mapped[float] = mapped_column(Float)
    longitude_sum: Mapped[float] = mapped_column(Float)


class SpreadTally(Base):
    """How many stopped clocks of ``step``, of the reports submitted on ``day``, used
    ``used_minutes`` of working time (rounded down as the spread is given:
    :func:`engine.stats.counting.spread_minutes`): the province's median and 90th percentile."""

    __tablename__ = "spread_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    step: Mapped[str] = mapped_column(String(20))
    used_minutes: Mapped[int]
    clocks: Mapped[int]
