"""The desk's reads (R2, R11–R22, R26–R27, R31–R32): scope, queues, deadlines, disputes, search.

Reports are driven through the use cases at controlled times; each test makes only the few it
needs. A snapshot with a sub-unit of Sở Xây dựng stands for Đ14.3.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime

import pytest
from sqlalchemy import select

from engine.config.snapshot import Agency, Snapshot
from engine.services import queues
from engine.services.lifecycle import Actor, Lifecycle
from engine.services.queues import Filters, Row, Standing, span_vi
from engine.store.db import UnitOfWork
from engine.store.models import Report
from engine.workflow import Role, State
from tests.services.conftest import (
    ADMIN,
    AUDITOR,
    IOC,
    LEADER,
    OFFICER,
    OTHER_OFFICER,
    VIEWER,
    VN,
    Clockwork,
    road_report,
)

UNIT = "SXD-QLGT"
UNIT_OFFICER = Actor("Lý Văn Sang", Role.OFFICER, agency=UNIT)
OTHER_LEADER = Actor("Bùi Thị Quyên", Role.LEADER, agency="SYT")
NOBODYS_OFFICER = Actor("Tô Văn Út", Role.OFFICER, agency=None)
REPORTER = Actor("người phản ánh", Role.REPORTER)


@pytest.fixture
def desk_snapshot(snapshot: Snapshot) -> Snapshot:
    """The configuration with a sub-unit under Sở Xây dựng (Đ14.3)."""
    unit = Agency(UNIT, "Phòng Quản lý giao thông", "phong", parent="SXD")
    return replace(snapshot, agencies={**snapshot.agencies, UNIT: unit})


@pytest.fixture
def life(uow: UnitOfWork, desk_snapshot: Snapshot, now: Clockwork) -> Lifecycle:
    return Lifecycle(uow, desk_snapshot, now=now)


def version(life: Lifecycle, code: str) -> int:
    with life.uow.read() as session:
        return session.scalars(select(Report.version).where(Report.code == code)).one()


def act(life: Lifecycle, who: Actor, code: str, action: str, **inputs: object) -> State:
    outcome = life.perform(who, code, action, version=version(life, code), **inputs)  # type: ignore[arg-type]
    return outcome.state


#: The tracking token of each report made by the test running (for the reporter's actions).
TOKENS: dict[str, str] = {}


def road(life: Lifecycle, *steps: str, **changes: object) -> str:
    """A pothole report (Sở Xây dựng), taken through ``steps``."""
    submitted = life.submit(road_report(**changes))
    TOKENS[submitted.code] = submitted.tracking_token
    return drive(life, submitted.code, *steps)


def health(life: Lifecycle, *steps: str) -> str:
    """A food-safety report (Sở Y tế), taken through ``steps``."""
    new = road_report(
        content="Cơ sở bán thực phẩm không rõ nguồn gốc, nghi ngộ độc thực phẩm ở chợ.",
        address="Chợ Phước Hậu",
    )
    code = life.submit(new).code
    return drive(life, code, *steps, sector="suc-khoe", officer=OTHER_OFFICER, leader=OTHER_LEADER)


def drive(
    life: Lifecycle,
    code: str,
    *steps: str,
    sector: str = "giao-thong-van-tai",
    officer: Actor = OFFICER,
    leader: Actor = LEADER,
) -> str:
    inputs: dict[str, dict[str, object]] = {
        "classify": {"sector": sector},
        "request_info": {"note": "Xin bổ sung ảnh."},
        "return_to_ioc": {"reason": "Không thuộc phạm vi."},
        "escalate": {"note": "Hai cơ quan cùng trả lại."},
        "propose_result": {"result": "Đã khắc phục."},
        "request_extension": {"reason": "Cần thêm thời gian.", "due": "2026-05-29T17:00+07:00"},
        "reopen": {"note": "Người dân đề nghị làm rõ."},
    }
    who = {
        "accept": officer,
        "return_to_ioc": officer,
        "propose_result": officer,
        "request_extension": officer,
        "approve": leader,
        "publish": leader,
    }
    for step in steps:
        act(life, who.get(step, IOC), code, step, **inputs.get(step, {}))
    return code


def visible_codes(life: Lifecycle, actor: Actor) -> set[str]:
    with life.uow.read() as session:
        return set(session.scalars(select(Report.code).where(queues.visible(life.snapshot, actor))))


def queue_codes(life: Lifecycle, actor: Actor, now: datetime, **kw: object) -> dict[str, list[str]]:
    with life.uow.read() as session:
        return {
            v.queue.key: [r.code for r in v.rows]
            for v in queues.my_queues(session, life, actor, now, **kw)  # type: ignore[arg-type]
        }


# -- scope -----------------------------------------------------------------------------------------


def test_each_role_sees_its_scope_and_the_sql_agrees_with_in_scope(life: Lifecycle) -> None:
    own = road(life, "classify", "forward")
    unit = road(life, "classify", "forward")
    act(life, LEADER, unit, "assign", unit=UNIT)
    other = health(life, "classify", "forward")
    new = road(life)
    everything = {own, unit, other, new}
    expected = {
        IOC: everything,
        ADMIN: everything,
        VIEWER: everything,
        AUDITOR: everything,
        OFFICER: {own, unit},  # its agency and its sub-unit
        LEADER: {own, unit},
        UNIT_OFFICER: {unit},  # the sub-unit sees only what it was given
        OTHER_OFFICER: {other},
        OTHER_LEADER: {other},
        NOBODYS_OFFICER: set(),  # an officer without an agency sees nothing
        REPORTER: set(),
    }
    with life.uow.read() as session:
        reports = {r.code: r for r in session.scalars(select(Report))}
        for who, codes in expected.items():
            assert visible_codes(life, who) == codes, who
            readable = {c for c, r in reports.items() if queues.may_read(life, who, r)}
            assert readable == codes, who
            if who.role in queues.AGENCY_ROLES and who.agency:
                in_scope = {c for c, r in reports.items() if life.in_scope(who, r)}
                assert in_scope == codes, who


def test_agency_tree_walks_every_level(desk_snapshot: Snapshot) -> None:
    deeper = Agency("SXD-QLGT-DOI1", "Đội 1", "doi", parent=UNIT)
    snap = replace(desk_snapshot, agencies={**desk_snapshot.agencies, deeper.code: deeper})
    assert queues.agency_tree(snap, "SXD") == {"SXD", UNIT, deeper.code}
    assert queues.agency_tree(snap, UNIT) == {UNIT, deeper.code}
    assert queues.agency_tree(snap, "SYT") == {"SYT"}
    assert "IOC" in queues.agency_tree(snap, "SKHCN")  # the IOC is under Sở KH&CN


def test_actions_are_the_tables_filtered_by_scope(life: Lifecycle) -> None:
    forwarded = road(life, "classify", "forward")
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == forwarded)).one()
        names = {
            who: [row.action for row in queues.actions_for(life, who, report)]
            for who in (IOC, OFFICER, LEADER, OTHER_OFFICER, VIEWER, AUDITOR, ADMIN)
        }
    assert names[OFFICER] == ["accept", "return_to_ioc"]
    assert names[LEADER] == ["assign", "mark_secret_before_publication"]
    assert names[OTHER_OFFICER] == [] and names[VIEWER] == [] and names[AUDITOR] == []
    assert names[IOC] == [] and names[ADMIN] == []


# -- queues ----------------------------------------------------------------------------------------


def test_the_ioc_queues(life: Lifecycle, now: Clockwork) -> None:
    new = road(life)
    classified = road(life, "classify")
    needs_info = road(life, "request_info")
    returned = road(life, "classify", "forward", "return_to_ioc")
    escalated = road(life, "classify", "forward", "return_to_ioc", "escalate")
    answered = ("classify", "forward", "accept", "propose_result", "approve", "publish")
    replied = road(life, *answered)
    rated_badly = road(life, *answered)
    rated_well = road(life, *answered)
    quiet = road(life, *answered)
    for code, action, inputs in (
        (replied, "reply", {"text": "Xin cho biết khi nào sơn lại vạch?"}),
        (rated_badly, "rate", {"rating": "khong_hai_long"}),
        (rated_well, "rate", {"rating": "hai_long"}),
    ):
        _as_reporter(life, code, action, **inputs)
    found = queue_codes(life, IOC, now())
    assert found == {
        "moi": [new],
        "cho-chuyen": [classified],
        "cho-bo-sung": [needs_info],
        "bi-tra-lai": [returned],
        "chuyen-cap-tren": [escalated],
        "phan-hoi": sorted([replied, rated_badly]),
    }
    assert quiet not in found["phan-hoi"] and rated_well not in found["phan-hoi"]


def _as_reporter(life: Lifecycle, code: str, action: str, **inputs: object) -> None:
    """The reporter's reply or rating, with the tracking token they were given."""
    token = TOKENS[code]
    current = version(life, code)
    life.perform(REPORTER, code, action, version=current, token=token, **inputs)  # type: ignore[arg-type]


def test_a_reply_leaves_the_queue_once_the_report_is_reopened_and_answered_again(
    life: Lifecycle, now: Clockwork
) -> None:
    answered = ("classify", "forward", "accept", "propose_result", "approve", "publish")
    code = road(life, *answered)
    _as_reporter(life, code, "reply", text="Chưa rõ, xin làm rõ.")
    with life.uow.read() as session:
        view = queues.queue_rows(session, life, IOC, queues.REPLIES, now())
    assert [r.code for r in view.rows] == [code] and view.rows[0].pending_replies == 1
    now.value = now.value.replace(hour=9)
    drive(life, code, "reopen", "accept", "propose_result", "approve", "publish")
    assert code not in queue_codes(life, IOC, now())["phan-hoi"]


def test_the_agency_queues_hold_only_the_agencys_reports(life: Lifecycle, now: Clockwork) -> None:
    to_verify = road(life, "classify", "forward")
    in_progress = road(life, "classify", "forward", "accept")
    to_approve = road(life, "classify", "forward", "accept", "propose_result")
    to_publish = road(life, "classify", "forward", "accept", "propose_result", "approve")
    others = [
        health(life, "classify", "forward"),
        health(life, "classify", "forward", "accept", "propose_result"),
    ]
    expected = {
        "cho-xac-minh": [to_verify],
        "dang-xu-ly": [in_progress],
        "cho-phe-duyet": [to_approve],
        "cho-cong-khai": [to_publish],
    }
    officer = queue_codes(life, OFFICER, now())
    # "Được giao cho tôi": those the officer accepted, until they are answered
    assert set(officer.pop("giao-cho-toi")) == {in_progress, to_approve, to_publish}
    assert officer == expected
    leader = queue_codes(life, LEADER, now())
    assert leader == expected and list(leader)[0] == "cho-phe-duyet"  # the leader's first
    syt = queue_codes(life, OTHER_OFFICER, now())
    assert {c for codes in syt.values() for c in codes} == set(others)
    assert queue_codes(life, VIEWER, now()) == {"qua-han": [], "sap-den-han": []}
    assert queue_codes(life, AUDITOR, now()) == {}


def test_a_requested_extension_is_flagged_for_the_leader(life: Lifecycle, now: Clockwork) -> None:
    code = road(life, "classify", "forward", "accept", "request_extension")
    with life.uow.read() as session:
        rows = queues.queue_rows(session, life, LEADER, queues.IN_PROGRESS, now()).rows
    assert [(r.code, r.extension_requested) for r in rows] == [(code, True)]


# -- deadlines -------------------------------------------------------------------------------------


def test_span_and_deadline_words() -> None:
    assert span_vi(200, 480) == "3 giờ 20 phút"
    assert span_vi(480 + 120, 480) == "1 ngày 2 giờ"
    assert span_vi(0, 480) == "0 phút"
    assert span_vi(45, 480) == "45 phút"


@pytest.mark.parametrize(
    ("at", "standing", "remaining", "text"),
    [
        ("2026-04-22T08:00+07:00", Standing.ON_TIME, 120, "còn 2 giờ làm việc"),
        ("2026-04-22T08:50+07:00", Standing.ON_TIME, 70, "còn 1 giờ 10 phút làm việc"),
        ("2026-04-22T09:40+07:00", Standing.WARNING, 20, "còn 20 phút làm việc"),
        ("2026-04-22T10:30+07:00", Standing.LATE, -30, "quá 30 phút"),
        ("2026-04-22T12:00+07:00", Standing.LATE, -60, "quá 1 giờ"),  # lunch is not counted
        ("2026-04-23T08:00+07:00", Standing.LATE, -360, "quá 6 giờ"),
        ("2026-04-24T09:00+07:00", Standing.LATE, -900, "quá 1 ngày 7 giờ"),
    ],
)
def test_the_deadline_badge_at_a_controlled_time(
    life: Lifecycle, now: Clockwork, at: str, standing: Standing, remaining: int, text: str
) -> None:
    code = road(life)  # received Wednesday 22/4/2026 08:00: 2 working hours to classify (Đ6)
    with life.uow.read() as session:
        row = queues.queue_rows(session, life, IOC, queues.NEW, datetime.fromisoformat(at)).rows[0]
    assert row.code == code and row.deadline is not None
    assert row.deadline.step == "intake"
    assert (row.deadline.standing, row.deadline.remaining_minutes) == (standing, remaining)
    assert row.deadline.text == text
    assert row.deadline.label == queues.STANDING_LABELS[standing]


def test_a_paused_clock_and_the_most_urgent_clock(life: Lifecycle, now: Clockwork) -> None:
    paused = road(life, "request_info")
    approving = road(life, "classify", "forward", "accept", "propose_result")
    at = datetime(2026, 4, 22, 9, 0, tzinfo=VN)
    with life.uow.read() as session:
        row = queues.queue_rows(session, life, IOC, queues.NEEDS_INFO, at).rows[0]
        leader_rows = queues.queue_rows(session, life, LEADER, queues.TO_APPROVE, at).rows
    assert row.code == paused and row.deadline is not None
    assert row.deadline.standing is Standing.PAUSED and row.deadline.label == "Tạm dừng"
    assert row.deadline.text == "tạm dừng, còn 2 giờ làm việc"
    # handle is paused while the leader approves: the running approve clock is the one shown.
    assert leader_rows[0].code == approving and leader_rows[0].deadline.step == "approve"


def test_late_reports_are_in_the_overdue_queues_and_filter(life: Lifecycle, now: Clockwork) -> None:
    late = road(life)
    now.value = datetime(2026, 4, 22, 9, 30, tzinfo=VN)
    soon = road(life, "classify", "forward")  # verify: 1 working day from 09:30
    fresh = road(life)  # intake: 2 hours from 09:30
    at = datetime(2026, 4, 23, 8, 0, tzinfo=VN)  # soon: 7 h of 8 used → warning
    assert queue_codes(life, ADMIN, at)["qua-han"] == [late, fresh]
    assert queue_codes(life, VIEWER, at) == {"qua-han": [late, fresh], "sap-den-han": [soon]}
    with life.uow.read() as session:
        found = queues.search(session, life, IOC, Filters(overdue=True), at)
    assert {r.code for r in found.rows} == {late, fresh}
    assert all(r.deadline and r.deadline.standing is Standing.LATE for r in found.rows)


# -- disputes (Đ3.8) -------------------------------------------------------------------------------


def test_returned_by_two_agencies_goes_to_the_administrator_who_designates(
    life: Lifecycle, now: Clockwork
) -> None:
    code = road(life, "classify", "forward", "return_to_ioc")  # Sở Xây dựng returns it
    once = road(life, "classify", "forward", "return_to_ioc", "classify", "forward")
    drive(life, once, "return_to_ioc")  # the same agency twice: not a dispute
    with life.uow.read() as session:
        first = queues.queue_rows(session, life, IOC, queues.RETURNED, now()).rows
    assert {r.code: r.disputed for r in first} == {code: False, once: False}
    drive(life, code, "classify", sector="suc-khoe")
    drive(life, code, "forward")
    drive(life, code, "return_to_ioc", officer=OTHER_OFFICER)  # Sở Y tế returns it too
    with life.uow.read() as session:
        ioc_rows = queues.queue_rows(session, life, IOC, queues.RETURNED, now()).rows
        row = next(r for r in ioc_rows if r.code == code)
    assert row.disputed and row.returned_by == ("SXD", "SYT")
    assert queue_codes(life, ADMIN, now())["tranh-chap"] == [code]
    drive(life, code, "escalate")
    admin = queue_codes(life, ADMIN, now())
    assert admin["chuyen-cap-tren"] == [code] and admin["tranh-chap"] == []
    state = act(life, ADMIN, code, "designate", agency="SYT", committee=True, note="Sở chỉ định.")
    assert state is State.FORWARDED
    assert queue_codes(life, OTHER_OFFICER, now())["cho-xac-minh"] == [code]
    assert queue_codes(life, ADMIN, now())["chuyen-cap-tren"] == []


# -- search ----------------------------------------------------------------------------------------


def test_search_and_filters_within_the_readers_scope(life: Lifecycle, now: Clockwork) -> None:
    road_code = road(life, "classify", "forward")
    health_code = health(life, "classify", "forward")
    new = road(life, content="Rác thải ùn ứ ở đầu hẻm 12, bốc mùi hôi.", address="Hẻm 12")

    def codes(who: Actor, **kw: object) -> list[str]:
        with life.uow.read() as session:
            page = queues.search(session, life, who, Filters(**kw), now())  # type: ignore[arg-type]
        return [r.code for r in page.rows]

    assert codes(IOC) == [new, health_code, road_code]  # newest first
    assert codes(IOC, text="o ga") == [road_code]  # without diacritics
    assert codes(IOC, text="RÁC thải") == [new]
    assert codes(IOC, text=road_code.lower()) == [road_code]
    assert codes(IOC, state=State.RECEIVED) == [new]
    assert codes(IOC, sector="suc-khoe") == [health_code]
    assert codes(IOC, agency="SXD") == [road_code]
    assert codes(IOC, area="29557") == [new, health_code, road_code]
    assert codes(IOC, area="28756") == []
    assert codes(OFFICER) == [road_code]
    assert codes(OTHER_OFFICER, text="o ga") == []
    assert codes(VIEWER, text="%") == [] and codes(VIEWER, text="_") == []


def test_search_pages(life: Lifecycle, now: Clockwork) -> None:
    made = [road(life) for _ in range(5)]
    with life.uow.read() as session:
        first = queues.search(session, life, IOC, Filters(), now(), page=1, size=2)
        last = queues.search(session, life, IOC, Filters(), now(), page=9, size=2)
    assert first.total == 5 and first.pages == 3 and [r.code for r in first.rows] == made[::-1][:2]
    assert last.page == 3 and [r.code for r in last.rows] == [made[0]]


# -- paging: in SQL, by position (keyset), with capped counts -------------------------------------


def _walk(life: Lifecycle, who: Actor, queue: queues.Queue, at: datetime, size: int) -> list[list]:
    """Every page of ``queue``, following each page's ``next`` position."""
    pages, after = [], None
    with life.uow.read() as session:
        while True:
            view = queues.queue_rows(session, life, who, queue, at, limit=size, after=after)
            pages.append([r.code for r in view.rows])
            if view.next is None:
                return pages
            after = view.next


def test_a_queue_pages_by_position_most_urgent_first(life: Lifecycle, now: Clockwork) -> None:
    made = []
    for minute in range(5):  # intake clocks due 2 working hours after each report
        now.value = datetime(2026, 4, 22, 8, minute * 10, tzinfo=VN)
        made.append(road(life))
    at = datetime(2026, 4, 22, 10, 15, tzinfo=VN)  # the first two are late by now
    pages = _walk(life, IOC, queues.NEW, at, size=2)
    assert pages == [made[0:2], made[2:4], made[4:5]]
    with life.uow.read() as session:
        first = queues.queue_rows(session, life, IOC, queues.NEW, at, limit=2)
    assert first.total == 5 and first.count_text == "5" and first.next is not None


def test_the_replies_queue_pages_too(life: Lifecycle, now: Clockwork) -> None:
    answered = ("classify", "forward", "accept", "propose_result", "approve", "publish")
    made = [road(life, *answered) for _ in range(3)]
    for code in made:
        _as_reporter(life, code, "reply", text="Xin làm rõ thêm.")
    assert _walk(life, IOC, queues.REPLIES, now(), size=2) == [made[:2], made[2:]]


def test_a_count_past_the_cap_says_more_than(
    life: Lifecycle, now: Clockwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queues.keyset, "COUNT_CAP", 3)
    for _ in range(5):
        road(life)
    with life.uow.read() as session:
        view = queues.queue_rows(session, life, IOC, queues.NEW, now(), limit=2)
    assert view.total == 4 and view.count_text == "hơn 3" and len(view.rows) == 2
    assert queues.keyset.count_text(4, 1000) == "4"
    assert queues.keyset.count_text(1001, 1000) == "hơn 1 000"


@pytest.mark.parametrize(
    "token", ["x", "t1.t2", "t1.t2.z3", "t1.t2.i", "t99999999999999999999.t1.i1"]
)
def test_a_position_that_was_not_written_here_is_refused(
    life: Lifecycle, now: Clockwork, token: str
) -> None:
    road(life)
    with life.uow.read() as session, pytest.raises(queues.keyset.BadCursor):
        queues.queue_rows(session, life, IOC, queues.NEW, now(), after=token)


def test_the_warning_queue_is_chosen_in_sql_by_each_clocks_allowance(
    life: Lifecycle, now: Clockwork
) -> None:
    now.value = datetime(2026, 4, 22, 9, 30, tzinfo=VN)
    verify = road(life, "classify", "forward")  # verify: 1 working day, due 23/4 09:30
    intake = road(life)  # intake: 2 working hours, due 22/4 11:30
    at = datetime(2026, 4, 22, 10, 30, tzinfo=VN)  # intake half used; verify an eighth
    assert queue_codes(life, VIEWER, at)["sap-den-han"] == []
    at = datetime(2026, 4, 22, 11, 15, tzinfo=VN)  # intake: 15 min of 120 left → warning
    assert queue_codes(life, VIEWER, at)["sap-den-han"] == [intake]
    at = datetime(2026, 4, 23, 8, 0, tzinfo=VN)  # intake late; verify: 90 min of 480 left
    assert queue_codes(life, VIEWER, at) == {"qua-han": [intake], "sap-den-han": [verify]}


# -- what rows and pages carry ---------------------------------------------------------------------


def test_rows_never_carry_the_reporters_identity(life: Lifecycle, now: Clockwork) -> None:
    road(life, "classify", "forward")
    assert not {f.name for f in fields(Row)} & {"name", "phone", "email", "reporter"}
    with life.uow.read() as session:
        rows = queues.search(session, life, IOC, Filters(), now()).rows
    assert rows and all("Nguyễn Văn An" not in repr(r) and "0909" not in repr(r) for r in rows)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        (IOC, True),
        (ADMIN, True),
        (OFFICER, True),
        (LEADER, True),
        (VIEWER, False),
        (AUDITOR, False),
    ],
)
def test_the_report_view_shows_the_reporter_only_to_who_contacts_them(
    life: Lifecycle, now: Clockwork, who: Actor, sees: bool
) -> None:
    code = road(life, "classify", "forward")
    with life.uow.read() as session:
        view = queues.report_view(session, life, who, code, now())
    assert (view.reporter is not None) is sees
    if sees:
        assert (view.reporter.name, view.reporter.phone) == ("Nguyễn Văn An", "0909 123 456")
    assert view.read_only is (who.role in queues.READ_ONLY)


def test_the_report_view_refuses_outside_the_scope(life: Lifecycle, now: Clockwork) -> None:
    from engine.services.errors import Forbidden, NotFound

    code = road(life, "classify", "forward")
    with life.uow.read() as session, pytest.raises(Forbidden) as refused:
        queues.report_view(session, life, OTHER_OFFICER, code, now())
    assert "không thuộc phạm vi" in refused.value.message_vi
    with life.uow.read() as session, pytest.raises(NotFound):
        queues.report_view(session, life, IOC, "PA-2026-999999", now())


@pytest.mark.parametrize(
    ("changes", "level", "named"),
    [
        ({}, "public", True),
        ({"confidential": True}, "private", False),
        ({"state_secret": True}, "restricted", None),
    ],
)
def test_the_preview_is_what_publishing_writes(
    life: Lifecycle, now: Clockwork, changes: dict[str, bool], level: str, named: bool | None
) -> None:
    code = road(life, "classify", "forward", "accept", "propose_result", "approve", **changes)
    with life.uow.read() as session:
        view = queues.report_view(session, life, LEADER, code, now())
    assert view.preview is not None and view.preview.level == level
    act(life, LEADER, code, "publish")
    with life.uow.read() as session:
        published = session.scalars(select(Report.published_text).where(Report.code == code)).one()
    assert view.preview.text == published
    if named is None:
        assert view.preview.text is None
    else:
        assert view.preview.text.startswith("SỞ XÂY DỰNG")
        assert ("Nguyễn Văn An" in view.preview.text) is named
        assert "Đã khắc phục." in view.preview.text


def test_every_staff_role_has_its_queues_defined() -> None:
    assert set(queues.QUEUES) == set(queues.STAFF_ROLES)
    keys = [q.key for qs in queues.QUEUES.values() for q in qs]
    by_key = {q.key: q for qs in queues.QUEUES.values() for q in qs}
    assert len(by_key) == len(set(keys))
    for queue in by_key.values():
        assert queue.kind in {"states", "disputes", "replies", "late", "warning", "mine"}
        assert queue.kind in {"late", "warning"} or queue.states
