"""Public POSTs are rate limited per client; the refusal is problem details in Vietnamese."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.test_api_support import (
    API,
    OpenApi,
    is_problem,
    make_app,
    new_key,
    road_report,
)
from tests.web.test_api_support import openapi as openapi  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_app(tmp_path_factory.mktemp("limits"), RATELIMIT_PUBLIC_POST="3 per minute")


def from_ip(address: str) -> dict[str, str]:
    return {"REMOTE_ADDR": address}


def test_a_client_over_the_limit_gets_429_problem_details(
    client: FlaskClient, openapi: OpenApi
) -> None:
    for _ in range(3):  # refused reports count too: they cost the server the same
        response = client.post(f"{API}/reports", json={}, environ_base=from_ip("10.0.0.1"))
        assert response.status_code == 422
    over = client.post(f"{API}/reports", json=road_report(), environ_base=from_ip("10.0.0.1"))
    body = is_problem(over, 429)
    assert body["title"] == "Gửi quá nhiều yêu cầu"
    assert body["detail"].startswith("Bạn đã gửi quá nhiều yêu cầu (giới hạn: 3 lần mỗi 1 phút)")
    assert int(over.headers["Retry-After"]) >= 1
    openapi.check(over, "/reports", "post")
    # Another client is not affected.
    other = client.post(f"{API}/reports", json=road_report(), environ_base=from_ip("10.0.0.2"))
    assert other.status_code == 201


def test_replies_and_ratings_are_limited_too(client: FlaskClient) -> None:
    url = f"{API}/reports/PA-2026-000001/rating"
    for _ in range(3):
        assert client.post(url, json={}, environ_base=from_ip("10.0.0.3")).status_code == 401
    is_problem(client.post(url, json={}, environ_base=from_ip("10.0.0.3")), 429)


def test_a_replayed_answer_costs_nothing(client: FlaskClient) -> None:
    key, ip = new_key(), from_ip("10.0.0.4")
    headers = {"Idempotency-Key": key}
    first = client.post(f"{API}/reports", json=road_report(), headers=headers, environ_base=ip)
    assert first.status_code == 201
    for _ in range(5):  # a phone on a bad network retries
        again = client.post(f"{API}/reports", json=road_report(), headers=headers, environ_base=ip)
        assert again.status_code == 201 and again.json["code"] == first.json["code"]
    for _ in range(2):
        assert client.post(f"{API}/reports", json={}, environ_base=ip).status_code == 422
    is_problem(client.post(f"{API}/reports", json={}, environ_base=ip), 429)


def test_reading_is_not_limited(client: FlaskClient) -> None:
    for _ in range(10):
        assert client.get(f"{API}/reports", environ_base=from_ip("10.0.0.5")).status_code == 200
