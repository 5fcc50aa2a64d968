"""The figures' tallies (issue 9, engine/stats/tallies.py): whichever days are tallied and
whichever are counted from the rows, the figures are the same as counting every day from the rows;
a change of a report is in the figures at once, before the worker has counted its day again; and
the worker records only the version it counted.

On the demo database (SQLite, and PostgreSQL when ``TEST_DATABASE_URL`` is set). "Counted from the
rows" is made by setting ``tallied_version`` back to 0 (what a report has before the tallies first
count it) inside a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cli.runtime import lifecycle
from engine import stats
from engine.config.loader import DEFAULT_DIRECTORY
from engine.config.snapshot import Snapshot
from engine.services.lifecycle import Actor
from engine.services.queues import agency_tree
from engine.stats import tallies
from engine.store import UnitOfWork, make_engine
from engine.store.models import AreaTally, ClockTally, FigureTally, Report, SpreadTally
from engine.worker.runner import Worker
from engine.workflow import Role
from tests.databases import demo_database, sqlite_and_postgresql

VN = ZoneInfo("Asia/Ho_Chi_Minh")
REPORTS = 60
PROVINCE = Actor("tinh", Role.PROVINCE_VIEWER)
LEADER = Actor("lanhdao.sxd", Role.LEADER, "SXD")


@dataclass
class Demo:
    uow: UnitOfWork
    snapshot: Snapshot
    ids: list[int]
    days: list[date]
    now: datetime


@pytest.fixture(scope="module", params=sqlite_and_postgresql())
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("tallies")
    with demo_database(request.param, folder, REPORTS, "tallies") as url:
        life = lifecycle(DEFAULT_DIRECTORY)
        uow = UnitOfWork(make_engine(url))
        with uow.read() as session:
            ids = list(session.scalars(select(Report.id).order_by(Report.id)))
            days = tallies.changed_days(session, VN)
        yield Demo(uow, life.snapshot, ids, days, datetime.now(UTC))


def tally_everything(uow: UnitOfWork) -> int:
    """Refresh until nothing is left to count; how many passes it took."""
    passes = 0
    while True:
        with uow.begin() as session:
            if not tallies.refresh(session, VN, days=3):
                return passes
        passes += 1


def untally(session: Session, ids: list[int]) -> None:
    """As if these reports had changed since the tallies counted them."""
    if ids:
        session.execute(update(Report).where(Report.id.in_(ids)).values(tallied_version=0))


def test_the_demo_has_several_days_and_the_worker_tallies_them_all(demo: Demo) -> None:
    assert len(demo.days) >= 5, demo.days  # else "a day tallied, a day direct" proves little
    with demo.uow.read() as session:
        direct = stats.figures(session, demo.snapshot, PROVINCE, stats.Query(), demo.now)
    assert tally_everything(demo.uow) >= 2  # three days a pass: several passes
    with demo.uow.read() as session:
        assert tallies.changed_days(session, VN) == []
        tallied_days = {tallies.as_date(d) for d in session.scalars(select(FigureTally.day))}
        assert tallied_days == set(demo.days)
        assert session.scalar(select(func.sum(FigureTally.received))) == REPORTS
        assert session.scalar(select(func.count()).select_from(ClockTally))
        assert session.scalar(select(func.count()).select_from(SpreadTally))
        assert session.scalar(select(func.sum(AreaTally.placed)))
        tallied = stats.figures(session, demo.snapshot, PROVINCE, stats.Query(), demo.now)
    assert tallied == direct
    assert direct.received == REPORTS and direct.with_result and direct.replies


def draw_query(data: st.DataObject, snapshot: Snapshot) -> tuple[Actor, stats.Query]:
    """An actor and any query they may ask: a period around today (either end open), an agency
    (with or without its units), a sector, a grain."""
    today = datetime.now(VN).date()
    offsets = st.one_of(st.none(), st.integers(min_value=-40, max_value=2))
    first, last = data.draw(offsets), data.draw(offsets)
    start = today + timedelta(days=first) if first is not None else None
    end = today + timedelta(days=last) if last is not None else None
    if start and end and start > end:
        start, end = end, start
    actor = data.draw(st.sampled_from([PROVINCE, LEADER]))
    agencies = sorted(
        snapshot.agencies if actor is PROVINCE else agency_tree(snapshot, actor.agency or "")
    )
    query = stats.Query(
        start=start,
        end=end,
        agency=data.draw(st.sampled_from([None, *agencies])),
        with_units=data.draw(st.booleans()),
        sector=data.draw(st.sampled_from([None, *sorted(snapshot.sectors)])),
        grain=data.draw(st.sampled_from(stats.GRAINS)),
    )
    return actor, query


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), changed=st.sets(st.integers(min_value=0, max_value=REPORTS - 1)))
def test_tallied_or_not_any_query_gives_the_figures_of_the_rows(
    demo: Demo, data: st.DataObject, changed: set[int]
) -> None:
    """Any mix of tallied days and days with changed reports gives the figures of counting every
    day from the rows, for any period, agency, sector, grain and actor."""
    actor, query = draw_query(data, demo.snapshot)
    tally_everything(demo.uow)
    with Session(demo.uow.engine) as session:
        try:
            untally(session, [demo.ids[i] for i in sorted(changed) if i < len(demo.ids)])
            mixed = stats.figures(session, demo.snapshot, actor, query, demo.now)
            mixed_map = stats.commune_points(session, demo.snapshot, actor, query)
            untally(session, demo.ids)
            direct = stats.figures(session, demo.snapshot, actor, query, demo.now)
            direct_map = stats.commune_points(session, demo.snapshot, actor, query)
        finally:
            session.rollback()
    assert mixed == direct
    # The map's mean points: the same communes and counts; the means the same but for the
    # order floating-point sums were added in.
    assert [(p.code, p.received) for p in mixed_map] == [(p.code, p.received) for p in direct_map]
    for tallied, counted in zip(mixed_map, direct_map, strict=True):
        assert tallied.latitude == pytest.approx(counted.latitude, abs=1e-9)
        assert tallied.longitude == pytest.approx(counted.longitude, abs=1e-9)


def test_a_change_is_in_the_figures_before_the_worker_counts_it_again(demo: Demo) -> None:
    tally_everything(demo.uow)
    with demo.uow.begin() as session:
        report = session.scalars(
            select(Report).where(Report.state != "rejected").order_by(Report.id.desc()).limit(1)
        ).one()
        before = stats.figures(session, demo.snapshot, PROVINCE, stats.Query(), demo.now)
        report.state = "rejected"  # an ORM change bumps the version, as every use case's does
        session.flush()
        assert report.version != report.tallied_version
        after = stats.figures(session, demo.snapshot, PROVINCE, stats.Query(), demo.now)
        assert after.rejected == before.rejected + 1
        assert after.received == before.received
        session.rollback()


def test_the_worker_marks_only_the_version_it_counted(demo: Demo) -> None:
    tally_everything(demo.uow)
    report_id = demo.ids[0]
    with demo.uow.begin() as session:
        report = session.get(Report, report_id)
        assert report is not None
        counted = report.version
        # A change after the worker read the version.
        report.rating = "hai_long" if report.rating != "hai_long" else "khong_hai_long"
        session.flush()
        assert report.version == counted + 1
        tallies.mark_tallied(session, [(report_id, counted)])
        session.expire(report)
        assert report.tallied_version != report.version  # still to count again
        tallies.mark_tallied(session, [(report_id, report.version)])
        session.expire(report)
        assert report.tallied_version == report.version
        session.rollback()


def test_a_worker_pass_counts_the_changed_days(demo: Demo) -> None:
    with demo.uow.begin() as session:
        untally(session, demo.ids[:5])
        assert tallies.changed_days(session, VN)
    summary = Worker(demo.uow, demo.snapshot, environ={}).run_once()
    assert summary.tallied >= 5 and not summary.errors
    with demo.uow.read() as session:
        assert tallies.changed_days(session, VN) == []
