"""Who may open /admin: operator_admin (everything), auditor (reading), nobody else."""

from __future__ import annotations

from flask import Flask

from tests.admin.conftest import signed_in

PAGES = (
    "/admin/",
    "/admin/phien-ban/",
    "/admin/tep-cau-hinh/",
    "/admin/thu-thay-doi/",
    "/admin/phan-cong/",
    "/admin/linh-vuc/",
    "/admin/co-quan/",
    "/admin/dia-ban/",
    "/admin/thoi-han/",
    "/admin/lich-lam-viec/",
    "/admin/mau/",
    "/admin/nguoi-dung/",
)


def test_anonymous_is_sent_to_sign_in(app: Flask) -> None:
    client = signed_in(app, None)
    for page in PAGES:
        answer = client.get(page)
        assert answer.status_code == 302, page
        assert "/dang-nhap" in answer.headers["Location"]


def test_officer_is_refused(app: Flask) -> None:
    client = signed_in(app, "can-bo")
    for page in PAGES:
        assert client.get(page).status_code == 403, page


def test_auditor_reads_but_cannot_post(app: Flask) -> None:
    client = signed_in(app, "kiem-tra")
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    home = client.get("/admin/").get_data(as_text=True)
    assert "Phiên bản cấu hình" in home and "chỉ được xem" in home
    editor = client.get("/admin/tep-cau-hinh/?tep=sla.yaml").get_data(as_text=True)
    assert "readonly" in editor and "Lưu thành phiên bản mới" not in editor
    posted = client.post(
        "/admin/tep-cau-hinh/", data={"tep": "sla.yaml", "noi_dung": "x", "ly_do": "thử"}
    )
    assert posted.status_code == 403
    assert client.post("/admin/phien-ban/1/khoi-phuc", data={"ly_do": "x"}).status_code == 403
    assert client.post("/admin/thu-thay-doi/", data={"tep": "sla.yaml"}).status_code == 403


def test_admin_gets_every_page_in_vietnamese(app: Flask) -> None:
    client = signed_in(app, "quan-tri")
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    home = client.get("/admin/").get_data(as_text=True)
    for name in ("Quản trị cấu hình", "Phiên bản cấu hình", "Tệp cấu hình", "Thử thay đổi"):
        assert name in home
    assert "chỉ được xem" not in home


def test_static_files_come_from_the_package(app: Flask) -> None:
    client = signed_in(app, "quan-tri")
    page = client.get("/admin/").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert client.get("/admin/static/bootstrap/bootstrap4/css/bootstrap.min.css").status_code == 200


def test_every_page_says_who_is_signed_in_and_signs_out(app: Flask) -> None:
    client = signed_in(app, "quan-tri")
    for page in PAGES:
        html = client.get(page).get_data(as_text=True)
        assert 'id="admin-staff-name"' in html and "(quan-tri)" in html, page
        assert 'content="vi"' in html, page
    assert client.post("/dang-xuat").status_code in (302, 303)
    assert client.get("/admin/").status_code == 302  # signed out: back to the sign-in page


def test_admin_pages_carry_the_security_headers(app: Flask) -> None:
    """Flask-Admin's pages have no hook of ours: the app-wide one gives them the headers."""
    client = signed_in(app, "quan-tri")
    for page in ("/admin/", "/admin/linh-vuc/", "/admin/nguoi-dung/"):
        answer = client.get(page)
        assert answer.status_code == 200, page
        policy = answer.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, page
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", page
        assert answer.headers.get("Cache-Control") == "no-store", page
        assert answer.headers.get("X-Robots-Tag") == "noindex, nofollow", page
