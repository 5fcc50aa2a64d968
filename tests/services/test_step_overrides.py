"""A report's deadline clocks follow the overrides of its sector and agency (sla.yaml ``overrides``).

What the province expects: a shorter time decided for a sector or an agency is the time the
report's clock counts — from the moment the step starts, with the sector the IOC classified and
the agency the report was forwarded to — not a figure shown on a page only. Working hours here are
07:00–11:00 and 13:00–17:00; a working day is 480 minutes.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from sqlalchemy import select

from engine.config.snapshot import Duration, Snapshot, StepOverride, Unit
from engine.services.lifecycle import Lifecycle
from engine.sla.allowance import Basis
from engine.store import UnitOfWork
from engine.store.models import Report
from engine.workflow import Clock as Step
from tests.services.conftest import IOC, LEADER, OFFICER, VN, Clockwork, road_report

OVERRIDES = (
    # Every transport report is verified within 3 working hours (instead of the 1 day of Đ8.B2).
    StepOverride("verify", Duration(3, Unit.HOUR), sector="giao-thong-van-tai"),
    # Sở Xây dựng handles transport reports within 4 working days (Đ8.B3 allows up to 6).
    StepOverride(
        "handle",
        Duration(4, Unit.DAY),
        sector="giao-thong-van-tai",
        agency="SXD",
        reason="Quyết định của Sở Xây dựng (thử nghiệm)",
    ),
    # Another agency's decision: not for a report Sở Xây dựng holds.
    StepOverride("approve", Duration(4, Unit.HOUR), agency="SYT"),
)


@pytest.fixture
def life(uow: UnitOfWork, snapshot: Snapshot, now: Clockwork) -> Lifecycle:
    sla = dataclasses.replace(snapshot.sla, overrides=OVERRIDES)
    return Lifecycle(uow, dataclasses.replace(snapshot, sla=sla), now=now)


@dataclasses.dataclass(frozen=True)
class Seen:
    """What a clock was given when it started."""

    base_minutes: int
    due_at: datetime


def clocks_of(life: Lifecycle, code: str) -> dict[str, Seen]:
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        return {c.step: Seen(c.base_minutes, c.base_due_at) for c in report.clocks}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def test_the_clocks_count_the_overrides_of_the_reports_sector_and_agency(
    life: Lifecycle,
) -> None:
    # The reporter guessed "sức khỏe"; the IOC classifies it as transport: the classified sector
    # is the one whose deadlines apply.
    sent = life.submit(road_report(sector="suc-khoe"), at=at("2026-04-22T08:00"))
    done = life.perform(
        IOC, sent.code, "classify", version=sent.version, sector="giao-thong-van-tai",
        at=at("2026-04-22T08:30"),
    )  # fmt: skip
    done = life.perform(IOC, sent.code, "forward", version=done.version, at=at("2026-04-22T09:00"))
    clocks = clocks_of(life, sent.code)
    # The IOC's own steps keep the regulation's 2 working hours (Đ6.2, Đ7.2).
    assert clocks["intake"].base_minutes == clocks["forward"].base_minutes == 120
    # Forwarded at 09:00 to Sở Xây dựng: 2 h until 11:00, 1 h after 13:00 → due 14:00, not the
    # next morning as the 1 day of Đ8.B2 would give.
    verify = clocks["verify"]
    assert verify.base_minutes == 180
    assert verify.due_at == at("2026-04-22T14:00")

    done = life.perform(
        OFFICER, sent.code, "accept", version=done.version, at=at("2026-04-22T10:00")
    )
    handle = clocks_of(life, sent.code)["handle"]
    assert handle.base_minutes == 4 * 480
    assert handle.due_at == life.calendar.add(at("2026-04-22T10:00"), 4 * 480)
    why = life.step_allowance(Step.HANDLE, "SXD", sector="giao-thong-van-tai")
    assert why.basis is Basis.OVERRIDE and "Quyết định của Sở Xây dựng" in why.explain()

    done = life.perform(
        OFFICER, sent.code, "propose_result", version=done.version, result="Đã vá ổ gà.",
        at=at("2026-04-23T09:00"),
    )  # fmt: skip
    # Sở Y tế's approval time is not Sở Xây dựng's: the leader keeps the 1 day of Đ9.2.
    assert clocks_of(life, sent.code)["approve"].base_minutes == 480
    life.perform(LEADER, sent.code, "approve", version=done.version, at=at("2026-04-23T10:00"))
    assert clocks_of(life, sent.code)["publish"].base_minutes == 240


def test_a_report_of_another_sector_keeps_the_steps_deadlines(life: Lifecycle) -> None:
    sent = life.submit(road_report(), at=at("2026-04-22T08:00"))
    done = life.perform(
        IOC, sent.code, "classify", version=sent.version, sector="khoa-hoc-cong-nghe",
        at=at("2026-04-22T08:30"),
    )  # fmt: skip
    life.perform(
        IOC, sent.code, "forward", version=done.version, agency="SXD",
        note="Thử: chuyển Sở Xây dựng", at=at("2026-04-22T09:00"),
    )  # fmt: skip
    verify = clocks_of(life, sent.code)["verify"]
    assert verify.base_minutes == 480  # Đ8.B2: 1 working day
    assert verify.due_at == at("2026-04-23T09:00")


def test_the_default_configurations_illustrative_override_reaches_the_clock(
    uow: UnitOfWork, snapshot: Snapshot, now: Clockwork
) -> None:
    # config/sla.yaml: power incidents are verified within 4 working hours (illustrative value).
    life = Lifecycle(uow, snapshot, now=now)
    sent = life.submit(road_report(content="Trụ điện nghiêng sắp đổ trước số 45."))
    done = life.perform(IOC, sent.code, "classify", version=sent.version, sector="dien")
    life.perform(IOC, sent.code, "forward", version=done.version)
    assert life.step_allowance(Step.VERIFY, "SCT", sector="dien").basis is Basis.OVERRIDE
    assert clocks_of(life, sent.code)["verify"].base_minutes == 240
