"""The periodic reports as built and kept for download (Đ13.9, R30): ``periodic_reports``.

Every report built — by the worker on schedule (:func:`build_due`) or by a staff member on request
(:func:`keep`) — is written to the media store (:class:`engine.uploads.MediaStore`, named by the
hash of its bytes, as the reporters' and the agencies' files are) and recorded with its period,
who built it, its format, size and SHA-256.

A scheduled report is built once per entry, period and format. :func:`build_due` skips what is
recorded already; two workers that build the same one at the same moment both write a file, and
the unique key of ``periodic_reports`` lets only the first record it: the second's insert fails,
its file stays unreferenced in the store (as an upload whose transaction failed does), and
nothing is recorded twice.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import stats
from engine.config.snapshot import Snapshot
from engine.media import sha256_hex
from engine.periodic import Labels, late_cases, write
from engine.periodic.schedule import due
from engine.services.lifecycle import Actor
from engine.store import UnitOfWork
from engine.store.models import PeriodicReport
from engine.uploads import MediaStore
from engine.workflow import Role

log = logging.getLogger(__name__)

#: The role recorded for a report the worker built.
WORKER_ROLE = "worker"
#: What the list says for a report built on request instead of a schedule entry's name.
AD_HOC = "Theo yêu cầu"
#: Reports listed on one page at most.
PAGE = 50
#: Whose figures a scheduled report holds: the whole province's, as ``phananh report periodic``.
PROVINCE = Actor("phananh worker", Role.OPERATOR_ADMIN)
#: What identifies a scheduled report (the unique key of ``periodic_reports``).
KEY = (
    PeriodicReport.schedule,
    PeriodicReport.period_start,
    PeriodicReport.period_end,
    PeriodicReport.format,
)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Kept:
    """A kept report as the list and the download show it."""

    id: int
    schedule: str | None
    period_start: date
    period_end: date
    built_at: datetime
    built_by: str
    role: str
    format: str
    storage_key: str
    size: int
    sha256: str

    @property
    def title(self) -> str:
        return self.schedule or AD_HOC

    @property
    def by_worker(self) -> bool:
        return self.role == WORKER_ROLE

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.format, "application/octet-stream")

    @property
    def download_name(self) -> str:
        """``Báo cáo tháng 10 từ 01-01-2026 đến 09-10-2026.docx`` (no ``/`` in a file name)."""
        title = self.schedule or "Báo cáo theo yêu cầu"
        name = f"{title} từ {self.period_start:%d-%m-%Y} đến {self.period_end:%d-%m-%Y}"
        return f"{name.replace('/', '-')}.{self.format}"


def _kept(row: PeriodicReport) -> Kept:
    return Kept(
        row.id,
        row.schedule,
        row.period_start,
        row.period_end,
        row.built_at,
        row.built_by,
        row.role,
        row.format,
        row.storage_key,
        row.size,
        row.sha256,
    )


def render(
    session: Session, snapshot: Snapshot, actor: Actor, formats: Sequence[str], start: date,
    end: date, now: datetime,
) -> dict[str, bytes]:  # fmt: skip
    """The report's file in each of ``formats`` for the period, with the figures ``actor`` may
    see; the figures are read once for all the formats (at a province's scale they take seconds)."""
    found = stats.figures(session, snapshot, actor, stats.Query(start=start, end=end), now)
    late = late_cases(session, start, end)
    files = {}
    with tempfile.TemporaryDirectory() as folder:
        for fmt in formats:
            path = Path(folder) / f"bao-cao.{fmt}"
            write(
                path, fmt, found, late, start, end,
                heading=snapshot.report, labels=Labels.of(snapshot),
            )  # fmt: skip
            files[fmt] = path.read_bytes()
    return files


def keep(
    uow: UnitOfWork, store: MediaStore, data: bytes, *, fmt: str, start: date, end: date,
    built_by: str, role: str, at: datetime, schedule: str | None = None,
) -> Kept | None:  # fmt: skip
    """Store ``data`` and record it; ``None`` when the scheduled report is recorded already."""
    key = store.put(data, fmt)
    row = PeriodicReport(
        schedule=schedule,
        period_start=start,
        period_end=end,
        built_at=at,
        built_by=built_by[:100],
        role=role,
        format=fmt,
        storage_key=key,
        size=len(data),
        sha256=sha256_hex(data),
    )
    try:
        with uow.begin() as session:
            session.add(row)
            session.flush()
            return _kept(row)
    except IntegrityError:
        if schedule is None:
            raise
        return None


def build_due(
    uow: UnitOfWork, snapshot: Snapshot, store: MediaStore, now: datetime, builder: str
) -> list[Kept]:
    """Build, store and record every scheduled report due by ``now`` and not yet recorded."""
    today = now.astimezone(ZoneInfo(snapshot.calendar.timezone)).date()
    items = due(snapshot.periodic, today)
    if not items:
        return []
    keys = [
        (item.entry.name, item.start, item.end, fmt) for item in items for fmt in item.entry.formats
    ]
    with uow.read() as session:
        done = {tuple(row) for row in session.execute(select(*KEY).where(tuple_(*KEY).in_(keys)))}
    built = []
    for item in items:
        name = item.entry.name
        missing = [f for f in item.entry.formats if (name, item.start, item.end, f) not in done]
        if not missing:
            continue
        with uow.read() as session:
            files = render(session, snapshot, PROVINCE, missing, item.start, item.end, now)
        for fmt, data in files.items():
            kept = keep(
                uow, store, data, fmt=fmt, start=item.start, end=item.end, built_by=builder,
                role=WORKER_ROLE, at=now, schedule=name,
            )  # fmt: skip
            if kept is None:
                log.info("periodic report %s %s: recorded by another worker", name, fmt)
                continue
            built.append(kept)
    return built


def listing(session: Session, after: int | None = None, limit: int = PAGE) -> list[Kept]:
    """The kept reports, newest first, ``limit`` at most, after the one with id ``after``
    (a keyset on ``(built_at, id)``: every page costs the same however far down it is)."""
    query = select(PeriodicReport).order_by(
        PeriodicReport.built_at.desc(), PeriodicReport.id.desc()
    )
    if after is not None:
        mark = session.get(PeriodicReport, after)
        if mark is not None:
            query = query.where(
                or_(
                    PeriodicReport.built_at < mark.built_at,
                    and_(PeriodicReport.built_at == mark.built_at, PeriodicReport.id < mark.id),
                )
            )
    return [_kept(row) for row in session.scalars(query.limit(limit))]


def find(session: Session, report_id: int) -> Kept | None:
    row = session.get(PeriodicReport, report_id)
    return _kept(row) if row is not None else None
