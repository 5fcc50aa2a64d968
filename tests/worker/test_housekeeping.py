"""The worker forgets ``Idempotency-Key`` answers after a day, a bounded number per pass.

Without it the table of answers (and of claims left by processes that died) grows for ever. Runs
on SQLite and, with ``TEST_DATABASE_URL``, on PostgreSQL; time is the ``now`` Clockwork.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.config.snapshot import Snapshot
from engine.store import UnitOfWork
from engine.store.models import IdempotentRequest
from engine.worker import Worker, housekeeping
from tests.services.conftest import Clockwork


def answer_at(uow: UnitOfWork, at: datetime, key: str, *, status: int = 201) -> None:
    """The row an API POST with ``Idempotency-Key`` left, claimed at ``at``."""
    with uow.begin() as session:
        session.add(
            IdempotentRequest(
                key=key,
                route="/api/v1/reports",
                request_hash="0" * 64,
                status=status,
                body={},
                headers={},
                created_at=at,
            )
        )


def keys_left(uow: UnitOfWork) -> list[str]:
    with uow.read() as session:
        return list(session.scalars(select(IdempotentRequest.key).order_by(IdempotentRequest.key)))


def test_a_pass_forgets_answers_older_than_a_day(
    uow: UnitOfWork, snapshot: Snapshot, now: Clockwork
) -> None:
    current = now()
    answer_at(uow, current - timedelta(hours=25), "old-answer")
    answer_at(uow, current - timedelta(hours=30), "dead-claim", status=0)  # its process died
    answer_at(uow, current - timedelta(hours=23), "young-answer")
    answer_at(uow, current - timedelta(seconds=5), "in-progress", status=0)
    summary = Worker(uow, snapshot, now=now, environ={}).run_once()
    assert summary.purged == 2 and summary.errors == []
    assert keys_left(uow) == ["in-progress", "young-answer"]


def test_how_long_answers_are_kept_is_the_worker_s_to_choose(
    uow: UnitOfWork, snapshot: Snapshot, now: Clockwork
) -> None:
    answer_at(uow, now() - timedelta(hours=3), "three-hours")
    keep_two_hours = Worker(uow, snapshot, now=now, environ={}, idempotency_keep=timedelta(hours=2))
    assert keep_two_hours.run_once().purged == 1
    assert keys_left(uow) == []


def test_one_pass_deletes_at_most_a_batch_oldest_first(
    uow: UnitOfWork, snapshot: Snapshot, now: Clockwork
) -> None:
    for day in (3, 0, 5, 1, 4, 2):  # not in the order of their age
        answer_at(uow, now() - timedelta(days=10 - day), f"day-{day}")
    assert housekeeping.purge_idempotency(uow, now(), limit=2) == 2
    assert keys_left(uow) == ["day-2", "day-3", "day-4", "day-5"]
    worker = Worker(uow, snapshot, now=now, environ={}, purge_batch=2)
    assert [worker.run_once().purged for _ in range(3)] == [2, 2, 0]
    assert keys_left(uow) == []
