"""Receiving a report: attachments kept with it, the place checked, missing details asked for."""

from __future__ import annotations

import pytest
from sqlalchemy import select

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
