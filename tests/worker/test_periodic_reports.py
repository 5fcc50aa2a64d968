"""The worker builds the scheduled periodic reports on their day (Đ13.9, R30) and keeps them.

With the default ``periodic.yaml`` the October report is built once from 00:00 on 10/10 in
Vĩnh Long (Asia/Ho_Chi_Minh), in each of its formats, stored in the media store and recorded with
its period, who built it, its size and SHA-256; later passes, and a second worker, build nothing
again. SQLite always, PostgreSQL when ``TEST_DATABASE_URL`` is set (the fixtures of
``tests/services/conftest.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.config.snapshot import Snapshot
from engine.periodic import store as kept_reports
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork
from engine.store.models import PeriodicReport
from engine.uploads import MediaStore
from engine.worker import Worker
from tests.services.conftest import Clockwork, road_report

OCTOBER = "Báo cáo tháng 10"


def rows(uow: UnitOfWork) -> list[PeriodicReport]:
    with uow.read() as session:
        found = session.scalars(select(PeriodicReport).order_by(PeriodicReport.format)).all()
        session.expunge_all()
        return list(found)


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


def worker(uow: UnitOfWork, snapshot: Snapshot, now: Clockwork, media: MediaStore) -> Worker:
    return Worker(uow, snapshot, now=now, environ={}, store=media, name="may-chu-1:42:abcd")


def test_nothing_is_built_before_the_day_in_vietnam(
    uow: UnitOfWork, snapshot: Snapshot, now: Clockwork, media: MediaStore
) -> None:
    now.set("2026-10-09T23:59:00+07:00")  # 16:59 UTC on 09/10
    assert worker(uow, snapshot, now, media).run_once().reports == 0
    assert rows(uow) == []


def test_on_the_day_the_report_is_built_once_in_each_format(
    life: Lifecycle, uow: UnitOfWork, snapshot: Snapshot, now: Clockwork, media: MediaStore
) -> None:
    life.submit(road_report())  # 22/04/2026: inside the period
    now.set("2026-10-09T17:00:00+00:00")  # 00:00 on 10/10 in Vĩnh Long
    summary = worker(uow, snapshot, now, media).run_once()
    assert summary.reports == 2 and "2 báo cáo định kỳ đã lập" in summary.line()
    docx, xlsx = rows(uow)
    for row, fmt in ((docx, "docx"), (xlsx, "xlsx")):
        assert (row.schedule, row.period_start, row.period_end, row.format) == (
            OCTOBER,
            date(2026, 1, 1),
            date(2026, 10, 9),
            fmt,
        )
        assert (row.built_by, row.role) == ("may-chu-1:42:abcd", "worker")
        data = media.path(row.storage_key).read_bytes()
        assert (row.size, row.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    paragraphs = [
        p.text for p in Document(io.BytesIO(media.path(docx.storage_key).read_bytes())).paragraphs
    ]
    assert any("từ ngày 01/01/2026 đến ngày 09/10/2026" in p for p in paragraphs)
    assert any("tiếp nhận 1 phản ánh" in p for p in paragraphs)
    sheet = load_workbook(io.BytesIO(media.path(xlsx.storage_key).read_bytes())).active
    assert list(next(r for r in sheet.iter_rows(values_only=True) if r[0] == "Tổng")[:2]) == [
        "Tổng",
        1,
    ]

    now.set("2026-10-20T08:00:00+07:00")
    assert worker(uow, snapshot, now, media).run_once().reports == 0
    other = Worker(uow, snapshot, now=now, environ={}, store=media, name="may-chu-2:7:ef01")
    assert other.run_once().reports == 0
    assert len(rows(uow)) == 2


def test_december_is_built_on_its_day_and_october_is_not_again(
    uow: UnitOfWork, snapshot: Snapshot, now: Clockwork, media: MediaStore
) -> None:
    now.set("2026-10-10T09:00:00+07:00")
    worker(uow, snapshot, now, media).run_once()
    now.set("2026-12-10T00:30:00+07:00")
    assert worker(uow, snapshot, now, media).run_once().reports == 2
    december = [r for r in rows(uow) if r.schedule == "Báo cáo tháng 12"]
    assert {(r.period_start, r.period_end) for r in december} == {
        (date(2026, 1, 1), date(2026, 12, 9))
    }
    assert len(rows(uow)) == 4


def test_a_worker_that_was_down_on_the_day_builds_it_when_it_comes_back(
    uow: UnitOfWork, snapshot: Snapshot, now: Clockwork, media: MediaStore
) -> None:
    now.set("2026-11-03T08:00:00+07:00")
    assert worker(uow, snapshot, now, media).run_once().reports == 2
    assert {r.period_end for r in rows(uow)} == {date(2026, 10, 9)}


def test_the_same_scheduled_report_is_recorded_once_even_by_two_workers_at_once(
    uow: UnitOfWork, now: Clockwork, media: MediaStore
) -> None:
    """Two workers that both found the report missing both write a file; the unique key lets
    only the first record it, and the second is told so instead of failing its pass."""
    kept = {
        "fmt": "xlsx",
        "start": date(2026, 1, 1),
        "end": date(2026, 10, 9),
        "role": "worker",
        "at": now(),
        "schedule": OCTOBER,
    }
    first = kept_reports.keep(uow, media, b"first", built_by="may-chu-1", **kept)
    second = kept_reports.keep(uow, media, b"second", built_by="may-chu-2", **kept)
    assert first is not None and second is None
    assert [r.built_by for r in rows(uow)] == ["may-chu-1"]
    with pytest.raises(IntegrityError), uow.begin() as session:
        session.add(
            PeriodicReport(
                schedule=OCTOBER, period_start=date(2026, 1, 1), period_end=date(2026, 10, 9),
                built_at=now(), built_by="x", role="worker", format="xlsx", storage_key="k",
                size=1, sha256="0" * 64,
            )
        )  # fmt: skip


def test_reports_built_on_request_never_collide(
    uow: UnitOfWork, now: Clockwork, media: MediaStore
) -> None:
    same = {"fmt": "docx", "start": date(2026, 1, 1), "end": date(2026, 3, 31), "at": now()}
    for name in ("Trần Thị Bình", "Trần Thị Bình"):
        assert kept_reports.keep(uow, media, b"x", built_by=name, role="ioc_operator", **same)
    with uow.read() as session:
        assert session.scalar(select(func.count()).select_from(PeriodicReport)) == 2


def test_without_a_schedule_or_a_store_nothing_is_built(
    uow: UnitOfWork, snapshot: Snapshot, now: Clockwork, media: MediaStore
) -> None:
    now.set("2026-10-10T09:00:00+07:00")
    unscheduled = dataclasses.replace(snapshot, periodic=())
    assert worker(uow, unscheduled, now, media).run_once().reports == 0
    assert Worker(uow, snapshot, now=now, environ={}).run_once().reports == 0
    assert rows(uow) == []


def test_a_failed_build_is_reported_and_retried_on_the_next_pass(
    uow: UnitOfWork, snapshot: Snapshot, now: Clockwork, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the media folder should be")
    now.set("2026-10-10T09:00:00+07:00")
    summary = worker(uow, snapshot, now, MediaStore(blocked)).run_once()
    assert summary.reports == 0 and any("periodic reports" in e for e in summary.errors)
    assert rows(uow) == []
    assert worker(uow, snapshot, now, MediaStore(tmp_path / "media")).run_once().reports == 2
