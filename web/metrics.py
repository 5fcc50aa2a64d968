"""Prometheus metrics: every request counted and timed by route, and the database's gauges.

Requests are labelled by the URL rule (``/theo-doi/<token>``), never by the path itself, so a
private link or a report's code never becomes a label. Under the production server several
processes answer; ``PROMETHEUS_MULTIPROC_DIR`` (set by ``phananh serve --production``) makes
them write their counts to files there, and a scrape sums them. The gauges of
:mod:`engine.monitoring` are read from the database at each scrape, whichever process answers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from engine.monitoring import read_gauges
from engine.store import UnitOfWork

REQUESTS = Counter(
    "phananh_http_requests",
    "HTTP requests answered, by route (URL rule), method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "phananh_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (URL rule) and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
)
_STARTED = "phananh_started"


def route() -> str:
    """The URL rule that answered, or ``unmatched`` (a 404), never the requested path."""
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_count)


def _start() -> None:
    setattr(g, _STARTED, time.perf_counter())


def _count(response: Response) -> Response:
    started = getattr(g, _STARTED, None)
    name = route()
    REQUESTS.labels(name, request.method, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(name, request.method).observe(time.perf_counter() - started)
    return response


class DatabaseGauges(Collector):
    """Reports by state, the outbox backlog and the overdue clocks, read when scraped."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.uow.read() as session:
            gauges = read_gauges(session, datetime.now(UTC))
        reports = GaugeMetricFamily("phananh_reports", "Reports by state.", labels=["state"])
        for state, count in sorted(gauges.reports_by_state.items()):
            reports.add_metric([state], count)
        backlog = GaugeMetricFamily(
            "phananh_outbox_backlog",
            "Outbox messages neither sent nor parked, by kind.",
            labels=["kind"],
        )
        for kind, count in sorted(gauges.outbox_backlog_by_kind.items()):
            backlog.add_metric([kind], count)
        parked = GaugeMetricFamily(
            "phananh_outbox_parked", "Outbox messages given up on, waiting for a person."
        )
        parked.add_metric([], gauges.outbox_parked)
        overdue = GaugeMetricFamily(
            "phananh_clocks_overdue",
            "Deadline clocks still running past their due time, by step.",
            labels=["step"],
        )
        for step, count in sorted(gauges.overdue_clocks_by_step.items()):
            overdue.add_metric([step], count)
        yield from (reports, backlog, parked, overdue)


def exposition(uow: UnitOfWork) -> Response:
    """The metrics in Prometheus' text format, summed over processes when there are several."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DatabaseGauges(uow))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
