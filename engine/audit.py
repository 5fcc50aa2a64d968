"""The tamper-evident record of a report's story (R23, R25, R35).

Each event's hash covers its own content and the hash of the report's previous event, so editing
an event breaks its own hash and deleting one breaks the next event's link; the report keeps the
hash of its last event, so cutting the tail of the story is found too. ``verify`` walks every
report's chain and names the first event where it breaks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.store.models import Event, Report

GENESIS = "0" * 64


def content_of(event: Event) -> dict[str, Any]:
    """The fields an event's hash covers — everything that tells what happened."""
    return {
        "report_id": event.report_id,
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "note": event.note,
        "data": event.data,
    }


def digest(prev_hash: str, content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def seal(event: Event, previous: Event | None) -> None:
    """Fill ``seq``, ``prev_hash`` and ``hash`` of a new event that follows ``previous``."""
    event.seq = previous.seq + 1 if previous else 1
    event.prev_hash = previous.hash if previous else GENESIS
    event.hash = digest(event.prev_hash, content_of(event))


def count_reports() -> Select[tuple[int]]:
    return select(func.count()).select_from(Report)


@dataclass(frozen=True)
class Break:
    """Where a report's chain of events breaks."""

    report_code: str
    event_id: int | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event {self.event_id} (#{self.seq})" if self.event_id else "its events"
        return f"{self.report_code}: {where}: {self.problem}"


def verify(session: Session) -> Iterator[Break]:
    """Every report whose record was edited or cut, with the first event where it breaks."""
    reports = session.execute(
        select(Report.id, Report.code, Report.last_event_hash).order_by(Report.id)
    ).all()
    for report_id, code, head in reports:
        events = session.scalars(
            select(Event).where(Event.report_id == report_id).order_by(Event.seq)
        ).all()
        problem = _first_break(events, head)
        if problem:
            yield Break(code or f"#{report_id}", *problem)


def _first_break(
    events: list[Event], head: str | None
) -> tuple[int | None, int | None, str] | None:
    if not events:
        return None, None, "the report has no events: its record was deleted"
    prev_hash = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return event.id, event.seq, f"event #{expected_seq} is missing (deleted)"
        if event.prev_hash != prev_hash:
            return event.id, event.seq, "the link to the previous event is broken"
        if digest(event.prev_hash, content_of(event)) != event.hash:
            return event.id, event.seq, "the event's content was changed after it was written"
        prev_hash = event.hash
    if prev_hash != head:
        last = events[-1]
        return (
            last.id,
            last.seq,
            "the events after this one were deleted (the report's head differs)",
        )
    return None
