"""What operators read: /healthz, /metrics, the request log and the proxies trusted (issue #10).

The two endpoints answer only to the operators' networks; the metrics and the log name the URL
rule of a request, never its path, so a private tracking link never leaves the app.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.store.models import Clock, OutboxMessage, Report
from tests.apps import make_app
from tests.web.test_portal_support import send_report

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the exposition ``text``, or None when it is absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return None


def test_health_names_the_configuration_in_force_and_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz", environ_base=LOCAL)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert isinstance(body["config_version"], int) and body["config_version"] >= 1


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_the_public_cannot_read_the_operators_endpoints(client: FlaskClient, path: str) -> None:
    assert client.get(path, environ_base=OUTSIDE).status_code == 404
    assert client.get(path, environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_the_operators_networks_are_a_setting(tmp_path: Path) -> None:
    app = make_app(tmp_path, OPS_NETWORKS="10.20.0.0/16, 203.0.113.7")
    client = app.test_client()
    assert client.get("/healthz", environ_base=OUTSIDE).status_code == 200
    assert client.get("/healthz", environ_base={"REMOTE_ADDR": "10.20.3.4"}).status_code == 200
    assert client.get("/healthz", environ_base=LOCAL).status_code == 404


def test_a_wrong_network_is_refused_at_start_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'10.0.0.300'"):
        make_app(tmp_path, OPS_NETWORKS="127.0.0.1,10.0.0.300")


def test_metrics_count_requests_by_route_never_by_path(client: FlaskClient, app: Flask) -> None:
    code, token = send_report(client)
    tracking = f"/theo-doi/{code}?t={token}"
    before = client.get("/metrics", environ_base=LOCAL).get_data(as_text=True)
    counted = {"route": "/theo-doi/<code>", "method": "GET", "status": "200"}
    seen = sample(before, "phananh_http_requests_total", **counted) or 0
    timed = {"route": "/theo-doi/<code>", "method": "GET"}  # every status: earlier 403s too
    timed_before = sample(before, "phananh_http_request_duration_seconds_count", **timed) or 0
    for _ in range(3):
        assert client.get(tracking).status_code == 200
    text = client.get("/metrics", environ_base=LOCAL).get_data(as_text=True)
    assert sample(text, "phananh_http_requests_total", **counted) == seen + 3
    assert code not in text and token not in text
    assert sample(text, "phananh_http_request_duration_seconds_count", **timed) == timed_before + 3


def test_metrics_gauges_agree_with_the_tables(client: FlaskClient, app: Flask) -> None:
    send_report(client)
    text = client.get("/metrics", environ_base=LOCAL).get_data(as_text=True)
    uow = app.extensions["phananh.lifecycle"].uow
    with uow.read() as session:
        states = dict(
            session.execute(select(Report.state, func.count()).group_by(Report.state)).all()
        )
        unsent = dict(
            session.execute(
                select(OutboxMessage.kind, func.count())
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.parked.is_(False))
                .group_by(OutboxMessage.kind)
            ).all()
        )
        running = session.scalar(
            select(func.count()).select_from(Clock).where(Clock.stopped_at.is_(None))
        )
    assert states and unsent and running
    for state, count in states.items():
        assert sample(text, "phananh_reports", state=state) == count
    for kind, count in unsent.items():
        assert sample(text, "phananh_outbox_backlog", kind=kind) == count
    assert sample(text, "phananh_outbox_parked") == 0


def test_each_request_is_one_json_line_without_the_path(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    code, token = send_report(client)
    with caplog.at_level(logging.INFO, logger="phananh.requests"):
        response = client.get(
            f"/theo-doi/{code}?t={token}", headers={"X-Request-ID": "lb-4711-abc"}
        )
        other = client.get("/", headers={"X-Request-ID": "bad id; forged=1"})
    lines = [json.loads(record.getMessage()) for record in caplog.records]
    assert [line["route"] for line in lines] == ["/theo-doi/<code>", "/"]
    assert lines[0]["request_id"] == "lb-4711-abc" == response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", lines[1]["request_id"])
    assert other.headers["X-Request-ID"] == lines[1]["request_id"]
    assert lines[0]["status"] == 200 and lines[0]["method"] == "GET"
    logged = caplog.text
    assert code not in logged and token not in logged


def test_proxies_are_trusted_only_as_many_as_set(tmp_path: Path) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    direct = make_app(tmp_path / "direct").test_client()
    assert direct.get("/healthz", headers=forwarded, environ_base=LOCAL).status_code == 200
    behind = make_app(tmp_path / "behind", PROXIES=1).test_client()
    assert behind.get("/healthz", headers=forwarded, environ_base=LOCAL).status_code == 404
    assert behind.get("/healthz", environ_base=LOCAL).status_code == 200
