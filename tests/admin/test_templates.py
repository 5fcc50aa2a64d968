"""The template editor at /admin/mau: list, live sandboxed preview, refused saves, read-only audit."""

from __future__ import annotations

import html
import itertools
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import configstore
from engine import templates as sandbox
from web.runtime import lifecycle

PAGE = "/admin/mau/"
RESULT = "templates/ket-qua.txt.j2"
RECEIVED = "templates/mail/reporter.received.j2"
ESCAPE = "{{ ''.__class__.__mro__ }}"


def _files(app: Flask) -> tuple[int, dict[str, str]]:
    with app.app_context(), lifecycle().uow.read() as session:
        version = configstore.active(session)
        return version.id, dict(version.files)


def _count(app: Flask) -> int:
    with app.app_context(), lifecycle().uow.read() as session:
        return len(configstore.history(session))


def _save(client: FlaskClient, name: str, text: str, reason: str = "Sửa mẫu") -> object:
    return client.post(
        PAGE + "sua", data={"ten": name, "noi_dung": text, "ly_do": reason, "thao_tac": "luu"}
    )


def test_the_list_describes_each_template(app: Flask, admin_client: FlaskClient) -> None:
    page = html.unescape(admin_client.get(PAGE).get_data(as_text=True))
    _, files = _files(app)
    for name in files:
        if name.startswith("templates/"):
            assert f"<code>{name}</code>" in page
    assert "Phụ lục 2" in page and "Thư báo người phản ánh: phản ánh đã được tiếp nhận" in page
    assert "ten_nguoi_phan_anh" in page  # the variables a template may use


def test_the_edit_page_shows_the_preview_and_works_without_script(
    admin_client: FlaskClient,
) -> None:
    page = admin_client.get(PAGE + "sua", query_string={"ten": RESULT}).get_data(as_text=True)
    assert 'id="preview-output"' in page and "Nguyễn Văn An" in page
    assert 'value="xem-truoc"' in page and "/static/admin-mau.js" in page
    assert "<script>" not in page  # no inline script: the content policy allows files only
    answer = admin_client.post(
        PAGE + "sua",
        data={
            "ten": RESULT,
            "noi_dung": "Kính gửi {{ ten_nguoi_phan_anh }}",
            "thao_tac": "xem-truoc",
        },
    )
    assert answer.status_code == 200 and "Kính gửi Nguyễn Văn An" in answer.get_data(as_text=True)
    assert admin_client.get(PAGE + "sua", query_string={"ten": "sla.yaml"}).status_code == 404


def test_the_preview_endpoint_answers_json(admin_client: FlaskClient) -> None:
    answer = admin_client.post(
        PAGE + "xem-truoc", data={"ten": RESULT, "noi_dung": "Gửi {{ co_quan_xu_ly }}\r\n"}
    )
    assert answer.status_code == 200 and answer.json == {"output": "Gửi Sở Xây dựng\n"}
    answer = admin_client.post(
        PAGE + "xem-truoc", data={"ten": RECEIVED, "noi_dung": "Tiêu đề\n\n{{ ma_phan_anh }}"}
    )
    assert answer.json == {"output": "Tiêu đề\n\nPA-2026-000123"}
    answer = admin_client.post(
        PAGE + "xem-truoc", data={"ten": RESULT, "noi_dung": "một\nhai\n{% if %}\n"}
    )
    assert answer.json["line"] == 3 and "cú pháp" in answer.json["message"]
    answer = admin_client.post(PAGE + "xem-truoc", data={"ten": RESULT, "noi_dung": ESCAPE})
    assert answer.json["line"] == 1 and "không được phép" in answer.json["message"]
    assert "output" not in answer.json


def test_a_syntax_error_is_refused_with_its_line(app: Flask, admin_client: FlaskClient) -> None:
    before, count = _files(app), _count(app)
    answer = _save(admin_client, RESULT, "dòng 1\ndòng 2\n{% for x in %}\n")
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert f"{RESULT}:3:" in page and "cú pháp" in page
    assert 'id="preview-error"' in page and "Dòng 3:" in page
    assert "dòng 1\ndòng 2\n{% for x in %}" in page  # the typed text is kept
    assert _files(app) == before and _count(app) == count


def test_a_sandbox_escape_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    before, count = _files(app), _count(app)
    for name in (RESULT, RECEIVED):
        answer = _save(admin_client, name, "Tiêu đề\n\n" + ESCAPE + "\n")
        page = html.unescape(answer.get_data(as_text=True))
        assert answer.status_code == 422, name
        assert f"{name}:3:" in page and "phần nội bộ không được phép" in page
        assert "<class 'object'>" not in page
    assert _files(app) == before and _count(app) == count


def test_a_valid_template_is_saved(app: Flask, admin_client: FlaskClient) -> None:
    before_id, before = _files(app)
    text = before[RECEIVED].replace("Đã tiếp nhận", "Đã nhận", 1)
    assert text != before[RECEIVED]
    answer = _save(admin_client, RECEIVED, text.replace("\n", "\r\n"))
    assert answer.status_code == 302
    after_id, after = _files(app)
    assert after_id > before_id and after[RECEIVED] == text
    assert {n: t for n, t in after.items() if n != RECEIVED} == {
        n: t for n, t in before.items() if n != RECEIVED
    }
    page = admin_client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"phiên bản cấu hình {after_id}" in page
    assert _save(admin_client, RECEIVED, before[RECEIVED], "Trả lại").status_code == 302


def test_the_auditor_reads_but_cannot_change(app: Flask, auditor_client: FlaskClient) -> None:
    page = auditor_client.get(PAGE + "sua", query_string={"ten": RESULT}).get_data(as_text=True)
    assert "readonly" in page and 'id="nut-luu"' not in page and "admin-mau.js" not in page
    assert 'id="preview-output"' in page
    count = _count(app)
    assert _save(auditor_client, RESULT, "x").status_code == 403
    assert auditor_client.post(PAGE + "xem-truoc", data={"ten": RESULT}).status_code == 403
    assert _count(app) == count


def test_the_preview_script_is_a_static_file(app: Flask, admin_client: FlaskClient) -> None:
    script = Path(app.static_folder or "") / "admin-mau.js"
    assert script.is_file()
    answer = admin_client.get("/static/admin-mau.js")
    assert answer.status_code == 200 and b"xem-truoc" in answer.data
    answer.close()


def test_the_preview_of_a_costly_template_answers_in_vietnamese(
    admin_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #12: the preview rendered ``('x'*20000000)`` and hung on nested loops."""
    answer = admin_client.post(
        PAGE + "xem-truoc", data={"ten": RESULT, "noi_dung": "{{ ('x'*20000000)|length }}"}
    )
    assert "output" not in answer.json
    assert answer.json["message"].startswith("mẫu vượt giới hạn cho phép: phép nhân chuỗi")
    monkeypatch.setattr(
        sandbox, "LIMITS", sandbox.Limits(seconds=50, clock=itertools.count().__next__)
    )
    nested = "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"
    answer = admin_client.post(PAGE + "xem-truoc", data={"ten": RESULT, "noi_dung": nested})
    assert "output" not in answer.json and "mẫu chạy quá 50 giây" in answer.json["message"]
