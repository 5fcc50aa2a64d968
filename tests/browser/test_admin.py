"""The administrator's change, in a real browser (issue 6, "Done when"): sign in to /admin, give
the environment reports of one ward to another agency, look at the what-if replay, save with a
reason, see the next report go there while the server keeps running; then restore the previous
version and see the next report go back to the ward's People's Committee.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.accounts import create_user
from engine.services.lifecycle import Actor, Lifecycle
from engine.store.models import Report
from engine.workflow import Role
from tests.browser.conftest import STAFF_PASSWORD
from tests.services.conftest import road_report

WARD = "28756"  # Phường Phú Khương
WARD_COMMITTEE = "UBND-28756"
ADMIN = "quantri.hoa"
IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)
WASTE = "Bãi rác tự phát cạnh chợ Phú Khương bốc mùi, tràn ra lòng đường."
REASON = "Thí điểm: môi trường phường Phú Khương giao Sở Nông nghiệp và Môi trường"


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits(live_app) -> Iterator[None]:  # noqa: ANN001
    from web.limits import limiter

    with live_app.app_context():
        limiter.reset()
    yield


@pytest.fixture(scope="module")
def administrator(live_app) -> str:  # noqa: ANN001
    with live_app.extensions["phananh.lifecycle"].uow.begin() as session:
        create_user(session, ADMIN, STAFF_PASSWORD, Role.OPERATOR_ADMIN, display_name="Lê Thị Hoa")
    return ADMIN


def _forwarded_waste_report(live_app) -> str:  # noqa: ANN001
    """A citizen's waste report in the ward, classified and forwarded as the rules say; its agency.

    The use cases are those the running server uses now: a reload replaces them whole.
    """
    life: Lifecycle = live_app.extensions["phananh.lifecycle"]
    submitted = life.submit(road_report(content=WASTE, area=WARD, address="Chợ Phú Khương"))
    classified = life.perform(
        IOC, submitted.code, "classify", version=submitted.version, sector="moi-truong"
    )
    life.perform(IOC, submitted.code, "forward", version=classified.version)
    with life.uow.read() as session:
        return session.scalars(select(Report.agency).where(Report.code == submitted.code)).one()


def test_an_administrator_moves_a_ward_s_environment_reports_and_restores_it(
    live_app,  # noqa: ANN001
    base_url: str,
    laptop: Page,
    administrator: str,
) -> None:
    assert _forwarded_waste_report(live_app) == WARD_COMMITTEE  # a past report, for the what-if
    page = laptop

    page.goto(f"{base_url}/admin/phan-cong/")
    page.fill("#username", administrator)
    page.fill("#password", STAFF_PASSWORD)
    page.click("#sign-in-submit")
    expect(page.locator("#bang-phan-cong")).to_be_visible()

    page.select_option("#sector", "moi-truong")
    page.select_option("#area", WARD)
    page.click("#nut-hoi")
    expect(page.locator("#winner-agency")).to_have_attribute("data-agency", WARD_COMMITTEE)
    page.click("#them-cho-dia-ban")
    expect(page.locator("#route-form")).to_be_visible()
    expect(page.locator("#sector")).to_have_value("moi-truong")
    page.select_option("#target", "SNNMT")
    page.fill("#priority", "10")

    page.click("#nut-thu")
    expect(page.locator("#whatif-table")).to_be_visible()
    expect(page.locator("#whatif-table")).to_contain_text("SNNMT")
    moved = int(page.locator("#whatif-moved").inner_text())
    assert moved >= 1
    assert _forwarded_waste_report(live_app) == WARD_COMMITTEE  # nothing was saved by the what-if

    page.fill("#ly_do", REASON)
    page.click("#nut-luu")
    expect(page.locator(".alert-success")).to_contain_text("đang áp dụng")
    expect(page.locator("#winner-agency")).to_have_attribute("data-agency", "SNNMT")
    assert _forwarded_waste_report(live_app) == "SNNMT"  # the next report, same running server

    page.goto(f"{base_url}/admin/phien-ban/")
    rows = page.locator("#versions tbody tr[id^=version-]")
    new_row, previous_row = rows.nth(0), rows.nth(1)
    expect(new_row).to_contain_text(REASON)
    previous = previous_row.get_attribute("id").removeprefix("version-")
    previous_row.locator("input[name=ly_do]").fill("Kết thúc thí điểm, trả về UBND phường")
    previous_row.get_by_role("button", name="Khôi phục").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Đã khôi phục phiên bản {previous}")
    assert _forwarded_waste_report(live_app) == WARD_COMMITTEE
