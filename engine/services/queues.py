"""The processing desk's reads: who sees which reports, the queues of each role, search, filters.

Everything here is a query over one session; nothing is written. Scope (Đ14.1, Đ14.3):

* the IOC's operators, the operations administrator, the province's viewers and the auditors see
  every report (:data:`SEES_ALL`);
* an officer or a leader sees the reports whose ``agency`` or ``unit`` is their agency or one of
  its sub-units (the agencies' ``parent`` links in the configuration) — the same reports
  :meth:`Lifecycle.in_scope` lets them act on;
* anyone else sees nothing.

Rows are built from explicit columns of :class:`Report` and never carry the reporter's identity;
that is read only by :mod:`engine.services.disclosure`. Each row has the deadline of its most
urgent running clock, from :func:`engine.sla.clocks.status` on the working calendar.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from engine.config.regulation import STEP_NAMES_VI
from engine.config.snapshot import Snapshot
from engine.services import disclosure, effects, keyset, ranking
from engine.services import feedback as followed
from engine.services.errors import Forbidden, NotFound
from engine.services.search import Matcher, matcher
from engine.services.story import story
from engine.sla import clocks
from engine.sla.clocks import Standing
from engine.store.models import (
    Attachment,
    Clock,
    Event,
    Extension,
    Report,
)
from engine.store.types import UtcDateTime
from engine.workflow import (
    STATE_LABELS_VI,
    STATE_SECRET_MARKS,
    Role,
    State,
    Transition,
    allowed,
)
from engine.workflow import Clock as ClockStep

if TYPE_CHECKING:
    from engine.calendar import WorkingCalendar
    from engine.services.lifecycle import Actor, Lifecycle

SEES_ALL = frozenset({Role.IOC_OPERATOR, Role.OPERATOR_ADMIN, Role.PROVINCE_VIEWER, Role.AUDITOR})
AGENCY_ROLES = frozenset({Role.OFFICER, Role.LEADER})
#: Staff who read and change nothing.
READ_ONLY = frozenset({Role.PROVINCE_VIEWER, Role.AUDITOR})
STAFF_ROLES = (
    Role.IOC_OPERATOR,
    Role.OFFICER,
    Role.LEADER,
    Role.OPERATOR_ADMIN,
    Role.PROVINCE_VIEWER,
    Role.AUDITOR,
)
ROLE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        Role.REPORTER: "Người phản ánh",
        Role.IOC_OPERATOR: "Cán bộ Trung tâm IOC",
        Role.OFFICER: "Cán bộ xử lý",
        Role.LEADER: "Lãnh đạo cơ quan",
        Role.OPERATOR_ADMIN: "Quản trị vận hành",
        Role.PROVINCE_VIEWER: "Lãnh đạo tỉnh (theo dõi)",
        Role.AUDITOR: "Kiểm tra, giám sát",
    }
)
STANDING_LABELS: Mapping[Standing, str] = MappingProxyType(
    {
        Standing.ON_TIME: "Đúng hạn",
        Standing.WARNING: "Sắp đến hạn",
        Standing.LATE: "Quá hạn",
        Standing.PAUSED: "Tạm dừng",
        Standing.WITHIN_EXTENSION: "Trong hạn gia hạn",
    }
)
#: Most urgent first.
_URGENCY = {
    Standing.LATE: 0,
    Standing.WARNING: 1,
    Standing.ON_TIME: 2,
    Standing.WITHIN_EXTENSION: 3,
    Standing.PAUSED: 4,
}
ANSWERED = frozenset({State.PUBLISHED, State.ANSWERED_PRIVATELY})
SUMMARY_CHARS = 160


# -- scope -----------------------------------------------------------------------------------------


def agency_tree(snapshot: Snapshot, code: str) -> frozenset[str]:
    """``code`` and every agency under it, however deep (Đ14.3)."""
    found = {code}
    changed = True
    while changed:
        changed = False
        for agency in snapshot.agencies.values():
            if agency.parent in found and agency.code not in found:
                found.add(agency.code)
                changed = True
    return frozenset(found)


def visible(snapshot: Snapshot, actor: Actor) -> ColumnElement[bool]:
    """The SQL condition on :class:`Report` of what ``actor`` may read."""
    if actor.role in SEES_ALL:
        return true()
    if actor.role in AGENCY_ROLES and actor.agency:
        codes = sorted(agency_tree(snapshot, actor.agency))
        return or_(Report.agency.in_(codes), Report.unit.in_(codes))
    return false()


def may_read(life: Lifecycle, actor: Actor, report: Report) -> bool:
    """Whether ``actor`` may open ``report`` (the same rule as :func:`visible`)."""
    if actor.role in SEES_ALL:
        return True
    if actor.role in AGENCY_ROLES and actor.agency:
        return life.in_scope(actor, report)
    return False


def load_visible(session: Session, life: Lifecycle, actor: Actor, code: str) -> Report:
    """The report ``code`` if ``actor`` may read it; ``NotFound`` or ``Forbidden`` otherwise."""
    report = session.scalars(select(Report).where(Report.code == code)).one_or_none()
    if report is None:
        raise NotFound(f"Không có phản ánh mã {code}.", f"There is no report {code}.")
    if not may_read(life, actor, report):
        whose = f"cơ quan {actor.agency}" if actor.agency else "bạn"
        raise Forbidden(
            f"Phản ánh {code} không thuộc phạm vi của {whose}: bạn không xem, không xử lý được.",
            f"Report {code} is outside the scope of {actor.agency or 'this account'}.",
        )
    return report


def actions_for(
    life: Lifecycle, actor: Actor, report: Report, *, feedback_to_follow: bool = True
) -> tuple[Transition, ...]:
    """What ``actor`` may do now on ``report``: the table's rows for the state and the role,
    and — for an agency's staff — only on a report in their scope.

    Rows whose effect would only refuse are left out: a state-secret mark on a report already
    marked, and recording feedback as handled when there is none to follow.
    """
    if not may_read(life, actor, report):
        return ()
    if actor.role in AGENCY_ROLES and not life.in_scope(actor, report):
        return ()
    return tuple(
        row
        for row in allowed(State(report.state), actor.role)
        if not (row.action in STATE_SECRET_MARKS and report.state_secret)
        and not (row.action == "close_feedback" and not feedback_to_follow)
    )


# -- deadlines -------------------------------------------------------------------------------------


def span_vi(minutes: int, day_minutes: int) -> str:
    """Working time in words: ``1 ngày 2 giờ 30 phút`` (a day is the calendar's working day)."""
    days, rest = divmod(minutes, day_minutes) if day_minutes else (0, minutes)
    hours, mins = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "ngày"), (hours, "giờ"), (mins, "phút")) if n]
    return " ".join(parts) or "0 phút"


@dataclass(frozen=True)
class Deadline:
    """Where the most urgent running clock of a report stands now."""

    step: str
    step_name: str
    standing: Standing
    remaining_minutes: int
    due_at: datetime
    extended: bool
    day_minutes: int

    @property
    def label(self) -> str:
        return STANDING_LABELS[self.standing]

    @property
    def text(self) -> str:
        """``còn 3 giờ 20 phút làm việc``, ``quá 1 ngày 2 giờ``, ``tạm dừng, còn …``."""
        left = self.remaining_minutes
        if self.standing is Standing.LATE:
            return f"quá {span_vi(-left, self.day_minutes)}" if left < 0 else "vừa hết hạn"
        text = f"còn {span_vi(max(left, 0), self.day_minutes)} làm việc"
        return f"tạm dừng, {text}" if self.standing is Standing.PAUSED else text


#: The workflow's steps in their order. Of two clocks equally urgent the earlier step's is the
#: report's deadline, whatever order the clocks were stored in (a new report's intake and forward
#: clocks start together, and a submission written as one statement gives no order to its rows).
STEP_ORDER = {step.value: number for number, step in enumerate(ClockStep)}


def deadline_of(
    running: Iterable[Clock], calendar: WorkingCalendar, warning: float, now: datetime
) -> Deadline | None:
    """The most urgent of the clocks that have not stopped: a counting one before a paused one."""
    best: tuple[tuple[int, int], Deadline] | None = None
    for clock in running:
        if clock.stopped_at is not None:
            continue
        status = clocks.status(clock, now, calendar, warning)
        found = Deadline(
            step=clock.step,
            step_name=STEP_NAMES_VI.get(clock.step, clock.step),
            standing=status.standing,
            remaining_minutes=status.remaining_minutes,
            due_at=status.due_at,
            extended=clock.extended,
            day_minutes=calendar.day_minutes,
        )
        key = (
            1 if status.standing is Standing.PAUSED else 0,
            status.remaining_minutes,
            STEP_ORDER.get(clock.step, len(STEP_ORDER)),
        )
        if best is None or key < best[0]:
            best = (key, found)
    return best[1] if best else None


# -- rows ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One report as a queue or a search shows it (no identity of the reporter)."""

    code: str
    state: State
    version: int
    summary: str
    sector: str | None
    sector_name: str | None
    area: str | None
    area_name: str | None
    address: str | None
    agency: str | None
    agency_name: str | None
    unit: str | None
    unit_name: str | None
    officer: str | None
    #: The username of the officer's account, when the report was given to one (Đ14.3).
    officer_account: str | None
    confidential: bool
    state_secret: bool
    submitted_at: datetime
    updated_at: datetime
    deadline: Deadline | None
    #: Agencies that returned the report to the IOC (Đ8.B2), in the order they did.
    returned_by: tuple[str, ...] = ()
    extension_requested: bool = False
    pending_replies: int = 0
    dissatisfied: bool = False

    @property
    def state_label(self) -> str:
        return STATE_LABELS_VI[self.state]

    @property
    def disputed(self) -> bool:
        """Returned by two different agencies: a case for the administrator (Đ3.8)."""
        return self.state is State.RETURNED and len(set(self.returned_by)) >= 2

    @property
    def urgency(self) -> tuple[int, int, datetime]:
        if self.deadline is None:
            return (len(_URGENCY), 0, self.submitted_at)
        return (
            _URGENCY[self.deadline.standing],
            self.deadline.remaining_minutes,
            self.submitted_at,
        )


_ROW_COLUMNS = (
    Report.id,
    Report.code,
    Report.state,
    Report.version,
    Report.content,
    Report.sector,
    Report.area,
    Report.address,
    Report.agency,
    Report.unit,
    Report.officer,
    Report.officer_account,
    Report.confidential,
    Report.state_secret,
    Report.submitted_at,
    Report.updated_at,
)


def _summary(content: str) -> str:
    flat = " ".join(content.split())
    return flat if len(flat) <= SUMMARY_CHARS else flat[: SUMMARY_CHARS - 1].rstrip() + "…"


def _rows(session: Session, life: Lifecycle, query: Select[Any], now: datetime) -> list[Row]:
    """Run ``query`` (selecting :data:`_ROW_COLUMNS`) and complete each row for the desk."""
    return _build_rows(session, life, session.execute(query).all(), now)


def _build_rows(
    session: Session, life: Lifecycle, records: Sequence[Any], now: datetime
) -> list[Row]:
    """Complete one page of rows: their clocks, returns, extensions and feedback.

    ``records`` is a page (a queue's or a search's ``LIMIT``) or the first pages of the desk's
    queues together, so the ids looked up here are at most a few hundred, never a whole queue.
    A report in two of those queues is looked up once.
    """
    ids = list(dict.fromkeys(r.id for r in records))
    if not ids:
        return []
    running: dict[int, list[Clock]] = {}
    for clock in session.scalars(
        select(Clock).where(Clock.report_id.in_(ids), Clock.stopped_at.is_(None))
    ):
        running.setdefault(clock.report_id, []).append(clock)
    returned: dict[int, list[str]] = {}
    for report_id, data in session.execute(
        select(Event.report_id, Event.data)
        .where(Event.report_id.in_(ids), Event.action == "return_to_ioc")
        .order_by(Event.report_id, Event.seq)
    ):
        agency = (data or {}).get("agency")
        if agency:
            returned.setdefault(report_id, []).append(agency)
    asked = set(
        session.scalars(
            select(Extension.report_id).where(
                Extension.report_id.in_(ids),
                Extension.requested_at.is_not(None),
                Extension.granted_at.is_(None),
                Extension.refused_at.is_(None),
            )
        )
    )
    answered = list(dict.fromkeys(r.id for r in records if r.state in ANSWERED))
    feedback = followed.pending(session, answered)
    snap, calendar = life.snapshot, life.calendar
    warning = snap.sla.warning_threshold
    rows = []
    for r in records:
        sector, area = snap.sectors.get(r.sector or ""), snap.areas.get(r.area or "")
        agency, unit = snap.agencies.get(r.agency or ""), snap.agencies.get(r.unit or "")
        replies, dissatisfied = feedback.get(r.id, (0, False))
        rows.append(
            Row(
                code=r.code,
                state=State(r.state),
                version=r.version,
                summary=_summary(r.content),
                sector=r.sector,
                sector_name=sector.name if sector else None,
                area=r.area,
                area_name=area.name if area else None,
                address=r.address,
                agency=r.agency,
                agency_name=agency.name if agency else r.agency,
                unit=r.unit,
                unit_name=unit.name if unit else r.unit,
                officer=r.officer,
                officer_account=r.officer_account,
                confidential=r.confidential,
                state_secret=r.state_secret,
                submitted_at=r.submitted_at,
                updated_at=r.updated_at,
                deadline=deadline_of(running.get(r.id, ()), calendar, warning, now),
                returned_by=tuple(dict.fromkeys(returned.get(r.id, ()))),
                extension_requested=r.id in asked,
                pending_replies=replies,
                dissatisfied=dissatisfied,
            )
        )
    return rows


# -- filters ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a queue or a search is narrowed to; every field optional."""

    state: State | None = None
    sector: str | None = None
    area: str | None = None
    agency: str | None = None
    overdue: bool = False
    text: str | None = None
    #: Submitted at or after ``since`` and before ``until`` (UTC instants): the period of a
    #: dashboard's number, so that its drill-down lists the same reports (engine.stats).
    since: datetime | None = None
    until: datetime | None = None

    @property
    def active(self) -> bool:
        return any(
            (self.state, self.sector, self.area, self.agency, self.overdue, self.text)
            + (self.since, self.until)
        )


def _overdue(now: datetime) -> ColumnElement[bool]:
    """A clock still counting whose due time has passed (Standing.LATE of a running clock).

    The few reports with such a clock are found first, over the partial index of running clocks,
    in a materialised CTE. As a correlated EXISTS, PostgreSQL walked the reports newest first and
    probed each one's clocks, expecting a page of matches early: 100,000 probes for 50 rows
    (440 ms at 100 k reports, against 3 ms this way).
    """
    late = (
        select(Clock.report_id)
        .where(Clock.stopped_at.is_(None), Clock.paused_at.is_(None), Clock.due_at < now)
        .cte()
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return Report.id.in_(select(late.c.report_id))


def _counting(now: datetime) -> ColumnElement[bool]:
    return exists().where(
        Clock.report_id == Report.id,
        Clock.stopped_at.is_(None),
        Clock.paused_at.is_(None),
        Clock.due_at >= now,
    )


def _filtered(
    filters: Filters, now: datetime, found: Matcher | None = None
) -> list[ColumnElement[bool]]:
    """The filters' conditions; the text as ``found`` (its :class:`Matcher`) says it."""
    clauses: list[ColumnElement[bool]] = []
    if filters.state:
        clauses.append(Report.state == filters.state)
    if filters.sector:
        clauses.append(Report.sector == filters.sector)
    if filters.area:
        clauses.append(Report.area == filters.area)
    if filters.agency:
        clauses.append(or_(Report.agency == filters.agency, Report.unit == filters.agency))
    if filters.overdue:
        clauses.append(_overdue(now))
    if filters.since:
        clauses.append(Report.submitted_at >= filters.since)
    if filters.until:
        clauses.append(Report.submitted_at < filters.until)
    if filters.text and found is not None:
        clauses.append(found.condition())
    return clauses


def _matcher(session: Session, life: Lifecycle, filters: Filters) -> Matcher | None:
    if not filters.text:
        return None
    return matcher(session, filters.text, life.snapshot.areas)


# -- queues ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    """One queue of the desk: reports in some states, or picked by a rule (``kind``).

    ``kind``: ``states`` (the states only), ``disputes`` (returned by two different agencies),
    ``replies`` (answered reports with replies or a 'Không hài lòng' rating to follow), ``late``
    and ``warning`` (by the standing of a running clock, any state), ``mine`` (the reader's own:
    the reports in ``states`` assigned to their account). ``step`` names the clock whose
    deadline the queue is about (its duration is the configuration's, shown by the page).
    """

    key: str
    title: str
    hint: str
    states: frozenset[State] = frozenset()
    kind: str = "states"
    step: str | None = None


def _queue(key: str, title: str, hint: str, states: Iterable[State] = (), **kw: Any) -> Queue:
    return Queue(key, title, hint, frozenset(states), **kw)


S = State
NEW = _queue(
    "moi",
    "Mới tiếp nhận",
    "Kiểm tra đủ thông tin và phân loại lĩnh vực (Đ6).",
    {S.RECEIVED},
    step="intake",
)
TO_FORWARD = _queue(
    "cho-chuyen",
    "Chờ chuyển cơ quan xử lý",
    "Đã phân loại: kiểm tra và chuyển cơ quan xử lý (Đ7).",
    {S.CLASSIFIED},
    step="forward",
)
NEEDS_INFO = _queue(
    "cho-bo-sung",
    "Chờ người dân bổ sung thông tin",
    "Thời hạn tạm dừng cho đến khi người phản ánh bổ sung (Đ5.3, Đ6).",
    {S.NEEDS_INFO},
)
RETURNED = _queue(
    "bi-tra-lai",
    "Bị cơ quan trả lại",
    "Không thuộc phạm vi của cơ quan (Đ8.B2): phân loại lại, chuyển lại, hoặc báo "
    "cáo khi các cơ quan không thống nhất (Đ3.8).",
    {S.RETURNED},
    step="forward",
)
ESCALATED = _queue(
    "chuyen-cap-tren",
    "Chờ chỉ định cơ quan xử lý",
    "Các cơ quan không thống nhất: Sở chỉ định cơ quan xử lý hoặc ghi nhận đã báo "
    "cáo UBND tỉnh (Đ3.8).",
    {S.ESCALATED},
)
REPLIES = _queue(
    "phan-hoi",
    "Phản hồi, đánh giá của người dân",
    "Người dân đề nghị làm rõ hoặc không hài lòng: theo dõi, ghi nhận đã xử lý, hoặc chuyển "
    "lại cơ quan xử lý khi cần (Đ11.3).",
    ANSWERED,
    kind="replies",
)
DISPUTES = _queue(
    "tranh-chap",
    "Tranh chấp: hai cơ quan cùng trả lại",
    "Hai cơ quan khác nhau đã trả lại: Trung tâm báo cáo, Sở chỉ định (Đ3.8).",
    {S.RETURNED},
    kind="disputes",
)
MINE = _queue(
    "giao-cho-toi",
    "Được giao cho tôi",
    "Phản ánh lãnh đạo giao cho bạn hoặc bạn đã tiếp nhận (Đ14.3): tiếp nhận, xử lý, nhập kết "
    "quả, theo dõi đến khi công khai.",
    {S.FORWARDED, S.IN_PROGRESS, S.PENDING_APPROVAL, S.APPROVED},
    kind="mine",
    step="handle",
)
TO_VERIFY = _queue(
    "cho-xac-minh",
    "Chờ xác minh, tiếp nhận",
    "Xác minh có thuộc phạm vi xử lý; nếu không, trả lại Trung tâm (Đ8.B1–B2).",
    {S.FORWARDED},
    step="verify",
)
IN_PROGRESS = _queue(
    "dang-xu-ly",
    "Đang xử lý",
    "Xử lý, đề nghị gia hạn nếu cần, nhập kết quả trình lãnh đạo (Đ8.B3–B4).",
    {S.IN_PROGRESS},
    step="handle",
)
TO_APPROVE = _queue(
    "cho-phe-duyet",
    "Chờ lãnh đạo phê duyệt",
    "Phê duyệt, sửa và phê duyệt, hoặc trả lại cán bộ xử lý (Đ9).",
    {S.PENDING_APPROVAL},
    step="approve",
)
TO_PUBLISH = _queue(
    "cho-cong-khai",
    "Chờ công khai kết quả",
    "Công khai theo mẫu Phụ lục 2, trả lời riêng, hoặc không công khai (Đ10).",
    {S.APPROVED},
    step="publish",
)
LATE = _queue("qua-han", "Quá hạn", "Phản ánh có bước đang quá thời hạn.", kind="late")
WARNING = _queue(
    "sap-den-han", "Sắp đến hạn", "Phản ánh có bước đã dùng gần hết thời hạn.", kind="warning"
)

#: The queues of each role, in the order the desk shows them (R2, R11–R22, R26–R27).
QUEUES: Mapping[Role, tuple[Queue, ...]] = MappingProxyType(
    {
        Role.IOC_OPERATOR: (NEW, TO_FORWARD, NEEDS_INFO, RETURNED, ESCALATED, REPLIES),
        Role.OFFICER: (MINE, TO_VERIFY, IN_PROGRESS, TO_APPROVE, TO_PUBLISH),
        Role.LEADER: (TO_APPROVE, TO_PUBLISH, TO_VERIFY, IN_PROGRESS),
        Role.OPERATOR_ADMIN: (ESCALATED, DISPUTES, LATE),
        Role.PROVINCE_VIEWER: (LATE, WARNING),
        Role.AUDITOR: (),
    }
)  # fmt: skip


@dataclass(frozen=True)
class QueueView:
    """One page of a queue: its rows, how many it holds (capped), and where the next page starts.

    ``total`` is exact up to :data:`keyset.COUNT_CAP`; above it, ``count_text`` reads "hơn 1 000".
    ``next`` is the position after the last row (:meth:`Cursor.token`), ``None`` on the last page.
    """

    queue: Queue
    rows: tuple[Row, ...]
    total: int
    next: str | None = None

    @property
    def count_text(self) -> str:
        return keyset.count_text(self.total)


def queues_of(role: Role) -> tuple[Queue, ...]:
    return QUEUES.get(role, ())


def find_queue(role: Role, key: str) -> Queue:
    for queue in queues_of(role):
        if queue.key == key:
            return queue
    raise NotFound(
        f"Không có hàng đợi '{key}' cho vai trò này.", f"There is no queue '{key}' for this role."
    )


def _urgent_due() -> ColumnElement[datetime]:
    """The due time of a report's most urgent counting clock; :data:`keyset.NEVER` without one.

    Earliest due first is the desk's "most urgent first": a late clock is due before any other,
    and among clocks of one step (one allowance) less time left is an earlier due time. A report
    whose clocks are all paused or stopped comes after every counting one.
    """
    earliest = (
        select(func.min(Clock.due_at))
        .where(Clock.report_id == Report.id, Clock.stopped_at.is_(None), Clock.paused_at.is_(None))
        .correlate(Report)
        .scalar_subquery()
    )
    return func.coalesce(earliest, literal(keyset.NEVER, UtcDateTime()), type_=UtcDateTime())


def _order_keys(queue: Queue) -> list[ColumnElement[Any]]:
    """The queue's order in SQL, ascending and unique (the report's id breaks ties).

    Answered reports have no counting clock: the replies queue is in order of submission alone,
    which its partial index (``ix_reports_feedback_to_follow``) serves without computing a
    deadline for each answered report.
    """
    if queue.kind == "replies":
        return [Report.submitted_at, Report.id]
    return [_urgent_due(), Report.submitted_at, Report.id]


def _disputed() -> ColumnElement[bool]:
    """Returned to the IOC by at least two different agencies (Đ3.8)."""
    agencies = (
        select(func.count(func.distinct(Event.data["agency"].as_string())))
        .where(Event.report_id == Report.id, Event.action == "return_to_ioc")
        .correlate(Report)
        .scalar_subquery()
    )
    return agencies >= 2


def _warning(session: Session, life: Lifecycle, now: datetime) -> ColumnElement[bool]:
    """A counting clock not yet due that has used the warning share of its time.

    A clock with ``budget`` minutes is in warning once at most ``budget − ⌈share × budget⌉``
    working minutes are left, i.e. when it is due no later than that much working time from now.
    That instant is computed on the calendar once for each allowance among the counting clocks
    (a handful: the steps' durations, their overrides and granted extensions).
    """
    share = life.snapshot.sla.warning_threshold
    counting = (Clock.stopped_at.is_(None), Clock.paused_at.is_(None), Clock.due_at >= now)
    budgets = session.scalars(select(Clock.budget_minutes).where(*counting).distinct()).all()
    if not budgets:
        return false()
    limits = [
        and_(
            Clock.budget_minutes == budget,
            Clock.due_at <= life.calendar.add(now, budget - math.ceil(share * budget)),
        )
        for budget in budgets
    ]
    return exists().where(Clock.report_id == Report.id, *counting, or_(*limits))


def _membership(
    session: Session, life: Lifecycle, actor: Actor, queue: Queue, now: datetime
) -> list[ColumnElement[bool]]:
    """What puts a report in ``queue``, all of it in SQL."""
    if queue.kind == "states":
        return [Report.state.in_(sorted(queue.states))]
    if queue.kind == "mine":  # the index on (officer_account, state) finds them
        if not actor.account:
            return [false()]
        return [Report.officer_account == actor.account, Report.state.in_(sorted(queue.states))]
    if queue.kind == "disputes":
        return [Report.state.in_(sorted(queue.states)), _disputed()]
    if queue.kind == "replies":
        return [Report.state.in_(sorted(queue.states)), followed.queued()]
    if queue.kind == "late":
        return [_overdue(now)]
    if queue.kind == "warning":
        return [_warning(session, life, now)]
    raise ValueError(f"unknown queue kind {queue.kind}")  # pragma: no cover - a programming error


def queue_rows(
    session: Session,
    life: Lifecycle,
    actor: Actor,
    queue: Queue,
    now: datetime,
    filters: Filters = Filters(),
    limit: int = 50,
    after: str | None = None,
) -> QueueView:
    """One page of ``queue`` as ``actor`` sees it, most urgent first: ``limit`` rows after the
    position ``after`` (a :attr:`QueueView.next`), read by SQL alone.

    A position that this function did not write raises :class:`keyset.BadCursor`.
    """
    page = _queue_page(session, life, actor, queue, now, filters, limit, after)
    return page.view(tuple(_build_rows(session, life, page.records, now)))


@dataclass(frozen=True)
class _Page:
    """A queue's page as read, before its rows are completed (:func:`_build_rows`)."""

    queue: Queue
    records: Sequence[Any]
    total: int
    following: str | None

    def view(self, rows: tuple[Row, ...]) -> QueueView:
        return QueueView(self.queue, rows, self.total, self.following)


def _queue_page(
    session: Session,
    life: Lifecycle,
    actor: Actor,
    queue: Queue,
    now: datetime,
    filters: Filters,
    limit: int,
    after: str | None,
) -> _Page:
    found = _matcher(session, life, filters)
    where = [visible(life.snapshot, actor), *_filtered(filters, now, found)]
    where += _membership(session, life, actor, queue, now)
    keys = _order_keys(queue)
    cursor = keyset.Cursor.parse(after, len(keys)) if after else None
    total = keyset.capped_count(session, select(Report.id).where(*where))
    query = (
        select(*_ROW_COLUMNS, *(k.label(f"key_{i}") for i, k in enumerate(keys)))
        .where(*where, *keyset.after(keys, cursor))
        .order_by(*keys)
        .limit(limit + 1)
    )
    records = session.execute(query).all()
    page = records[:limit]
    following = None
    if len(records) > limit:
        last = page[-1]
        following = keyset.Cursor(
            tuple(last._mapping[f"key_{i}"] for i in range(len(keys)))
        ).token()
    return _Page(queue, page, total, following)


def my_queues(
    session: Session,
    life: Lifecycle,
    actor: Actor,
    now: datetime,
    filters: Filters = Filters(),
    limit: int = 20,
) -> list[QueueView]:
    """The first page of each of the actor's queues (the desk's home).

    The pages are read queue by queue, then completed together: one look-up of the clocks, the
    returns, the extensions and the feedback for the rows of every queue, not one a queue.
    """
    pages = [
        _queue_page(session, life, actor, q, now, filters, limit, None)
        for q in queues_of(actor.role)
    ]
    rows = _build_rows(session, life, [r for page in pages for r in page.records], now)
    views, start = [], 0
    for page in pages:
        views.append(page.view(tuple(rows[start : start + len(page.records)])))
        start += len(page.records)
    return views


# -- search ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a search by number.

    ``cap`` is set when the search has a text: its ``total`` is then counted no further than
    ``cap + 1`` (:func:`keyset.capped_count`), read as "hơn 1 000" (:attr:`count_text`), and
    only the pages of its first ``cap`` matches can be asked; a narrower text or a filter finds
    the rest. A list without a text is counted exactly and paged through to its end.
    """

    rows: tuple[Row, ...]
    total: int
    page: int
    size: int
    cap: int | None = None

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.total > self.cap

    @property
    def count_text(self) -> str:
        return keyset.count_text(self.total, self.cap) if self.cap is not None else str(self.total)

    @property
    def pages(self) -> int:
        counted = min(self.total, self.cap) if self.cap is not None else self.total
        return max(1, math.ceil(counted / self.size))


def search(
    session: Session,
    life: Lifecycle,
    actor: Actor,
    filters: Filters,
    now: datetime,
    page: int = 1,
    size: int = 50,
) -> Page:
    """Every report ``actor`` sees that matches ``filters``, one page at a time: the most
    relevant first when there is a text to find (:mod:`engine.services.search`), then the newest.

    Asked by page number, as the desk's and the staff API's search pages are. A text search is
    ranked by :func:`ranking.ranked` (the newest matches, then only the older ones that rank
    higher) and counted up to :data:`keyset.COUNT_CAP` (see :class:`Page`).
    """
    found = _matcher(session, life, filters)
    where = [visible(life.snapshot, actor), *_filtered(filters, now, found)]
    if found is None:
        total = session.scalar(select(func.count()).select_from(Report).where(*where)) or 0
        page = max(1, min(page, Page((), total, page, size).pages))
        order = (Report.submitted_at.desc(), Report.id.desc())
        query = select(*_ROW_COLUMNS).where(*where).order_by(*order)
        records = session.execute(query.limit(size).offset((page - 1) * size)).all()
        return Page(tuple(_build_rows(session, life, records, now)), total, page, size)
    cap = keyset.COUNT_CAP
    page = max(1, min(page, math.ceil(cap / size)))
    while True:
        result = ranking.ranked(
            session, _ROW_COLUMNS, where, found, Report.submitted_at,
            offset=(page - 1) * size, limit=size, count_cap=cap,
        )  # fmt: skip
        total = result.total or 0
        last = Page((), total, page, size, cap).pages
        if page <= last:
            break
        page = last  # a page past the last one asked for (an edited address): show the last
    return Page(tuple(_build_rows(session, life, result.rows, now)), total, page, size, cap)


# -- one report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Media:
    id: int
    stage: str
    kind: str
    filename: str
    has_thumbnail: bool
    size: int = 0


@dataclass(frozen=True)
class PendingExtension:
    requested_by: str | None
    requested_due: datetime | None
    reason: str | None


#: What publishing will do, by the visibility rules' level (Đ10.1–10.3).
VISIBILITY_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "public": "Công khai trên cổng thông tin theo mẫu Phụ lục 2 (Đ10.1)",
        "private": "Chỉ trả lời riêng người phản ánh, không công khai — người phản ánh yêu cầu "
        "giữ bí mật (Đ10.2)",
        "restricted": "Không công khai và không gửi kết quả — nội dung liên quan bí mật nhà nước "
        "(Đ10.3)",
    }
)


@dataclass(frozen=True)
class Preview:
    """The Phụ lục 2 text publishing would produce now, and where it would go."""

    level: str
    rule: str
    text: str | None

    @property
    def label(self) -> str:
        return VISIBILITY_LABELS.get(self.level, self.level)


def publication_preview(session: Session, life: Lifecycle, report: Report) -> Preview:
    """What ``publish`` will write, from the same function that writes it."""
    level, rule, text = effects.published_result(life, session, report)
    return Preview(level, rule, text)


@dataclass(frozen=True)
class ReportView:
    """Everything the desk's report page shows, for one reader."""

    row: Row
    story: dict[str, Any]
    media: tuple[Media, ...]
    reporter: disclosure.ReporterDetails | None
    actions: tuple[Transition, ...]
    pending_extension: PendingExtension | None
    proposed_result: str | None
    approved_result: str | None
    suggested_sector: str | None
    read_only: bool
    may_disclose: bool
    disclosures: tuple[disclosure.DisclosureRecord, ...] = field(default=())
    preview: Preview | None = None


def report_view(
    session: Session, life: Lifecycle, actor: Actor, code: str, now: datetime
) -> ReportView:
    """The report ``code`` as ``actor`` may see it: refused (403/404) outside their scope."""
    report = load_visible(session, life, actor, code)
    snap = life.snapshot
    told = story(session, code, life.calendar, snap.sla.warning_threshold, now)
    row = _rows(session, life, select(*_ROW_COLUMNS).where(Report.id == report.id), now)[0]
    media = tuple(
        Media(a.id, a.stage, a.kind, a.filename, bool(a.thumbnail_path), a.size)
        for a in session.execute(
            select(
                Attachment.id,
                Attachment.stage,
                Attachment.kind,
                Attachment.filename,
                Attachment.thumbnail_path,
                Attachment.size,
            )
            .where(Attachment.report_id == report.id)
            .order_by(Attachment.id)
        )
    )
    pending = effects.pending_extension(report)
    sees_register = actor.role in disclosure.REGISTER_READERS
    actions = actions_for(
        life, actor, report, feedback_to_follow=bool(row.pending_replies or row.dissatisfied)
    )
    return ReportView(
        row=row,
        story=told,
        media=media,
        reporter=(
            disclosure.reporter_details(session, code)
            if actor.role in disclosure.SEES_REPORTER
            else None
        ),
        actions=actions,
        pending_extension=(
            PendingExtension(pending.requested_by, pending.requested_due, pending.request_reason)
            if pending
            else None
        ),
        proposed_result=report.proposed_result,
        approved_result=report.approved_result,
        suggested_sector=report.suggested_sector,
        read_only=actor.role in READ_ONLY,
        may_disclose=actor.role in disclosure.DISCLOSERS,
        disclosures=(tuple(disclosure.disclosures(session, code=code)[1]) if sees_register else ()),
        preview=(
            publication_preview(session, life, report)
            if any(a.action == "publish" for a in actions)
            else None
        ),
    )


def media_of(session: Session, life: Lifecycle, actor: Actor, attachment_id: int) -> Attachment:
    """An attachment of a report ``actor`` may read (pictures on the report page)."""
    found = session.get(Attachment, attachment_id)
    if found is None:
        raise NotFound("Không có tệp này.", "There is no such file.")
    report = session.get(Report, found.report_id)
    if report is None or not may_read(life, actor, report):
        raise Forbidden("Tệp này không thuộc phạm vi của bạn.", "This file is outside your scope.")
    return found


# -- the record, for the auditor ----------------------------------------------------------------


@dataclass(frozen=True)
class RecordLine:
    code: str
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    from_state: str | None
    to_state: str
    note: str | None
    hash: str


@dataclass(frozen=True)
class RecordPage:
    """One page of the record: ``total`` capped as the queues' are (``None`` when not asked),
    ``next`` the position after its last line."""

    total: int | None
    lines: list[RecordLine]
    next: str | None = None

    @property
    def count_text(self) -> str:
        return keyset.count_text(self.total or 0)


def recent_events(
    session: Session,
    life: Lifecycle,
    actor: Actor,
    limit: int = 50,
    after: str | None = None,
    count: bool = True,
) -> RecordPage:
    """The latest events of every report ``actor`` sees, newest first (the auditor's record),
    ``limit`` of them after the position ``after``, read from the index on ``events.at``."""
    where = visible(life.snapshot, actor)
    keys = (Event.at, Event.id)
    cursor = keyset.Cursor.parse(after, len(keys)) if after else None
    total = None
    if count:
        counted = select(Event.id).join(Report, Report.id == Event.report_id).where(where)
        total = keyset.capped_count(session, counted)
    rows = session.execute(
        select(
            Report.code,
            Event.seq,
            Event.at,
            Event.actor,
            Event.role,
            Event.action,
            Event.from_state,
            Event.to_state,
            Event.note,
            Event.hash,
            Event.id,
        )
        .join(Report, Report.id == Event.report_id)
        .where(where, *keyset.after(keys, cursor, descending=True))
        .order_by(Event.at.desc(), Event.id.desc())
        .limit(limit + 1)
    ).all()
    shown = rows[:limit]
    following = None
    if len(rows) > limit:
        following = keyset.Cursor((shown[-1].at, shown[-1].id)).token()
    return RecordPage(total, [RecordLine(*row[:-1]) for row in shown], following)
