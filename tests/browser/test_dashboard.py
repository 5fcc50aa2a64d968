"""The oversight faces in a browser: Sở Xây dựng's leader sees its own figures and not another
agency's; the province viewer sees every agency, a chart, the map, and a drill-down whose list has
exactly as many reports as the number clicked.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from engine.accounts import create_user
from engine.workflow import Role
from tests.browser.conftest import StaffAccount
from tests.browser.test_staff import new_road_report, sign_in

LEADER = StaffAccount("lanhdao.sxd", "Võ Thị Em", Role.LEADER, "SXD")
PROVINCE = StaffAccount("tinh", "Đặng Thu Giang", Role.PROVINCE_VIEWER)


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits(live_app) -> Iterator[None]:  # noqa: ANN001
    from web.limits import limiter

    with live_app.app_context():
        limiter.reset()
    yield


@pytest.fixture(scope="module")
def faces(live_app, staff) -> dict[str, StaffAccount]:  # noqa: ANN001
    """The two demo accounts of the faces, and two reports now at Sở Xây dựng."""
    life = live_app.extensions["phananh.lifecycle"]
    with life.uow.begin() as session:
        for account in (LEADER, PROVINCE):
            create_user(
                session,
                account.username,
                account.password,
                account.role,
                display_name=account.display_name,
                agency=account.agency,
            )
    for _ in range(2):
        new_road_report(live_app, staff, upto="in_progress")
    return {"leader": LEADER, "province": PROVINCE}


def test_the_leader_sees_its_agency_figures_only(
    laptop: Page, base_url: str, faces: dict[str, StaffAccount]
) -> None:
    sign_in(laptop, base_url, faces["leader"])
    laptop.click("#nav-dashboard")
    expect(laptop.locator("#dashboard-title")).to_have_attribute("data-scope", "agency")
    expect(laptop.locator("#agency-table tr[data-agency=SXD]")).to_have_count(1)
    expect(laptop.locator("#agency-table tr[data-agency=SYT]")).to_have_count(0)
    received = laptop.locator("[data-testid=figure][data-figure=received]")
    assert int(received.get_attribute("data-value") or 0) >= 2
    response = laptop.goto(f"{base_url}/ban-xu-ly/thong-ke?co-quan=SYT")
    assert response is not None and response.status == 403


def test_the_province_sees_every_agency_a_chart_the_map_and_a_drill_down_that_agrees(
    laptop: Page, base_url: str, faces: dict[str, StaffAccount]
) -> None:
    sign_in(laptop, base_url, faces["province"])
    laptop.click("#nav-dashboard")
    expect(laptop.locator("#dashboard-title")).to_have_attribute("data-scope", "province")
    expect(laptop.locator("#agency-table tr[data-agency=SXD]")).to_have_count(1)
    expect(laptop.locator("svg#chart-agencies rect")).not_to_have_count(0)
    expect(laptop.locator("svg#chart-map")).to_be_visible()
    number = laptop.locator("#agency-table tr[data-agency=SXD] a[data-testid=drill]")
    shown = int(number.inner_text())
    assert shown >= 2
    number.click()
    expect(laptop.locator("#search-count")).to_have_attribute("data-total", str(shown))
    expect(laptop.locator("#search-results tbody tr")).to_have_count(shown)
