"""A citizen who lost the private link finds the report again by its code and phone number."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.services.lifecycle import Lifecycle
from engine.store.models import Event, OutboxMessage, Report
from tests.apps import make_app
from tests.web.test_portal_support import post, send_report, text_of
from web.limits import limiter

PHONE = "0909 123 456"  # what report_form sends


def _without_code(response_text: str, code: str) -> str:
    return text_of(response_text).replace(code, "CODE")


def test_a_wrong_pair_answers_as_a_missing_code(client: FlaskClient) -> None:
    code, _ = send_report(client, email="", confidential="y")
    missing = "PA-2026-999999"
    wrong = post(client, "/tra-cuu", {"code": code, "phone": "0912 000 111"})
    absent = post(client, "/tra-cuu", {"code": missing, "phone": PHONE})

    assert wrong.status_code == absent.status_code == 404
    assert _without_code(wrong.get_data(as_text=True), code) == _without_code(
        absent.get_data(as_text=True), missing
    )
    page = text_of(wrong.get_data(as_text=True))
    assert "Không tìm thấy phản ánh với mã và số điện thoại này" in page
    assert "Nguyễn Văn An" not in page and "ổ gà" not in page  # a confidential report: nothing
    assert "Location" not in wrong.headers


def test_the_right_pair_opens_the_tracking_page_with_a_new_link(
    client: FlaskClient, life: Lifecycle
) -> None:
    code, old = send_report(client, email="")
    response = post(client, "/tra-cuu", {"code": code.lower(), "phone": "+84 909-123-456"})

    assert response.status_code == 303
    assert response.headers["Cache-Control"] == "no-store"
    found = re.fullmatch(rf"/theo-doi/{code}\?t=([\w-]+)", response.headers["Location"])
    assert found and found.group(1) != old
    assert client.get(response.headers["Location"]).status_code == 200
    assert client.get(f"/theo-doi/{code}?t={old}").status_code == 403  # the old link is dead
    with life.uow.read() as session:
        report_id = session.scalar(select(Report.id).where(Report.code == code))
        last = session.scalars(
            select(Event).where(Event.report_id == report_id).order_by(Event.seq.desc())
        ).first()
        assert last is not None
        assert (last.action, last.actor, last.data) == (
            "reissue_link",
            "người phản ánh",
            {"sent_to": "page"},
        )


def test_with_an_email_address_the_new_link_is_mailed_not_shown(
    client: FlaskClient, life: Lifecycle
) -> None:
    code, old = send_report(client)  # report_form gives an e-mail address
    response = post(client, "/tra-cuu", {"code": code, "phone": "84909123456"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "đã được gửi đến địa chỉ thư điện tử" in text_of(html)
    assert "/theo-doi/" not in html and "an.nguyen" not in html
    with life.uow.read() as session:
        report_id = session.scalar(select(Report.id).where(Report.code == code))
        (payload,) = session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.report_id == report_id, OutboxMessage.kind == "reporter.new_link"
            )
        ).all()
    token = payload["token"]
    assert payload["to"] == "an.nguyen@example.vn"
    assert token not in html
    assert client.get(f"/theo-doi/{code}?t={old}").status_code == 403
    assert client.get(f"/theo-doi/{code}?t={token}").status_code == 200


def test_an_empty_form_names_what_is_missing(client: FlaskClient) -> None:
    response = post(client, "/tra-cuu", {"code": "", "phone": ""})
    assert response.status_code == 422
    page = text_of(response.get_data(as_text=True))
    assert "Vui lòng nhập mã phản ánh." in page and "Vui lòng nhập số điện thoại." in page


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_app(
        tmp_path_factory.mktemp("lookup-strict"),
        SECRET_KEY="strict",
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
    )


def test_guesses_at_one_code_are_limited_from_every_address(strict_app: Flask) -> None:
    """Per client (the public POST limit) and per code: many addresses guessing one report's
    phone meet the same limit, and the right pair answers 429 too — no oracle there either."""
    client = strict_app.test_client()
    limiter.reset()
    form = client.get("/tra-cuu").get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert found
    guess = {"csrf_token": found.group(1), "code": "PA-2026-000001"}
    statuses = [
        client.post(
            "/tra-cuu",
            data={**guess, "phone": f"0909 000 {n:03d}"},
            environ_base={"REMOTE_ADDR": f"192.0.2.{n + 10}"},
        ).status_code
        for n in range(11)
    ]
    assert statuses == [404] * 10 + [429]
    other = client.post(
        "/tra-cuu",
        data={**guess, "code": "PA-2026-000002", "phone": PHONE},
        environ_base={"REMOTE_ADDR": "192.0.2.99"},
    )
    assert other.status_code == 404  # another code is not held up
    limiter.reset()


def test_a_dead_link_points_to_the_lookup(client: FlaskClient) -> None:
    code, old = send_report(client, email="")
    post(client, "/tra-cuu", {"code": code, "phone": PHONE})
    response = client.get(f"/theo-doi/{code}?t={old}")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert 'id="error-lookup" href="/tra-cuu"' in html
    assert "đã được cấp lại" in text_of(html)
