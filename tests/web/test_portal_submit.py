"""The report form (Đ5): what it shows, what it accepts, and how it refuses, field by field."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from engine.services.lifecycle import Lifecycle
from engine.store.models import Attachment, Report, Reporter
from tests.apps import make_app
from tests.engine.media_samples import VINH_LONG, jpeg_with_gps
from tests.web.test_portal_support import (
    PHUOC_HAU,
    TRANSPORT,
    post,
    report_form,
    text_of,
    upload,
)
from web.limits import limiter


def reports(life: Lifecycle) -> int:
    with life.uow.read() as session:
        return session.scalar(select(func.count()).select_from(Report)) or 0


def test_form_is_in_vietnamese_with_every_field_and_the_communes(client: FlaskClient) -> None:
    response = client.get("/gui-phan-anh")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="vi">' in html
    page = text_of(html)
    for label in (
        "Họ và tên",
        "Số điện thoại",
        "Thư điện tử (không bắt buộc)",
        "Nội dung phản ánh",
        "Lĩnh vực (không bắt buộc)",
        "Xã, phường nơi xảy ra sự việc",
        "Địa chỉ, nơi xảy ra sự việc",
        "Vị trí trên bản đồ",
        "Chụp ảnh ngay",
        "Chọn ảnh, video có sẵn",
        "Giữ bí mật họ tên và địa chỉ của tôi",
        "chịu trách nhiệm về nội dung này",
    ):
        assert label in page, label
    for name in (
        "name",
        "phone",
        "email",
        "content",
        "sector",
        "area",
        "address",
        "latitude",
        "longitude",
        "files",
        "camera",
        "confidential",
        "acknowledge",
    ):
        assert f'name="{name}"' in html, name
    area_select = re.search(r'<select[^>]*name="area".*?</select>', html, re.S)
    assert area_select is not None
    options = re.findall(r'<option value="(\d+)"', area_select.group(0))
    assert len(options) == 124 and PHUOC_HAU in options
    assert "Phường Phước Hậu" in page and "Giao thông - Vận tải" in page
    assert 'accept="image/*,video/*"' in html and 'capture="environment"' in html
    assert 'enctype="multipart/form-data"' in html
    # The map: tiles come from the configuration; Leaflet from this site, nothing from a CDN.
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert "/leaflet/leaflet.js" in html and "/leaflet/leaflet.css" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)


def test_leaflet_is_served_from_its_package(client: FlaskClient) -> None:
    script = client.get("/leaflet/leaflet.js")
    assert script.status_code == 200 and b"Leaflet" in script.data[:500]
    assert script.mimetype in ("text/javascript", "application/javascript")
    assert client.get("/leaflet/leaflet.css").mimetype == "text/css"
    assert client.get("/leaflet/images/marker-icon.png").mimetype == "image/png"
    assert client.get("/leaflet/../__init__.py").status_code == 404
    assert client.get("/static/portal.js").status_code == 200


def test_a_report_with_a_phone_photo_takes_the_photos_place(
    app: Flask, client: FlaskClient, life: Lifecycle
) -> None:
    data = report_form(area="", address="", files=[upload(jpeg_with_gps(), "IMG_0001.jpg")])
    response = post(client, "/gui-phan-anh", data, content_type="multipart/form-data")
    assert response.status_code == 303
    code = response.headers["Location"].rsplit("/", 1)[-1]
    assert re.fullmatch(r"PA-\d{4}-\d{6}", code)

    page = client.get(f"/da-gui/{code}")
    html = page.get_data(as_text=True)
    assert code in html and "Vị trí của phản ánh được lấy từ ảnh bạn gửi" in html
    link = re.search(
        rf'id="tracking-link"[^>]*href="(http://localhost/theo-doi/{code}\?t=[^"]+)"', html
    )
    assert link, "the private tracking link is shown"
    assert '<meta name="referrer" content="no-referrer">' in html
    assert page.headers["Cache-Control"] == "no-store"

    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        reporter = session.get(Reporter, report.id)
        (attachment,) = session.scalars(
            select(Attachment).where(Attachment.report_id == report.id)
        ).all()
        assert (report.latitude, report.longitude) == pytest.approx(VINH_LONG, abs=1e-4)
        assert report.channel == "web" and report.area is None and report.confidential is False
        assert reporter is not None and reporter.name == "Nguyễn Văn An"
        assert reporter.phone == "0909 123 456" and reporter.email == "an.nguyen@example.vn"
        stored, thumbnail = attachment.path, attachment.thumbnail_path
    media = Path(app.config["MEDIA_ROOT"])
    for relative in (stored, thumbnail):
        assert relative is not None
        data = (media / relative).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif(), "no EXIF is kept"
            assert "exif" not in image.info and "icc_profile" not in image.info
        assert b"Samsung" not in data and b"GPSLatitude" not in data and b"Vinh Long" not in data

    # The private link opens the report for its reporter.
    tracking = client.get(link.group(1).removeprefix("http://localhost"))
    assert tracking.status_code == 200 and "Đã tiếp nhận, chờ phân loại" in text_of(
        tracking.get_data(as_text=True)
    )


def test_a_report_keeps_the_chosen_sector_place_and_confidentiality(
    client: FlaskClient, life: Lifecycle
) -> None:
    data = report_form(sector=TRANSPORT, latitude="10.2401", longitude="105.9702", confidential="y")
    response = post(client, "/gui-phan-anh", data)
    assert response.status_code == 303
    code = response.headers["Location"].rsplit("/", 1)[-1]
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        assert report.suggested_sector == TRANSPORT and report.confidential is True
        assert (report.latitude, report.longitude) == (10.2401, 105.9702)
        assert report.area == PHUOC_HAU and report.address == "45 Phạm Thái Bường"
    # Another browser (no session) sees the code but not the private link.
    other = create_client_without_session(client)
    html = other.get(f"/da-gui/{code}").get_data(as_text=True)
    assert code in html and "/theo-doi/" not in html


def create_client_without_session(client: FlaskClient) -> FlaskClient:
    return client.application.test_client()


BAD_INPUT: list[tuple[str, dict[str, Any], str, str]] = [
    ("name missing", {"name": ""}, "name", "Vui lòng nhập họ và tên"),
    ("name blank", {"name": "   "}, "name", "Vui lòng nhập họ và tên"),
    ("name too long", {"name": "A" * 201}, "name", "Tối đa 200 ký tự"),
    ("phone missing", {"phone": ""}, "phone", "Vui lòng nhập số điện thoại"),
    ("phone invalid", {"phone": "12345"}, "phone", "Số điện thoại không hợp lệ"),
    ("e-mail invalid", {"email": "an.nguyen@"}, "email", "thư điện tử không hợp lệ"),
    ("content missing", {"content": ""}, "content", "Vui lòng mô tả sự việc"),
    ("content too long", {"content": "ổ gà " * 1001}, "content", "vượt quá 5000 ký tự"),
    ("unknown sector", {"sector": "khong-co"}, "sector", "Lĩnh vực này không có"),
    ("unknown commune", {"area": "99999"}, "area", "Xã, phường này không có trong danh sách"),
    ("no place", {"area": "", "address": ""}, "area", "Chưa có địa điểm phản ánh"),
    ("address too long", {"address": "ấp " * 200}, "address", "Tối đa 500 ký tự"),
    (
        "outside the province",
        {"latitude": "21.0285", "longitude": "105.8542"},
        "latitude",
        "nằm ngoài địa bàn tỉnh Vĩnh Long",
    ),
    (
        "half a place",
        {"latitude": "10.25", "longitude": ""},
        "latitude",
        "thiếu vĩ độ hoặc kinh độ",
    ),
    ("not a number", {"latitude": "abc", "longitude": "1e999"}, "latitude", "không hợp lệ"),
    ("no acknowledgement", {"acknowledge": None}, "acknowledge", "xác nhận chịu trách nhiệm"),
    (
        "fake photo",
        {"files": [upload(b"This is not a picture at all.\n" * 20, "anh.jpg")]},
        "files",
        "không phải ảnh hay video dù tên có đuôi .jpg",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_refused_next_to_its_field_and_what_was_typed_is_kept(
    client: FlaskClient, life: Lifecycle, changes: dict[str, Any], field: str, message: str
) -> None:
    before = reports(life)
    data = report_form(**changes)
    response = post(client, "/gui-phan-anh", data, content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    errors = re.search(
        rf'<ul class="errors" id="{field}-error" data-testid="error-{field}"[^>]*>(.*?)</ul>',
        html,
        re.S,
    )
    assert errors, f"an error next to {field}"
    assert message in text_of(errors.group(1))
    assert "Phản ánh chưa được gửi" in html
    assert reports(life) == before, "nothing is stored"
    # What was typed is still there (the other fields at least; files must be chosen again).
    if field != "content":
        assert "Đường Phạm Thái Bường có ổ gà lớn trước số 45" in html
    if field != "phone":
        assert 'value="0909 123 456"' in html
    if field not in ("address", "area"):
        assert 'value="45 Phạm Thái Bường"' in html
    if "latitude" in changes and changes["latitude"] not in ("",):
        assert f'value="{changes["latitude"]}"' in html
    if field == "content":
        assert changes["content"] in html
    if field not in ("area",):
        assert f'<option selected value="{PHUOC_HAU}">' in html


def test_too_many_files_are_refused(client: FlaskClient, life: Lifecycle) -> None:
    before = reports(life)
    files = [upload(jpeg_with_gps(), f"anh-{i}.jpg") for i in range(7)]
    response = post(client, "/gui-phan-anh", report_form(files=files))
    assert response.status_code == 200
    assert "tối đa 6 tệp" in text_of(response.get_data(as_text=True))
    assert reports(life) == before


def test_suggestions_follow_the_text(client: FlaskClient) -> None:
    response = client.get(
        "/goi-y-linh-vuc", query_string={"text": "Đường có ổ gà, rác thải bốc mùi"}
    )
    assert response.status_code == 200 and response.is_json
    sectors = {s["sector"]: s for s in response.get_json()["suggestions"]}
    assert set(sectors) == {"giao-thong-van-tai", "moi-truong"}
    assert sectors["moi-truong"]["name"] == "Môi trường"
    assert sectors["giao-thong-van-tai"]["matched"] == ["ổ gà"]
    assert client.get("/goi-y-linh-vuc").get_json() == {"suggestions": []}
    assert client.get("/goi-y-linh-vuc?text=xin+chao").get_json() == {"suggestions": []}


# -- with the protections of production: CSRF tokens and the rate limit ------------------------


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_app(
        tmp_path_factory.mktemp("strict"),
        SECRET_KEY="strict",
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
    )


def test_a_form_without_its_token_is_refused_and_keeps_what_was_typed(strict_app: Flask) -> None:
    client = strict_app.test_client()
    life: Lifecycle = strict_app.extensions["phananh.lifecycle"]
    response = post(client, "/gui-phan-anh", report_form())
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Phiên làm việc đã hết hạn" in html and "phản ánh chưa được gửi" in html
    assert "Đường Phạm Thái Bường có ổ gà lớn" in html, "what was typed is kept"
    assert reports(life) == 0
    # The page carries a fresh token: sending again with it works.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert token
    again = post(client, "/gui-phan-anh", report_form(csrf_token=token.group(1)))
    assert again.status_code == 303 and reports(life) == 1
    # The tracking page's forms are protected too.
    refused = post(client, "/theo-doi/PA-2026-000001/danh-gia", {"rating": "hai_long"})
    assert refused.status_code == 400


def test_public_posts_are_rate_limited_per_client(strict_app: Flask) -> None:
    client = strict_app.test_client()
    limiter.reset()
    here = {"REMOTE_ADDR": "192.0.2.7"}
    form = client.get("/gui-phan-anh", environ_base=here).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert found
    token = {"csrf_token": found.group(1)}
    statuses = [
        client.post("/gui-phan-anh", data=token, environ_base=here).status_code for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    refused = client.post("/gui-phan-anh", data=token, environ_base=here)
    assert "Gửi quá nhiều yêu cầu" in refused.get_data(as_text=True)
    # Reading the form is never limited, and another client may still send.
    assert client.get("/gui-phan-anh", environ_base=here).status_code == 200
    other = {"REMOTE_ADDR": "192.0.2.8"}
    assert client.post("/gui-phan-anh", data=token, environ_base=other).status_code == 200
    limiter.reset()


def test_the_error_list_does_not_double_a_labels_full_stop(client: FlaskClient) -> None:
    """The undertaking's label ends with a full stop; its line in the list reads «…này: …»."""
    response = post(client, "/gui-phan-anh", report_form(acknowledge=None))
    summary = re.search(r'id="error-summary".*?</div>', response.get_data(as_text=True), flags=re.S)
    assert summary
    text = text_of(summary.group())
    assert "chịu trách nhiệm về nội dung này: " in text
    assert ".:" not in text
