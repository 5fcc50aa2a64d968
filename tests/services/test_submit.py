"""Receiving a report: attachments kept with it, the place checked, missing details asked for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from engine import audit
from engine.services.errors import InvalidInput
from engine.services.lifecycle import Lifecycle
from engine.store.models import Attachment, Clock, Event, OutboxMessage, Report, Reporter
from engine.uploads import StoredFile
from engine.workflow import State
from tests.services.conftest import road_report


def test_attachments_are_stored_with_the_report(life: Lifecycle) -> None:
    photo = StoredFile(
        "photo", "image/jpeg", "o-ga.jpg", 1234, "ab" * 32, "ab/x.jpg", "ab/t.jpg", None
    )
    submitted = life.submit(road_report(attachments=(photo,)))
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == submitted.code)).one()
        (attachment,) = session.scalars(select(Attachment).where(Attachment.report_id == report.id))
        assert (attachment.kind, attachment.path, attachment.thumbnail_path) == (
            "photo",
            "ab/x.jpg",
            "ab/t.jpg",
        )


def test_the_rows_of_a_submission_are_stored_in_the_order_they_were_made(life: Lifecycle) -> None:
    """The reporter's photos keep the order they were sent in, and the acknowledgement is queued
    before the request for more details (one statement on PostgreSQL, whose CTEs run in no
    promised order unless each reads the one before)."""
    photos = tuple(
        StoredFile("photo", "image/jpeg", f"anh-{n}.jpg", 1000 + n, f"{n:02x}" * 32,
                   f"{n:02x}/x.jpg", None, None)
        for n in range(1, 5)
    )  # fmt: skip
    new = road_report(phone="", channel="email", email="dan@example.vn", attachments=photos)
    submitted = life.submit(new, ask_for_missing=True)
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == submitted.code)).one()
        files = session.scalars(
            select(Attachment.filename)
            .where(Attachment.report_id == report.id)
            .order_by(Attachment.id)
        ).all()
        kinds = session.scalars(
            select(OutboxMessage.kind)
            .where(OutboxMessage.report_id == report.id)
            .order_by(OutboxMessage.id)
        ).all()
    assert files == ["anh-1.jpg", "anh-2.jpg", "anh-3.jpg", "anh-4.jpg"]
    assert kinds[:2] == ["reporter.received", "reporter.needs_info"]


def test_a_place_outside_the_province_is_refused(life: Lifecycle) -> None:
    with pytest.raises(InvalidInput) as caught:
        life.submit(road_report(latitude=21.0278, longitude=105.8342))  # Hà Nội
    assert caught.value.field == "latitude" and "ngoài địa bàn" in caught.value.message_vi
    with pytest.raises(InvalidInput):
        life.submit(road_report(latitude=10.25, longitude=None))
    assert life.submit(road_report(latitude=10.2537, longitude=105.9722)).state is State.RECEIVED


def test_content_longer_than_the_configured_limit_is_refused(life: Lifecycle) -> None:
    limit = life.snapshot.portal.content_max_chars
    with pytest.raises(InvalidInput) as caught:
        life.submit(road_report(content="ổ gà " * limit))
    assert caught.value.field == "content"


def test_search_text_finds_words_without_diacritics(life: Lifecycle) -> None:
    submitted = life.submit(road_report(content="Rác thải đổ bừa bãi ở Phường Phước Hậu"))
    with life.uow.read() as session:
        text = session.scalars(
            select(Report.search_text).where(Report.code == submitted.code)
        ).one()
    assert "rac thai" in text and "phuoc hau" in text


def test_email_without_phone_is_kept_and_the_sender_asked(life: Lifecycle) -> None:
    new = road_report(phone="", name="", channel="email", email="dan@example.vn")
    with pytest.raises(InvalidInput):
        life.submit(new)  # the portal and the API refuse at once: the person is there to fix it
    submitted = life.submit(new, ask_for_missing=True)
    assert submitted.state is State.NEEDS_INFO
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == submitted.code)).one()
        events = session.scalars(
            select(Event).where(Event.report_id == report.id).order_by(Event.seq)
        )
        actions = [(e.action, e.to_state) for e in events]
        assert actions == [("submit", "received"), ("request_info", "needs_info")]
        clocks = session.scalars(select(Clock).where(Clock.report_id == report.id)).all()
        assert {c.step for c in clocks} == {"intake", "forward"}
        assert all(c.paused_at is not None for c in clocks)  # the wait is the reporter's
        asked = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "reporter.needs_info")
        ).one()
        assert asked.payload["to"] == "dan@example.vn"
        assert "họ tên" in asked.payload["note"].lower() and "điện thoại" in asked.payload["note"]
        assert session.get(Reporter, report.id).phone == ""


def test_email_without_content_is_still_refused(life: Lifecycle) -> None:
    with pytest.raises(InvalidInput) as caught:
        life.submit(road_report(content="", channel="email"), ask_for_missing=True)
    assert caught.value.field == "content"


# -- a submission writes what it must, in one transaction, and nothing else (issue 13) -----------


@contextmanager
def statements_of(engine: Engine) -> Iterator[tuple[list[str], list[str]]]:
    """The SQL statements sent while the block runs, as ``VERB table``, and the commits."""
    sent: list[str] = []
    commits: list[str] = []

    def statement(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        words = sql.replace("(", " ").split()
        if words[0] == "SELECT" and "nextval" in sql:
            sent.append("SELECT nextval")
        elif words[0] == "WITH":  # data-modifying CTEs: one statement, several tables
            tables = sorted({words[i + 2] for i, w in enumerate(words) if w == "INSERT"})
            sent.append("INSERT " + " + ".join(tables))
        else:
            table = words[
                words.index({"INSERT": "INTO", "UPDATE": "UPDATE"}.get(words[0], "FROM")) + 1
            ]
            sent.append(f"{words[0]} {table}")

    def commit(conn: Any) -> None:
        commits.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield sent, commits
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


#: What a report received needs written: itself, its reporter, its two intake clocks (Đ6, Đ7),
#: its first event and the notice to the reporter. Nothing read back, nothing written twice.
WRITES = ["INSERT clocks", "INSERT events", "INSERT outbox", "INSERT reporters", "INSERT reports"]
#: How each database learns the id that the code (PA-2026-000123) and the first event's hash
#: need, and how many statements the writes take: PostgreSQL asks the sequence first, so every
#: row is written at once, in one statement; SQLite has no sequence, so the report's INSERT gives
#: the id and one UPDATE adds the code and the head hash.
EXPECTED = {
    "postgresql": ["SELECT nextval", "INSERT " + " + ".join(w.split()[1] for w in WRITES)],
    "sqlite": [*WRITES, "UPDATE reports"],
}


def test_a_submission_is_one_transaction_of_only_the_statements_it_needs(
    life: Lifecycle, db_engine: Engine
) -> None:
    """Issue 13: 11 statements a submission, among them a load of the new report's (empty)
    clocks, a look-up of the "previous" event of a report that has none, and two UPDATEs of the
    report (its code, then its head hash with a version bump). Now the writes and no more, on
    PostgreSQL in one round trip."""
    life.submit(road_report())
    with statements_of(db_engine) as (sent, commits):
        submitted = life.submit(road_report())
    expected = EXPECTED[db_engine.dialect.name]
    assert Counter(sent) == Counter(expected), sent
    assert commits == ["COMMIT"]
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == submitted.code)).one()
        assert report.version == submitted.version
        assert submitted.code == f"PA-2026-{report.id:06d}"
        assert len(report.clocks) == 2 and list(audit.verify(session)) == []


def test_a_report_asked_for_details_chains_its_two_events_without_reading_them_back(
    life: Lifecycle, db_engine: Engine
) -> None:
    new = road_report(phone="", channel="email", email="dan@example.vn")
    with statements_of(db_engine) as (sent, _):
        submitted = life.submit(new, ask_for_missing=True)
    assert not [s for s in sent if s.startswith("SELECT") and s != "SELECT nextval"], sent
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == submitted.code)).one()
        seqs = [e.seq for e in report.events]
        assert seqs == [1, 2] and report.state == State.NEEDS_INFO
        assert list(audit.verify(session)) == []
