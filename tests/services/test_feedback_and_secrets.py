"""The IOC follows the reporter's replies and ratings until handled (Đ11.3), and a report touching
state secrets is marked by the IOC at classification or the agency's leader before publication,
with a reason, so that the visibility rules restrict it (Đ10.3, R18, R22)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.services import feedback, queues
from engine.services.errors import Forbidden, InvalidInput, WrongState
from engine.services.lifecycle import Lifecycle
from engine.store.models import Event, OutboxMessage, Report
from engine.workflow import State
from tests.services.conftest import IOC, LEADER, OFFICER, Clockwork
from tests.services.test_queues import OTHER_LEADER, _as_reporter, act, queue_codes, road

ANSWERED = ("classify", "forward", "accept", "propose_result", "approve", "publish")
STEP_INPUTS: dict[str, dict[str, Any]] = {
    "classify": {"sector": "giao-thong-van-tai"},
    "propose_result": {"result": "Đã xử lý."},
}


def later(now: Clockwork, minutes: int = 10) -> None:
    now.value = now.value + timedelta(minutes=minutes)


def events_of(life: Lifecycle, code: str, action: str) -> list[Any]:
    """The report's events of ``action``: who, the note, the data."""
    with life.uow.read() as session:
        return list(
            session.execute(
                select(Event.actor, Event.note, Event.data)
                .join(Report)
                .where(Report.code == code, Event.action == action)
            )
        )


def written(life: Lifecycle) -> tuple[int, int]:
    with life.uow.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Event)) or 0,
            session.scalar(select(func.sum(Report.version))) or 0,
        )


# -- the replies queue empties when handled -----------------------------------------------------


def test_a_handled_reply_leaves_the_queue_and_a_new_one_brings_it_back(
    life: Lifecycle, now: Clockwork
) -> None:
    code = road(life, *ANSWERED)
    other = road(life, *ANSWERED)
    later(now)
    _as_reporter(life, code, "reply", text="Xin cho biết khi nào sơn lại vạch?")
    _as_reporter(life, other, "reply", text="Chưa thấy sửa.")
    assert queue_codes(life, IOC, now())["phan-hoi"] == sorted([code, other])

    later(now)
    state = act(life, IOC, code, "close_feedback", note="Đã gọi điện: sơn vạch trong tuần tới.")
    assert state is State.PUBLISHED  # handling feedback changes nothing else of the report
    assert queue_codes(life, IOC, now())["phan-hoi"] == [other]
    (event,) = events_of(life, code, "close_feedback")
    assert event.note == "Đã gọi điện: sơn vạch trong tuần tới."
    assert event.actor == IOC.name and event.data["replies"] == 1

    later(now)
    _as_reporter(life, code, "reply", text="Đã một tuần, vẫn chưa sơn.")
    assert queue_codes(life, IOC, now())["phan-hoi"] == sorted([code, other])
    with life.uow.read() as session:
        row = queues.report_view(session, life, IOC, code, now()).row
    assert row.pending_replies == 1  # only the reply since the handling counts


def test_a_handled_unhappy_rating_leaves_the_queue(life: Lifecycle, now: Clockwork) -> None:
    code = road(life, *ANSWERED)
    later(now)
    _as_reporter(life, code, "rate", rating="khong_hai_long")
    assert queue_codes(life, IOC, now())["phan-hoi"] == [code]
    later(now)
    act(life, IOC, code, "close_feedback", note="Đã giải thích lý do chưa sửa được.")
    assert queue_codes(life, IOC, now())["phan-hoi"] == []
    (event,) = events_of(life, code, "close_feedback")
    assert event.data == {"replies": 0, "rating": "khong_hai_long"}


def marks_and_definition(life: Lifecycle) -> dict[str, tuple[bool, bool]]:
    """Each report's kept mark ``feedback_to_follow`` beside the definition asked in SQL."""
    with life.uow.read() as session:
        rows = session.execute(select(Report.code, Report.feedback_to_follow, feedback.to_follow()))
        return {code: (kept, bool(defined)) for code, kept, defined in rows}


def test_the_kept_mark_is_the_definition_through_replies_ratings_and_follow_ups(
    life: Lifecycle, now: Clockwork
) -> None:
    """The replies queue reads the mark the effects keep; after each step it says what the
    replies, the ratings and the follow-ups say."""
    handled, rated_again, replied_then_happy, reopened = (road(life, *ANSWERED) for _ in range(4))
    steps: list[tuple[str, str, dict[str, Any]]] = [
        (handled, "reply", {"text": "Xin cho biết khi nào sơn lại vạch?"}),
        (rated_again, "rate", {"rating": "khong_hai_long"}),
        (replied_then_happy, "reply", {"text": "Chưa thấy sửa."}),
        (reopened, "reply", {"text": "Vẫn còn ổ gà."}),
        (handled, "close_feedback", {"note": "Đã gọi điện cho người dân."}),
        (rated_again, "rate", {"rating": "hai_long"}),  # the latest rating decides
        (replied_then_happy, "rate", {"rating": "hai_long"}),  # the reply is still to follow
        (reopened, "reopen", {"note": "Chưa sửa xong."}),
    ]
    for code, action, inputs in steps:
        later(now)
        if action in ("reply", "rate"):
            _as_reporter(life, code, action, **inputs)
        else:
            act(life, IOC, code, action, **inputs)
        found = marks_and_definition(life)
        assert all(kept is defined for kept, defined in found.values()), (code, action, found)
    assert {code for code, (kept, _) in found.items() if kept} == {replied_then_happy}
    assert queue_codes(life, IOC, now())["phan-hoi"] == [replied_then_happy]
    later(now)
    _as_reporter(life, rated_again, "rate", rating="khong_hai_long")
    assert queue_codes(life, IOC, now())["phan-hoi"] == sorted([rated_again, replied_then_happy])
    assert all(kept is defined for kept, defined in marks_and_definition(life).values())


def test_handling_needs_a_note_something_to_handle_and_the_ioc(
    life: Lifecycle, now: Clockwork
) -> None:
    quiet = road(life, *ANSWERED)
    before = written(life)
    with pytest.raises(InvalidInput, match="no reply or dissatisfied rating"):
        act(life, IOC, quiet, "close_feedback", note="Không có gì.")
    assert written(life) == before
    with life.uow.read() as session:
        offered = queues.report_view(session, life, IOC, quiet, now()).actions
    assert "close_feedback" not in [a.action for a in offered]

    code = road(life, *ANSWERED)
    later(now)
    _as_reporter(life, code, "reply", text="Xin làm rõ.")
    with life.uow.read() as session:
        offered = queues.report_view(session, life, IOC, code, now()).actions
    assert "close_feedback" in [a.action for a in offered]
    before = written(life)
    with pytest.raises(InvalidInput, match="requires a note"):
        act(life, IOC, code, "close_feedback")
    with pytest.raises(Forbidden):
        act(life, LEADER, code, "close_feedback", note="Đã xử lý.")
    assert written(life) == before
    assert queue_codes(life, IOC, now())["phan-hoi"] == [code]


# -- the state-secret mark ---------------------------------------------------------------------


def test_the_ioc_marks_at_classification_and_publishing_is_restricted(
    life: Lifecycle, now: Clockwork
) -> None:
    code = road(life)
    act(life, IOC, code, "mark_secret_at_classification", reason="Liên quan khu vực quân sự.")
    (event,) = events_of(life, code, "mark_secret_at_classification")
    assert event.data["reason"] == "Liên quan khu vực quân sự."
    assert (event.data["visibility"], event.data["rule"]) == ("restricted", "state-secret")
    for step in ANSWERED[:-1]:
        act(life, {"accept": OFFICER, "propose_result": OFFICER, "approve": LEADER}.get(step, IOC),
            code, step, **STEP_INPUTS.get(step, {}))  # fmt: skip
    assert act(life, LEADER, code, "publish") is State.RESTRICTED
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        kinds = session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.report_id == report.id)
        ).all()
        assert report.state_secret and report.published_text is None
    assert "reporter.result" not in kinds  # the result goes to nobody (Đ10.3)


def test_the_leader_marks_before_publication(life: Lifecycle, now: Clockwork) -> None:
    code = road(life, *ANSWERED[:-1])
    with life.uow.read() as session:
        offered = [a.action for a in queues.report_view(session, life, LEADER, code, now()).actions]
    assert offered == ["publish", "mark_secret_before_publication"]
    with life.uow.read() as session:
        preview = queues.report_view(session, life, LEADER, code, now()).preview
    assert preview is not None and preview.level == "public"

    before = written(life)
    with pytest.raises(InvalidInput):
        act(life, LEADER, code, "mark_secret_before_publication")  # no reason
    with pytest.raises(Forbidden):
        act(life, OFFICER, code, "mark_secret_before_publication", reason="x")
    with pytest.raises(Forbidden):  # another agency's leader
        act(life, OTHER_LEADER, code, "mark_secret_before_publication", reason="x")
    with pytest.raises(Forbidden):  # the IOC's mark is at classification only
        act(life, IOC, code, "mark_secret_before_publication", reason="x")
    with pytest.raises(WrongState):
        act(life, IOC, code, "mark_secret_at_classification", reason="x")
    assert written(life) == before

    act(life, LEADER, code, "mark_secret_before_publication", reason="Nêu vị trí công trình.")
    with life.uow.read() as session:
        view = queues.report_view(session, life, LEADER, code, now())
    assert [a.action for a in view.actions] == ["publish"]  # marked once, not twice
    assert view.preview is not None and view.preview.level == "restricted"
    assert view.preview.text is None
    with pytest.raises(InvalidInput, match="already marked"):
        act(life, LEADER, code, "mark_secret_before_publication", reason="Lần nữa.")
    assert act(life, LEADER, code, "publish") is State.RESTRICTED


def test_nobody_marks_after_publication(life: Lifecycle, now: Clockwork) -> None:
    code = road(life, *ANSWERED)
    for who, action in (
        (LEADER, "mark_secret_before_publication"),
        (IOC, "mark_secret_at_classification"),
    ):
        with pytest.raises(WrongState):
            act(life, who, code, action, reason="Quá muộn.")
    with life.uow.read() as session:
        marked = session.scalars(select(Report.state_secret).where(Report.code == code)).one()
    assert marked is False
