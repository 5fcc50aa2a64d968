"""Assignment down the agency tree (Đ14.3, R32) and a leader's refusal of an extension (Đ8.B3).

Each unit's leader gives a report to a sub-unit directly under their unit, or to an officer
account of their unit — chosen from the accounts, never a typed name; anything else is refused
with a Vietnamese sentence and nothing is written. A sub-unit's leader gives it on further down.
The officer finds what was given to them under "Được giao cho tôi".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import select

from engine.config.snapshot import Agency, Snapshot
from engine.services import assignment, queues
from engine.services.errors import Forbidden, InvalidInput
from engine.services.lifecycle import Actor, Lifecycle
from engine.store.db import UnitOfWork
from engine.store.models import Clock, Event, Extension, Report, User
from engine.workflow import Role, State
from tests.services.conftest import IOC, LEADER, OFFICER, Clockwork, open_account, road_report
from tests.services.test_lifecycle import counts

UNIT, TEAM = "SXD-QLGT", "SXD-QLGT-DOI1"
SECOND_OFFICER = Actor("Trương Văn Lợi", Role.OFFICER, agency="SXD", account="canbo2.sxd")
UNIT_LEADER = Actor("Lâm Văn Tài", Role.LEADER, agency=UNIT, account="lanhdao.qlgt")
UNIT_OFFICER = Actor("Lý Văn Sang", Role.OFFICER, agency=UNIT, account="canbo.qlgt")
TEAM_OFFICER = Actor("Mai Thị Tư", Role.OFFICER, agency=TEAM, account="canbo.doi1")
HEALTH_OFFICER = Actor("Ngô Văn Phúc", Role.OFFICER, agency="SYT", account="canbo.syt")
REFUSAL = "Khối lượng công việc nhỏ, đủ thời gian xử lý trong hạn; không đồng ý gia hạn."


@pytest.fixture
def tree(snapshot: Snapshot) -> Snapshot:
    """Sở Xây dựng › Phòng Quản lý giao thông › Đội 1."""
    unit = Agency(UNIT, "Phòng Quản lý giao thông", "phong", parent="SXD")
    team = Agency(TEAM, "Đội Quản lý giao thông số 1", "doi", parent=UNIT)
    return replace(snapshot, agencies={**snapshot.agencies, UNIT: unit, TEAM: team})


@pytest.fixture
def life(uow: UnitOfWork, tree: Snapshot, now: Clockwork) -> Lifecycle:
    life = Lifecycle(uow, tree, now=now)
    for who in (OFFICER, SECOND_OFFICER, UNIT_LEADER, UNIT_OFFICER, TEAM_OFFICER, HEALTH_OFFICER):
        open_account(life, who)
    return life


def version(life: Lifecycle, code: str) -> int:
    with life.uow.read() as session:
        return session.scalars(select(Report.version).where(Report.code == code)).one()


def act(life: Lifecycle, who: Actor, code: str, action: str, **inputs: object) -> State:
    return life.perform(who, code, action, version=version(life, code), **inputs).state  # type: ignore[arg-type]


def forwarded(life: Lifecycle) -> str:
    """A pothole report forwarded to Sở Xây dựng."""
    code = life.submit(road_report()).code
    act(life, IOC, code, "classify", sector="giao-thong-van-tai")
    act(life, IOC, code, "forward")
    return code


def holder(life: Lifecycle, code: str) -> tuple[str | None, str | None, str | None]:
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        return report.unit, report.officer, report.officer_account


def mine(life: Lifecycle, who: Actor, now: datetime, limit: int = 50, after: str | None = None):  # noqa: ANN201
    with life.uow.read() as session:
        return queues.queue_rows(session, life, who, queues.MINE, now, limit=limit, after=after)


def mine_codes(life: Lifecycle, who: Actor, now: datetime) -> list[str]:
    return [row.code for row in mine(life, who, now).rows]


# -- whom a leader may choose ----------------------------------------------------------------------


def test_a_leader_chooses_among_the_units_sub_units_and_its_own_officers(life: Lifecycle) -> None:
    with life.uow.read() as session:
        top = assignment.targets(session, life.snapshot, "SXD")
        middle = assignment.targets(session, life.snapshot, UNIT)
        science = assignment.targets(session, life.snapshot, "SKHCN")
    assert [u.code for u in top.sub_units] == [UNIT]  # not the team below it: its leader's
    assert [o.account for o in top.officers] == ["canbo.sxd", "canbo2.sxd"]
    assert [u.code for u in middle.sub_units] == [TEAM]
    assert [o.account for o in middle.officers] == ["canbo.qlgt"]
    assert science.sub_units == ()  # the IOC is under Sở KH&CN but handles nothing (Đ6, Đ7)


def test_a_deactivated_officer_is_no_longer_offered(life: Lifecycle) -> None:
    with life.uow.begin() as session:
        session.scalars(select(User).where(User.username == "canbo2.sxd")).one().active = False
    with life.uow.read() as session:
        offered = assignment.targets(session, life.snapshot, "SXD").officers
    assert [o.account for o in offered] == ["canbo.sxd"]
    code = forwarded(life)
    with pytest.raises(InvalidInput):
        act(life, LEADER, code, "assign", officer="canbo2.sxd")


# -- down the tree ---------------------------------------------------------------------------------


def test_the_leader_assigns_to_an_officer_who_finds_it_given_to_them(
    life: Lifecycle, now: Clockwork
) -> None:
    code = forwarded(life)
    assert act(life, LEADER, code, "assign", officer="canbo2.sxd") is State.FORWARDED
    assert holder(life, code) == (None, "Trương Văn Lợi", "canbo2.sxd")
    assert mine_codes(life, SECOND_OFFICER, now()) == [code]
    assert mine_codes(life, OFFICER, now()) == []  # the agency's other officer: not theirs
    with life.uow.read() as session:
        event = session.scalars(select(Event).where(Event.action == "assign")).one()
        assert event.actor == LEADER.name
        assert event.data == {
            "unit": None,
            "officer": "Trương Văn Lợi",
            "officer_account": "canbo2.sxd",
        }
    # It stays theirs while it is handled, and leaves the queue once answered.
    act(life, SECOND_OFFICER, code, "accept")
    assert holder(life, code)[2] == "canbo2.sxd"
    act(life, SECOND_OFFICER, code, "propose_result", result="Đã vá ổ gà.")
    act(life, LEADER, code, "approve")
    assert mine_codes(life, SECOND_OFFICER, now()) == [code]
    act(life, LEADER, code, "publish")
    assert mine_codes(life, SECOND_OFFICER, now()) == []


def test_a_sub_units_leader_assigns_on_to_an_officer_of_the_sub_unit(
    life: Lifecycle, now: Clockwork
) -> None:
    code = forwarded(life)
    act(life, LEADER, code, "assign", unit=UNIT)
    assert holder(life, code) == (UNIT, None, None)
    act(life, UNIT_LEADER, code, "assign", officer="canbo.qlgt")
    assert holder(life, code) == (UNIT, "Lý Văn Sang", "canbo.qlgt")
    assert mine_codes(life, UNIT_OFFICER, now()) == [code]
    assert act(life, UNIT_OFFICER, code, "accept") is State.IN_PROGRESS
    # ... and further down, to the team, whose officer then sees it in their scope.
    act(life, UNIT_LEADER, code, "assign", unit=TEAM)
    assert holder(life, code) == (TEAM, None, None)
    assert mine_codes(life, UNIT_OFFICER, now()) == []
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        assert life.in_scope(TEAM_OFFICER, report)
    # The agency's leader can take it back to one of the agency's own officers.
    act(life, LEADER, code, "assign", officer="canbo.sxd")
    assert holder(life, code) == (None, "Phạm Minh Đức", "canbo.sxd")


def test_an_officer_who_accepts_an_unassigned_report_holds_it(
    life: Lifecycle, now: Clockwork
) -> None:
    code = forwarded(life)
    act(life, OFFICER, code, "accept")
    assert holder(life, code) == (None, "Phạm Minh Đức", "canbo.sxd")
    assert mine_codes(life, OFFICER, now()) == [code]


@pytest.mark.parametrize(
    ("who", "inputs", "field", "words"),
    [
        # a typed name, even a real officer's, is not an account
        (LEADER, {"officer": "Phạm Minh Đức"}, "officer", "không phải tài khoản cán bộ"),
        (LEADER, {"officer": "canbo.syt"}, "officer", "Sở Xây dựng"),  # another agency's
        (LEADER, {"officer": "canbo.qlgt"}, "officer", "danh sách"),  # the sub-unit's leader's
        (LEADER, {"officer": "lanhdao.qlgt"}, "officer", "không phải tài khoản cán bộ"),
        (LEADER, {"unit": TEAM}, "unit", "Phòng Quản lý giao thông"),  # not directly under SXD
        (LEADER, {"unit": "SYT"}, "unit", "không phải đơn vị trực thuộc"),
        (LEADER, {"unit": "IOC"}, "unit", "không phải đơn vị trực thuộc"),
        (LEADER, {"unit": UNIT, "officer": "canbo.sxd"}, "unit", "Chọn một trong hai"),
        (LEADER, {}, "officer", "Cần chọn"),
    ],
)
def test_anything_outside_the_leaders_unit_is_refused_and_nothing_changes(
    life: Lifecycle, who: Actor, inputs: dict[str, str], field: str, words: str
) -> None:
    code = forwarded(life)
    before = counts(life), holder(life, code)
    with pytest.raises(InvalidInput) as refused:
        act(life, who, code, "assign", **inputs)
    assert refused.value.field == field
    assert words in refused.value.message_vi
    assert "Chưa có gì được ghi" in refused.value.message_vi or not inputs
    assert (counts(life), holder(life, code)) == before


def test_a_sub_units_leader_cannot_act_on_what_was_not_given_to_the_sub_unit(
    life: Lifecycle,
) -> None:
    code = forwarded(life)  # held by Sở Xây dựng itself
    with pytest.raises(Forbidden):
        act(life, UNIT_LEADER, code, "assign", officer="canbo.qlgt")
    act(life, LEADER, code, "assign", unit=UNIT)
    with pytest.raises(InvalidInput):  # the agency's officer is not the sub-unit's to give
        act(life, UNIT_LEADER, code, "assign", officer="canbo.sxd")


def test_the_queue_given_to_me_pages_in_sql(life: Lifecycle, now: Clockwork) -> None:
    codes = [forwarded(life) for _ in range(3)]
    for code in codes:
        act(life, LEADER, code, "assign", officer="canbo2.sxd")
    first = mine(life, SECOND_OFFICER, now(), limit=2)
    assert first.total == 3 and len(first.rows) == 2 and first.next
    second = mine(life, SECOND_OFFICER, now(), limit=2, after=first.next)
    assert [r.code for r in (*first.rows, *second.rows)] == codes  # same due time: oldest first
    assert second.next is None
    assert mine(life, replace(SECOND_OFFICER, account=None), now()).rows == ()


def test_the_officer_has_the_queue_first_and_the_index_serves_it() -> None:
    assert queues.QUEUES[Role.OFFICER][0] is queues.MINE
    assert queues.MINE.title == "Được giao cho tôi"
    indexes = {ix.name: [c.name for c in ix.columns] for ix in Report.__table__.indexes}
    assert indexes["ix_reports_officer_account"] == ["officer_account", "state"]


# -- refusing an extension -------------------------------------------------------------------------


def handled(life: Lifecycle) -> str:
    code = forwarded(life)
    act(life, OFFICER, code, "accept")
    return code


def handle_due(life: Lifecycle, code: str) -> tuple[datetime, datetime]:
    with life.uow.read() as session:
        clock = session.scalars(
            select(Clock)
            .join(Report, Report.id == Clock.report_id)
            .where(Report.code == code, Clock.step == "handle")
        ).one()
        return clock.due_at, clock.base_due_at


def test_a_leader_refuses_an_extension_and_the_clock_keeps_its_due_time(
    life: Lifecycle, now: Clockwork
) -> None:
    code = handled(life)
    due = handle_due(life, code)
    act(
        life, OFFICER, code, "request_extension", reason="Chờ vật tư.", due="2026-05-29T17:00+07:00"
    )
    assert act(life, LEADER, code, "refuse_extension", reason=REFUSAL) is State.IN_PROGRESS
    assert handle_due(life, code) == due
    with life.uow.read() as session:
        extension = session.scalars(select(Extension)).one()
        assert (extension.refused_by, extension.refusal_reason) == (LEADER.name, REFUSAL)
        assert extension.granted_at is None and extension.refused_at == now()
        data = session.scalars(select(Event.data).where(Event.action == "refuse_extension")).one()
        view = queues.report_view(session, life, OFFICER, code, now())
    assert data["reason"] == REFUSAL
    assert datetime.fromisoformat(data["due_kept"]) == due[0]
    assert datetime.fromisoformat(data["requested_due"]).day == 29
    # The officer sees it: no request waits any more, the refusal is in the story.
    assert view.pending_extension is None and not view.row.extension_requested
    told = view.story["extensions"][0]
    assert (told["refused_by"], told["refusal_reason"]) == (LEADER.name, REFUSAL)


def test_refusing_with_no_request_waiting_is_refused_and_writes_nothing(life: Lifecycle) -> None:
    code = handled(life)
    before = counts(life)
    with pytest.raises(InvalidInput) as refused:
        act(life, LEADER, code, "refuse_extension", reason=REFUSAL)
    assert "Không có đề nghị gia hạn" in refused.value.message_vi
    assert counts(life) == before
    act(
        life, OFFICER, code, "request_extension", reason="Chờ vật tư.", due="2026-05-29T17:00+07:00"
    )
    act(life, LEADER, code, "refuse_extension", reason=REFUSAL)
    with pytest.raises(InvalidInput):  # the request was answered already
        act(life, LEADER, code, "refuse_extension", reason=REFUSAL)
    with pytest.raises(InvalidInput) as missing:
        act(life, LEADER, code, "refuse_extension")
    assert missing.value.field == "reason"


def test_a_new_request_after_a_refusal_can_be_granted(life: Lifecycle) -> None:
    code = handled(life)
    act(
        life, OFFICER, code, "request_extension", reason="Chờ vật tư.", due="2026-05-29T17:00+07:00"
    )
    act(life, LEADER, code, "refuse_extension", reason=REFUSAL)
    act(life, OFFICER, code, "request_extension", reason="Mưa lớn.", due="2026-05-28T17:00+07:00")
    act(life, LEADER, code, "grant_extension", reason="Đồng ý.", due="2026-05-28T17:00+07:00")
    with life.uow.read() as session:
        first, second = session.execute(
            select(Extension.refused_at, Extension.granted_at).order_by(Extension.id)
        ).all()
    assert first.refused_at is not None and first.granted_at is None
    assert second.granted_at is not None and second.refused_at is None
    assert handle_due(life, code)[0].day == 28
