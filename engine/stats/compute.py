"""The figures computed from the stored rows and the worker's tallies (:mod:`engine.stats.figures`).

The counts themselves are defined once, in :mod:`engine.stats.counting`. A period's days whose
reports have all been tallied since their last change are added from the tallies
(:mod:`engine.stats.tallies`: a few thousand rows for a month of a province); the other days —
normally today and the days of the reports changed in the last minutes — are counted from the
rows, and the two are added: the figures are exact whether the worker has caught up or not. A
query by commune or channel, which the tallies do not carry, is counted from the rows entirely;
so are the running and overdue clocks (they depend on the time of asking), the top communes, and
the spread (median, 90th percentile) of a query narrowed to an agency or a sector.

Counting from the rows, the statements are one pass each over the period's reports (or their
clocks), grouped by agency and sector (and step): only the few grouped rows reach Python, which
adds the (agency, sector) rows into each agency's, each sector's and the totals, and days into
weeks, so an agency's and a sector's figures are the same sums of the same rows. At scale they
read indexes only: the reports' index on ``submitted_at`` carries every column the figures read,
the clocks' index on ``report_id`` every column of a clock they read (migration ``0014``), and
the running clocks have a partial index by report (``0016``). The clocks, replies and
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
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.config.snapshot import Snapshot
from engine.services.errors import Forbidden, InvalidInput
from engine.services.queues import AGENCY_ROLES, SEES_ALL, agency_tree, visible
from engine.stats import tallies
from engine.stats.counting import (
    area_columns,
    as_date,
    count,
    local_day,
    midnight,
    reopened,
    report_columns,
    running_columns,
    spread_minutes,
    stopped_columns,
    submitted_on,
)
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
from engine.store.models import (
    AreaTally,
    Clock,
    ClockTally,
    Event,
    FigureTally,
    Reply,
    Report,
    SpreadTally,
)

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
    split = _split(session, snapshot, actor, query, zone)
    direct = [*where, split.direct]
    # The spread of a narrowed query is counted from the rows over the whole period, so its
    # bound is the period's ids; otherwise only the days counted from the rows need one.
    if not split.province_wide:
        within = _id_range(session, where)
    else:
        within = _id_range(session, direct) if split.any_direct else _NO_IDS
    report_rows = _merged(
        _report_counts(session, direct) if split.any_direct else {},
        tallies.report_rows(session, split.tallied(FigureTally)) if split.tallies else {},
    )
    clock_rows = _merged(
        _stopped_counts(session, direct, within) if split.any_direct else {},
        tallies.stopped_rows(session, split.tallied(ClockTally)) if split.tallies else {},
        _running_counts(session, where, now),
    )
    if split.province_wide:
        used = _used_minutes(session, direct, within) if split.any_direct else {}
        for step, counts in tallies.used_minutes(session, split.tallied(SpreadTally)).items():
            used.setdefault(step, []).extend(counts)
    else:
        used = _used_minutes(session, where, within)
    spread = {
        step: (_nearest_rank(counts, 50), _nearest_rank(counts, 90))
        for step, counts in used.items()
        if counts
    }
    by_agency = _breakdown(report_rows, clock_rows, AGENCY)
    by_sector = _breakdown(report_rows, clock_rows, SECTOR)
    totals = _sum(report_rows.values())
    replies, reopened = (
        _replies_and_reopened(session, direct, within) if split.any_direct else (0, 0)
    )
    whole = _counts(totals, _steps(clock_rows, spread))
    days = _daily(session, direct, zone) if split.any_direct else []
    if split.tallies:
        days += tallies.daily(session, split.tallied(FigureTally))
    return Figures(
        **{f.name: getattr(whole, f.name) for f in fields(Counts)},
        query=query,
        replies=replies + totals.get("replies", 0),
        reopened=reopened + totals.get("reopened", 0),
        by_agency=by_agency,
        by_sector=by_sector,
        series=_series(days, query.grain),
        top_communes=_top_communes(snapshot, _areas(session, split, where), query.top),
        ranking=_ranking(snapshot, by_agency),
    )


@dataclass(frozen=True)
class _Split:
    """Which of a query's reports are counted from the rows (``direct``, a condition on
    :class:`Report` beside the query's) and which from the tallies (:mod:`engine.stats.tallies`):
    the days of the period with a report changed since it was tallied, and the rest."""

    direct: ColumnElement[bool]
    #: Some reports are counted from the rows (``False``: the tallies have every day).
    any_direct: bool
    #: The conditions on a tally table of the days the tallies count; ``None``: none.
    tally_where: Callable[[Any], list[ColumnElement[bool]]] | None
    #: The query is the whole province's (no agency, no sector, an actor who sees all): its
    #: spread (median, 90th percentile) and communes come from the tallies too.
    province_wide: bool

    @property
    def tallies(self) -> bool:
        return self.tally_where is not None

    def tallied(self, table: Any) -> list[ColumnElement[bool]]:
        assert self.tally_where is not None
        return self.tally_where(table)


def _split(
    session: Session, snapshot: Snapshot, actor: Actor, query: Query, zone: tzinfo
) -> _Split:
    if query.area is not None or query.channel is not None:  # the tallies have neither
        return _Split(true(), True, None, False)
    skipped = tallies.changed_days(session, zone, _period(query, zone))
    if actor.role in SEES_ALL:
        scope: frozenset[str] | None = None
    else:
        scope = frozenset(agency_tree(snapshot, actor.agency or ""))
    units = frozenset(agency_tree(snapshot, query.agency)) if query.agency else frozenset()

    def tally_where(table: Any) -> list[ColumnElement[bool]]:
        clauses = tallies.day_clauses(table, query.start, query.end, skipped)
        if table in (SpreadTally, AreaTally):  # the whole province's only
            return clauses
        if scope is not None:
            clauses.append(tallies.in_group(table, scope))
        if query.agency:
            clauses.append(
                tallies.in_group(table, units) if query.with_units else table.agency == query.agency
            )
        if query.sector is not None:
            clauses.append(table.sector == query.sector)
        return clauses

    province_wide = scope is None and query.agency is None and query.sector is None
    return _Split(submitted_on(skipped, zone), bool(skipped), tally_where, province_wide)


def _merged(*parts: Mapping[Any, Mapping[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Keyed rows added key by key, count by count."""
    out: dict[Any, dict[str, Any]] = {}
    for part in parts:
        for key, row in part.items():
            into = out.setdefault(key, {})
            for name, value in row.items():
                into[name] = into.get(name, 0) + value
    return out


# -- which reports ---------------------------------------------------------------------------------


def _zone(snapshot: Snapshot) -> tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(snapshot.calendar.timezone)


def _where(
    snapshot: Snapshot, actor: Actor, query: Query, zone: tzinfo
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [visible(snapshot, actor), *_period(query, zone)]
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


def _period(query: Query, zone: tzinfo) -> list[ColumnElement[bool]]:
    """The reports submitted from the query's first local day to its last (inclusive)."""
    clauses: list[ColumnElement[bool]] = []
    if query.start:
        clauses.append(Report.submitted_at >= midnight(query.start, zone))
    if query.end:
        clauses.append(Report.submitted_at < midnight(query.end + timedelta(days=1), zone))
    return clauses


#: A condition on a column holding report ids: within the ids of the reports of the query.
Within = Callable[[InstrumentedAttribute[int]], ColumnElement[bool]]


def _NO_IDS(column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """No report's id: nothing is counted from the rows."""
    return false()


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
        return _NO_IDS
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
    columns = report_columns()
    statement = (
        select(Report.agency, Report.sector, *(c.label(k) for k, c in columns.items()))
        .where(*where)
        .group_by(Report.agency, Report.sector)
    )
    return {
        (agency, sector): dict(zip(columns, map(int, counts), strict=True))
        for agency, sector, *counts in session.execute(statement)
    }


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


#: (agency, sector, step) of a group of clocks.
ClockGroup = tuple[str | None, str | None, str]


def _stopped_counts(
    session: Session, where: list[ColumnElement[bool]], within: Within
) -> dict[ClockGroup, dict[str, int]]:
    """Counts of stopped clocks by (agency, sector, step)."""
    return _clocks_by_group(
        session, stopped_columns(), [*where, within(Clock.report_id), Clock.stopped_at.is_not(None)]
    )


def _running_counts(
    session: Session, where: list[ColumnElement[bool]], now: datetime
) -> dict[ClockGroup, dict[str, int]]:
    """Counts of running and overdue clocks by (agency, sector, step), at ``now``.

    The running clocks are the open reports' — thousands, against millions stopped — and have a
    partial index of their own, read whole and hashed with the period's reports. Not bounded by
    the period's ids: running clocks are nearly all of recent reports, so PostgreSQL, taking them
    as spread evenly over the ids, expected a few hundred in a recent month's range where there
    were 18,000, and looked each one's report up (37 ms at 1 M reports, the hash join 20 ms).
    """
    return _clocks_by_group(session, running_columns(now), [*where, Clock.stopped_at.is_(None)])


def _clocks_by_group(
    session: Session, columns: Mapping[str, ColumnElement[int]], where: list[ColumnElement[bool]]
) -> dict[ClockGroup, dict[str, int]]:
    statement = (
        select(Report.agency, Report.sector, Clock.step, *(c.label(k) for k, c in columns.items()))
        .join(Report, Report.id == Clock.report_id)
        .where(*where)
        .group_by(Report.agency, Report.sector, Clock.step)
    )
    return {
        (agency, sector, step): dict(zip(columns, map(int, counts), strict=True))
        for agency, sector, step, *counts in session.execute(statement)
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


def _used_minutes(
    session: Session, where: list[ColumnElement[bool]], within: Within
) -> dict[str, list[tuple[int, int]]]:
    """The stopped clocks of each step as (working minutes used, how many) pairs.

    The minutes are rounded down as the spread is given (:func:`counting.spread_minutes`: to
    the minute below an hour, to the hour beyond 16 hours), the same as the tallies count them.
    The median and 90th percentile are ranked from these counts (:func:`_nearest_rank`, nearest
    rank: the value at rank ⌈p·n⌉, PostgreSQL's ``percentile_disc``): a few hundred rows
    whatever the number of clocks. Sorting every clock of the period for ``percentile_disc``
    took most of the figures' time at scale.
    """
    minutes = spread_minutes(Clock.used_minutes).label("minutes")
    statement = (
        select(Clock.step, minutes, func.count().label("clocks"))
        .join(Report, Report.id == Clock.report_id)
        .where(*where, within(Clock.report_id), Clock.stopped_at.is_not(None))
        .group_by(Clock.step, minutes)
    )
    used: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for step, minutes, clocks in session.execute(statement):
        used[step].append((int(minutes), int(clocks)))
    return used


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
    reopened_reports = (
        select(func.count()).select_from(Report).where(*where, reopened(within(Event.report_id)))
    )
    return int(session.scalar(replies) or 0), int(session.scalar(reopened_reports) or 0)


# -- series, communes, ranking ---------------------------------------------------------------------


def _daily(
    session: Session, where: list[ColumnElement[bool]], zone: tzinfo
) -> list[tuple[date, int, int]]:
    """Reports received and with a result, by local day of submission."""
    day = local_day(session, zone).label("day")
    statement = (
        select(day, func.count(), count(Report.state.in_([s.value for s in WITH_RESULT])))
        .where(*where)
        .group_by(day)
    )
    return [(as_date(d), int(r), int(w)) for d, r, w in session.execute(statement)]


def _series(days: Iterable[tuple[date, int, int]], grain: str) -> tuple[Bucket, ...]:
    """The days' counts added into buckets of ``grain``, in order."""
    buckets: dict[date, list[int]] = {}
    for day, received, done in days:
        counts = buckets.setdefault(_bucket(day, grain), [0, 0])
        counts[0] += received
        counts[1] += done
    return tuple(Bucket(start, r, d) for start, (r, d) in sorted(buckets.items()))


def _bucket(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _areas(
    session: Session,
    split: _Split,
    where: list[ColumnElement[bool]],
) -> dict[str, dict[str, float]]:
    """Each commune's reports of the query: ``received``, and ``placed`` (with a latitude and a
    longitude) with the sums of their coordinates; from the tallies for the whole province."""
    if not split.province_wide:
        return _area_rows(session, where)
    direct = _area_rows(session, [*where, split.direct]) if split.any_direct else {}
    return _merged(direct, tallies.by_area(session, split.tallied(AreaTally)))


def _area_rows(session: Session, where: list[ColumnElement[bool]]) -> dict[str, dict[str, float]]:
    columns = area_columns()
    statement = (
        select(Report.area, *(c.label(k) for k, c in columns.items()))
        .where(*where, Report.area.is_not(None))
        .group_by(Report.area)
    )
    return {
        area: dict(zip(columns, (float(v) for v in values), strict=True))
        for area, *values in session.execute(statement)
    }


def _name(snapshot: Snapshot, area: str) -> str:
    return snapshot.areas[area].name if area in snapshot.areas else area


def _top_communes(
    snapshot: Snapshot, areas: Mapping[str, Mapping[str, float]], top: int
) -> tuple[Commune, ...]:
    ranked = sorted(areas.items(), key=lambda item: (-item[1]["received"], item[0]))
    return tuple(
        Commune(area, _name(snapshot, area), int(row["received"])) for area, row in ranked[:top]
    )


def commune_points(
    session: Session, snapshot: Snapshot, actor: Actor, query: Query
) -> tuple[CommunePoint, ...]:
    """Each commune's reports of ``query`` that have a place: how many, and their mean point.

    The map of the oversight faces draws one circle per commune, sized by ``received``; reports
    without coordinates are left out (they are in the figures, not on the map).
    """
    check(snapshot, actor, query)
    zone = _zone(snapshot)
    where = _where(snapshot, actor, query, zone)
    areas = _areas(session, _split(session, snapshot, actor, query, zone), where)
    placed = sorted(
        ((area, row) for area, row in areas.items() if row["placed"]),
        key=lambda item: (-item[1]["placed"], item[0]),
    )
    return tuple(
        CommunePoint(
            area,
            _name(snapshot, area),
            int(row["placed"]),
            row["latitude_sum"] / row["placed"],
            row["longitude_sum"] / row["placed"],
        )
        for area, row in placed
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
