"""A photo sent from a phone on a slow uplink (issue 11): shrunk before sending, with progress.

The portal's page draws a photo bigger than the configured longest side (``portal.yaml``'s
``media.max_photo_side``) onto a smaller canvas before sending it, the right way up, keeping where
it was taken; it shows how much is sent while the upload runs; and without JavaScript the same
form still sends the report (the server shrinks the photo then).
"""

from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.serving import make_server

from engine.store.migrate import upgrade
from engine.store.models import Attachment, Report
from engine.uploads import MediaStore
from tests.browser.conftest import PHONE, ROOT
from tests.engine import media_samples
from web import create_app

#: The longest side this province keeps (small, so that the shrunk photo uploads in seconds).
SIDE = 800
#: A 3G uplink at its slowest: 50 KB/s up (Chrome's DevTools throttling, through CDP).
SLOW_UPLINK = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 400 * 1024,
    "uploadThroughput": 50 * 1024,
}
#: Each value the progress bar takes, with the text read to assistive technology.
WATCH_PROGRESS = """
document.addEventListener("DOMContentLoaded", function () {
  var bar = document.getElementById("upload-bar");
  if (!bar) { return; }
  new MutationObserver(function () {
    if (bar.hasAttribute("value")) {
      window.progressSeen(bar.value, bar.getAttribute("aria-valuetext") || "");
    }
  }).observe(bar, { attributes: true, attributeFilter: ["value"] });
});
"""


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - Flask app
    """The default configuration with photos kept at most ``SIDE`` pixels on their longest side."""
    folder = tmp_path_factory.mktemp("upload")
    config = folder / "config"
    shutil.copytree(ROOT / "config", config)
    portal = config / "portal.yaml"
    portal.write_text(
        portal.read_text(encoding="utf-8").replace(
            "max_photo_side: 2560", f"max_photo_side: {SIDE}"
        ),
        encoding="utf-8",
    )
    url = f"sqlite:///{folder / 'upload.db'}"
    upgrade(url)
    app = create_app(
        {
            "CONFIG_DIR": str(config),
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(folder / "media"),
            "SECRET_KEY": "upload-tests",
        }
    )
    assert app.extensions["phananh.lifecycle"] is not None
    return app


#: The size of each report form the server received (its Content-Length), in bytes.
received: list[int] = []


def measured(app):  # noqa: ANN001, ANN201 - a WSGI application
    """``app``, noting the size of every report form posted to it in :data:`received`."""

    def serve(environ, start_response):  # noqa: ANN001, ANN202
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/gui-phan-anh":
            received.append(int(environ.get("CONTENT_LENGTH") or 0))
        return app(environ, start_response)

    return serve


@pytest.fixture(scope="module")
def site(province) -> Iterator[str]:  # noqa: ANN001
    server = make_server("127.0.0.1", 0, measured(province), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def phone_photo(tmp_path: Path) -> Path:
    """A 12 MP-class phone photo: 3000×2000 as stored, EXIF orientation 6 (turn it a quarter
    clockwise to view), taken in Vĩnh Long. Its left half is red, its right half noise (which
    keeps the file big, as a real photo is): shown upright it is 2000×3000 with red on top."""
    image = Image.effect_noise((3000, 2000), 80).convert("RGB")
    image.paste((220, 0, 0), (0, 0, 1500, 2000))
    path = tmp_path / "o-ga-lon.jpg"
    path.write_bytes(media_samples.jpeg(image=image, exif=media_samples.gps_exif(orientation=6)))
    return path


def fill_report(page, *, phone_number: str = "0909 123 456", with_place: bool = False) -> None:  # noqa: ANN001
    page.fill("[name=name]", "Nguyễn Văn An")
    page.fill("[name=phone]", phone_number)
    page.fill(
        "[name=content]",
        "Ổ gà lớn giữa đường Phạm Thái Bường, trước nhà số 45, xe máy dễ té ngã vào ban đêm.",
    )
    if with_place:
        page.select_option("[name=area]", "29557")
        page.fill("[name=address]", "45 Phạm Thái Bường")
    page.check("[name=acknowledge]")


def stored_photo(app, code: str) -> tuple[Image.Image, Report]:  # noqa: ANN001
    life = app.extensions["phananh.lifecycle"]
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        path = session.scalars(
            select(Attachment.path).where(Attachment.report_id == report.id)
        ).one()
        session.expunge(report)
    data = MediaStore(app.config["MEDIA_ROOT"]).path(path).read_bytes()
    return Image.open(io.BytesIO(data)), report


def is_red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 150 and pixel[1] < 80 and pixel[2] < 80


def new_phone(browser, **options: object):  # noqa: ANN001, ANN201
    context = browser.new_context(
        viewport=PHONE, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **options
    )
    context.route("https://**/*", lambda route: route.abort())
    return context


def test_a_big_photo_is_shrunk_and_its_upload_shows_progress_on_a_slow_uplink(
    browser,
    province,
    site: str,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    photo = phone_photo(tmp_path)
    context = new_phone(browser)
    seen: list[tuple[float, str]] = []
    context.expose_function("progressSeen", lambda value, text: seen.append((value, text)))
    context.add_init_script(WATCH_PROGRESS)
    page = context.new_page()
    try:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_UPLINK)
        page.goto(f"{site}/gui-phan-anh")
        page.wait_for_selector("#report-form[data-upload=on]", state="attached")
        # No commune, address or pin: the place comes from where the photo was taken.
        fill_report(page)
        page.set_input_files("[name=files]", str(photo))
        received.clear()
        page.click("#submit-report")
        page.wait_for_selector("#report-code", timeout=180_000)
        code = page.inner_text("#report-code").strip()
    finally:
        context.close()

    # The bar grew while the photo went up: values between empty and full, never going back.
    values = [value for value, _text in seen]
    between = sorted({value for value in values if 0 < value < 100})
    assert len(between) >= 3, f"the bar took only {values}"
    assert values == sorted(values)
    assert values[-1] == 100
    assert any(text == f"Đã gửi {int(between[0])}%" for _value, text in seen)

    # What was sent is far smaller than the photo chosen, and what is kept is SIDE on its
    # longest side, upright (red on top), with the place read from the photo's EXIF.
    assert len(received) == 1 and 0 < received[0] < photo.stat().st_size / 4
    image, report = stored_photo(province, code)
    assert image.size == (SIDE * 2 // 3, SIDE)
    assert is_red(image.convert("RGB").getpixel((image.width // 2, 5)))
    assert not is_red(image.convert("RGB").getpixel((image.width // 2, image.height - 5)))
    assert report.latitude == pytest.approx(media_samples.VINH_LONG[0], abs=1e-3)
    assert report.longitude == pytest.approx(media_samples.VINH_LONG[1], abs=1e-3)
    assert image.getexif() == {}


def test_a_refused_form_sent_with_progress_shows_the_servers_errors(
    browser,
    site: str,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    photo = tmp_path / "nho.jpg"
    photo.write_bytes(media_samples.jpeg_with_gps())
    context = new_phone(browser)
    page = context.new_page()
    try:
        page.goto(f"{site}/gui-phan-anh")
        page.wait_for_selector("#report-form[data-upload=on]", state="attached")
        fill_report(page, phone_number="12345", with_place=True)
        page.set_input_files("[name=files]", str(photo))
        page.click("#submit-report")
        page.wait_for_selector("#error-summary")
        summary = page.inner_text("#error-summary")
        assert "Phản ánh chưa được gửi" in summary
        assert "Số điện thoại" in summary
        assert "Ảnh, video đã chọn cần được chọn lại" in summary
        assert page.url == f"{site}/gui-phan-anh"
        # The page the server answered is live again: its scripts run, the form can be resent.
        page.wait_for_selector("#report-form[data-upload=on]", state="attached")
        assert page.input_value("[name=name]") == "Nguyễn Văn An"
    finally:
        context.close()


def test_without_javascript_the_form_still_sends_and_the_server_shrinks_the_photo(
    browser,
    province,
    site: str,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    photo = phone_photo(tmp_path)
    context = new_phone(browser, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{site}/gui-phan-anh")
        assert page.is_hidden("#upload-progress")
        fill_report(page, with_place=True)
        page.set_input_files("[name=files]", str(photo))
        page.click("#submit-report")
        page.wait_for_selector("#report-code")
        code = page.inner_text("#report-code").strip()
    finally:
        context.close()
    image, _report = stored_photo(province, code)
    assert image.size == (SIDE * 2 // 3, SIDE)
    assert is_red(image.convert("RGB").getpixel((image.width // 2, 5)))


def test_a_lost_connection_says_so_and_the_form_can_be_sent_again(
    browser,
    site: str,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    photo = tmp_path / "nho.jpg"
    photo.write_bytes(media_samples.jpeg_with_gps())
    context = new_phone(browser)
    page = context.new_page()
    try:
        page.goto(f"{site}/gui-phan-anh")
        page.wait_for_selector("#report-form[data-upload=on]", state="attached")
        fill_report(page, with_place=True)
        page.set_input_files("[name=files]", str(photo))
        page.route("**/gui-phan-anh", lambda route: route.abort("internetdisconnected"))
        page.click("#submit-report")
        page.wait_for_selector("#upload-progress.failed")
        assert "mất kết nối" in page.inner_text("#upload-status")
        assert page.get_attribute("#upload-status", "role") == "status"
        # Nothing typed is lost, and the button is back for another try.
        assert page.is_enabled("#submit-report")
        assert page.inner_text("#submit-report") == "Gửi phản ánh"
        assert page.input_value("[name=name]") == "Nguyễn Văn An"
        page.unroute("**/gui-phan-anh")
        page.click("#submit-report")
        page.wait_for_selector("#report-code")
    finally:
        context.close()
