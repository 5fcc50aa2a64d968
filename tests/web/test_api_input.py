"""Bad input is refused field by field; markup is data; a confidential reporter never shows."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from engine.services.lifecycle import Lifecycle
from engine.store.models import Report, Reporter
from tests.web.test_api_support import (
    API,
    OpenApi,
    drive,
    is_problem,
    jpeg,
    make_app,
    new_key,
    road_report,
)
from tests.web.test_api_support import openapi as openapi  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_app(tmp_path_factory.mktemp("input"), RATELIMIT_PUBLIC_POST="1000 per minute")


def reports(life: Lifecycle) -> int:
    with life.uow.read() as session:
        return session.scalar(select(func.count()).select_from(Report)) or 0


# -- each field's limits -------------------------------------------------------------------------

BAD_JSON: dict[str, tuple[dict[str, Any], str, str]] = {
    # case: (changes to a valid report, the field named, words of the Vietnamese message)
    "name missing": ({"name": None}, "name", "Chưa có họ tên"),
    "name blank": ({"name": "   "}, "name", "Chưa có họ tên"),
    "phone missing": ({"phone": None}, "phone", "Chưa có số điện thoại"),
    "phone not Vietnamese": ({"phone": "+1 415 555 0100"}, "phone", "Số điện thoại không hợp lệ"),
    "phone too short": ({"phone": "0909 123"}, "phone", "Số điện thoại không hợp lệ"),
    "phone a number": ({"phone": 909123456}, "phone", "phải là chuỗi ký tự"),
    "e-mail invalid": ({"email": "an@"}, "email", "Địa chỉ thư điện tử không hợp lệ"),
    "content missing": ({"content": None}, "content", "Chưa có nội dung phản ánh"),
    "content too long": ({"content": "ổ gà " * 1001}, "content", "dài quá 5000 ký tự"),
    "name too long": ({"name": "A" * 201}, "name", "dài quá 200 ký tự"),
    "address too long": ({"address": "đường " * 100}, "address", "dài quá 500 ký tự"),
    "no place": ({"area": None, "address": None}, "place", "Chưa có địa điểm"),
    "outside the province": (
        {"latitude": 21.0285, "longitude": 105.8542},
        "latitude",
        "nằm ngoài địa bàn tỉnh",
    ),
    "latitude alone": ({"latitude": 10.25}, "latitude", "Cần cả vĩ độ và kinh độ"),
    "latitude as text": ({"latitude": "10.25", "longitude": 105.9}, "latitude", "số thập phân"),
    "latitude a flag": ({"latitude": True, "longitude": 105.9}, "latitude", "số thập phân"),
    "latitude out of range": ({"latitude": 91, "longitude": 105.9}, "latitude", "từ -90 đến 90"),
    "unknown commune": ({"area": "99999"}, "area", "Địa bàn '99999' không tồn tại"),
    "commune as number": ({"area": 29557}, "area", "phải là chuỗi ký tự"),
    "unknown sector": ({"sector": "thien-van"}, "sector", "Lĩnh vực 'thien-van' không tồn tại"),
    "confidential as text": ({"confidential": "yes"}, "confidential", "true hoặc false"),
    "unknown channel": ({"channel": "email"}, "channel", "mobile, web"),
    "unknown field": ({"lat": 10.2}, "lat", "không được hỗ trợ"),
    "control character": ({"name": "An\x00"}, "name", "ký tự điều khiển"),
    "lone surrogate": ({"content": "ổ gà \ud800"}, "content", "ký tự không hợp lệ"),
}


@pytest.mark.parametrize("changes, field, words", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_each_bad_field_is_refused_and_named(
    client: FlaskClient,
    life: Lifecycle,
    openapi: OpenApi,
    changes: dict[str, Any],
    field: str,
    words: str,
) -> None:
    before = reports(life)
    body = road_report(**{k: v for k, v in changes.items() if v is not None})
    for name in [k for k, v in changes.items() if v is None]:
        body.pop(name, None)
    response = client.post(
        f"{API}/reports",
        data=json.dumps(body),  # ASCII, so that a lone surrogate travels as "\\ud800"
        content_type="application/json",
        headers={"Idempotency-Key": new_key()},
    )
    problem = is_problem(response, 422, field)
    assert problem["title"] == "Dữ liệu không hợp lệ"
    assert any(words in e["message"] for e in problem["errors"] if e["field"] == field), problem
    assert problem.get("detail_en")
    openapi.check(response, "/reports", "post")
    assert reports(life) == before


def test_every_wrong_field_is_named_at_once(client: FlaskClient) -> None:
    response = client.post(
        f"{API}/reports",
        json={"phone": "12345", "content": "", "email": "x", "area": None},
    )
    body = is_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["name", "phone", "email", "content", "place"]


def test_a_file_that_claims_to_be_a_jpeg_but_is_not_is_refused(
    client: FlaskClient, life: Lifecycle, openapi: OpenApi
) -> None:
    before = reports(life)
    response = client.post(
        f"{API}/reports",
        data={
            **road_report(),
            "media": [(io.BytesIO(b"MZ\x90\x00 not a photo at all"), "anh.jpg", "image/jpeg")],
        },
        content_type="multipart/form-data",
    )
    body = is_problem(response, 422, "media")
    assert "anh.jpg" in body["errors"][0]["message"]
    openapi.check(response, "/reports", "post")
    assert reports(life) == before


def test_too_many_files_and_broken_forms_are_refused(client: FlaskClient) -> None:
    photos = [(io.BytesIO(jpeg(size=(8 + i, 8))), f"{i}.jpg") for i in range(7)]
    too_many = client.post(
        f"{API}/reports",
        data={**road_report(), "media": photos},
        content_type="multipart/form-data",
    )
    assert "tối đa 6 tệp" in is_problem(too_many, 422, "media")["detail"]
    wrong_field = client.post(
        f"{API}/reports",
        data={**road_report(), "anh": (io.BytesIO(jpeg()), "a.jpg")},
        content_type="multipart/form-data",
    )
    is_problem(wrong_field, 422, "anh")
    twice = client.post(
        f"{API}/reports",
        data={**road_report(), "name": ["An", "Bình"]},
        content_type="multipart/form-data",
    )
    is_problem(twice, 422, "name")
    flag = client.post(
        f"{API}/reports",
        data=road_report(confidential="có lẽ"),
        content_type="multipart/form-data",
    )
    is_problem(flag, 422, "confidential")


def test_a_body_that_is_not_a_json_object_is_refused(client: FlaskClient) -> None:
    for raw in ("{không phải json", "[1, 2]", '"chuỗi"'):
        response = client.post(f"{API}/reports", data=raw, content_type="application/json")
        assert is_problem(response, 400)["title"] == "Yêu cầu không hợp lệ"
    as_text = client.post(f"{API}/reports", data="name=An", content_type="text/plain")
    assert "text/plain" in is_problem(as_text, 415)["detail"]


# -- many errors ---------------------------------------------------------------------------------


def test_thousands_of_wrong_fields_get_an_answer_smaller_than_the_request(
    client: FlaskClient, openapi: OpenApi
) -> None:
    """The first 50 errors are listed and the rest counted: an answer 20 times the request was a
    way to make the service send out far more than it received."""
    unknown = {f"khong_co_{i:05}": 1 for i in range(20_000)}
    sent = json.dumps(road_report(sector="giao-thong-van-tai", extra=unknown)).encode()
    response = client.post(f"{API}/reports", data=sent, content_type="application/json")
    body = is_problem(response, 422, "extra.khong_co_00000")
    assert len(body["errors"]) == 50 and body["errors_omitted"] == 19_950
    assert "và 19950 mục khác" in body["detail"] and "and 19950 more" in body["detail_en"]
    assert len(response.get_data()) < len(sent) // 4
    openapi.check(response, "/reports", "post")
    few = is_problem(client.post(f"{API}/reports", json={"phone": "1"}), 422)
    assert "errors_omitted" not in few and "mục khác" not in few["detail"]


# -- nesting -------------------------------------------------------------------------------------


def nested(depth: int) -> str:
    """A JSON object whose ``extra`` nests ``depth`` arrays."""
    return '{"extra": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/reports", {}),
        ("/reports", {"Idempotency-Key": "0f6e1c9a-4b55-4cf3-9d7e-5b1a2c3d4e5f"}),
        ("/auth/token", {}),
        ("/reports/PA-2026-000001/replies", {"X-Tracking-Token": "any"}),
    ],
    ids=["report", "report with a key", "sign-in", "reply"],
)
def test_a_body_nested_too_deeply_is_refused_as_such(
    client: FlaskClient, life: Lifecycle, path: str, headers: dict[str, str]
) -> None:
    """Thousands of brackets are a clear 400, not the parser's RecursionError (a 500)."""
    before = reports(life)
    response = client.post(
        f"{API}{path}", data=nested(50_000), content_type="application/json", headers=headers
    )
    body = is_problem(response, 400)
    assert body["type"].endswith("/json_too_deep")
    assert "lồng nhau quá sâu" in body["detail"] and "32" in body["detail"]
    assert reports(life) == before


def test_brackets_inside_strings_and_moderate_nesting_are_not_too_deep(
    client: FlaskClient,
) -> None:
    """Only structure counts: a text full of brackets, or a few levels, is read as usual."""
    text = client.post(f"{API}/reports", json=road_report(content='"[[[{{{' * 2000))
    assert text.status_code == 422 and "dài quá" in text.get_json()["detail"]
    shallow = client.post(f"{API}/reports", data=nested(30), content_type="application/json")
    assert is_problem(shallow, 422, "extra")


def test_extra_nested_too_deeply_in_a_form_is_named(client: FlaskClient) -> None:
    response = client.post(
        f"{API}/reports",
        data={**road_report(), "extra": "[" * 5000 + "]" * 5000},
        content_type="multipart/form-data",
    )
    body = is_problem(response, 422, "extra")
    assert "lồng nhau quá sâu" in body["errors"][0]["message"]


# -- markup is data ------------------------------------------------------------------------------

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    "${7*7} {% raw %}{{ config }}{% endraw %}",
    "<svg/onload=alert('phản ánh')>",
    "javascript:alert(document.cookie)",
    "'; DROP TABLE reports; --",
)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_is_stored_as_typed_and_returned_as_data(
    client: FlaskClient, life: Lifecycle, payload: str
) -> None:
    content = f"Ổ gà trước nhà {payload}"
    created = client.post(
        f"{API}/reports",
        json=road_report(name=f"An {payload}", content=content, address=payload),
    )
    assert created.status_code == 201
    code, token = created.json["code"], created.json["tracking_token"]
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        reporter = session.scalars(select(Reporter).where(Reporter.report_id == report.id)).one()
        assert (report.content, report.address, reporter.name) == (
            content,
            payload,
            f"An {payload}",
        )
    mine = client.get(f"{API}/reports/{code}", headers={"X-Tracking-Token": token})
    assert (mine.json["content"], mine.json["address"]) == (content, payload)
    drive(life, code)
    public = client.get(f"{API}/reports/{code}")
    assert public.mimetype == "application/json"
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert (public.json["content"], public.json["address"]) == (content, payload)
    assert public.json["reporter_name"] == f"An {payload}"
    texts = [v for k, v in public.json.items() if isinstance(v, str) and not k.endswith("_at")]
    assert not [t for t in texts if "49" in t.replace(code, "")]  # nothing was evaluated
    replied = client.post(
        f"{API}/reports/{code}/replies", json={"text": payload}, headers={"X-Tracking-Token": token}
    )
    assert replied.json["replies"][-1]["text"] == payload


# -- a confidential reporter (Đ5.4, Đ10.2) -------------------------------------------------------


def test_a_confidential_reporter_never_appears_in_a_public_answer(
    client: FlaskClient, life: Lifecycle
) -> None:
    marker = "Zqx7Marker"
    phone = "0387 654 219"  # valid, and used by no other test
    answers: list[TestResponse] = []
    created = client.post(
        f"{API}/reports",
        data={
            "name": f"Lê {marker} Name",
            "phone": phone,
            "email": f"{marker.lower()}@example.vn",
            "reporter_address": f"12 đường {marker} Home",
            "address": "45 Phạm Thái Bường",
            "area": "29557",
            "content": "Cống thoát nước bị nghẹt trước số 45, nước tràn ra đường.",
            "confidential": "true",
            "media": [(io.BytesIO(jpeg()), f"{marker}.jpg", "image/jpeg")],
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 201
    answers.append(created)
    code, token = created.json["code"], created.json["tracking_token"]
    auth = {"X-Tracking-Token": token}

    def public_answers() -> None:
        one = client.get(f"{API}/reports/{code}")
        assert one.status_code == 404
        answers.append(one)
        for query in ({"size": 100}, {"q": marker}, {"q": "cong thoat nuoc"}):
            listed = client.get(f"{API}/reports", query_string=query)
            assert code not in listed.get_data(as_text=True)
            answers.append(listed)
        for photo_id in range(1, 40):
            answers.append(client.get(f"{API}/photos/{photo_id}"))

    public_answers()
    drive(life, code)
    with life.uow.read() as session:
        assert session.scalars(select(Report.state).where(Report.code == code)).one() == (
            "answered_privately"
        )
    answers.append(client.post(f"{API}/reports/{code}/replies", json={"text": "?"}, headers=auth))
    answers.append(
        client.post(f"{API}/reports/{code}/rating", json={"rating": "hai_long"}, headers=auth)
    )
    public_answers()

    assert all(a.status_code in (200, 201, 404) for a in answers)
    for answer in answers:
        text = answer.get_data(as_text=True).lower()
        assert marker.lower() not in text, answer.request.url
        assert "0387654219" not in text.replace(" ", "") and phone not in text
    # The reporter's own view has the private answer, without their contact details.
    mine = client.get(f"{API}/reports/{code}", headers=auth).json
    assert mine["status"] == "answered_privately" and mine["answered"] is True
    assert phone not in str(mine) and f"{marker.lower()}@" not in str(mine).lower()
