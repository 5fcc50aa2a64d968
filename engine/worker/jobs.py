"""Timed jobs, run at the start of every pass of the worker; each is idempotent through its keys.

**Deadlines (R27).** Every running, unpaused clock that may have reached its warning or due time
is measured (:func:`engine.sla.clocks.status`).
At the warning threshold of ``sla.yaml`` a ``clock.warning`` notice is queued with the key
``clock.warning:<clock id>``; past the due time a ``clock.late`` notice with ``clock.late:<clock
id>``. Each is queued once per clock, whatever the number of passes or workers (the insert does
nothing when the key exists); a clock found late before its warning was sent gets only the late
notice. A granted extension does not warn again for the new due time (same clock, same key).
A pass queues at most :data:`NOTICE_BATCH` notices, the most urgent first (late before warning,
then the earliest due): the rest are still found by the next pass, a few seconds later.

**Daily digest.** On each working day of the calendar, from ``digest.hour`` (``notify.yaml``, local
time), every agency that has an address (its ``email``, its leaders' ``users.email``) and at least
one open report gets one digest, key
``digest:<AGENCY>:<yyyy-mm-dd>``; the IOC gets one of the reports it holds, key
``digest:ioc:<yyyy-mm-dd>`` (lower case: agency codes are upper case, so the two never meet). The
digest's content is computed when it is queued and kept in its payload, so a resend says the same.
A worker that was down at that hour sends the day's digests when it comes back, the same day;
a day it missed entirely is not made up.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, String, and_, cast, exists, false, literal, or_, select, text
from sqlalchemy.orm import Session, selectinload

from engine.calendar import WorkingCalendar
from engine.config.regulation import STEP_NAMES_VI
from engine.config.snapshot import Snapshot
from engine.sla import clocks
from engine.sla.clocks import Standing
from engine.store.models import Clock, OutboxMessage, Report
from engine.timefmt import when_vi
from engine.worker import outbox
from engine.worker.notices import IOC_STEPS, leader_emails
from engine.workflow import STATE_LABELS_VI, State

log = logging.getLogger(__name__)

#: Reports an agency holds, and reports the IOC holds (both: not final, not answered yet).
AGENCY_STATES = (State.FORWARDED, State.IN_PROGRESS, State.PENDING_APPROVAL, State.APPROVED)
IOC_STATES = (State.RECEIVED, State.NEEDS_INFO, State.CLASSIFIED, State.RETURNED, State.ESCALATED)
IOC_DIGEST = "ioc"
STANDING_VI = {
    Standing.ON_TIME: "Trong hạn",
    Standing.WARNING: "Sắp đến hạn",
    Standing.LATE: "Trễ hạn",
    Standing.PAUSED: "Tạm dừng, chờ bổ sung",
}
SUMMARY_CHARS = 80


def clock_key(kind: str, clock_id: int) -> str:
    return f"{kind}:{clock_id}"


def digest_key(owner: str, day: str) -> str:
    return f"digest:{owner}:{day}"


#: Working minutes added to a budget's warning window when choosing candidates in SQL: a margin
#: for the minute rounding of the calendar and for a calendar edited since the due time was set.
CANDIDATE_MARGIN = 60
#: Notices one pass queues at most. A pass normally finds the few clocks that reached a notice
#: since the last one; after a worker was down (or on its first run at a province's scale) there
#: are thousands, and each costs its outbox row (~0.1 ms with its indexes and foreign key). The
#: batch keeps that pass short; what it leaves is queued by the following passes.
NOTICE_BATCH = 500


def queue_clock_notices(
    session: Session,
    snapshot: Snapshot,
    calendar: WorkingCalendar,
    now: datetime,
    limit: int = NOTICE_BATCH,
) -> int:
    """Queue ``clock.warning`` / ``clock.late`` for clocks that reached them, at most ``limit``,
    the most urgent first; how many queued.

    Only the clocks that may have reached one are read (:func:`_candidates`), not every running
    clock: at a province's scale those are hundreds of thousands, and a pass must stay short.
    They are read as rows of the columns :func:`engine.sla.clocks.standing` needs, not as ORM
    objects, and the notices go to the outbox in one statement (:func:`outbox.queue_many`).
    Those left over the batch have no notice yet, so the next pass finds them again; none is
    queued twice (the key).
    """
    threshold = snapshot.sla.warning_threshold
    reached: list[tuple[tuple[bool, datetime, int], str, Row[Any]]] = []
    for clock in _candidates(session, calendar, now, threshold):
        if len(reached) >= limit:  # the candidates come most urgent first: the rest can wait
            break
        try:
            standing = clocks.standing(clock, now, calendar, threshold)
        except ValueError:  # outside the calendar's years: say so, keep going
            log.exception("clock %s: cannot measure it against the calendar", clock.id)
            continue
        if standing is Standing.LATE:
            kind = "clock.late"
        elif standing is Standing.WARNING:
            kind = "clock.warning"
        else:
            continue
        reached.append(((kind != "clock.late", clock.due_at, clock.id), kind, clock))
    reached.sort(key=lambda found: found[0])
    notices = [
        outbox.Message(
            kind,
            clock_key(kind, clock.id),
            {
                "clock_id": clock.id,
                "step": clock.step,
                "due_at": clock.due_at.isoformat(),
                "agency": None if clock.step in IOC_STEPS else clock.agency,
            },
            clock.report_id,
        )
        for _, kind, clock in reached[:limit]
    ]
    return outbox.queue_many(session, notices, at=now)


#: What a notice needs of a clock and its report: the columns :func:`clocks.standing` reads, the
#: step, and the report's agency.
_CANDIDATE_COLUMNS = (
    Clock.id,
    Clock.report_id,
    Clock.step,
    Clock.used_minutes,
    Clock.budget_minutes,
    Clock.running_since,
    Clock.paused_at,
    Clock.stopped_at,
    Clock.due_at,
    Clock.late,
    Clock.late_after_extension,
    Report.agency,
)


def _candidates(
    session: Session, calendar: WorkingCalendar, now: datetime, threshold: float
) -> list[Row[Any]]:
    """Running, unpaused clocks that may be late or in their warning window, without a notice.

    A running clock is in its warning window when what is left of its budget, the working time
    from ``now`` to its due time, is at most ``(1 - threshold) × budget``: so when its due time
    comes before ``now`` plus that much working time. That moment depends on the budget, and the
    budgets of running clocks are few (one a step and sector, and the extended ones): each gets
    its own range of due times, over the index of running clocks by budget and due time. A clock
    past its due time is a candidate until its late notice is queued; one in its window until its
    warning is. :func:`engine.sla.clocks.status` then decides exactly. They come past due first,
    then by due time: the order the notices go in, so that a pass stops at its batch instead of
    measuring a whole backlog it will not queue.

    A late clock is inside its budget's range too (``now`` comes before the end of every window),
    so the ranges alone choose the candidates: one index range a budget, where a separate
    "due before now" beside them made PostgreSQL read every running clock and filter.
    """
    running = (Clock.stopped_at.is_(None), Clock.paused_at.is_(None))
    windows = []
    for budget in _running_budgets(session):
        minutes = math.ceil((1 - threshold) * budget) + CANDIDATE_MARGIN
        try:
            until = calendar.add(now, minutes)
        except ValueError:  # past the calendar's years: every clock of this budget may warn
            windows.append(Clock.budget_minutes == budget)
            continue
        windows.append(and_(Clock.budget_minutes == budget, Clock.due_at < until))
    late = Clock.due_at <= now
    query = (
        select(*_CANDIDATE_COLUMNS)
        .join(Report, Report.id == Clock.report_id)
        .where(
            *running,
            or_(false(), *windows),  # no budget among the running clocks: none due
            ~_noticed("clock.late"),
            or_(late, ~_noticed("clock.warning")),
        )
        .order_by(Clock.due_at > now, Clock.due_at, Clock.id)  # past due first, then by due
    )
    with _without_jit(session):
        return list(session.execute(query).all())


@contextmanager
def _without_jit(session: Session) -> Iterator[None]:
    """PostgreSQL's JIT off for the statements inside, as it was after them.

    The candidates' plan is estimated well above ``jit_above_cost`` at a million reports (a
    nested loop over thousands of clocks), so PostgreSQL spent 18 ms compiling it for a query
    that then ran in 25 ms; nothing here runs long enough for compiled code to pay back.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    previous = session.scalar(text("SELECT current_setting('jit')"))
    session.execute(text("SELECT set_config('jit', 'off', true)"))
    yield  # a statement that fails aborts the transaction, and the local setting goes with it
    session.execute(text("SELECT set_config('jit', :previous, true)"), {"previous": previous})


def _noticed(kind: str) -> Any:
    """The clock's ``kind`` notice is in the outbox (a probe of its unique key)."""
    key = literal(f"{kind}:", String) + cast(Clock.id, String)
    return exists().where(OutboxMessage.dedup_key == key)


def _running_budgets(session: Session) -> list[int]:
    """The distinct budgets of running clocks, by skipping from one to the next in the index
    (a loose index scan: a few probes, where ``DISTINCT`` would read every running clock)."""
    return list(session.scalars(text(_LOOSE_BUDGETS)))


_RUNNING = "stopped_at IS NULL AND paused_at IS NULL"
_LOOSE_BUDGETS = f"""
WITH RECURSIVE budgets(minutes) AS (
    SELECT min(budget_minutes) FROM clocks WHERE {_RUNNING}
    UNION ALL
    SELECT (SELECT min(budget_minutes) FROM clocks WHERE {_RUNNING} AND budget_minutes > minutes)
    FROM budgets WHERE minutes IS NOT NULL
)
SELECT minutes FROM budgets WHERE minutes IS NOT NULL
"""


def queue_digests(
    session: Session, snapshot: Snapshot, calendar: WorkingCalendar, now: datetime
) -> int:
    """Queue today's digests if it is a working day past the configured hour; how many queued."""
    notify = snapshot.notify
    zone = ZoneInfo(snapshot.calendar.timezone)
    local = now.astimezone(zone)
    if notify.digest_at is None or local.time() < notify.digest_at:
        return 0
    try:
        if not calendar.is_working_day(local.date()):
            return 0
    except ValueError:
        return 0
    day = local.date().isoformat()
    owners: dict[str, list[str]] = {}
    leaders = leader_emails(session)
    for code, agency in snapshot.agencies.items():
        addresses = ([agency.email] if agency.email else []) + leaders.get(code, [])
        if addresses:
            owners[code] = list(dict.fromkeys(addresses))
    if notify.ioc_email:
        owners[IOC_DIGEST] = [notify.ioc_email]
    wanted = {digest_key(owner, day) for owner in owners}
    done = outbox.existing_keys(session, wanted)
    if wanted <= done:
        return 0
    reports = session.scalars(
        select(Report)
        .where(Report.state.in_([*AGENCY_STATES, *IOC_STATES]))
        .options(selectinload(Report.clocks))
        .order_by(Report.id)
    ).all()
    held: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        owner = IOC_DIGEST if report.state in IOC_STATES else report.agency
        if owner:
            held[owner].append(report)
    queued = 0
    for owner, addresses in sorted(owners.items()):
        key = digest_key(owner, day)
        if key in done or not held.get(owner):
            continue
        items = [_item(r, now, calendar, snapshot, zone) for r in held[owner]]
        order = {"Trễ hạn": 0, "Sắp đến hạn": 1}
        items.sort(key=lambda i: (order.get(i["tinh_trang"], 2), i["_due"], i["ma_phan_anh"]))
        for item in items:
            del item["_due"]
        agency = snapshot.agencies.get(owner)
        context = {
            "co_quan": agency.name if agency else "Trung tâm Giám sát, điều hành đô thị thông minh",
            "ngay": when_vi(local.date(), zone),
            "so_dang_xu_ly": len(items),
            "dang_xu_ly": items,
            "canh_bao": [i for i in items if i["tinh_trang"] == "Sắp đến hạn"],
            "tre_han": [i for i in items if i["tinh_trang"] == "Trễ hạn"],
        }
        payload = {"agency": owner, "to": addresses, "day": day, "context": context}
        queued += outbox.queue(session, kind="digest", dedup_key=key, payload=payload, at=now)
    return queued


def _item(
    report: Report, now: datetime, calendar: WorkingCalendar, snapshot: Snapshot, zone: ZoneInfo
) -> dict[str, str]:
    """One line of a digest: the report, its current step and where that step's clock stands."""
    running = [c for c in report.clocks if c.stopped_at is None]
    running.sort(key=lambda c: (c.paused_at is not None, c.due_at))
    clock = running[0] if running else None
    standing = ""
    if clock is not None:
        try:
            measured = clocks.status(clock, now, calendar, snapshot.sla.warning_threshold)
            standing = STANDING_VI.get(measured.standing, "")
        except ValueError:
            standing = ""
    content = " ".join(report.content.split())
    return {
        "ma_phan_anh": report.code or "",
        "tom_tat": content
        if len(content) <= SUMMARY_CHARS
        else content[: SUMMARY_CHARS - 1].rstrip() + "…",
        "trang_thai": STATE_LABELS_VI.get(State(report.state), report.state),
        "buoc": STEP_NAMES_VI.get(clock.step, clock.step) if clock else "",
        "han": when_vi(clock.due_at, zone) if clock else "",
        "tinh_trang": standing,
        "_due": clock.due_at.isoformat() if clock else "9999",
    }
