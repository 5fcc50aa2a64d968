"""The register of exports: who exported what, when, why, and how many reports went out (R23).

An export is put on the register before its first row is read and completed after its last, each
in a short transaction of its own; the register names filters and counts, never a reporter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.export.request import ExportRequest
from engine.services.lifecycle import Actor
from engine.store import UnitOfWork
from engine.store.models import ExportRecord


@dataclass(frozen=True)
class ExportLine:
    id: int
    started_at: datetime
    finished_at: datetime | None
    actor: str
    role: str
    date_from: date
    date_to: date
    agency: str | None
    format: str
    with_media: bool
    reason: str
    rows: int | None
    identities: int | None


def begin(uow: UnitOfWork, actor: Actor, request: ExportRequest, at: datetime) -> int:
    with uow.begin() as session:
        record = ExportRecord(
            started_at=at,
            actor=actor.name,
            role=actor.role,
            date_from=request.date_from,
            date_to=request.date_to,
            agency=request.agency,
            format=request.format,
            with_media=request.with_media,
            reason=request.reason,
        )
        session.add(record)
        session.flush()
        return record.id


def finish(uow: UnitOfWork, record_id: int, rows: int, identities: int, at: datetime) -> None:
    with uow.begin() as session:
        record = session.get(ExportRecord, record_id)
        assert record is not None, record_id
        record.finished_at, record.rows, record.identities = at, rows, identities


def exports(session: Session, *, limit: int = 100, offset: int = 0) -> tuple[int, list[ExportLine]]:
    """The register, newest first, and its size."""
    rows = session.scalars(
        select(ExportRecord)
        .order_by(ExportRecord.started_at.desc(), ExportRecord.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(ExportRecord)) or 0
    return total, [
        ExportLine(
            r.id,
            r.started_at,
            r.finished_at,
            r.actor,
            r.role,
            r.date_from,
            r.date_to,
            r.agency,
            r.format,
            r.with_media,
            r.reason,
            r.rows,
            r.identities,
        )
        for r in rows
    ]
