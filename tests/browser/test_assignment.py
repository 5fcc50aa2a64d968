"""Assignment down the agency tree and a refused extension, in a real browser (Đ14.3, Đ8.B3).

Sở Xây dựng has a sub-unit here, Phòng Quản lý giao thông (a copy of the default configuration
with that one agency added). Its leader gives the report to the sub-unit; the sub-unit's leader
gives it to an officer of the sub-unit, chosen from the accounts; the officer finds it under
"Được giao cho tôi". Then the officer asks for more time and the leader refuses, with a reason:
the officer sees the refusal and the handling deadline unchanged.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from engine.accounts import create_user
from engine.services.lifecycle import Actor
from engine.store.migrate import upgrade
from engine.workflow import Role
from tests.browser.conftest import ROOT, StaffAccount
from tests.browser.test_staff import open_action, open_from_queue, perform, shot, sign_in, sign_out
from tests.services.conftest import road_report
from web import create_app

UNIT = "SXD-QLGT"
SUB_UNIT = f"""agencies:
  - code: {UNIT}
    name: Phòng Quản lý giao thông
    kind: phong
    parent: SXD
    effective: {{from: 2025-07-01}}
"""
ACCOUNTS = {
    "ioc": StaffAccount("ioc.binh", "Trần Thị Bình", Role.IOC_OPERATOR),
    "leader": StaffAccount("sxd.em", "Võ Thị Em", Role.LEADER, "SXD"),
    "officer": StaffAccount("sxd.duc", "Phạm Minh Đức", Role.OFFICER, "SXD"),
    "unit_leader": StaffAccount("qlgt.tai", "Lâm Văn Tài", Role.LEADER, UNIT),
    "unit_officer": StaffAccount("qlgt.sang", "Lý Văn Sang", Role.OFFICER, UNIT),
    "unit_other": StaffAccount("qlgt.tu", "Mai Thị Tư", Role.OFFICER, UNIT),
}
REFUSAL = "Khối lượng công việc nhỏ, đủ thời gian xử lý trong hạn; không đồng ý gia hạn."


@pytest.fixture(scope="module")
def tree_app(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - Flask app
    folder = tmp_path_factory.mktemp("tree")
    config = folder / "config"
    shutil.copytree(ROOT / "config", config)
    sectors = config / "sectors.yaml"
    sectors.write_text(sectors.read_text().replace("agencies:\n", SUB_UNIT, 1))
    url = f"sqlite:///{folder / 'tree.db'}"
    upgrade(url)
    app = create_app(
        {
            "CONFIG_DIR": str(config),
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(folder / "media"),
            "SECRET_KEY": "browser-tests-tree",
        }
    )
    life = app.extensions["phananh.lifecycle"]
    with life.uow.begin() as session:
        for a in ACCOUNTS.values():
            create_user(
                session,
                a.username,
                a.password,
                a.role,
                display_name=a.display_name,
                agency=a.agency,
            )
    return app


@pytest.fixture(scope="module")
def tree_url(tree_app) -> Iterator[str]:  # noqa: ANN001
    server = make_server("127.0.0.1", 0, tree_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits(tree_app) -> Iterator[None]:  # noqa: ANN001
    from web.limits import limiter

    with tree_app.app_context():
        limiter.reset()
    yield


def forwarded_report(tree_app) -> str:  # noqa: ANN001
    """A pothole report, classified and forwarded to Sở Xây dựng by the IOC."""
    life = tree_app.extensions["phananh.lifecycle"]
    ioc = Actor("Trần Thị Bình", Role.IOC_OPERATOR)
    sent = life.submit(road_report())
    version = life.perform(
        ioc, sent.code, "classify", version=sent.version, sector="giao-thong-van-tai"
    ).version
    life.perform(ioc, sent.code, "forward", version=version)
    return sent.code


def options(page: Page, selector: str) -> list[str]:
    return page.locator(f"{selector} option").evaluate_all("os => os.map(o => o.value)")


def test_a_sub_units_leader_assigns_to_its_officer_who_finds_it_given_to_them(
    laptop: Page,
    tree_url: str,
    tree_app,
    request: pytest.FixtureRequest,  # noqa: ANN001
) -> None:
    page = laptop
    code = forwarded_report(tree_app)

    # The agency's leader gives it to the sub-unit: the pickers offer only the agency's own.
    sign_in(page, tree_url, ACCOUNTS["leader"])
    open_from_queue(page, "cho-xac-minh", code)
    open_action(page, "assign")
    assert options(page, "#assign-unit") == ["", UNIT]
    assert options(page, "#assign-officer") == ["", "sxd.duc"]  # not the sub-unit's officers
    expect(page.locator("#assign-officer")).to_have_js_property("tagName", "SELECT")
    perform(page, "assign", {"unit": UNIT}, then="forwarded")
    expect(page.locator("#timeline [data-testid=event][data-action=assign]")).to_contain_text(
        "Phòng Quản lý giao thông"
    )
    sign_out(page)

    # The sub-unit's leader gives it on to one of the sub-unit's officers.
    sign_in(page, tree_url, ACCOUNTS["unit_leader"])
    open_from_queue(page, "cho-xac-minh", code)
    open_action(page, "assign")
    assert options(page, "#assign-officer") == ["", "qlgt.sang", "qlgt.tu"]
    shot(page, request, "1-unit-leader-assigns")
    perform(page, "assign", {"officer": "qlgt.sang"}, then="forwarded")
    expect(page.locator("#report-officer")).to_have_text("Lý Văn Sang")
    sign_out(page)

    # The officer finds it under "Được giao cho tôi", first on their desk; a colleague does not.
    sign_in(page, tree_url, ACCOUNTS["unit_officer"])
    mine = page.locator("section#queue-giao-cho-toi")
    expect(mine.locator("h2")).to_contain_text("Được giao cho tôi")
    expect(mine.locator(f"tr[data-testid=queue-row][data-code='{code}']")).to_be_visible()
    shot(page, request, "2-given-to-me")
    open_from_queue(page, "giao-cho-toi", code)
    perform(page, "accept", then="in_progress")
    sign_out(page)
    sign_in(page, tree_url, ACCOUNTS["unit_other"])
    expect(
        page.locator(f"section#queue-giao-cho-toi tr[data-testid=queue-row][data-code='{code}']")
    ).to_have_count(0)


def test_a_leader_refuses_an_extension_and_the_officer_sees_it(
    laptop: Page,
    tree_url: str,
    tree_app,
    request: pytest.FixtureRequest,  # noqa: ANN001
) -> None:
    page = laptop
    code = forwarded_report(tree_app)
    sign_in(page, tree_url, ACCOUNTS["officer"])
    open_from_queue(page, "cho-xac-minh", code)
    perform(page, "accept", then="in_progress")
    handle_due = page.locator("#clocks [data-testid=clock][data-step=handle] td").nth(2)
    due_before = handle_due.inner_text()
    perform(
        page,
        "request_extension",
        {"reason": "Chờ vật tư bê tông nhựa.", "due": "2030-06-28T17:00"},
        then="in_progress",
    )
    sign_out(page)

    sign_in(page, tree_url, ACCOUNTS["leader"])
    open_from_queue(page, "dang-xu-ly", code)
    perform(page, "refuse_extension", {"reason": REFUSAL}, then="in_progress")
    sign_out(page)

    sign_in(page, tree_url, ACCOUNTS["officer"])
    open_from_queue(page, "giao-cho-toi", code)
    refused = page.locator("[data-testid=extension-refused]")
    expect(refused).to_contain_text("Võ Thị Em không đồng ý gia hạn")
    expect(page.locator("#extensions")).to_contain_text(REFUSAL)
    event = page.locator("#timeline [data-testid=event][data-action=refuse_extension]")
    expect(event).to_contain_text("Không đồng ý gia hạn")
    expect(event).to_contain_text(REFUSAL)
    expect(handle_due).to_have_text(due_before)  # the deadline did not move
    shot(page, request, "officer-sees-refusal")
