"""The reporter's replies and ratings the IOC still has to follow (Đ11.3).

A reply, or a latest rating of "Không hài lòng", is to follow until the IOC follows it up: it sends
the report back to the agency (``reopen``) or records that the feedback was handled
(``close_feedback``, with a note). Either event covers everything given until its instant; what
comes later is to follow again. The question "no follow-up since?" is one probe of the partial
index of follow-up events (``ix_events_feedback_followed``), whatever the number of reports.

:func:`to_follow` is the definition; the replies queue reads its answer from the report's
``feedback_to_follow`` (:func:`queued`), which the effects of the actions that change it keep
(``reply``, ``rate``, ``reopen``, ``close_feedback`` in :mod:`engine.services.effects`). Asked of
every answered report, the definition cost a hash of every reply not followed up (89 k at 1 M
reports) for each statement; the column's partial index gives the queue's oldest rows directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal_column, or_, select
from sqlalchemy.orm import Session

from engine.store.models import Event, Rating, Reply, Report
from engine.workflow import FEEDBACK_FOLLOW_UPS

DISSATISFIED = "khong_hai_long"


def _follow_up() -> ColumnElement[bool]:
    # Written as the partial index's predicate says it (literals, not parameters), so that the
    # planner may read the follow-ups from that index.
    return Event.action.in_([literal_column(f"'{a}'") for a in sorted(FEEDBACK_FOLLOW_UPS)])


def since_followed(at: Any, report_id: Any) -> ColumnElement[bool]:
    """``at`` is after the report's last follow-up (or it has none): no follow-up at or after it."""
    return ~exists().where(Event.report_id == report_id, _follow_up(), Event.at >= at)


def to_follow() -> ColumnElement[bool]:
    """A reply since the last follow-up, or a latest rating 'Không hài lòng' since then."""
    latest = (
        select(func.max(Rating.id)).where(Rating.report_id == Report.id).correlate(Report)
    ).scalar_subquery()
    return or_(
        exists().where(
            Reply.report_id == Report.id, since_followed(Reply.created_at, Reply.report_id)
        ),
        exists().where(
            Rating.id == latest,
            Rating.value == DISSATISFIED,
            since_followed(Rating.created_at, Rating.report_id),
        ),
    )


def queued() -> ColumnElement[bool]:
    """The report is in the replies queue: :func:`to_follow` as its column keeps it, written as
    the predicate of the partial index ``ix_reports_feedback_to_follow``."""
    return Report.feedback_to_follow.is_(True)


def pending(session: Session, ids: Sequence[int]) -> dict[int, tuple[int, bool]]:
    """For answered reports ``ids`` (a page of them): the replies since the last follow-up, and
    whether the latest rating, given since then, is 'Không hài lòng'. Reports with neither are
    left out."""
    if not ids:
        return {}
    followed: dict[int, datetime] = dict(
        session.execute(
            select(Event.report_id, func.max(Event.at))
            .where(Event.report_id.in_(ids), Event.action.in_(sorted(FEEDBACK_FOLLOW_UPS)))
            .group_by(Event.report_id)
        ).all()
    )

    def after(report_id: int, at: datetime) -> bool:
        return report_id not in followed or at > followed[report_id]

    found: dict[int, tuple[int, bool]] = {}
    for report_id, at in session.execute(
        select(Reply.report_id, Reply.created_at).where(Reply.report_id.in_(ids))
    ):
        if after(report_id, at):
            count, unhappy = found.get(report_id, (0, False))
            found[report_id] = (count + 1, unhappy)
    latest: dict[int, tuple[datetime, str]] = {}
    for report_id, at, value in session.execute(
        select(Rating.report_id, Rating.created_at, Rating.value)
        .where(Rating.report_id.in_(ids))
        .order_by(Rating.id)
    ):
        latest[report_id] = (at, value)
    for report_id, (at, value) in latest.items():
        if value == DISSATISFIED and after(report_id, at):
            count, _ = found.get(report_id, (0, False))
            found[report_id] = (count, True)
    return found
