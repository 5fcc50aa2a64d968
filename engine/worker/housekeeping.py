"""What the worker forgets: rows that are kept only for a while.

``idempotent_requests`` holds the first answer to each API POST sent with an ``Idempotency-Key``
(:mod:`web.api.idempotency`). A client retries within minutes, so an answer is kept
:data:`IDEMPOTENCY_KEEP` and then deleted (with any claim an earlier version left "in progress"). Each pass deletes at most :data:`PURGE_BATCH` rows, oldest
first, so that a backlog is worked off over several passes instead of in one long transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from engine.store.db import UnitOfWork
from engine.store.models import IdempotentRequest

#: How long an ``Idempotency-Key`` answers with its first answer.
IDEMPOTENCY_KEEP = timedelta(hours=24)
#: The most rows one pass deletes.
PURGE_BATCH = 1000


def purge_idempotency(
    uow: UnitOfWork, now: datetime, keep: timedelta = IDEMPOTENCY_KEEP, limit: int = PURGE_BATCH
) -> int:
    """Delete up to ``limit`` rows claimed more than ``keep`` before ``now``; how many went."""
    oldest = (
        select(IdempotentRequest.id)
        .where(IdempotentRequest.created_at < now - keep)
        .order_by(IdempotentRequest.created_at, IdempotentRequest.id)
        .limit(limit)
    )
    with uow.begin() as session:
        result = session.execute(
            delete(IdempotentRequest).where(IdempotentRequest.id.in_(oldest.scalar_subquery()))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
