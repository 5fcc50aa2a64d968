"""The template editor's live preview in a real browser: the script file, the CSRF token, the JSON.

The page's script (``web/static/admin-mau.js``) posts the typed text to ``/admin/mau/xem-truoc``
with the form's CSRF token (CSRF is on in the live app) and shows the answer; the test types and
waits for the preview to follow, then types a syntax error and waits for its line.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from engine.accounts import create_user, find_user
from engine.workflow import Role
from tests.browser.conftest import STAFF_PASSWORD

ADMIN = "quantri.mau"
EDIT = "/admin/mau/sua?ten=templates/ket-qua.txt.j2"


@pytest.fixture
def admin_account(live_app) -> Iterator[str]:  # noqa: ANN001
    from web.limits import limiter

    life = live_app.extensions["phananh.lifecycle"]
    with life.uow.begin() as session:
        if find_user(session, ADMIN) is None:
            create_user(session, ADMIN, STAFF_PASSWORD, Role.OPERATOR_ADMIN)
    with live_app.app_context():
        limiter.reset()
    yield ADMIN


def test_the_preview_follows_the_typing(laptop: Page, base_url: str, admin_account: str) -> None:
    page = laptop
    page.goto(f"{base_url}/dang-nhap?next={EDIT}")
    page.fill("#username", admin_account)
    page.fill("#password", STAFF_PASSWORD)
    page.click("#sign-in-submit")
    page.wait_for_selector("#form-mau[data-live=on]")  # the page's script is listening
    expect(page.locator("#preview-output")).to_contain_text("Nguyễn Văn An")

    page.fill("#noi_dung", "Kính gửi {{ xung_ho }} {{ ten_nguoi_phan_anh }} — {{ co_quan_xu_ly }}")
    expect(page.locator("#preview-output")).to_have_text("Kính gửi Ông Nguyễn Văn An — Sở Xây dựng")
    expect(page.locator("#preview-error")).to_be_hidden()

    page.fill("#noi_dung", "dòng một\ndòng hai\n{% if %}\n")
    expect(page.locator("#preview-error")).to_contain_text("Dòng 3:")
    expect(page.locator("#preview-output")).to_be_hidden()

    page.fill("#noi_dung", "{{ ''.__class__.__mro__ }}")
    expect(page.locator("#preview-error")).to_contain_text("không được phép")


def test_the_month_view_reads_in_a_browser(laptop: Page, base_url: str, admin_account: str) -> None:
    page = laptop
    page.goto(f"{base_url}/dang-nhap?next=/admin/lich-lam-viec/?thang=2026-09")
    page.fill("#username", admin_account)
    page.fill("#password", STAFF_PASSWORD)
    page.click("#sign-in-submit")
    page.wait_for_selector("#bang-lich-thang")
    expect(page.locator('td[data-ngay="2026-09-02"]')).to_contain_text("Ngày lễ: Quốc khánh")
    page.click("#thang-truoc")
    expect(page.locator("#bang-lich-thang caption")).to_contain_text("Tháng 8/2026")
    expect(page.locator('td[data-ngay="2026-08-22"]')).to_contain_text("Ngày làm bù")


def test_monospace_text_draws_vietnamese_and_the_preview_wraps(
    laptop: Page, base_url: str, admin_account: str
) -> None:
    """The editor and the preview use a monospace font that has Vietnamese letters (this machine
    has DejaVu Sans Mono; Bootstrap's SFMono/Menlo are absent, and the fallback drew "ổ" from
    another font); a long line of the preview wraps inside the page instead of running off it."""
    page = laptop
    page.goto(f"{base_url}/dang-nhap?next={EDIT}")
    page.fill("#username", admin_account)
    page.fill("#password", STAFF_PASSWORD)
    page.click("#sign-in-submit")
    page.wait_for_selector("#form-mau[data-live=on]")
    for selector in ("#noi_dung", "#preview-output"):
        family = page.eval_on_selector(selector, "e => getComputedStyle(e).fontFamily")
        assert family.startswith('"DejaVu Sans Mono"'), (selector, family)
    long_line = "Đường Phạm Thái Bường có ổ gà lớn, " * 20
    page.fill("#noi_dung", long_line)
    expect(page.locator("#preview-output")).to_contain_text("ổ gà lớn")
    preview = page.locator("#preview-output")
    assert preview.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert preview.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
