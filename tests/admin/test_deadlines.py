"""The deadline editor at /admin/thoi-han: steps within the regulation's maxima, overrides, explain."""

from __future__ import annotations

import html
import re

from flask import Flask
from flask.testing import FlaskClient

from engine import configstore
from web.runtime import lifecycle

PAGE = "/admin/thoi-han/"
STEPS = {
    "intake": "2h",
    "forward": "2h",
    "verify": "1d",
    "handle": "6d",
    "approve": "1d",
    "publish": "4h",
}


def _files(app: Flask) -> tuple[int, dict[str, str]]:
    with app.app_context(), lifecycle().uow.read() as session:
        version = configstore.active(session)
        return version.id, dict(version.files)


def _count(app: Flask) -> int:
    with app.app_context(), lifecycle().uow.read() as session:
        return len(configstore.history(session))


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _post(client: FlaskClient, **values: str) -> object:
    data = {**STEPS, "warning_threshold": "75", "ly_do": "Sửa thời hạn", "thao_tac": "luu"}
    return client.post(PAGE, data={**data, **values})


def test_the_steps_show_their_names_articles_and_maxima(admin_client: FlaskClient) -> None:
    page = admin_client.get(PAGE).get_data(as_text=True)
    row = _text(re.search(r'<tr id="buoc-verify">(.*?)</tr>', page, re.S).group(1))
    assert row.startswith("verify") and "Xác minh phạm vi xử lý (Đ8.B2)" in row
    assert "khi chuyển đến cơ quan xử lý" in row
    assert "1d (01 ngày làm việc) — Đ8.B2" in row
    assert re.search(r'<input[^>]*name="verify"[^>]*value="1d"', page)
    assert re.search(r'<input[^>]*name="warning_threshold"[^>]*value="75"', page)
    assert "Tiếp nhận, kiểm tra và phân loại (Đ6.2)" in page


def test_a_step_beyond_its_maximum_is_refused_next_to_the_field(
    app: Flask, admin_client: FlaskClient
) -> None:
    before, count = _files(app), _count(app)
    answer = _post(admin_client, verify="2d")
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    error = re.search(r'id="loi-verify"[^>]*>(.*?)</div>\s*</div>', page, re.S)
    assert error and "vượt mức tối đa 1d của Quy chế (Đ8.B2)" in error.group(1)
    assert re.search(r'<input[^>]*name="verify"[^>]*value="2d"', page)  # typed value kept
    assert _files(app) == before and _count(app) == count


def test_a_bad_duration_or_threshold_is_refused(app: Flask, admin_client: FlaskClient) -> None:
    count = _count(app)
    answer = _post(admin_client, publish="bốn giờ", warning_threshold="150")
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert re.search(r'id="loi-publish"[^>]*>\s*<div>\'bốn giờ\' không phải thời hạn', page)
    assert 'id="loi-warning_threshold"' in page
    assert _count(app) == count


def test_what_if_shows_on_time_rates_and_writes_nothing(
    app: Flask, admin_client: FlaskClient
) -> None:
    before, count = _files(app), _count(app)
    answer = _post(admin_client, handle="1d", thao_tac="thu", tu_ngay="2020-01-01")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'id="whatif-table"' in page and "tỉ lệ đúng hạn" in page
    assert _files(app) == before and _count(app) == count


def test_a_shorter_step_and_threshold_are_saved(app: Flask, admin_client: FlaskClient) -> None:
    before_id, before = _files(app)
    answer = _post(admin_client, publish="3h", warning_threshold="80")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    after_id, after = _files(app)
    assert after_id > before_id
    assert "publish: {duration: 3h, from: approved" in after["sla.yaml"]
    assert "warning_threshold: 0.8\n" in after["sla.yaml"]
    with app.test_request_context("/"):
        app.preprocess_request()
        snapshot = lifecycle().snapshot
        assert str(snapshot.sla.steps["publish"].duration) == "3h"
        assert snapshot.sla.warning_threshold == 0.8
    assert _post(admin_client, ly_do="Trả lại").status_code == 302


def test_overrides_are_added_edited_removed_and_explained(
    app: Flask, admin_client: FlaskClient
) -> None:
    base = _files(app)[1]["sla.yaml"]
    form = {
        "step": "handle",
        "sector": "",
        "agency": "SXD",
        "duration": "4d",
        "reason": "Quyết định của Sở Xây dựng",
        "ly_do": "Thời hạn riêng của Sở Xây dựng",
        "thao_tac": "luu",
    }
    # Beyond the maximum: refused next to the duration.
    answer = admin_client.post(PAGE + "rieng/moi", data={**form, "duration": "7d"})
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    error = re.search(r'id="loi-duration"[^>]*>(.*?)</div>\s*</div>', page, re.S)
    assert error and "vượt mức tối đa 6d của Quy chế (Đ8.B3)" in error.group(1)
    # Neither sector nor agency: refused by the form.
    answer = admin_client.post(PAGE + "rieng/moi", data={**form, "agency": ""})
    assert answer.status_code == 422 and "Chọn lĩnh vực, cơ quan" in answer.get_data(as_text=True)

    answer = admin_client.post(PAGE + "rieng/moi", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    text = _files(app)[1]["sla.yaml"]
    assert "  - step: handle\n    agency: SXD\n    duration: 4d\n" in text
    position = text.split("\noverrides:", 1)[1].count("- step:") - 1

    explained = _text(
        admin_client.get(PAGE + "?buoc=handle&linh_vuc=giao-thong-van-tai&co_quan=SXD").get_data(
            as_text=True
        )
    )
    assert "4d (04 ngày làm việc)" in explained
    assert "thời hạn riêng của cơ quan SXD, lý do: Quyết định của Sở Xây dựng" in explained
    explained = _text(admin_client.get(PAGE + "?buoc=verify&linh_vuc=dien").get_data(as_text=True))
    assert "4h (04 giờ làm việc)" in explained and "thời hạn riêng của lĩnh vực dien" in explained
    explained = _text(admin_client.get(PAGE + "?buoc=approve").get_data(as_text=True))
    assert "thời hạn chung của bước, theo Đ9.2" in explained

    answer = admin_client.post(PAGE + f"rieng/{position}", data={**form, "duration": "5d"})
    assert answer.status_code == 302
    assert "    duration: 5d\n" in _files(app)[1]["sla.yaml"]
    answer = admin_client.post(
        PAGE + f"rieng/{position}", data={**form, "thao_tac": "xoa", "ly_do": "Bỏ"}
    )
    assert answer.status_code == 302
    assert _files(app)[1]["sla.yaml"] == base


def test_the_auditor_reads_but_cannot_change(app: Flask, auditor_client: FlaskClient) -> None:
    page = auditor_client.get(PAGE).get_data(as_text=True)
    assert "Thời hạn các bước" in page and 'id="nut-luu"' not in page
    assert auditor_client.get(PAGE + "rieng/0").status_code == 200
    assert auditor_client.get(PAGE + "?buoc=verify&linh_vuc=dien").status_code == 200
    count = _count(app)
    assert _post(auditor_client).status_code == 403
    assert auditor_client.post(PAGE + "rieng/0", data={"thao_tac": "xoa"}).status_code == 403
    assert _count(app) == count
