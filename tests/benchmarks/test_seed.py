"""The bulk generator of the scale benchmarks (``benchmarks/seed.py``), on PostgreSQL only.

What a benchmark at 1 M reports needs from it: rows the service itself would have written — a hash
chain that ``phananh audit verify`` accepts, every state of the workflow, clocks in every standing,
the IOC's replies to follow, an outbox with a backlog — and the database's indexes as the
migrations made them.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from engine import audit
from engine.services import feedback
from engine.store import make_engine
from engine.store.migrate import upgrade
from engine.store.models import Clock, Event, OutboxMessage, Rating, Reply, Report
from engine.workflow import State

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("TEST_DATABASE_URL")
END = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
REPORTS = 600

pytestmark = pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set: no PostgreSQL")


def _load_seed() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_seed", ROOT / "benchmarks" / "seed.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_seed"] = module
    spec.loader.exec_module(module)
    return module


seed_module = _load_seed()


def _indexes(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                )
            ).all()
        )


@pytest.fixture(scope="module")
def schema_url() -> Iterator[str]:
    assert PG_URL
    schema = f"bench_seed_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def seeded(schema_url: str) -> Iterator[tuple[Engine, set[tuple[str, str]]]]:
    engine = make_engine(schema_url)
    before = _indexes(engine)
    seed_module.seed(schema_url, REPORTS, seed=7, end=END, jobs=1)
    yield engine, before
    engine.dispose()


def test_every_hash_chain_verifies(seeded: tuple[Engine, set[tuple[str, str]]]) -> None:
    engine, _ = seeded
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Report)) == REPORTS
        assert list(audit.verify(session)) == []


def test_every_state_of_the_workflow_occurs(seeded: tuple[Engine, set[tuple[str, str]]]) -> None:
    engine, _ = seeded
    with engine.connect() as conn:
        states = set(conn.scalars(select(Report.state).distinct()))
    assert states == {str(s) for s in State}


def test_clocks_stand_in_every_way(seeded: tuple[Engine, set[tuple[str, str]]]) -> None:
    """Running (some overdue at ``end``), paused, stopped on time, late, late within extension."""
    engine, _ = seeded
    stopped = Clock.stopped_at.is_not(None)
    kinds = {
        "running": Clock.stopped_at.is_(None) & Clock.paused_at.is_(None),
        "overdue": Clock.stopped_at.is_(None) & Clock.paused_at.is_(None) & (Clock.due_at < END),
        "paused": Clock.stopped_at.is_(None) & Clock.paused_at.is_not(None),
        "on time": stopped & Clock.late.is_(False),
        "late": stopped & Clock.late_after_extension.is_(True),
        "within extension": stopped & Clock.late.is_(True)
        & Clock.late_after_extension.is_(False),
    }  # fmt: skip
    with engine.connect() as conn:
        counts = {
            name: conn.scalar(select(func.count()).select_from(Clock).where(where))
            for name, where in kinds.items()
        }
        per_report = conn.scalar(select(func.count()).select_from(Clock)) / REPORTS
    assert all(counts.values()), counts
    assert 5 <= per_report <= 7


def test_replies_ratings_and_outbox_as_the_issue_measured(
    seeded: tuple[Engine, set[tuple[str, str]]],
) -> None:
    """About 9 events and 2 outbox rows a report; about a fifth of reports in the IOC's replies."""
    engine, _ = seeded
    answered = Report.state.in_([State.PUBLISHED, State.ANSWERED_PRIVATELY])
    to_follow = answered & (
        select(Reply.id).where(Reply.report_id == Report.id).exists()
        | select(Rating.id)
        .where(Rating.report_id == Report.id, Rating.value == "khong_hai_long")
        .exists()
    )
    with engine.connect() as conn:
        events = conn.scalar(select(func.count()).select_from(Event)) / REPORTS
        outbox = conn.scalar(select(func.count()).select_from(OutboxMessage)) / REPORTS
        backlog = conn.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        replies = conn.scalar(select(func.count()).select_from(Report).where(to_follow))
    assert 8 <= events <= 11
    assert 1.5 <= outbox <= 3
    assert backlog > 0
    assert 0.12 * REPORTS <= replies <= 0.3 * REPORTS


def test_the_replies_queues_mark_is_its_definition(
    seeded: tuple[Engine, set[tuple[str, str]]],
) -> None:
    """The seed writes the tables directly; the mark the use cases keep is set as they would."""
    engine, _ = seeded
    with engine.connect() as conn:
        marked = set(conn.scalars(select(Report.id).where(Report.feedback_to_follow.is_(True))))
        defined = set(conn.scalars(select(Report.id).where(feedback.to_follow())))
    assert marked == defined and len(marked) > 0


def test_the_indexes_are_those_of_the_migrations(
    seeded: tuple[Engine, set[tuple[str, str]]],
) -> None:
    engine, before = seeded
    assert _indexes(engine) == before


def test_a_database_with_reports_is_refused(
    seeded: tuple[Engine, set[tuple[str, str]]], schema_url: str
) -> None:
    with pytest.raises(seed_module.SeedError, match="already holds reports"):
        seed_module.seed(schema_url, 10, end=END, jobs=1)


def test_sqlite_is_refused_with_a_reason() -> None:
    with pytest.raises(seed_module.SeedError, match="PostgreSQL only"):
        seed_module.seed("sqlite:///nowhere.db", 10, jobs=1)
