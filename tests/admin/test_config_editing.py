"""Editing the configuration from /admin: versions, validation, preview, what-if, rollback."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from engine import configstore
from web.runtime import lifecycle

AREA = "29242"  # Phường Trà Vinh
NARROWED = f"""
  - id: moi-truong-tra-vinh
    sector: moi-truong
    areas: ["{AREA}"]
    agency: SNNMT
    priority: 10
"""


def _files(app: Flask) -> tuple[int, dict[str, str]]:
    with app.app_context(), lifecycle().uow.read() as session:
        version = configstore.active(session)
        return version.id, dict(version.files)


def _count(app: Flask) -> int:
    with app.app_context(), lifecycle().uow.read() as session:
        return len(configstore.history(session))


def _route(app: Flask, client: FlaskClient) -> str | None:
    with app.test_request_context("/"):
        app.preprocess_request()
        decision = lifecycle().rules.route("moi-truong", AREA)
        return decision.value["agency"] if decision else None


def _save(client: FlaskClient, name: str, text: str, reason: str = "Thử sửa") -> object:
    return client.post(
        "/admin/tep-cau-hinh/",
        data={"tep": name, "noi_dung": text, "ly_do": reason, "thao_tac": "luu"},
    )


def test_a_valid_edit_makes_a_version_that_routes_the_next_request(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, files = _files(app)
    assert _route(app, admin_client) != "SNNMT"
    sectors = files["sectors.yaml"]
    anchor = "  - id: moi-truong\n    sector: moi-truong\n    area_committee: true\n"
    assert anchor in sectors
    edited = sectors.replace(anchor, anchor + NARROWED)
    answer = _save(admin_client, "sectors.yaml", edited, "Môi trường Trà Vinh về Sở NN&MT")
    assert answer.status_code == 302
    page = admin_client.get(answer.headers["Location"]).get_data(as_text=True)
    after_id, after = _files(app)
    assert after_id > before_id and after["sectors.yaml"] == edited
    assert f"phiên bản cấu hình {after_id}" in page
    assert _route(app, admin_client) == "SNNMT"
    history = admin_client.get("/admin/phien-ban/").get_data(as_text=True)
    assert "Môi trường Trà Vinh về Sở NN&amp;MT" in history
    assert "+    priority: 10" in history
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", history)


def test_an_invalid_edit_shows_file_and_line_and_writes_nothing(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, files = _files(app)
    count = _count(app)
    broken = files["sla.yaml"] + "\nkhong_co_truong_nay: 1\n"
    answer = _save(admin_client, "sla.yaml", broken)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert re.search(r"sla\.yaml:\d+: ", page)
    assert "khong_co_truong_nay: 1" in page  # the typed text is kept
    assert _files(app) == (before_id, files) and _count(app) == count


def test_a_save_needs_a_reason(app: Flask, admin_client: FlaskClient) -> None:
    count = _count(app)
    _, files = _files(app)
    answer = _save(admin_client, "sla.yaml", files["sla.yaml"] + "\n", reason=" ")
    assert answer.status_code == 422 and "lý do" in answer.get_data(as_text=True)
    assert _count(app) == count


def _preview(client: FlaskClient, name: str, text: str) -> str:
    answer = client.post(
        "/admin/tep-cau-hinh/", data={"tep": name, "noi_dung": text, "thao_tac": "xem-truoc"}
    )
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_template_preview_renders_the_sample(app: Flask, admin_client: FlaskClient) -> None:
    count = _count(app)
    page = _preview(admin_client, "templates/ket-qua.txt.j2", "Kính gửi {{ ten_nguoi_phan_anh }}")
    assert 'id="preview-output"' in page and "Kính gửi Nguyễn Văn An" in page
    _, files = _files(app)
    mail = files["templates/mail/reporter.received.j2"]
    page = _preview(admin_client, "templates/mail/reporter.received.j2", mail)
    assert 'id="preview-output"' in page and "PA-2026-000123" in page
    assert _count(app) == count


def test_template_preview_shows_the_syntax_error_line(admin_client: FlaskClient) -> None:
    page = _preview(admin_client, "templates/ket-qua.txt.j2", "dòng 1\ndòng 2\n{% if %}\n")
    assert 'id="preview-error"' in page and "Dòng 3:" in page and "cú pháp" in page


def test_the_sandbox_refuses_python_internals(app: Flask, admin_client: FlaskClient) -> None:
    text = "{{ ''.__class__.__mro__ }}"
    page = _preview(admin_client, "templates/ket-qua.txt.j2", text)
    assert 'id="preview-error"' in page and "không được phép" in page
    assert "class &#39;object&#39;" not in page and "<class" not in page
    count = _count(app)
    answer = _save(admin_client, "templates/ket-qua.txt.j2", text)
    assert answer.status_code == 422 and "templates/ket-qua.txt.j2:1:" in answer.get_data(
        as_text=True
    )
    assert _count(app) == count


def test_what_if_shows_the_table_and_writes_nothing(app: Flask, admin_client: FlaskClient) -> None:
    before = _files(app)
    count = _count(app)
    answer = admin_client.post(
        "/admin/thu-thay-doi/",
        data={"tep": "sla.yaml", "noi_dung": before[1]["sla.yaml"], "tu_ngay": "2026-01-01"},
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'id="whatif-table"' in page and "01/01/2026" in page
    assert _files(app) == before and _count(app) == count


def test_rollback_makes_a_new_version(app: Flask, admin_client: FlaskClient) -> None:
    first = min(v.id for v in _history(app))
    _, files = _files(app)
    assert _save(admin_client, "sla.yaml", files["sla.yaml"] + "# thử\n").status_code == 302
    current, _ = _files(app)
    refused = admin_client.post(f"/admin/phien-ban/{first}/khoi-phuc", data={"ly_do": ""})
    assert refused.status_code == 302 and _files(app)[0] == current
    answer = admin_client.post(
        f"/admin/phien-ban/{first}/khoi-phuc", data={"ly_do": "Quay lại cấu hình ban đầu"}
    )
    assert answer.status_code == 302
    new_id, files = _files(app)
    assert new_id > current
    with app.app_context(), lifecycle().uow.read() as session:
        restored = configstore.get(session, new_id)
        assert (
            restored.restored_from_id == first
            and restored.files == configstore.get(session, first).files
        )
    page = admin_client.get("/admin/phien-ban/").get_data(as_text=True)
    assert "Quay lại cấu hình ban đầu" in page and f"khôi phục phiên bản {first}" in page


def _history(app: Flask) -> list[configstore.VersionInfo]:
    with app.app_context(), lifecycle().uow.read() as session:
        return configstore.history(session)


def test_posts_need_the_csrf_token(app: Flask, admin_client: FlaskClient) -> None:
    page = admin_client.get("/admin/phien-ban/").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        _, files = _files(app)
        count = _count(app)
        answer = _save(admin_client, "sla.yaml", files["sla.yaml"] + "# không token\n")
        assert answer.status_code == 400 and _count(app) == count
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
