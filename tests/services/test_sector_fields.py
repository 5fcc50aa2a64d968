"""A sector's extra fields through the use cases: a report keeps the reporter's answers, the
officer's result keeps theirs, each refusal leaves nothing behind, and what is shown where follows
``engine.services.public``: the reporter sees their own answers, the public sees the public ones
once the result is published.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import audit
from engine.config.snapshot import SectorField, Snapshot
from engine.sector_fields import InvalidExtra
from engine.services.errors import InvalidInput
from engine.services.lifecycle import Actor, Lifecycle
from engine.services.public import Filters, published_report, published_reports, tracking
from engine.store.db import UnitOfWork
from engine.store.models import Event, Report
from engine.workflow import Role, State
from tests.services.conftest import IOC, LEADER, OFFICER, Clockwork, road_report
from tests.services.test_lifecycle import Tracked, counts

ENVIRONMENT, TRANSPORT = "moi-truong", "giao-thong-van-tai"
#: A field the reporter answers but the public does not see (``public: false``).
PRIVATE_NOTE = SectorField(
    code="ghi_chu_rieng", label="Ghi chú cho cơ quan xử lý", type="text", public=False
)


@pytest.fixture
def strict(snapshot: Snapshot) -> Snapshot:
    """The default configuration with its example fields made required, plus a private one."""
    environment, road = snapshot.sectors[ENVIRONMENT], snapshot.sectors[TRANSPORT]
    pollution, tonnes = environment.fields
    sectors = {
        **snapshot.sectors,
        ENVIRONMENT: replace(
            environment,
            fields=(
                replace(pollution, required=True),
                PRIVATE_NOTE,
                replace(tonnes, required=True),
            ),
        ),
        TRANSPORT: replace(road, fields=(replace(road.fields[0], required=True),)),
    }
    return replace(snapshot, sectors=sectors)


@pytest.fixture
def life(uow: UnitOfWork, strict: Snapshot, now: Clockwork) -> Lifecycle:
    return Lifecycle(uow, strict, now=now)


def stored(life: Lifecycle, code: str) -> Any:
    """The report's row as it is now (its columns, read in a session of their own)."""
    with life.uow.read() as session:
        return session.execute(select(Report.__table__).where(Report.code == code)).one()


def reports(life: Lifecycle) -> int:
    with life.uow.read() as session:
        return session.scalar(select(func.count()).select_from(Report)) or 0


def environment_report(life: Lifecycle, **extra: object) -> Tracked:
    submitted = life.submit(
        road_report(
            content="Bãi rác tự phát bốc mùi hôi trước chợ Phước Hậu.",
            sector=ENVIRONMENT,
            extra={"loai_o_nhiem": "mui_hoi", **extra},
        )
    )
    return Tracked(submitted.code, submitted.tracking_token, submitted.version)


def act(life: Lifecycle, tracked: Tracked, who: Actor, action: str, **inputs: object) -> State:
    outcome = life.perform(who, tracked.code, action, version=tracked.version, **inputs)
    tracked.version = outcome.version
    return outcome.state


def to_in_progress(life: Lifecycle, tracked: Tracked, sector: str) -> Actor:
    """Classify, forward and accept; the officer of the agency the rules chose."""
    act(life, tracked, IOC, "classify", sector=sector)
    act(life, tracked, IOC, "forward")
    agency = stored(life, tracked.code).agency
    officer = Actor("Phạm Minh Đức", Role.OFFICER, agency=agency)
    act(life, tracked, officer, "accept")
    return officer


# -- with the report ---------------------------------------------------------------------------------


def test_the_reporters_answers_are_stored_with_the_report(life: Lifecycle) -> None:
    tracked = environment_report(life, ghi_chu_rieng="  Gần nhà số 12  ")
    report = stored(life, tracked.code)
    assert report.extra == {"loai_o_nhiem": "mui_hoi", "ghi_chu_rieng": "Gần nhà số 12"}
    assert report.suggested_sector == ENVIRONMENT and report.result_extra is None
    with life.uow.read() as session:
        assert list(audit.verify(session)) == []  # one transaction: report, event, chain


def test_a_missing_required_answer_refuses_the_report_and_stores_nothing(
    life: Lifecycle,
) -> None:
    with pytest.raises(InvalidExtra) as refused:
        life.submit(road_report(sector=ENVIRONMENT, extra={"ghi_chu_rieng": "x", "mau": "đen"}))
    assert refused.value.status == 422
    assert [p.field for p in refused.value.problems] == ["extra.mau", "extra.loai_o_nhiem"]
    assert "Vui lòng chọn Loại ô nhiễm." in refused.value.message_vi
    assert reports(life) == 0


def test_only_the_chosen_sectors_fields_are_asked(life: Lifecycle) -> None:
    # Without a sector the centre classifies the report: nothing is asked, nothing may be sent.
    plain = life.submit(road_report())
    assert stored(life, plain.code).extra is None
    with pytest.raises(InvalidInput) as refused:
        life.submit(road_report(extra={"loai_o_nhiem": "rac_thai"}))
    assert refused.value.field == "extra.loai_o_nhiem"
    # The transport sector asks nothing of the reporter (its field is the officer's).
    road = life.submit(road_report(sector=TRANSPORT))
    assert stored(life, road.code).extra is None
    with pytest.raises(InvalidExtra):
        life.submit(road_report(sector=TRANSPORT, extra={"hinh_thuc_khac_phuc": "va_tam"}))
    assert reports(life) == 2


# -- with the officer's result -----------------------------------------------------------------------


def test_the_officers_result_needs_the_sectors_required_answer(life: Lifecycle) -> None:
    submitted = life.submit(road_report())
    tracked = Tracked(submitted.code, submitted.tracking_token, submitted.version)
    assert to_in_progress(life, tracked, TRANSPORT) == Actor(
        "Phạm Minh Đức", Role.OFFICER, agency="SXD"
    )
    before = counts(life)
    with pytest.raises(InvalidExtra) as refused:
        act(life, tracked, OFFICER, "propose_result", result="Đã vá ổ gà.")
    assert refused.value.field == "extra.hinh_thuc_khac_phuc"
    assert refused.value.message_vi == "Vui lòng chọn Hình thức khắc phục."
    with pytest.raises(InvalidExtra):
        act(
            life,
            tracked,
            OFFICER,
            "propose_result",
            result="Đã vá ổ gà.",
            extra={"hinh_thuc_khac_phuc": "tho_so"},
        )
    assert counts(life) == before
    assert stored(life, tracked.code).state == State.IN_PROGRESS

    state = act(
        life,
        tracked,
        OFFICER,
        "propose_result",
        result="Đã vá ổ gà ngày 23/4/2026.",
        extra={"hinh_thuc_khac_phuc": "va_tam"},
    )
    assert state is State.PENDING_APPROVAL
    report = stored(life, tracked.code)
    assert report.result_extra == {"hinh_thuc_khac_phuc": "va_tam"}
    with life.uow.read() as session:
        event = session.scalars(
            select(Event).where(Event.report_id == report.id).order_by(Event.seq.desc())
        ).first()
        assert event is not None and event.action == "propose_result"
        assert event.data["extra"] == {"hinh_thuc_khac_phuc": "va_tam"}  # on the record

    # Returned to the officer, a new proposal replaces the earlier answers.
    act(life, tracked, LEADER, "return_to_officer", note="Ghi rõ đã sửa hoàn chỉnh chưa.")
    act(
        life,
        tracked,
        OFFICER,
        "propose_result",
        result="Đã sửa chữa hoàn chỉnh.",
        extra={"hinh_thuc_khac_phuc": "sua_chua_hoan_chinh"},
    )
    assert stored(life, tracked.code).result_extra == {"hinh_thuc_khac_phuc": "sua_chua_hoan_chinh"}


# -- who sees what -----------------------------------------------------------------------------------


def test_public_output_shows_the_public_answers_once_published(
    life: Lifecycle, strict: Snapshot
) -> None:
    tracked = environment_report(life, ghi_chu_rieng="Nhà ông Tư bên cạnh")
    with life.uow.read() as session:
        own = tracking(session, strict, tracked.code, tracked.token)
    assert [(d.label, d.text) for d in own.details] == [
        ("Loại ô nhiễm", "Mùi hôi"),
        ("Ghi chú cho cơ quan xử lý", "Nhà ông Tư bên cạnh"),  # the reporter's own words
    ]

    officer = to_in_progress(life, tracked, ENVIRONMENT)
    leader = Actor("Võ Thị Em", Role.LEADER, agency=officer.agency)
    act(
        life,
        tracked,
        officer,
        "propose_result",
        result="Đã thu gom rác, khử mùi.",
        extra={"khoi_luong_thu_gom": "1,5"},
    )
    with life.uow.read() as session:
        waiting = tracking(session, strict, tracked.code, tracked.token)
    assert [d.code for d in waiting.details] == ["loai_o_nhiem", "ghi_chu_rieng"]  # not yet

    act(life, tracked, leader, "approve")
    assert act(life, tracked, leader, "publish") is State.PUBLISHED
    with life.uow.read() as session:
        shown = published_report(session, strict, tracked.code)
        listed = published_reports(session, strict, Filters(), 1, 20).items
        own = tracking(session, strict, tracked.code, tracked.token)
    expected = [
        ("Loại ô nhiễm", "Mùi hôi", "report"),
        ("Khối lượng rác đã thu gom (tấn)", "1,5", "result"),
    ]
    assert [(d.label, d.text, d.stage) for d in shown.details] == expected
    assert [(d.label, d.text, d.stage) for d in listed[0].details] == expected
    assert "Nhà ông Tư" not in repr(shown) and "Nhà ông Tư" not in repr(listed)
    assert [d.code for d in own.details] == [
        "loai_o_nhiem",
        "ghi_chu_rieng",
        "khoi_luong_thu_gom",
    ]
    assert own.details[-1].value == 1.5 and own.details[-1].text_en == "1.5"
