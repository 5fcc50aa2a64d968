"""The figures computed from the stored rows, in SQL aggregates (:mod:`engine.stats.figures`).

Eight statements, each one pass over the reports of the period (or their clocks): the range of
their ids, counts of reports by agency and sector, counts of clocks by agency, sector and step (``SUM(CASE …)`` over
the late flags frozen when each clock stopped — never recomputed), the working minutes' median and
90th percentile by step, replies and reopenings, the daily series and the top communes. Only the
few grouped rows reach Python, which adds the (agency, sector) rows into each agency's, each
sector's and the totals, and days into weeks: one pass gives both breakdowns, so an agency's and a
sector's figures are the same sums of the same rows.

At scale (a million reports, five or six clocks each) the statements read indexes only: the
reports' index on ``submitted_at`` carries every column the figures read, the clocks' index on
``report_id`` every column of a clock they read (migration ``0014``). The clocks, replies and
reopenings are joined to the reports of the period and, besides, kept to the range of those
reports' ids (:func:`_id_range`): ids are given in order of submission, so the range is one
contiguous slice of each index instead of a lookup per report or a scan of the whole table. The
join still decides which rows count, so the figures stay exact whatever the ids.

Who sees what is the desk's rule (:func:`engine.services.queues.visible`): staff of an agency see
its tree only and are refused another agency's figures (403).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.config.snapshot import Snapshot
from engine.services.errors import Forbidden, InvalidInput
from engine.services.queues import AGENCY_ROLES, SEES_ALL, agency_tree, visible
from engine.stats.figures import (
    CHANNELS,
    GRAINS,
    RATING_VALUES,
    STEPS,
    WITH_RESULT,
    Bucket,
    Commune,
    CommunePoint,
    Counts,
    Figures,
    Query,
    Ranked,
    Rating,
    Step,
)
from engine.store.models import Clock, Event, Reply, Report
from engine.workflow import State

if TYPE_CHECKING:
    from engine.services.lifecycle import Actor

TOP_MAX = 100


def parse_day(text: str, name: str) -> date:
    """A date as the faces take it: ``YYYY-MM-DD`` or ``dd/mm/yyyy``; refused otherwise."""
    raw = text.strip()
    try:
        if "/" in raw:
            return datetime.strptime(raw, "%d/%m/%Y").date()
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"Ngày '{text}' của '{name}' không hợp lệ: viết dd/mm/yyyy hoặc YYYY-MM-DD.",
            f"The date '{text}' of '{name}' is not valid: write dd/mm/yyyy or YYYY-MM-DD.",
            field=name,
        ) from None


def check(snapshot: Snapshot, actor: Actor, query: Query) -> None:
    """Refuse a query that is wrong (422) or outside the actor's agency tree (403)."""
    if query.start and query.end and query.start > query.end:
        raise InvalidInput(
            f"Kỳ báo cáo sai: ngày bắt đầu {query.start:%d/%m/%Y} sau ngày kết thúc "
            f"{query.end:%d/%m/%Y}.",
            f"The period is wrong: it starts on {query.start:%d/%m/%Y}, after its end on "
            f"{query.end:%d/%m/%Y}.",
            field="from",
        )
    known = (
        ("agency", query.agency, snapshot.agencies, "cơ quan", "agency"),
        ("sector", query.sector, snapshot.sectors, "lĩnh vực", "sector"),
        ("area", query.area, snapshot.areas, "xã, phường", "commune"),
        ("channel", query.channel, CHANNELS, "kênh", "channel"),
        ("grain", query.grain, GRAINS, "đơn vị thời gian", "grain"),
    )
    for name, value, codes, what_vi, what_en in known:
        if value is not None and value not in codes:
            raise InvalidInput(
                f"Không có {what_vi} mã '{value}'.",
                f"There is no {what_en} with the code '{value}'.",
                field=name,
            )
    if not 1 <= query.top <= TOP_MAX:
        raise InvalidInput(
            f"'top' phải từ 1 đến {TOP_MAX}.", f"'top' must be 1 to {TOP_MAX}.", field="top"
        )
    if actor.role in SEES_ALL:
        return
    if actor.role not in AGENCY_ROLES or not actor.agency:
        raise Forbidden("Tài khoản này không xem được số liệu.", "This account sees no figures.")
    if query.agency and query.agency not in agency_tree(snapshot, actor.agency):
        raise Forbidden(
            f"Số liệu của cơ quan {query.agency} không thuộc phạm vi của {actor.agency}.",
            f"The figures of agency {query.agency} are outside the scope of {actor.agency}.",
            field="agency",
        )


def figures(
    session: Session, snapshot: Snapshot, actor: Actor, query: Query, now: datetime
) -> Figures:
    """The figures of ``query`` as ``actor`` may see them, at ``now`` (running, overdue)."""
    check(snapshot, actor, query)
    zone = _zone(snapshot)
    where = _where(snapshot, actor, query, zone)
    within = _id_range(session, where)
    report_rows = _report_counts(session, where)
    clock_rows = _clock_counts(session, where, within, now)
    spread = _spread(session, where, within)
    by_agency = _breakdown(report_rows, clock_rows, AGENCY)
    by_sector = _breakdown(report_rows, clock_rows, SECTOR)
    totals = _sum(report_rows.values())
    replies, reopened = _replies_and_reopened(session, where, within)
    whole = _counts(totals, _steps(clock_rows, spread))
    return Figures(
        **{f.name: getattr(whole, f.name) for f in fields(Counts)},
        query=query,
        replies=replies,
        reopened=reopened,
        by_agency=by_agency,
        by_sector=by_sector,
        series=_series(session, where, query, zone),
        top_communes=_top_communes(session, snapshot, where, query.top),
        ranking=_ranking(snapshot, by_agency),
    )


# -- which reports ---------------------------------------------------------------------------------


def _zone(snapshot: Snapshot) -> tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(snapshot.calendar.timezone)


def _where(
    snapshot: Snapshot, actor: Actor, query: Query, zone: tzinfo
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [visible(snapshot, actor)]
    if query.start:
        clauses.append(Report.submitted_at >= _midnight(query.start, zone))
    if query.end:
        clauses.append(Report.submitted_at < _midnight(query.end + timedelta(days=1), zone))
    if query.agency:
        if query.with_units:
            codes = sorted(agency_tree(snapshot, query.agency))
            clauses.append(or_(Report.agency.in_(codes), Report.unit.in_(codes)))
        else:
            clauses.append(Report.agency == query.agency)
    for column, value in (
        (Report.sector, query.sector),
        (Report.area, query.area),
        (Report.channel, query.channel),
    ):
        if value is not None:
            clauses.append(column == value)
    return clauses


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


#: A condition on a column holding report ids: within the ids of the reports of the query.
Within = Callable[[InstrumentedAttribute[int]], ColumnElement[bool]]


def _id_range(session: Session, where: list[ColumnElement[bool]]) -> Within:
    """The lowest and highest id of the reports of the query, as a condition on another table's
    ``report_id``: a bound that lets the clocks, replies and events be read as one slice of their
    index (see the module's docstring). It only narrows; the join with the reports decides.

    The ``count(*)`` beside ``min``/``max`` keeps PostgreSQL from answering them by walking the
    primary key from either end, which at a million reports reads most of the table to find the
    first report of a recent period.
    """
    count, first, last = session.execute(
        select(func.count(), func.min(Report.id), func.max(Report.id)).where(*where)
    ).one()
    if not count:
        return lambda column: false()
    return lambda column: column.between(first, last)


# -- reports ---------------------------------------------------------------------------------------

#: The position of the agency and of the sector in a grouped row's key.
AGENCY, SECTOR = 0, 1
#: (responsible agency, sector) of a group of reports; ``None`` where not set yet.
Group = tuple[str | None, str | None]


def _breakdown(
    report_rows: Mapping[Group, Mapping[str, int]],
    clock_rows: Mapping[tuple[str | None, str | None, str], Mapping[str, int]],
    by: int,
) -> dict[str, Counts]:
    """The counts of each agency (``by=AGENCY``) or sector (``by=SECTOR``), sorted by code;
    the reports without one are in the totals only."""
    reports: dict[str, list[Mapping[str, int]]] = defaultdict(list)
    for key, row in report_rows.items():
        if key[by] is not None:
            reports[key[by]].append(row)
    clocks: dict[str, dict[tuple[str | None, str | None, str], Mapping[str, int]]] = defaultdict(
        dict
    )
    for key, row in clock_rows.items():
        if key[by] is not None:
            clocks[key[by]][key] = row
    return {
        code: _counts(_sum(reports.get(code, [])), _steps(clocks.get(code, {}), {}))
        for code in sorted({*reports, *clocks})
    }


def _report_counts(
    session: Session, where: list[ColumnElement[bool]]
) -> dict[Group, dict[str, int]]:
    """Counts of reports by responsible agency and sector."""
    results = [s.value for s in WITH_RESULT]
    columns = {
        "received": func.count(),
        "rejected": _count(Report.state == State.REJECTED.value),
        "duplicates": _count(
            and_(Report.state == State.REJECTED.value, Report.duplicate_of_id.is_not(None))
        ),
        "with_result": _count(Report.state.in_(results)),
        **{f"rating_{value}": _count(Report.rating == value) for value in RATING_VALUES},
    }
    statement = (
        select(Report.agency, Report.sector, *(c.label(k) for k, c in columns.items()))
        .where(*where)
        .group_by(Report.agency, Report.sector)
    )
    return {
        (row.agency, row.sector): {k: int(row._mapping[k]) for k in columns}
        for row in session.execute(statement)
    }


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """``COUNT(*) FILTER (WHERE condition)`` (a ``SUM(CASE …)`` where FILTER is not known)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum(rows: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for row in rows:
        for key, value in row.items():
            total[key] += value
    return total


def _counts(row: Mapping[str, int], steps: dict[str, Step]) -> Counts:
    received, rejected, done = (
        row.get("received", 0),
        row.get("rejected", 0),
        row.get("with_result", 0),
    )
    return Counts(
        received=received,
        rejected=rejected,
        duplicates=row.get("duplicates", 0),
        open=received - rejected - done,
        with_result=done,
        rating=Rating(**{value: row.get(f"rating_{value}", 0) for value in RATING_VALUES}),
        steps=steps,
    )


# -- clocks ----------------------------------------------------------------------------------------


def _clock_counts(
    session: Session, where: list[ColumnElement[bool]], within: Within, now: datetime
) -> dict[tuple[str | None, str | None, str], dict[str, int]]:
    """Counts of clocks by (agency, sector, step)."""
    stopped = Clock.stopped_at.is_not(None)
    columns = {
        "on_time": _count(and_(stopped, Clock.late.is_(False))),
        "late": _count(and_(stopped, Clock.late_after_extension.is_(True))),
        "late_within_extension": _count(
            and_(stopped, Clock.late.is_(True), Clock.late_after_extension.is_not(True))
        ),
        "running": _count(Clock.stopped_at.is_(None)),
        "overdue": _count(
            and_(Clock.stopped_at.is_(None), Clock.paused_at.is_(None), Clock.due_at < now)
        ),
    }
    statement = (
        select(Report.agency, Report.sector, Clock.step, *(c.label(k) for k, c in columns.items()))
        .join(Report, Report.id == Clock.report_id)
        .where(*where, within(Clock.report_id))
        .group_by(Report.agency, Report.sector, Clock.step)
    )
    return {
        (row.agency, row.sector, row.step): {k: int(row._mapping[k]) for k in columns}
        for row in session.execute(statement)
    }


def _steps(
    rows: Mapping[tuple[str | None, str | None, str], Mapping[str, int]],
    spread: Mapping[str, tuple[int | None, int | None]],
) -> dict[str, Step]:
    """Each step's clocks summed over ``rows``."""
    by_step: dict[str, list[Mapping[str, int]]] = defaultdict(list)
    for (_, _, step), row in rows.items():
        by_step[step].append(row)
    out = {}
    for step in STEPS:
        total = _sum(by_step.get(step, []))
        median, p90 = spread.get(step, (None, None))
        out[step] = Step(**total, median_minutes=median, p90_minutes=p90)
    return out


def _spread(
    session: Session, where: list[ColumnElement[bool]], within: Within
) -> dict[str, tuple[int | None, int | None]]:
    """Median and 90th percentile (nearest rank: the value at rank ⌈p·n⌉, PostgreSQL's
    ``percentile_disc``) of the working minutes the stopped clocks used, by step.

    SQL counts the clocks that used each number of minutes and this ranks those counts: exact,
    and a few thousand rows whatever the number of clocks, since the minutes a step can use are
    bounded by its limit. Sorting every clock of the period for ``percentile_disc`` took most of
    the figures' time at scale.
    """
    statement = (
        select(Clock.step, Clock.used_minutes, func.count().label("clocks"))
        .join(Report, Report.id == Clock.report_id)
        .where(*where, within(Clock.report_id), Clock.stopped_at.is_not(None))
        .group_by(Clock.step, Clock.used_minutes)
    )
    used: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for step, minutes, clocks in session.execute(statement):
        used[step].append((minutes, clocks))
    return {
        step: (_nearest_rank(counts, 50), _nearest_rank(counts, 90))
        for step, counts in used.items()
    }


def _nearest_rank(counts: list[tuple[int, int]], percent: int) -> int:
    """The value at rank ⌈percent/100 · n⌉ of ``counts``, (value, how many) pairs in any order."""
    ordered = sorted(counts)
    rank = (sum(n for _, n in ordered) * percent + 99) // 100
    seen = 0
    for value, n in ordered:
        seen += n
        if seen >= rank:
            return value
    return ordered[-1][0]


# -- replies, reopenings ---------------------------------------------------------------------------


def _replies_and_reopened(
    session: Session, where: list[ColumnElement[bool]], within: Within
) -> tuple[int, int]:
    replies = (
        select(func.count())
        .select_from(Reply)
        .join(Report, Report.id == Reply.report_id)
        .where(*where, within(Reply.report_id))
    )
    reopened = (
        select(func.count())
        .select_from(Report)
        .where(
            *where,
            exists().where(
                Event.report_id == Report.id,
                Event.action == "reopen",
                within(Event.report_id),
            ),
        )
    )
    return int(session.scalar(replies) or 0), int(session.scalar(reopened) or 0)


# -- series, communes, ranking ---------------------------------------------------------------------


def _local_day(session: Session, zone: tzinfo) -> ColumnElement[Any]:
    """The submission's date in the province's zone, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(str(zone), Report.submitted_at), Date)
    # SQLite keeps naive UTC text; Vietnam's zone has one offset (no summer time) since 1975.
    offset = datetime.now(zone).utcoffset() or timedelta(0)
    return func.date(Report.submitted_at, f"{int(offset.total_seconds() // 60):+d} minutes")


def _series(
    session: Session, where: list[ColumnElement[bool]], query: Query, zone: tzinfo
) -> tuple[Bucket, ...]:
    day = _local_day(session, zone).label("day")
    statement = (
        select(
            day,
            func.count().label("received"),
            _count(Report.state.in_([s.value for s in WITH_RESULT])).label("done"),
        )
        .where(*where)
        .group_by(day)
        .order_by(day)
    )
    buckets: dict[date, list[int]] = {}
    for row in session.execute(statement):
        value = row.day if isinstance(row.day, date) else date.fromisoformat(str(row.day))
        start = _bucket(value, query.grain)
        counts = buckets.setdefault(start, [0, 0])
        counts[0] += int(row.received)
        counts[1] += int(row.done)
    return tuple(Bucket(start, r, d) for start, (r, d) in sorted(buckets.items()))


def _bucket(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _top_communes(
    session: Session, snapshot: Snapshot, where: list[ColumnElement[bool]], top: int
) -> tuple[Commune, ...]:
    received = func.count().label("received")
    statement = (
        select(Report.area, received)
        .where(*where, Report.area.is_not(None))
        .group_by(Report.area)
        .order_by(received.desc(), Report.area)
        .limit(top)
    )
    return tuple(
        Commune(
            row.area,
            snapshot.areas[row.area].name if row.area in snapshot.areas else row.area,
            int(row.received),
        )
        for row in session.execute(statement)
    )


def commune_points(
    session: Session, snapshot: Snapshot, actor: Actor, query: Query
) -> tuple[CommunePoint, ...]:
    """Each commune's reports of ``query`` that have a place: how many, and their mean point.

    The map of the oversight faces draws one circle per commune, sized by ``received``; reports
    without coordinates are left out (they are in the figures, not on the map).
    """
    check(snapshot, actor, query)
    where = _where(snapshot, actor, query, _zone(snapshot))
    received = func.count().label("received")
    statement = (
        select(
            Report.area,
            received,
            func.avg(Report.latitude).label("latitude"),
            func.avg(Report.longitude).label("longitude"),
        )
        .where(*where, Report.area.is_not(None), Report.latitude.is_not(None))
        .where(Report.longitude.is_not(None))
        .group_by(Report.area)
        .order_by(received.desc(), Report.area)
    )
    return tuple(
        CommunePoint(
            row.area,
            snapshot.areas[row.area].name if row.area in snapshot.areas else row.area,
            int(row.received),
            float(row.latitude),
            float(row.longitude),
        )
        for row in session.execute(statement)
    )


def _ranking(snapshot: Snapshot, by_agency: Mapping[str, Counts]) -> tuple[Ranked, ...]:
    ranked = []
    for code, counts in by_agency.items():
        on_time, stopped = counts.agency_on_time()
        if stopped:
            name = snapshot.agencies[code].name if code in snapshot.agencies else code
            ranked.append(Ranked(code, name, on_time, stopped))
    ranked.sort(key=lambda r: (-(r.share or 0.0), -r.stopped, r.agency))
    return tuple(ranked)
