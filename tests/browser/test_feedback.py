"""The IOC empties its "Phản hồi, đánh giá" queue by recording how a reply was handled (Đ11.3),
and an agency's leader marks a report as touching state secrets before publishing it, after which
no public page shows it (Đ10.3). On a laptop, through the real pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.services.lifecycle import Actor
from engine.store.models import Report
from engine.workflow import Role
from tests.browser.conftest import StaffAccount
from tests.browser.test_staff import (  # noqa: F401 - the autouse fixture applies here too
    _fresh_sign_in_limits,
    actor,
    life_of,
    open_action,
    perform,
    shot,
    sign_in,
    sign_out,
)
from tests.services.conftest import road_report

REPORTER = Actor("người phản ánh", Role.REPORTER)


def report_upto(live_app, staff: dict[str, StaffAccount], last: str) -> tuple[str, str]:  # noqa: ANN001
    """A pothole report taken by the use cases through the whole path up to ``last``."""
    life = life_of(live_app)
    submitted = life.submit(road_report())
    code, version = submitted.code, submitted.version
    steps = [
        ("ioc.binh", "classify", {"sector": "giao-thong-van-tai"}),
        ("ioc.binh", "forward", {}),
        ("sxd.duc", "accept", {}),
        ("sxd.duc", "propose_result", {"result": "Đã vá ổ gà ngày 24/4/2026."}),
        ("sxd.em", "approve", {}),
        ("sxd.em", "publish", {}),
    ]
    for username, action, inputs in steps:
        version = life.perform(
            actor(staff[username]), code, action, version=version, **inputs
        ).version
        if action == last:
            break
    return code, submitted.tracking_token


def test_the_ioc_records_a_reply_as_handled_and_the_queue_empties(
    laptop: Page,
    base_url: str,
    live_app,  # noqa: ANN001
    staff: dict[str, StaffAccount],
    request: pytest.FixtureRequest,
) -> None:
    page = laptop
    code, token = report_upto(live_app, staff, "publish")
    life = life_of(live_app)
    with life.uow.read() as session:
        current = session.scalars(select(Report.version).where(Report.code == code)).one()
    life.perform(
        REPORTER, code, "reply", version=current, token=token, text="Đã một tuần chưa sơn vạch."
    )

    sign_in(page, base_url, staff["ioc.binh"])
    row = page.locator(f"section#queue-phan-hoi tr[data-testid=queue-row][data-code='{code}']")
    expect(row).to_be_visible()
    expect(row.locator("[data-testid=tag-replies]")).to_contain_text("1 phản hồi")
    row.locator("[data-testid=row-link]").click()
    expect(page.locator("#report-code")).to_have_text(code)

    # Without a note, nothing is recorded and the message stands beside the field.
    open_action(page, "close_feedback")
    page.click("#close_feedback-submit")
    expect(page.locator("#close_feedback-note-error")).to_contain_text("Cần ghi chú")
    note = "Đã gọi điện: Sở sơn lại vạch trong tuần tới."
    perform(page, "close_feedback", {"note": note}, then="published")
    expect(page.locator("#action-close_feedback-details")).to_have_count(0)
    expect(page.locator("#main")).to_contain_text(note)
    shot(page, request, "handled")

    page.click("#nav-queues")
    section = page.locator("section#queue-phan-hoi")
    expect(section.locator(f"tr[data-code='{code}']")).to_have_count(0)
    page.goto(f"{base_url}/ban-xu-ly?hang=phan-hoi")
    expect(page.locator(f"tr[data-code='{code}']")).to_have_count(0)
    sign_out(page)


def test_a_leaders_state_secret_mark_keeps_the_result_off_the_portal(
    laptop: Page,
    base_url: str,
    live_app,  # noqa: ANN001
    staff: dict[str, StaffAccount],
    request: pytest.FixtureRequest,
) -> None:
    page = laptop
    code, _ = report_upto(live_app, staff, "approve")
    sign_in(page, base_url, staff["sxd.em"])
    page.goto(f"{base_url}/ban-xu-ly/phan-anh/{code}")
    open_action(page, "publish")
    expect(page.locator("#publish-preview")).to_have_attribute("data-level", "public")

    reason = "Kết quả nêu vị trí công trình quốc phòng."
    perform(page, "mark_secret_before_publication", {"reason": reason}, then="approved")
    expect(page.locator("#report-secret")).to_be_visible()
    expect(page.locator("#main")).to_contain_text(reason)
    open_action(page, "publish")
    expect(page.locator("#publish-preview")).to_have_attribute("data-level", "restricted")
    expect(page.locator("#publish-preview-rule")).to_contain_text("Liên quan bí mật nhà nước")
    shot(page, request, "marked")
    perform(page, "publish", then="restricted")
    sign_out(page)

    # A visitor: not in the list, no result page.
    page.goto(f"{base_url}/ket-qua")
    expect(page.locator("main")).not_to_contain_text(code)
    response = page.goto(f"{base_url}/ket-qua/{code}")
    assert response is not None and response.status == 404
