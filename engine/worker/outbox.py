"""The outbox as a queue: queue once by key, claim with a lease, finish, fail with back-off, park.

Every step is its own short transaction, so nothing is held open while a mail server or an agency's
system is being talked to:

1. :func:`claim_batch` — in one transaction, a share of the batch for each kind that has rows to
   send: ``UPDATE outbox SET claimed_by=…, claimed_until=now+lease WHERE id IN (SELECT id … kind
   = :k AND due ORDER BY id LIMIT :share FOR UPDATE SKIP LOCKED) RETURNING …``, kinds taken
   oldest-waiting first, what a kind leaves of its share offered again to the others. A row is
   due when it is not sent, not parked, its ``next_attempt_at`` has come and no live lease holds
   it. Both look-ups read the partial index ``ix_outbox_unsent`` (``kind, id`` of the rows not
   sent and not parked), so a claim never walks past the millions of rows already sent, and a
   backlog of one kind (thousands of notices) never keeps another (mail) waiting. On PostgreSQL
   ``SKIP LOCKED`` lets several workers claim side by side without waiting on each other; on
   SQLite each statement takes the database's write lock, so a claim is still atomic (several
   workers there would only queue behind each other: run one).
2. The caller sends (see :mod:`engine.worker.runner`).
3. :func:`finish` sets ``sent_at``; :func:`fail` counts the attempt, keeps the error and sets the
   next attempt ``base * 2**(attempts-1)`` seconds later (at most ``max_seconds``), or parks the row
   after the last attempt.

A worker that dies between 1 and 3 leaves the row claimed until the lease runs out; the next claim
after that takes it again, so the message is sent at least once — possibly twice, which is why
every receiver gets the row's ``dedup_key`` to recognise a repeat.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.config.snapshot import RetryPolicy
from engine.store.db import UnitOfWork
from engine.store.models import OutboxMessage
from engine.store.types import UtcDateTime

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
    message = Message(kind, dedup_key, payload, report_id)
    return queue_many(session, [message], at=at) == 1


@dataclass(frozen=True)
class Message:
    """One message to queue with :func:`queue_many`."""

    kind: str
    dedup_key: str
    payload: dict[str, Any]
    report_id: int | None = None


def queue_many(session: Session, messages: Sequence[Message], *, at: datetime) -> int:
    """Add each message whose ``dedup_key`` is not there yet; how many were added. The same
    ``INSERT … ON CONFLICT DO NOTHING`` as :func:`queue`.

    On PostgreSQL the messages go as one JSON document into one fixed statement
    (:data:`_QUEUE_JSON`): its text never changes, so neither SQLAlchemy nor psycopg compiles or
    parses it again, and the document is one ``json.dumps``. A literal multi-row ``VALUES``
    (seven parameters a message) cost about 0.1 ms a message to build and parse, and text arrays
    about as much in psycopg's escaping of each element: the most of a deadline pass that queues
    a thousand notices. SQLite is given the rows as an executemany of one cached statement.
    """
    if not messages:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        document = json.dumps(
            [
                {
                    "kind": m.kind,
                    "report_id": m.report_id,
                    "dedup_key": m.dedup_key,
                    "payload": m.payload,
                }
                for m in messages
            ]
        )
        return len(session.execute(_QUEUE_JSON, {"at": at, "messages": document}).all())
    table = OutboxMessage.__table__
    statement = (
        sqlite_insert(table)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(table.c.id)
    )
    rows = [
        {
            "created_at": at,
            "kind": m.kind,
            "report_id": m.report_id,
            "dedup_key": m.dedup_key,
            "payload": m.payload,
            "attempts": 0,
            "parked": False,
        }
        for m in messages
    ]
    # RETURNING, not rowcount: the count of rows added, whatever the driver reports.
    return len(session.execute(statement, rows).all())


#: Every message as one row of ``json_to_recordset``; RETURNING counts the rows added
#: (psycopg reports -1 rows for an ``INSERT … ON CONFLICT``).
_QUEUE_JSON = text(
    """
    INSERT INTO outbox (created_at, kind, report_id, dedup_key, payload, attempts, parked)
    SELECT :at, m.kind, m.report_id, m.dedup_key, m.payload, 0, false
    FROM json_to_recordset(CAST(:messages AS json))
         AS m(kind varchar, report_id integer, dedup_key varchar, payload json)
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
    """
).bindparams(bindparam("at", type_=UtcDateTime()))


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
        unsent(),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )


def unsent() -> Any:
    """The rows still to send: exactly the predicate of the partial index ``ix_outbox_unsent``."""
    return and_(OutboxMessage.sent_at.is_(None), OutboxMessage.parked.is_(False))


def waiting_kinds(session: Session) -> list[str]:
    """The kinds that have rows to send, the kind whose oldest row waits longest first.

    A skip scan of ``ix_outbox_unsent`` (one index probe per kind, a recursive query both
    databases run), so it costs the number of kinds, not the number of rows.
    """
    first = select(OutboxMessage.kind).where(unsent()).order_by(OutboxMessage.kind).limit(1)
    kinds = select(first.scalar_subquery().label("kind")).cte("kinds", recursive=True)
    after = (
        select(OutboxMessage.kind)
        .where(unsent(), OutboxMessage.kind > kinds.c.kind)
        .order_by(OutboxMessage.kind)
        .limit(1)
        .scalar_subquery()
    )
    kinds = kinds.union_all(select(after).where(kinds.c.kind.is_not(None)))
    oldest = (
        select(OutboxMessage.id)
        .where(unsent(), OutboxMessage.kind == kinds.c.kind)
        .order_by(OutboxMessage.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(kinds.c.kind).where(kinds.c.kind.is_not(None)).order_by(oldest)
    ).scalars()
    return list(rows)


def _due_of_kind(kind: str, now: datetime, limit: int) -> Select[tuple[int]]:
    return (
        select(OutboxMessage.id)
        .where(OutboxMessage.kind == kind, *due(now))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def claim_batch(
    uow: UnitOfWork, now: datetime, lease: timedelta, token: str, size: int
) -> list[OutboxMessage]:
    """Claim up to ``size`` due rows for ``token`` until ``now + lease``, fairly across kinds.

    Each kind with rows to send is offered an equal share; a kind that takes less than its share
    leaves the rest to the kinds that filled theirs, in further rounds. The rows come back oldest
    first, detached and fully loaded.
    """
    claimed: list[OutboxMessage] = []
    with uow.begin() as session:
        active = waiting_kinds(session)
        while active and len(claimed) < size:
            share = max(1, (size - len(claimed)) // len(active))
            filled = []
            for kind in active:
                limit = min(share, size - len(claimed))
                if limit <= 0:
                    break
                rows = _claim_kind(session, kind, now, lease, token, limit)
                claimed += rows
                if len(rows) == limit:
                    filled.append(kind)
            active = filled
    return sorted(claimed, key=lambda row: row.id)


def _claim_kind(
    session: Session, kind: str, now: datetime, lease: timedelta, token: str, limit: int
) -> list[OutboxMessage]:
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(_due_of_kind(kind, now, limit)))
        .values(claimed_by=token, claimed_until=now + lease)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(statement))


def claim(uow: UnitOfWork, now: datetime, lease: timedelta, token: str) -> OutboxMessage | None:
    """Claim one due row for ``token`` until ``now + lease`` (the kind waiting longest)."""
    rows = claim_batch(uow, now, lease, token, 1)
    return rows[0] if rows else None


def release(uow: UnitOfWork, ids: Iterable[int], token: str) -> None:
    """Give back claimed rows not handled (a worker asked to stop), so nobody waits for the lease."""
    with uow.begin() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.claimed_by == token)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


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
