"""Đ13.7: the reporter's details go to a competent authority on request, controlled and recorded.

A disclosure asks for the requesting authority and the reason, is done by the operations
administrator only, and is written twice in one transaction — in the register (``disclosures``)
and as an event in the report's hash chain — neither of which carries the identity itself.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from engine import audit
from engine.services import disclosure
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.services.lifecycle import Lifecycle
from engine.store.models import Disclosure, Event, Report
from engine.workflow import Role
from tests.services.conftest import (
    ADMIN,
    AUDITOR,
    IOC,
    LEADER,
    OFFICER,
    VIEWER,
    VN,
    Clockwork,
    road_report,
)

AUTHORITY = "Công an phường Phước Hậu"
REASON = "Công văn số 12/CAP-ĐTTH ngày 21/4/2026 đề nghị cung cấp để xác minh vụ việc."


def written(life: Lifecycle) -> tuple[int, int, int]:
    with life.uow.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Disclosure)) or 0,
            session.scalar(select(func.count()).select_from(Event)) or 0,
            session.scalar(select(func.sum(Report.version))) or 0,
        )


def test_the_administrator_discloses_and_both_records_are_written(
    life: Lifecycle, now: Clockwork
) -> None:
    code = life.submit(road_report(confidential=True)).code
    at = datetime(2026, 4, 22, 9, 15, tzinfo=VN)
    details = disclosure.disclose(life, ADMIN, code, authority=AUTHORITY, reason=REASON, at=at)
    assert (details.code, details.name, details.phone, details.email) == (
        code,
        "Nguyễn Văn An",
        "0909 123 456",
        "an.nguyen@example.vn",
    )
    assert details.confidential
    with life.uow.read() as session:
        record = session.scalars(select(Disclosure)).one()
        assert (record.authority, record.reason, record.disclosed_by) == (
            AUTHORITY,
            REASON,
            ADMIN.name,
        )
        assert record.disclosed_at == at
        event = session.scalars(
            select(Event).join(Report).where(Report.code == code).order_by(Event.seq.desc())
        ).first()
        assert event.action == "disclose" and event.role == Role.OPERATOR_ADMIN
        assert event.data == {"authority": AUTHORITY, "reason": REASON, "disclosure": record.id}
        assert event.from_state == event.to_state == "received"  # no state changes
        recorded = json.dumps(audit.content_of(event), ensure_ascii=False)
        assert "Nguyễn Văn An" not in recorded and "0909" not in recorded
        assert list(audit.verify(session)) == []  # the chain still holds
        total, register = disclosure.disclosures(session)
    assert total == 1 and register[0].code == code and register[0].authority == AUTHORITY


@pytest.mark.parametrize("who", [IOC, OFFICER, LEADER, VIEWER, AUDITOR])
def test_no_other_role_may_disclose(life: Lifecycle, who: object) -> None:
    code = life.submit(road_report()).code
    before = written(life)
    with pytest.raises(Forbidden) as refused:
        disclosure.disclose(life, who, code, authority=AUTHORITY, reason=REASON)  # type: ignore[arg-type]
    assert "Đ13.7" in refused.value.message_vi
    assert written(life) == before


@pytest.mark.parametrize(
    ("authority", "reason", "field"),
    [
        ("", REASON, "authority"),
        ("   ", REASON, "authority"),
        (AUTHORITY, "", "reason"),
        ("x" * 301, REASON, "authority"),
        (AUTHORITY, "x" * 2001, "reason"),
    ],
)
def test_the_authority_and_the_reason_are_required(
    life: Lifecycle, authority: str, reason: str, field: str
) -> None:
    code = life.submit(road_report()).code
    before = written(life)
    with pytest.raises(InvalidInput) as refused:
        disclosure.disclose(life, ADMIN, code, authority=authority, reason=reason)
    assert refused.value.field == field and refused.value.message_vi
    assert written(life) == before


def test_an_unknown_report(life: Lifecycle) -> None:
    with pytest.raises(NotFound):
        disclosure.disclose(life, ADMIN, "PA-2026-999999", authority=AUTHORITY, reason=REASON)
    assert written(life) == (0, 0, 0)


def test_a_disclosure_is_a_change_of_the_report_a_stale_page_must_reload(
    life: Lifecycle,
) -> None:
    """It adds to the report's chain, so the report's version moves on: an action sent with the
    version read before it is a conflict, never a fork of the chain."""
    submitted = life.submit(road_report())
    disclosure.disclose(life, ADMIN, submitted.code, authority=AUTHORITY, reason=REASON)
    with pytest.raises(Conflict):
        life.perform(IOC, submitted.code, "classify", version=submitted.version, sector="dien")


def test_the_register_newest_first_and_by_report(life: Lifecycle, now: Clockwork) -> None:
    first = life.submit(road_report()).code
    second = life.submit(road_report()).code
    disclosure.disclose(
        life, ADMIN, first, authority="Tòa án nhân dân tỉnh", reason="Thụ lý vụ án."
    )
    now.value = now.value.replace(hour=9)
    disclosure.disclose(life, ADMIN, second, authority=AUTHORITY, reason=REASON)
    with life.uow.read() as session:
        total, rows = disclosure.disclosures(session)
        one, only = disclosure.disclosures(session, code=first)
        _, paged = disclosure.disclosures(session, limit=1, offset=1)
    assert total == 2 and [r.code for r in rows] == [second, first]
    assert one == 1 and only[0].authority == "Tòa án nhân dân tỉnh"
    assert [r.code for r in paged] == [first]


def test_reporter_details_by_explicit_columns(life: Lifecycle) -> None:
    code = life.submit(road_report(reporter_address="12 Lê Lợi")).code
    with life.uow.read() as session:
        details = disclosure.reporter_details(session, code)
        assert disclosure.reporter_details(session, "PA-2026-999999") is None
    assert details is not None and details.address == "12 Lê Lợi"
    assert {
        Role.IOC_OPERATOR,
        Role.OPERATOR_ADMIN,
        Role.OFFICER,
        Role.LEADER,
    } == disclosure.SEES_REPORTER


def test_the_reporters_tracking_page_still_opens_after_a_disclosure(life: Lifecycle) -> None:
    """A disclosure is in the record but not a step of the workflow: the reporter isn't shown it."""
    from engine.services.public import tracking

    submitted = life.submit(road_report())
    disclosure.disclose(life, ADMIN, submitted.code, authority=AUTHORITY, reason=REASON)
    with life.uow.read() as session:
        view = tracking(session, life.snapshot, submitted.code, submitted.tracking_token)
    assert all("Cung cấp thông tin" not in step.label for step in view.steps)
