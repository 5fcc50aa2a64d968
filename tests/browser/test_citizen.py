"""A citizen on a phone: report with a photo, follow it, rate the result, find it in the list."""

from __future__ import annotations

import re
from pathlib import Path

from engine.services.lifecycle import Actor, Lifecycle
from engine.workflow import Role
from tests.engine import media_samples

IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)
OFFICER = Actor("Phạm Minh Đức", Role.OFFICER, agency="SXD")
LEADER = Actor("Võ Thị Em", Role.LEADER, agency="SXD")


def publish(life: Lifecycle, code: str) -> None:
    """The IOC and Sở Xây dựng handle the report through to publication (Đ6–Đ10)."""
    steps = [
        (IOC, "classify", {"sector": "giao-thong-van-tai"}),
        (IOC, "forward", {}),
        (OFFICER, "accept", {}),
        (OFFICER, "propose_result", {"result": "Đã vá ổ gà trước nhà số 45 ngày 24/4/2026."}),
        (LEADER, "approve", {}),
        (LEADER, "publish", {}),
    ]
    with life.uow.read() as session:
        from sqlalchemy import select

        from engine.store.models import Report

        version = session.scalars(select(Report.version).where(Report.code == code)).one()
    for actor, action, inputs in steps:
        version = life.perform(actor, code, action, version=version, **inputs).version


def submit_with_photo(phone, base_url: str, tmp_path: Path) -> tuple[str, str]:  # noqa: ANN001
    photo = tmp_path / "o-ga.jpg"
    photo.write_bytes(media_samples.jpeg_with_gps())
    phone.goto(f"{base_url}/")
    phone.click("#cta-submit")
    phone.fill("[name=name]", "Nguyễn Văn An")
    phone.fill("[name=phone]", "0909 123 456")
    phone.fill(
        "[name=content]",
        "Ổ gà lớn giữa đường Phạm Thái Bường, trước nhà số 45, xe máy dễ té ngã vào ban đêm.",
    )
    phone.fill("#area-filter", "Phước Hậu")
    phone.select_option("[name=area]", "29557")  # Phường Phước Hậu, the only one left by the filter
    phone.fill("[name=address]", "45 Phạm Thái Bường")
    phone.set_input_files("[name=files]", str(photo))
    phone.check("[name=acknowledge]")
    phone.click("#submit-report")
    phone.wait_for_selector("#report-code")
    return phone.inner_text("#report-code").strip(), phone.get_attribute("#tracking-link", "href")


def test_report_with_a_photo_from_a_phone(phone, base_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    code, link = submit_with_photo(phone, base_url, tmp_path)
    assert re.fullmatch(r"PA-\d{4}-\d{6}", code)
    assert link and f"/theo-doi/{code}" in link and "t=" in link
    # The form offered the sector suggestion while typing, and the page fits a phone: no
    # horizontal scrolling.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_follow_the_report_and_rate_the_result(
    phone,
    base_url: str,
    live_app,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    code, link = submit_with_photo(phone, base_url, tmp_path)
    publish(live_app.extensions["phananh.lifecycle"], code)
    phone.goto(link if link.startswith("http") else f"{base_url}{link}")
    assert phone.get_attribute("#report-state", "data-state") == "published"
    assert "Kính chào" in phone.inner_text("#result-text")
    assert phone.locator("[data-testid=step]").count() >= 6
    phone.check("#rating-hai_long")
    phone.click("#rating-submit")
    phone.wait_for_selector("#current-rating")
    assert "Hài lòng" in phone.inner_text("#current-rating")


def test_find_the_published_result_with_a_filter(
    phone,
    base_url: str,
    live_app,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    code, _ = submit_with_photo(phone, base_url, tmp_path)
    publish(live_app.extensions["phananh.lifecycle"], code)
    phone.goto(f"{base_url}/ket-qua")
    phone.fill("#filter-q", "o ga, pham thai buong")  # two phrases, typed without diacritics
    phone.click("#filter-submit")
    card = phone.locator(f"[data-testid=result-card][data-code='{code}']")
    card.wait_for()
    assert "Nguyễn Văn An" in card.inner_text()
    assert phone.locator(f"#result-{code} [data-testid=photo]").count() == 1
