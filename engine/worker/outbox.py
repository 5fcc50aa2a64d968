"""The outbox as a queue: queue once by key, claim with a lease, finish, fail with back-off, park.

Every step is its own short transaction, so nothing is held open while a mail server or an agency's
system is being talked to:

1. :func:`claim` — one statement, ``UPDATE outbox SET claimed_by=…, claimed_until=now+lease WHERE
   id = (SELECT id … due … ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id``. A row is due when it is
   not sent, not parked, its ``next_attempt_at`` has come and no live lease holds it. On
   PostgreSQL ``SKIP LOCKED`` lets several workers claim side by side without waiting on each other;
   on SQLite the single statement takes the database's write lock, so a claim is still atomic
   (several workers there would only queue behind each other: run one).
2. The caller sends (see :mod:`engine.worker.runner`).
3. :func:`finish` sets ``sent_at``; :func:`fail` counts the attempt, keeps the error and sets the
   next attempt ``base * 2**(attempts-1)`` seconds later (at most ``max_seconds``), or parks the row
   after the last attempt.

A worker that dies between 1 and 3 leaves the row claimed until the lease runs out; the next claim
after that takes it again, so the message is sent at least once — possibly twice, which is why
every receiver gets the row's ``dedup_key`` to recognise a repeat.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.config.snapshot import RetryPolicy
from engine.store.db import UnitOfWork
from engine.store.models import OutboxMessage

#: Longest error text kept on a row.
ERROR_MAX = 2000


def queue(
    session: Session,
    *,
    kind: str,
    dedup_key: str,
    payload: dict[str, Any],
    at: datetime,
    report_id: int | None = None,
) -> bool:
    """Add a message unless one with ``dedup_key`` exists; ``True`` if this call added it.

    ``INSERT … ON CONFLICT (dedup_key) DO NOTHING``: two workers queueing the same key at the same
    moment both succeed and one row results.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .values(
            created_at=at,
            kind=kind,
            report_id=report_id,
            dedup_key=dedup_key,
            payload=payload,
            attempts=0,
            parked=False,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(OutboxMessage.id)
    )
    # RETURNING, not rowcount: psycopg reports -1 rows for an INSERT … ON CONFLICT.
    return session.execute(statement).first() is not None


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` are already in the outbox (asked in chunks of 500)."""
    wanted, found = list(keys), set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            session.scalars(
                select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(chunk))
            )
        )
    return found


def due(now: datetime) -> Any:
    """The condition of a row that may be claimed at ``now``."""
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.parked.is_(False),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )


def claim(uow: UnitOfWork, now: datetime, lease: timedelta, token: str) -> OutboxMessage | None:
    """Claim the oldest due row for ``token`` (unique per claim) until ``now + lease``."""
    first = (
        select(OutboxMessage.id)
        .where(*due(now))
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    with uow.begin() as session:
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == first)
            .values(claimed_by=token, claimed_until=now + lease)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ).first()
        if claimed is None:
            return None
        return session.get(OutboxMessage, claimed.id)


def finish(uow: UnitOfWork, row_id: int, now: datetime, note: str | None = None) -> None:
    """Mark the row sent (the first worker to finish it wins; a later finish changes nothing)."""
    with uow.begin() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.sent_at.is_(None))
            .values(sent_at=now, claimed_by=None, claimed_until=None, last_error=note)
            .execution_options(synchronize_session=False)
        )


def fail(
    uow: UnitOfWork, row_id: int, now: datetime, error: str, policy: RetryPolicy
) -> OutboxMessage | None:
    """Count a failed attempt: wait before the next one, or park the row after the last."""
    with uow.begin() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.id == row_id).with_for_update()
        ).one_or_none()
        if row is None or row.sent_at is not None:
            return row
        row.attempts += 1
        row.last_error = error[:ERROR_MAX]
        row.claimed_by = row.claimed_until = None
        if row.attempts >= policy.max_attempts:
            row.parked, row.next_attempt_at = True, None
        else:
            row.next_attempt_at = now + timedelta(seconds=policy.delay_seconds(row.attempts))
        return row


def parked(uow: UnitOfWork) -> list[OutboxMessage]:
    """Messages that gave up, oldest first, for a person to look at."""
    with uow.read() as session:
        rows = list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.parked.is_(True))
                .order_by(OutboxMessage.id)
            )
        )
        session.expunge_all()  # detached, still readable after the read-only session rolls back
        return rows


def requeue(uow: UnitOfWork, ids: Iterable[int]) -> int:
    """Give parked messages a fresh set of attempts (after the cause was fixed); how many."""
    with uow.begin() as session:
        changed = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(list(ids)),
                OutboxMessage.parked.is_(True),
                OutboxMessage.sent_at.is_(None),
            )
            .values(parked=False, attempts=0, next_attempt_at=None)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        return len(changed.all())
