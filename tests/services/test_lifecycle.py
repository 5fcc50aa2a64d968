"""The report's life through the use cases, generated from the workflow table where it can be.

The matrix test tries every action with every role on a report in every state: it must succeed
exactly where the table allows it, be refused with the right error everywhere else, and a refusal
must write nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from engine import audit
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound, WrongState
from engine.services.lifecycle import Actor, Lifecycle, NewReport, Submitted
from engine.store.models import Event, OutboxMessage, Report
from engine.workflow import ACTIONS, TABLE, Role, State
from tests.services.conftest import (
    ADMIN,
    AUDITOR,
    IOC,
    LEADER,
    OFFICER,
    VIEWER,
    Clockwork,
    open_account,
    road_report,
)

REPORTER = Actor("Nguyễn Văn An", Role.REPORTER)
ACTOR_OF_ROLE = {
    Role.REPORTER: REPORTER,
    Role.IOC_OPERATOR: IOC,
    Role.OFFICER: OFFICER,
    Role.LEADER: LEADER,
    Role.OPERATOR_ADMIN: ADMIN,
    Role.PROVINCE_VIEWER: VIEWER,
    Role.AUDITOR: AUDITOR,
}

#: Valid inputs for each action (a note where the table asks for one).
INPUTS: dict[str, dict[str, object]] = {
    "request_info": {"note": "Xin bổ sung ảnh chụp hiện trường."},
    "provide_info": {"text": "Ảnh đã gửi kèm."},
    "reject": {"reason": "Không phải phản ánh hiện trường."},
    "classify": {"sector": "giao-thong-van-tai"},
    "forward": {},
    "accept": {},
    "return_to_ioc": {"reason": "Không thuộc phạm vi xử lý của Sở."},
    "escalate": {"note": "Hai cơ quan cùng trả lại."},
    "designate": {"agency": "SXD", "note": "Sở Xây dựng chủ trì theo chỉ đạo."},
    "assign": {"officer": "canbo.sxd"},  # the account of OFFICER, opened for each test
    "request_extension": {"reason": "Cần khảo sát hiện trường.", "due": "2026-05-29T17:00+07:00"},
    "grant_extension": {"reason": "Đồng ý gia hạn.", "due": "2026-05-29T17:00+07:00"},
    "refuse_extension": {"reason": "Chưa đủ căn cứ gia hạn: khối lượng công việc nhỏ."},
    "propose_result": {"result": "Đã vá ổ gà ngày 23/4/2026."},
    "approve": {},
    "edit_and_approve": {"result": "Sở Xây dựng đã vá ổ gà ngày 23/4/2026."},
    "return_to_officer": {"note": "Bổ sung ảnh sau khi vá."},
    "publish": {},
    "reply": {"text": "Xin cho biết vì sao chưa sơn lại vạch?"},
    "rate": {"rating": "hai_long"},
    "reopen": {"note": "Người dân đề nghị làm rõ."},
    "close_feedback": {"note": "Đã gọi điện giải thích cho người phản ánh."},
    "mark_secret_at_classification": {"reason": "Khu vực quân sự (Đ10.3)."},
    "mark_secret_before_publication": {"reason": "Kết quả nêu vị trí công trình quốc phòng."},
}

#: The shortest way to bring a new report to each state.
PATHS: dict[State, tuple[str, ...]] = {
    State.RECEIVED: (),
    State.NEEDS_INFO: ("request_info",),
    State.REJECTED: ("reject",),
    State.CLASSIFIED: ("classify",),
    State.FORWARDED: ("classify", "forward"),
    State.RETURNED: ("classify", "forward", "return_to_ioc"),
    State.ESCALATED: ("classify", "forward", "return_to_ioc", "escalate"),
    State.IN_PROGRESS: ("classify", "forward", "accept"),
    State.PENDING_APPROVAL: ("classify", "forward", "accept", "propose_result"),
    State.APPROVED: ("classify", "forward", "accept", "propose_result", "approve"),
    State.PUBLISHED: ("classify", "forward", "accept", "propose_result", "approve", "publish"),
    State.ANSWERED_PRIVATELY: (
        "classify", "forward", "accept", "propose_result", "approve", "publish",
    ),
    State.RESTRICTED: ("classify", "forward", "accept", "propose_result", "approve", "publish"),
}  # fmt: skip


#: What must happen first for an action to have something to act on.
BEFORE: dict[str, tuple[str, ...]] = {
    "refuse_extension": ("request_extension",),
    "close_feedback": ("reply",),
}


@pytest.fixture(autouse=True)
def _officer_account(life: Lifecycle) -> None:
    """OFFICER's account, which the leader's ``assign`` names (Đ14.3)."""
    open_account(life, OFFICER)


@dataclass
class Tracked:
    code: str
    token: str
    version: int


def actor_for(action: str) -> Actor:
    return ACTOR_OF_ROLE[sorted(ACTIONS[action].roles)[0]]


def do(life: Lifecycle, tracked: Tracked, action: str, actor: Actor | None = None, **extra: object):
    values = {**INPUTS[action], **extra}
    outcome = life.perform(
        actor or actor_for(action),
        tracked.code,
        action,
        version=tracked.version,
        token=tracked.token,
        **values,  # type: ignore[arg-type]
    )
    tracked.version = outcome.version
    return outcome


def report_in(life: Lifecycle, state: State, now: Clockwork | None = None) -> Tracked:
    new = road_report(
        confidential=state is State.ANSWERED_PRIVATELY, state_secret=state is State.RESTRICTED
    )
    submitted: Submitted = life.submit(new)
    tracked = Tracked(submitted.code, submitted.tracking_token, submitted.version)
    for action in PATHS[state]:
        do(life, tracked, action)
    return tracked


def counts(life: Lifecycle) -> tuple[int, int, int]:
    with life.uow.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Event)),
            session.scalar(select(func.sum(Report.version))),
            session.scalar(select(func.count()).select_from(OutboxMessage)),
        )


def state_of(life: Lifecycle, code: str) -> State:
    with life.uow.read() as session:
        return State(session.scalars(select(Report.state).where(Report.code == code)).one())


def test_every_action_for_every_role_in_every_state(life: Lifecycle) -> None:
    reports = {state: report_in(life, state) for state in State}
    assert {state: state_of(life, t.code) for state, t in reports.items()} == {s: s for s in State}
    for row in TABLE:
        if row.creates:
            continue
        for role, actor in ACTOR_OF_ROLE.items():
            for state, tracked in reports.items():
                allowed = role in row.roles and state in row.sources
                if allowed:
                    fresh = report_in(life, state)
                    for first in BEFORE.get(row.action, ()):
                        do(life, fresh, first)
                    outcome = do(life, fresh, row.action, actor)
                    assert outcome.state in row.targets(), (row.action, state)
                    continue
                before = counts(life)
                expected = Forbidden if role not in row.roles else WrongState
                with pytest.raises(expected):
                    do(life, tracked, row.action, actor)
                assert counts(life) == before, f"{row.action} by {role} in {state} wrote something"


def test_the_whole_path_published_rated_reopened_and_published_again(
    life: Lifecycle, now: Clockwork
) -> None:
    tracked = report_in(life, State.RECEIVED)
    steps = [
        ("classify", State.CLASSIFIED),
        ("forward", State.FORWARDED),
        ("accept", State.IN_PROGRESS),
        ("propose_result", State.PENDING_APPROVAL),
        ("return_to_officer", State.IN_PROGRESS),
        ("propose_result", State.PENDING_APPROVAL),
        ("edit_and_approve", State.APPROVED),
        ("publish", State.PUBLISHED),
        ("rate", State.PUBLISHED),
        ("reply", State.PUBLISHED),
        ("reopen", State.FORWARDED),
        ("accept", State.IN_PROGRESS),
        ("propose_result", State.PENDING_APPROVAL),
        ("approve", State.APPROVED),
        ("publish", State.PUBLISHED),
        ("rate", State.PUBLISHED),
    ]
    for action, expected in steps:
        now.value = now.value.replace(minute=now.value.minute + 1)
        assert do(life, tracked, action).state is expected, action
    do(life, tracked, "rate", rating="chap_nhan_duoc")  # a rating may be changed
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == tracked.code)).one()
        assert report.agency == "SXD" and report.routing_rule == "giao-thong-van-tai"
        assert report.rating == "chap_nhan_duoc" and len(report.ratings) == 3
        assert report.proposed_result == INPUTS["propose_result"]["result"]
        assert "Kính chào: Ông/Bà Nguyễn Văn An" in report.published_text
        assert "Sở Xây dựng" in report.published_text
        actions = [e.action for e in report.events]
        assert actions == ["submit", *[a for a, _ in steps], "rate"]
        assert [e.seq for e in report.events] == list(range(1, len(actions) + 1))
        kinds = [m.kind for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
        assert kinds.count("reporter.result") == 2 and "ioc.reply" in kinds


def test_confidential_report_is_answered_privately_without_the_name(life: Lifecycle) -> None:
    tracked = report_in(life, State.ANSWERED_PRIVATELY)
    assert state_of(life, tracked.code) is State.ANSWERED_PRIVATELY
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == tracked.code)).one()
        assert "Nguyễn Văn An" not in report.published_text  # Đ5.4: name not shown
        assert report.published_text.startswith("SỞ XÂY DỰNG")


def test_state_secret_is_restricted_and_nothing_is_published(life: Lifecycle) -> None:
    tracked = report_in(life, State.RESTRICTED)
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == tracked.code)).one()
        assert report.state == State.RESTRICTED and report.published_text is None
        outbox = session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.report_id == report.id)
        )
        assert "reporter.result" not in list(outbox)


def test_a_stale_version_is_refused_and_nothing_is_merged(life: Lifecycle) -> None:
    tracked = report_in(life, State.RECEIVED)
    stale = tracked.version
    do(life, tracked, "classify")
    before = counts(life)
    with pytest.raises(Conflict):
        life.perform(IOC, tracked.code, "request_info", version=stale, note="Thiếu ảnh.")
    assert counts(life) == before


def test_two_sessions_at_once_one_wins_one_conflicts(life: Lifecycle) -> None:
    tracked = report_in(life, State.RECEIVED)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def act(action: str, **inputs: object) -> None:
        barrier.wait()
        try:
            results.append(
                life.perform(IOC, tracked.code, action, version=tracked.version, **inputs)
            )
        except Conflict as exc:
            results.append(exc)

    threads = [
        threading.Thread(target=act, args=("classify",), kwargs={"sector": "giao-thong-van-tai"}),
        threading.Thread(target=act, args=("request_info",), kwargs={"note": "Thiếu ảnh."}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Outcome"]
    with life.uow.read() as session:
        events = session.scalars(
            select(Event.action).join(Report).where(Report.code == tracked.code)
        )
        assert len(list(events)) == 2  # submit and the winner, nothing of the loser


@pytest.mark.parametrize(
    ("action", "inputs", "error", "field"),
    [
        ("fly_away", {}, InvalidInput, "action"),
        ("request_info", {}, InvalidInput, "note"),
        ("request_info", {"note": "   "}, InvalidInput, "note"),
        ("classify", {}, InvalidInput, "sector"),
        ("classify", {"sector": "thoi-tiet"}, InvalidInput, "sector"),
        (
            "classify",
            {"sector": "giao-thong-van-tai", "rating": "hai_long"},
            InvalidInput,
            "rating",
        ),
        (
            "reject",
            {"reason": "Trùng.", "duplicate_of": "PA-2026-999999"},
            InvalidInput,
            "duplicate_of",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    life: Lifecycle, action: str, inputs: dict[str, object], error: type, field: str
) -> None:
    tracked = report_in(life, State.RECEIVED)
    before = counts(life)
    with pytest.raises(error) as caught:
        life.perform(IOC, tracked.code, action, version=tracked.version, **inputs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.message_vi and caught.value.message_en
    assert counts(life) == before


def test_unknown_report_and_wrong_token(life: Lifecycle) -> None:
    with pytest.raises(NotFound):
        life.perform(IOC, "PA-2026-999999", "classify", version=1, sector="dien")
    tracked = report_in(life, State.PUBLISHED)
    with pytest.raises(Forbidden):
        life.perform(
            REPORTER,
            tracked.code,
            "rate",
            version=tracked.version,
            token="guess",
            rating="hai_long",
        )


def test_forwarding_elsewhere_than_the_rules_needs_a_note(life: Lifecycle) -> None:
    tracked = report_in(life, State.CLASSIFIED)
    with pytest.raises(InvalidInput) as caught:
        do(life, tracked, "forward", agency="SYT")
    assert caught.value.field == "note"
    outcome = do(
        life, tracked, "forward", agency="SYT", note="Liên quan an toàn vệ sinh thực phẩm."
    )
    assert outcome.state is State.FORWARDED


def test_another_agencys_officer_cannot_act(life: Lifecycle) -> None:
    tracked = report_in(life, State.FORWARDED)
    with pytest.raises(Forbidden):
        do(life, tracked, "accept", Actor("Ngô Văn Phúc", Role.OFFICER, agency="SYT"))


def test_incomplete_report_is_refused_with_every_problem(life: Lifecycle) -> None:
    with pytest.raises(InvalidInput) as caught:
        life.submit(NewReport(name="", phone="12345", content=""))
    message = caught.value.message_vi
    assert "tên" in message.lower() or "họ" in message.lower()
    with life.uow.read() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_a_failure_half_way_leaves_nothing(
    life: Lifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracked = report_in(life, State.CLASSIFIED)
    before = counts(life)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the outbox is unreachable")

    monkeypatch.setattr(life, "notify", broken)
    with pytest.raises(RuntimeError):
        do(life, tracked, "forward")
    assert counts(life) == before
    assert state_of(life, tracked.code) is State.CLASSIFIED


def test_audit_verify_finds_an_edited_and_a_deleted_event(life: Lifecycle) -> None:
    first = report_in(life, State.FORWARDED)
    second = report_in(life, State.IN_PROGRESS)
    third = report_in(life, State.CLASSIFIED)
    with life.uow.read() as session:
        assert list(audit.verify(session)) == []
    with life.uow.begin() as session:
        event = session.scalars(
            select(Event).join(Report).where(Report.code == first.code, Event.action == "forward")
        ).one()
        event.note = "Chuyển cho Sở khác"  # an edit after the fact
        last = session.scalars(
            select(Event).join(Report).where(Report.code == second.code).order_by(Event.seq.desc())
        ).first()
        session.delete(last)  # the story's last step removed
    with life.uow.read() as session:
        breaks = {b.report_code: b for b in audit.verify(session)}
    assert set(breaks) == {first.code, second.code}
    assert "changed" in breaks[first.code].problem and breaks[first.code].event_id == event.id
    assert "deleted" in breaks[second.code].problem
    assert third.code not in breaks
