"""Staff at the desk, on a laptop: IOC → officer → leader → publication, a return to the IOC and a
forward elsewhere, a leader's reassignment, and a refusal shown beside its field.

Everyone signs in and out through the real pages (``/dang-nhap``, the desk's "Đăng xuất"), with
the forms' CSRF tokens; every step's state is read from ``#report-state[data-state]``. Reports
are put in the database through the use cases (``Lifecycle.submit``/``perform``) where the test is
not about the step that brings them there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from engine.services.lifecycle import Actor, Lifecycle
from tests.browser.conftest import ARTIFACTS, StaffAccount
from tests.services.conftest import road_report

RESULT = "Đã vá ổ gà trước nhà số 45 Phạm Thái Bường bằng bê tông nhựa ngày 24/4/2026."
RETURN_REASON = "Đoạn đường trong khuôn viên bệnh viện, do bệnh viện quản lý, không thuộc Sở."
FORWARD_NOTE = "Đoạn đường nội bộ của bệnh viện: chuyển Sở Y tế theo ý kiến Sở Xây dựng."


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits(live_app) -> Iterator[None]:  # noqa: ANN001
    """The sign-in rate limit (10 a minute per address) counts every test's sign-ins from
    127.0.0.1: start each test with clean counters, so that the suite's pace never matters."""
    from web.limits import limiter

    with live_app.app_context():
        limiter.reset()
    yield


# -- helpers ---------------------------------------------------------------------------------------


def life_of(live_app) -> Lifecycle:  # noqa: ANN001
    return live_app.extensions["phananh.lifecycle"]


def sector_name(live_app, code: str = "giao-thong-van-tai") -> str:  # noqa: ANN001
    return life_of(live_app).snapshot.sectors[code].name


def actor(account: StaffAccount) -> Actor:
    return Actor(account.display_name, account.role, account.agency)


def new_road_report(live_app, staff: dict[str, StaffAccount], *, upto: str) -> str:  # noqa: ANN001
    """A citizen's pothole report, taken by the use cases up to ``upto`` (``received``,
    ``forwarded`` or ``in_progress`` — accepted by Sở Xây dựng's officer Đức)."""
    life = life_of(live_app)
    submitted = life.submit(road_report())
    code, version = submitted.code, submitted.version
    steps = {
        "received": [],
        "forwarded": [
            ("ioc.binh", "classify", {"sector": "giao-thong-van-tai"}),
            ("ioc.binh", "forward", {}),
        ],
        "in_progress": [
            ("ioc.binh", "classify", {"sector": "giao-thong-van-tai"}),
            ("ioc.binh", "forward", {}),
            ("sxd.duc", "accept", {}),
        ],
    }[upto]
    for username, action, inputs in steps:
        version = life.perform(
            actor(staff[username]), code, action, version=version, **inputs
        ).version
    return code


def shot(page: Page, request: pytest.FixtureRequest, step: str) -> None:
    """A screenshot of one step, beside the test's final one in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{step}.png"), full_page=True)


def sign_in(page: Page, base_url: str, account: StaffAccount) -> None:
    page.goto(f"{base_url}/dang-nhap")
    page.fill("#username", account.username)
    page.fill("#password", account.password)
    page.click("#sign-in-submit")
    page.wait_for_selector("#desk-nav")  # signed in, on the desk's first page
    staff = page.locator("#staff")
    expect(staff).to_have_attribute("data-role", account.role.value)
    expect(staff).to_have_attribute("data-agency", account.agency or "")
    expect(page.locator("#staff-name")).to_have_text(account.display_name)


def sign_out(page: Page) -> None:
    page.click("#nav-logout")
    page.wait_for_selector("#sign-in-form")
    expect(page.locator("[data-testid=flash]")).to_contain_text("Bạn đã đăng xuất.")
    expect(page.locator("#desk-nav")).to_have_count(0)


def open_from_queue(page: Page, queue: str, code: str) -> None:
    """From the desk's first page, open report ``code`` from queue ``queue``."""
    page.click("#nav-queues")
    row = page.locator(f"section#queue-{queue} tr[data-testid=queue-row][data-code='{code}']")
    expect(row).to_be_visible()
    row.locator("[data-testid=row-link]").click()
    expect(page.locator("#report-code")).to_have_text(code)


def report_state(page: Page) -> tuple[str, str]:
    state = page.locator("#report-state")
    return state.get_attribute("data-state") or "", state.get_attribute("data-version") or ""


def open_action(page: Page, action: str) -> None:
    """Unfold the action's form (a ``<details>``), unless it is already open."""
    details = page.locator(f"details#action-{action}-details")
    expect(details).to_have_count(1)
    if not details.evaluate("element => element.open"):
        page.click(f"#action-{action}-summary")
    expect(page.locator(f"form#action-{action}")).to_be_visible()


def fill(page: Page, action: str, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        selector = f"#{action}-{name}"
        if page.locator(selector).evaluate("element => element.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def perform(page: Page, action: str, fields: dict[str, str] | None = None, *, then: str) -> None:
    """Fill and send the action's form; the page comes back with the report in state ``then``,
    its version moved on and the desk's message of what was done."""
    open_action(page, action)
    fill(page, action, fields or {})
    _, version = report_state(page)
    page.click(f"#{action}-submit")
    state = page.locator("#report-state")
    expect(state).not_to_have_attribute("data-version", version)
    expect(state).to_have_attribute("data-state", then)
    expect(page.locator("[data-testid=flash]")).to_contain_text("Đã thực hiện:")
    expect(page.locator("#desk-problem")).to_have_count(0)


# -- the whole path --------------------------------------------------------------------------------


def test_whole_path_from_the_ioc_to_publication(
    laptop: Page,
    base_url: str,
    live_app,  # noqa: ANN001
    staff: dict[str, StaffAccount],
    request: pytest.FixtureRequest,
) -> None:
    page = laptop
    code = new_road_report(live_app, staff, upto="received")

    # The IOC: the report is in "Mới tiếp nhận"; classify with the rules' suggestion, forward.
    sign_in(page, base_url, staff["ioc.binh"])
    open_from_queue(page, "moi", code)
    assert report_state(page)[0] == "received"
    expect(page.locator("#reporter-name")).to_have_text("Nguyễn Văn An")
    open_action(page, "classify")
    expect(page.locator("#classify-sector")).to_have_value("giao-thong-van-tai")
    rule = page.locator("#classify-sector-rule")
    expect(rule).to_have_attribute("data-rule", "giao-thong-van-tai")
    expect(rule).to_contain_text(f"Quy tắc gợi ý: {sector_name(live_app)}")
    expect(rule).to_contain_text("ổ gà")
    shot(page, request, "1-classify")
    perform(page, "classify", then="classified")
    expect(page.locator("#report-sector")).to_have_attribute("data-sector", "giao-thong-van-tai")

    open_action(page, "forward")
    expect(page.locator("#forward-agency")).to_have_value("SXD")
    expect(page.locator("#forward-agency-rule")).to_contain_text(
        "Theo quy tắc phân công: Sở Xây dựng"
    )
    perform(page, "forward", then="forwarded")
    expect(page.locator("#report-agency")).to_have_attribute("data-agency", "SXD")
    expect(page.locator("#report-rule")).to_contain_text("Phụ lục 1 — phân công lĩnh vực")
    expect(page.locator("#report-rule")).to_have_attribute("data-rule", "giao-thong-van-tai")
    sign_out(page)

    # Sở Xây dựng's officer: verify and accept, then propose the result to the leader.
    sign_in(page, base_url, staff["sxd.duc"])
    open_from_queue(page, "cho-xac-minh", code)
    assert report_state(page)[0] == "forwarded"
    perform(page, "accept", then="in_progress")
    expect(page.locator("#report-officer")).to_have_text("Phạm Minh Đức")
    perform(page, "propose_result", {"result": RESULT}, then="pending_approval")
    expect(page.locator("#proposed-result")).to_have_text(RESULT)
    sign_out(page)

    # The leader: approve, read the Phụ lục 2 preview, publish.
    sign_in(page, base_url, staff["sxd.em"])
    open_from_queue(page, "cho-phe-duyet", code)
    assert report_state(page)[0] == "pending_approval"
    perform(page, "approve", then="approved")
    expect(page.locator("#approved-same")).to_be_visible()
    open_action(page, "publish")
    preview = page.locator("#publish-preview")
    expect(preview).to_have_attribute("data-level", "public")
    expect(page.locator("#publish-preview-text")).to_contain_text(RESULT)
    shot(page, request, "2-publish-preview")
    perform(page, "publish", then="published")
    expect(page.locator("#published-text")).to_contain_text(RESULT)
    actions = page.locator("#timeline [data-testid=event]")
    expect(actions).to_have_count(7)  # submit, classify, forward, accept, propose, approve, publish
    sign_out(page)

    # Anyone: the result is on the public list, and its page carries the published text.
    page.goto(f"{base_url}/ket-qua")
    expect(page.locator("#staff-status")).to_have_count(0)
    card = page.locator(f"[data-testid=result-card][data-code='{code}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Nguyễn Văn An")
    card.locator("[data-testid=result-link]").click()
    expect(page.locator("#result-text")).to_contain_text(RESULT)


# -- returned to the IOC, forwarded elsewhere; reassigned within the agency -----------------------


def test_returned_to_the_ioc_and_forwarded_to_another_agency(
    laptop: Page,
    base_url: str,
    live_app,  # noqa: ANN001
    staff: dict[str, StaffAccount],
    request: pytest.FixtureRequest,
) -> None:
    page = laptop
    code = new_road_report(live_app, staff, upto="forwarded")

    # Sở Xây dựng's officer: not ours — back to the IOC, with the reason.
    sign_in(page, base_url, staff["sxd.duc"])
    open_from_queue(page, "cho-xac-minh", code)
    perform(page, "return_to_ioc", {"reason": RETURN_REASON}, then="returned")
    return_event = page.locator("#timeline [data-testid=event][data-action=return_to_ioc]")
    expect(return_event).to_contain_text(RETURN_REASON)
    sign_out(page)

    # The IOC: the report is in "Bị cơ quan trả lại"; classify again, forward to Sở Y tế.
    sign_in(page, base_url, staff["ioc.binh"])
    row = page.locator(f"section#queue-bi-tra-lai tr[data-testid=queue-row][data-code='{code}']")
    expect(row.locator("[data-testid=tag-returned]")).to_be_visible()
    open_from_queue(page, "bi-tra-lai", code)
    assert report_state(page)[0] == "returned"
    expect(page.locator("#timeline")).to_contain_text(RETURN_REASON)
    open_action(page, "classify")
    expect(page.locator("#classify-sector-hint")).to_contain_text(
        f"Lĩnh vực trước khi bị trả lại: {sector_name(live_app)}."
    )
    perform(page, "classify", then="classified")
    open_action(page, "forward")
    expect(page.locator("#forward-agency-hint")).to_contain_text("Đã trả lại: Sở Xây dựng.")
    # Another agency than the rules' choice needs a note: refused without one, beside the note.
    fill(page, "forward", {"agency": "SYT"})
    _, version = report_state(page)
    page.click("#forward-submit")
    error = page.locator("#forward-note-error")
    expect(error).to_contain_text("cần ghi rõ lý do")
    assert report_state(page) == ("classified", version)
    expect(page.locator("#forward-agency")).to_have_value("SYT")  # what was chosen is kept
    shot(page, request, "1-forward-needs-a-note")
    perform(page, "forward", {"note": FORWARD_NOTE}, then="forwarded")
    expect(page.locator("#report-agency")).to_have_attribute("data-agency", "SYT")
    expect(page.locator("#report-rule")).to_contain_text("Chọn tay, khác quy tắc phân công")
    sign_out(page)

    # Sở Y tế's officer: sees it to verify, and accepts it.
    sign_in(page, base_url, staff["syt.phuc"])
    open_from_queue(page, "cho-xac-minh", code)
    expect(page.locator("#timeline")).to_contain_text(FORWARD_NOTE)
    perform(page, "accept", then="in_progress")
    expect(page.locator("#report-officer")).to_have_text("Ngô Văn Phúc")
    sign_out(page)

    # Sở Xây dựng no longer sees it.
    sign_in(page, base_url, staff["sxd.duc"])
    page.goto(f"{base_url}/ban-xu-ly/phan-anh/{code}")
    expect(page.locator("#report-code")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("không thuộc phạm vi")


def test_the_leader_reassigns_the_report_to_another_officer(
    laptop: Page,
    base_url: str,
    live_app,  # noqa: ANN001
    staff: dict[str, StaffAccount],
    request: pytest.FixtureRequest,
) -> None:
    page = laptop
    code = new_road_report(live_app, staff, upto="in_progress")  # Đức accepted it

    sign_in(page, base_url, staff["sxd.em"])
    open_from_queue(page, "dang-xu-ly", code)
    expect(page.locator("#report-officer")).to_have_text("Phạm Minh Đức")
    open_action(page, "assign")
    accounts = page.locator("#assign-officer option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert {"sxd.duc", "sxd.khoa"} <= set(accounts)  # chosen from the accounts, not typed
    assert "syt.phuc" not in accounts  # Sở Y tế's officer is not Sở Xây dựng's to assign
    expect(page.locator("#action-assign")).to_contain_text("Đang giao: Phạm Minh Đức")
    shot(page, request, "1-assign")
    perform(page, "assign", {"officer": "sxd.khoa"}, then="in_progress")
    expect(page.locator("#report-officer")).to_have_text("Lý Văn Khoa")
    assign_event = page.locator("#timeline [data-testid=event][data-action=assign]")
    expect(assign_event).to_contain_text("Lý Văn Khoa")
    sign_out(page)

    # The new officer finds it among the agency's reports in progress, with their name on it.
    sign_in(page, base_url, staff["sxd.khoa"])
    row = page.locator(f"section#queue-dang-xu-ly tr[data-testid=queue-row][data-code='{code}']")
    expect(row).to_contain_text("Lý Văn Khoa")
    open_from_queue(page, "dang-xu-ly", code)
    expect(page.locator("details#action-propose_result-details")).to_have_count(1)


# -- a refusal, seen in the browser ----------------------------------------------------------------


def test_a_required_note_left_empty_is_refused_beside_the_field(
    laptop: Page,
    base_url: str,
    live_app,  # noqa: ANN001
    staff: dict[str, StaffAccount],
    request: pytest.FixtureRequest,
) -> None:
    page = laptop
    code = new_road_report(live_app, staff, upto="received")
    sign_in(page, base_url, staff["ioc.binh"])
    open_from_queue(page, "moi", code)
    before = report_state(page)
    assert before[0] == "received"
    events = page.locator("#timeline [data-testid=event]").count()

    open_action(page, "request_info")
    expect(page.locator("#request_info-note")).to_have_attribute("aria-required", "true")
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/{code}/request_info")
    ) as answer:
        page.click("#request_info-submit")
    assert answer.value.status == 422
    error = page.locator("#request_info-note-error")
    expect(error).to_have_text(
        "Cần ghi chú cho thao tác «Yêu cầu bổ sung thông tin» (Đ5, Đ6.1); chưa có gì được ghi."
    )
    # Beside its field, in the form left open; nothing was written.
    expect(page.locator("#field-request_info-note #request_info-note-error")).to_be_visible()
    expect(page.locator("#request_info-note")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("details#action-request_info-details")).to_have_attribute("open", "")
    assert report_state(page) == before
    expect(page.locator("#timeline [data-testid=event]")).to_have_count(events)
    expect(page.locator("[data-testid=flash]")).to_have_count(0)
    shot(page, request, "1-refused")

    # With the note, the same form goes through.
    note = "Xin gửi thêm ảnh chụp ổ gà và số nhà gần nhất."
    perform(page, "request_info", {"note": note}, then="needs_info")
    expect(page.locator("#timeline [data-testid=event][data-action=request_info]")).to_contain_text(
        note
    )
