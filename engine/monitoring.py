"""What an operator's monitoring asks of the database: counts that say whether the service keeps up.

Read at each scrape of ``/metrics`` (:mod:`web.metrics`), so each is one grouped query over an
index: reports by state (``ix_reports_state_agency``), the outbox not yet delivered
(``ix_outbox_due``), and the clocks still running past their due time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.store.models import Clock, OutboxMessage, Report


@dataclass(frozen=True)
class Gauges:
    """Counts at one instant; every key present in the database appears, zero counts do not."""

    reports_by_state: dict[str, int] = field(default_factory=dict)
    outbox_backlog_by_kind: dict[str, int] = field(default_factory=dict)
    outbox_parked: int = 0
    overdue_clocks_by_step: dict[str, int] = field(default_factory=dict)


def read_gauges(session: Session, now: datetime) -> Gauges:
    """The counts of :class:`Gauges` at ``now``.

    The backlog is what the worker still has to send (neither sent nor parked); a parked message
    waits for a person. An overdue clock is one still running (not stopped, not paused) whose due
    time has passed.
    """
    states = session.execute(select(Report.state, func.count()).group_by(Report.state))
    backlog = session.execute(
        select(OutboxMessage.kind, func.count())
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.parked.is_(False))
        .group_by(OutboxMessage.kind)
    )
    parked = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.parked.is_(True))
    )
    overdue = session.execute(
        select(Clock.step, func.count())
        .where(Clock.stopped_at.is_(None), Clock.paused_at.is_(None), Clock.due_at < now)
        .group_by(Clock.step)
    )
    return Gauges(
        reports_by_state={str(state): count for state, count in states},
        outbox_backlog_by_kind={kind: count for kind, count in backlog},
        outbox_parked=parked or 0,
        overdue_clocks_by_step={step: count for step, count in overdue},
    )
