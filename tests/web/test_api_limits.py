"""Public POSTs are rate limited per client; the refusal is problem details in Vietnamese."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.services.lifecycle import Lifecycle
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


# -- parallel requests ---------------------------------------------------------------------------


class Gate:
    """Holds every request that reaches the view until each of ``parties`` requests has either
    reached it or been answered without it: all of them meet the rate limit before any ends."""

    def __init__(self, parties: int) -> None:
        self.parties, self.arrived = parties, 0
        self.lock, self.open = threading.Lock(), threading.Event()
        self.inside = threading.local()

    def arrive(self) -> None:
        with self.lock:
            self.arrived += 1
            if self.arrived == self.parties:
                self.open.set()

    def hold(self, step: Callable[..., Any]) -> Callable[..., Any]:
        """``step`` of the view, reached only once every request has met the limit."""

        def held(*args: Any, **kwargs: Any) -> Any:
            self.inside.entered = True
            self.arrive()
            assert self.open.wait(timeout=60), "the other requests never came"
            return step(*args, **kwargs)

        return held

    def send(self, request: Callable[[], TestResponse]) -> TestResponse:
        self.inside.entered = False
        try:
            return request()
        finally:
            if not self.inside.entered:  # answered before the view: refused by the limit
                self.arrive()


def in_parallel(
    gate: Gate, request: Callable[[FlaskClient], TestResponse], app: Flask
) -> list[int]:
    """The statuses of ``gate.parties`` copies of ``request``, all sent at the same moment."""
    start = threading.Barrier(gate.parties)
    statuses: list[int] = []

    def one() -> None:
        client = app.test_client()
        start.wait()
        statuses.append(gate.send(lambda: request(client)).status_code)

    threads = [threading.Thread(target=one) for _ in range(gate.parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_parallel_reports_are_limited_like_sequential_ones(
    app: Flask, life: Lifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight reports sent at once from one address: three are accepted (the limit), five get 429;
    the limit is counted when a request arrives, not when its answer leaves."""
    gate = Gate(8)
    monkeypatch.setattr(life, "submit", gate.hold(life.submit))
    statuses = in_parallel(
        gate,
        lambda client: client.post(
            f"{API}/reports", json=road_report(), environ_base=from_ip("10.0.1.1")
        ),
        app,
    )
    assert statuses == [201] * 3 + [429] * 5


@pytest.mark.parametrize("resource", ["replies", "rating"])
def test_parallel_replies_and_ratings_are_limited(
    app: Flask, monkeypatch: pytest.MonkeyPatch, resource: str
) -> None:
    """Without a tracking token each is refused (401), and a refusal counts: three 401, five 429."""
    from web.api import reports

    gate = Gate(8)
    monkeypatch.setattr(reports, "_required_token", gate.hold(reports._required_token))
    address = from_ip(f"10.0.2.{len(resource)}")
    statuses = in_parallel(
        gate,
        lambda client: client.post(
            f"{API}/reports/PA-2026-000001/{resource}", json={}, environ_base=address
        ),
        app,
    )
    assert statuses == [401] * 3 + [429] * 5
