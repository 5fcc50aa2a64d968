"""The result's files in a real browser (Đ8.B4, Phụ lục 2): the officer attaches an "after" photo
and the signed answer in PDF to the proposed result, the leader sees both and publishes, and the
citizen sees the photo and the document's link on the published result and on their own page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import StaffAccount
from tests.browser.test_staff import (
    actor,
    life_of,
    open_action,
    open_from_queue,
    shot,
    sign_in,
    sign_out,
)
from tests.engine.media_samples import jpeg_with_gps
from tests.services.conftest import road_report
from tests.web.test_result_files import pdf

RESULT = "Đã vá ổ gà trước nhà số 45 Phạm Thái Bường; biên bản nghiệm thu đính kèm."


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits(live_app) -> Iterator[None]:  # noqa: ANN001
    """Every test's sign-ins come from 127.0.0.1: start with clean rate-limit counters."""
    from web.limits import limiter

    with live_app.app_context():
        limiter.reset()
    yield


def test_an_officer_attaches_a_photo_and_a_pdf_and_the_citizen_sees_both(
    laptop: Page,
    base_url: str,
    live_app,  # noqa: ANN001
    staff: dict[str, StaffAccount],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    page, life = laptop, life_of(live_app)
    submitted = life.submit(road_report())
    code, version = submitted.code, submitted.version
    for username, action, inputs in (
        ("ioc.binh", "classify", {"sector": "giao-thong-van-tai"}),
        ("ioc.binh", "forward", {}),
        ("sxd.duc", "accept", {}),
    ):
        version = life.perform(
            actor(staff[username]), code, action, version=version, **inputs
        ).version
    photo, document = tmp_path / "anh-sau-khi-va.jpg", tmp_path / "bien-ban-nghiem-thu.pdf"
    photo.write_bytes(jpeg_with_gps())
    document.write_bytes(pdf())

    # The officer: the result form has a file field; both files go with the proposal.
    sign_in(page, base_url, staff["sxd.duc"])
    open_from_queue(page, "dang-xu-ly", code)
    open_action(page, "propose_result")
    page.fill("#propose_result-result", RESULT)
    page.set_input_files("#propose_result-attachments", [str(photo), str(document)])
    page.click("#propose_result-submit")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "pending_approval")
    files = page.locator("#result-files [data-testid=result-file]")
    expect(files).to_have_count(2)
    sign_out(page)

    # The leader: sees both before approving, and the Phụ lục 2 preview names them.
    sign_in(page, base_url, staff["sxd.em"])
    open_from_queue(page, "cho-phe-duyet", code)
    expect(page.locator("#result-files")).to_contain_text("anh-sau-khi-va.jpg")
    expect(page.locator("#result-files")).to_contain_text("bien-ban-nghiem-thu.pdf")
    thumb = page.locator("#result-files img")
    expect(thumb).to_have_count(1)
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")
    open_action(page, "approve")
    page.click("#approve-submit")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "approved")
    open_action(page, "publish")
    preview = page.locator("#publish-preview-text")
    expect(preview).to_contain_text("bien-ban-nghiem-thu.pdf (văn bản PDF")
    expect(preview).to_contain_text("anh-sau-khi-va.jpg (ảnh")
    shot(page, request, "1-publish-preview")
    page.click("#publish-submit")
    expect(page.locator("#report-state")).to_have_attribute("data-state", "published")
    sign_out(page)

    # The citizen: the published result shows the photo and links the document.
    page.goto(f"{base_url}/ket-qua/{code}")
    shown = page.locator("#result-files [data-testid=result-photo] img")
    expect(shown).to_have_count(1)
    shown.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('#result-files img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    link = page.locator("#result-files [data-testid=result-document]")
    expect(link).to_have_text("bien-ban-nghiem-thu.pdf")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "bien-ban-nghiem-thu.pdf"
    assert Path(download.value.path()).read_bytes() == pdf()
    expect(page.locator("#result-text")).to_contain_text("bien-ban-nghiem-thu.pdf")
    shot(page, request, "2-published")

    # …and on their own tracking page, which names the agency that handled it.
    page.goto(f"{base_url}/theo-doi/{code}?t={submitted.tracking_token}")
    expect(page.locator("#report-agency")).to_contain_text("Sở Xây dựng")
    expect(page.locator("#result-files [data-testid=result-file]")).to_have_count(2)


def test_the_portal_writes_a_chosen_photo_s_size_in_kb_or_mb(
    phone: Page, base_url: str, tmp_path: Path
) -> None:
    small, large = tmp_path / "anh-nho.jpg", tmp_path / "anh-lon.jpg"
    small.write_bytes(b"\xff" * 10 * 1024)  # only the size matters to the list, not the pixels
    large.write_bytes(b"\xff" * (3 * 1024 * 1024 // 2))
    phone.goto(f"{base_url}/gui-phan-anh")
    phone.set_input_files("#files", [str(small), str(large)])
    items = phone.locator("#files-list li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_text("anh-nho.jpg (10 KB)")
    expect(items.nth(1)).to_have_text("anh-lon.jpg (1,5 MB)")
