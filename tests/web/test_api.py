"""API v1: sending a report (JSON and multipart), reading it, the reporter's reply and rating.

The idempotency tests are in ``test_api_idempotency.py``, bad input and what must never show in
``test_api_input.py``, the OpenAPI document in ``test_api_openapi.py``, rate limits in
``test_api_limits.py``.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from engine.services.lifecycle import Lifecycle
from engine.store.models import Attachment, Report, Reporter
from tests.web.test_api_support import (
    API,
    VINH_LONG,
    OpenApi,
    drive,
    is_problem,
    jpeg,
    make_app,
    road_report,
    submit,
)
from tests.web.test_api_support import openapi as openapi  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_app(tmp_path_factory.mktemp("api"), RATELIMIT_PUBLIC_POST="1000 per minute")


def stored(life: Lifecycle, code: str) -> tuple[Report, Reporter, list[Attachment]]:
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        reporter = session.scalars(select(Reporter).where(Reporter.report_id == report.id)).one()
        files = list(session.scalars(select(Attachment).where(Attachment.report_id == report.id)))
        session.expunge_all()
    return report, reporter, files


# -- sending -------------------------------------------------------------------------------------


def test_a_report_sent_as_json_is_received(
    client: FlaskClient, life: Lifecycle, openapi: OpenApi
) -> None:
    response = client.post(f"{API}/reports", json=road_report(latitude=10.25, longitude=105.97))
    body = openapi.check(response, "/reports", "post")
    assert response.status_code == 201
    assert body["code"].startswith("PA-") and body["status"] == "received"
    assert body["status_label"] == "Đã tiếp nhận, chờ phân loại"
    assert response.headers["Location"] == f"{API}/reports/{body['code']}"
    assert response.headers["Cache-Control"] == "no-store"
    assert body["tracking_url"].endswith(f"/reports/{body['code']}?token={body['tracking_token']}")
    report, reporter, files = stored(life, body["code"])
    assert (report.channel, report.area, report.latitude, report.longitude) == (
        "mobile",
        "29557",
        10.25,
        105.97,
    )
    assert (reporter.name, reporter.phone, reporter.email) == (
        "Nguyễn Văn An",
        "0909 123 456",
        "an.nguyen@example.vn",
    )
    assert files == [] and not report.confidential
    # The tracking link opens the reporter's view.
    view = client.get(body["tracking_url"].removeprefix("http://localhost"))
    assert view.status_code == 200 and view.get_json()["view"] == "reporter"


def test_a_report_sent_with_a_photo_takes_its_place_and_keeps_no_exif(
    app: Flask, client: FlaskClient, life: Lifecycle, openapi: OpenApi
) -> None:
    fields = road_report(confidential="false", channel="web")
    del fields["address"]
    response = client.post(
        f"{API}/reports",
        data={**fields, "media": [(io.BytesIO(jpeg()), "IMG_0001.jpg", "image/jpeg")]},
        content_type="multipart/form-data",
    )
    body = openapi.check(response, "/reports", "post")
    assert response.status_code == 201
    report, _, files = stored(life, body["code"])
    assert report.channel == "web"
    assert report.latitude == pytest.approx(VINH_LONG[0], abs=1e-4)
    assert report.longitude == pytest.approx(VINH_LONG[1], abs=1e-4)
    assert [(f.kind, f.content_type, f.filename) for f in files] == [
        ("photo", "image/jpeg", "IMG_0001.jpg")
    ]
    kept = Path(app.config["MEDIA_ROOT"]) / files[0].path
    with Image.open(kept) as image:
        assert not image.getexif() and "exif" not in image.info
    assert b"Samsung" not in kept.read_bytes()


def test_coordinates_given_win_over_the_photos(client: FlaskClient, life: Lifecycle) -> None:
    response = client.post(
        f"{API}/reports",
        data={
            **road_report(latitude="10,1", longitude="106.3"),
            "media": [(io.BytesIO(jpeg()), "a.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    report, _, _ = stored(life, response.get_json()["code"])
    assert (report.latitude, report.longitude) == (10.1, 106.3)


def test_a_photo_alone_gives_the_place_and_one_outside_the_province_does_not(
    client: FlaskClient,
) -> None:
    fields = road_report(area=None, address=None)
    inside = client.post(
        f"{API}/reports",
        data={**fields, "media": [(io.BytesIO(jpeg()), "a.jpg")]},
        content_type="multipart/form-data",
    )
    assert inside.status_code == 201
    hanoi = client.post(
        f"{API}/reports",
        data={**fields, "media": [(io.BytesIO(jpeg((21.03, 105.85))), "b.jpg")]},
        content_type="multipart/form-data",
    )
    is_problem(hanoi, 422, "place")


# -- reading -------------------------------------------------------------------------------------


def test_an_unpublished_report_is_not_public_and_a_published_one_is(
    client: FlaskClient, life: Lifecycle, openapi: OpenApi
) -> None:
    created = client.post(
        f"{API}/reports",
        data={**road_report(), "media": [(io.BytesIO(jpeg()), "o-ga.jpg")]},
        content_type="multipart/form-data",
    ).get_json()
    code = created["code"]
    hidden = client.get(f"{API}/reports/{code}")
    is_problem(hidden, 404)
    openapi.check(hidden, "/reports/{code}", "get")
    assert code not in [r["code"] for r in client.get(f"{API}/reports?size=100").json["items"]]

    drive(life, code)
    response = client.get(f"{API}/reports/{code}")
    body = openapi.check(response, "/reports/{code}", "get")
    assert body["view"] == "public" and body["code"] == code
    assert body["reporter_name"] == "Nguyễn Văn An"  # shown: no confidentiality asked (Đ5.4)
    assert "Đã vá ổ gà ngày 23/4/2026." in body["result"]  # in the Phụ lục 2 template
    assert body["sector"] == "giao-thong-van-tai" and body["area_name"] == "Phường Phước Hậu"
    assert body["submitted_at"].endswith("+07:00") and body["published_at"].endswith("+07:00")
    assert "phone" not in body and "email" not in body
    [photo] = body["photos"]
    picture = client.get(photo["url"])
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(picture.data)) as image:
        assert not image.getexif()
    assert client.get(photo["thumbnail_url"]).mimetype == "image/jpeg"

    listed = client.get(
        f"{API}/reports", query_string={"sector": "giao-thong-van-tai", "q": "o ga"}
    )
    page = openapi.check(listed, "/reports", "get")
    assert code in [r["code"] for r in page["items"]] and page["page"] == 1


def test_photos_of_unpublished_reports_are_not_served(client: FlaskClient, life: Lifecycle) -> None:
    created = client.post(
        f"{API}/reports",
        data={**road_report(), "media": [(io.BytesIO(jpeg()), "a.jpg")]},
        content_type="multipart/form-data",
    ).get_json()
    _, _, files = stored(life, created["code"])
    is_problem(client.get(f"{API}/photos/{files[0].id}"), 404)
    is_problem(client.get(f"{API}/photos/{files[0].id}/thumbnail"), 404)


def test_the_listing_refuses_bad_filters(client: FlaskClient, openapi: OpenApi) -> None:
    response = client.get(f"{API}/reports", query_string={"since": "22/4/2026", "size": "1000"})
    body = is_problem(response, 422, "since")
    assert "size" in [e["field"] for e in body["errors"]]
    openapi.check(response, "/reports", "get")


@pytest.mark.parametrize("name", ["since", "until"])
def test_an_empty_date_filter_is_refused_not_ignored(client: FlaskClient, name: str) -> None:
    """``until=`` is no date: a client that lost its value must hear so, not get every report."""
    body = is_problem(client.get(f"{API}/reports?{name}="), 422, name)
    assert "YYYY-MM-DD" in body["detail"]


def test_the_public_listing_refuses_the_staff_filters(client: FlaskClient) -> None:
    """Without a staff token ``state=…`` filters nothing: saying so beats an unfiltered page."""
    response = client.get(f"{API}/reports", query_string={"state": "received", "overdue": "1"})
    body = is_problem(response, 422, "state")
    assert {e["field"] for e in body["errors"]} == {"state", "overdue"}
    assert "cán bộ" in body["detail"]


def test_the_public_listing_refuses_unknown_codes(client: FlaskClient) -> None:
    """A misspelt sector or commune is named, not answered with an empty page."""
    response = client.get(f"{API}/reports", query_string={"sector": "giao-thong", "area": "1"})
    body = is_problem(response, 422, "sector")
    assert {e["field"] for e in body["errors"]} == {"sector", "area"}
    assert client.get(f"{API}/reports", query_string={"sector": ""}).status_code == 200


def test_the_reporter_sees_the_story_with_the_token(
    client: FlaskClient, life: Lifecycle, openapi: OpenApi
) -> None:
    created = submit(client)
    code, token = created["code"], created["tracking_token"]
    for response in (
        client.get(f"{API}/reports/{code}", headers={"X-Tracking-Token": token}),
        client.get(f"{API}/reports/{code}", query_string={"token": token}),
    ):
        body = openapi.check(response, "/reports/{code}", "get")
        assert response.headers["Cache-Control"] == "no-store"
        assert body["view"] == "reporter" and body["status"] == "received"
        assert body["status_label"] == "Đã tiếp nhận, chờ phân loại"
        assert [s["label"] for s in body["steps"]] == ["Bạn đã gửi phản ánh"]
        assert body["expected_by"].endswith("+07:00")
        assert body["result"] is None and body["answered"] is False
        assert "name" not in body and "phone" not in body and "email" not in body
    wrong = client.get(f"{API}/reports/{code}", headers={"X-Tracking-Token": "doan-bua"})
    is_problem(wrong, 403)
    openapi.check(wrong, "/reports/{code}", "get")
    is_problem(
        client.get(f"{API}/reports/PA-1999-999999", headers={"X-Tracking-Token": token}), 404
    )


# -- reply and rating (Đ11) ----------------------------------------------------------------------


def test_the_reporter_replies_to_and_rates_the_result(
    client: FlaskClient, life: Lifecycle, openapi: OpenApi
) -> None:
    created = submit(client)
    code, token = created["code"], created["tracking_token"]
    auth = {"X-Tracking-Token": token}
    early = client.post(f"{API}/reports/{code}/rating", json={"rating": "hai_long"}, headers=auth)
    is_problem(early, 422)  # nothing to rate before the result
    openapi.check(early, "/reports/{code}/rating", "post")

    drive(life, code)
    replied = client.post(
        f"{API}/reports/{code}/replies",
        json={"text": "Xin cho biết khi nào sơn lại vạch?"},
        headers=auth,
    )
    body = openapi.check(replied, "/reports/{code}/replies", "post")
    assert replied.status_code == 201
    assert [r["text"] for r in body["replies"]] == ["Xin cho biết khi nào sơn lại vạch?"]
    assert body["replies"][0]["at"].endswith("+07:00")
    assert "Đã vá ổ gà" in body["result"] and body["answered"] is True

    rated = client.post(
        f"{API}/reports/{code}/rating",
        json={"rating": "chap_nhan_duoc"},
        query_string={"token": token},
    )
    body = openapi.check(rated, "/reports/{code}/rating", "post")
    assert rated.status_code == 200
    assert (body["rating"], body["rating_label"]) == ("chap_nhan_duoc", "Chấp nhận được")
    assert client.get(f"{API}/reports/{code}").json["rating"] == "chap_nhan_duoc"


def test_reply_and_rating_need_the_right_token_and_valid_input(
    client: FlaskClient, life: Lifecycle, openapi: OpenApi
) -> None:
    created = submit(client)
    code, token = created["code"], created["tracking_token"]
    drive(life, code)
    rating = f"{API}/reports/{code}/rating"
    missing = client.post(rating, json={"rating": "hai_long"})
    is_problem(missing, 401, "X-Tracking-Token")
    openapi.check(missing, "/reports/{code}/rating", "post")
    wrong = client.post(rating, json={"rating": "hai_long"}, headers={"X-Tracking-Token": "x"})
    is_problem(wrong, 403)
    auth = {"X-Tracking-Token": token}
    is_problem(client.post(rating, json={"rating": "tuyet_voi"}, headers=auth), 422, "rating")
    is_problem(client.post(rating, json={}, headers=auth), 422, "rating")
    is_problem(client.post(rating, data="rating=hai_long", headers=auth), 415)
    replies = f"{API}/reports/{code}/replies"
    is_problem(client.post(replies, json={"text": "  "}, headers=auth), 422, "text")
    is_problem(client.post(replies, json={"text": "x" * 5001}, headers=auth), 422, "text")
    is_problem(client.post(replies, json={"text": 5}, headers=auth), 422, "text")
    is_problem(
        client.post(f"{API}/reports/PA-1999-1/replies", json={"text": "?"}, headers=auth), 404
    )


def test_a_change_between_reading_and_acting_is_a_conflict(
    client: FlaskClient, life: Lifecycle, openapi: OpenApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = submit(client)
    code, token = created["code"], created["tracking_token"]
    drive(life, code)
    from web.api import reports

    real = reports.tracking

    def stale(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        view = real(*args, **kwargs)  # type: ignore[arg-type]
        return dataclasses.replace(view, version=view.version - 1)

    monkeypatch.setattr(reports, "tracking", stale)
    response = client.post(
        f"{API}/reports/{code}/rating",
        json={"rating": "hai_long"},
        headers={"X-Tracking-Token": token},
    )
    body = is_problem(response, 409)
    assert body["title"] == "Xung đột phiên bản" and code in body["detail"]
    openapi.check(response, "/reports/{code}/rating", "post")


def test_unknown_api_paths_and_methods_answer_problem_details(client: FlaskClient) -> None:
    assert is_problem(client.get(f"{API}/khong-co"), 404)["title"] == "Không tìm thấy"
    is_problem(client.delete(f"{API}/reports"), 405)


def test_a_method_not_allowed_names_the_allowed_ones(client: FlaskClient) -> None:
    """RFC 9110 §15.5.6: a 405 carries ``Allow``, so a client can tell what the path takes."""
    response = client.open(f"{API}/reports/PA-2026-000001", method="TRACE")
    is_problem(response, 405)
    assert {"GET", "HEAD", "OPTIONS"} <= set(response.headers["Allow"].split(", "))
    assert "POST" not in response.headers["Allow"]
    assert {"GET", "POST"} <= set(client.delete(f"{API}/reports").headers["Allow"].split(", "))
