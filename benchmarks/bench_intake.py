"""Benchmark of report intake over HTTP: ``POST /api/v1/reports`` against a bare Flask app.

``run()`` returns a Markdown section (``## Intake``). On PostgreSQL, in a schema of its own (made
here, migrated, dropped after), two servers run one after the other under the same gunicorn
settings and the same number of worker processes (``BENCH_WEB_WORKERS``, default 4):

* **phananh** — the production server of ``phananh serve --production`` (:func:`web.server.serve`,
  the function that command calls), with its rate limits off for this run only: a load
  generator is one client and would be refused after five reports (``RATELIMIT_ENABLED=False``,
  Flask-Limiter's setting, passed as an application setting; the defaults of
  :mod:`web.limits` are unchanged);
* **bare** — Flask + SQLAlchemy inserting one report row and one event row in one transaction
  (:func:`bare_app`): what any intake must at least do.

The load comes from a second process on 127.0.0.1 (:func:`load`, threads and ``http.client``),
bounded in count and time: a closed loop of ``CONCURRENCY`` clients for ``SECONDS`` (requests/s,
p50, p99), then an open loop offering ``RATE`` requests/s for ``RATE_SECONDS`` (p99 measured from
when each request was due, so a server that falls behind is not excused). Every phananh request
carries a fresh ``Idempotency-Key``, as the API asks. Takes about two minutes.
"""

from __future__ import annotations

import json
import math
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # when run as `python benchmarks/bench_intake.py`
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
CONCURRENCY = 8
SECONDS = 15.0
MAX_REQUESTS = 20_000
RATE = 200
RATE_SECONDS = 10.0
WARM_UP = 100
#: A request of the open loop not sent this late (seconds) is given up and counted as too slow.
MAX_LAG = 2.0
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0
GUNICORN = {
    "worker_class": "sync",
    "timeout": 60,
    "graceful_timeout": 30,
    "accesslog": None,
    "errorlog": "-",
}
REPORT = {
    "name": "Nguyễn Văn An",
    "phone": "0909 123 456",
    "email": "an.nguyen@example.vn",
    "content": "Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.",
    "area": "29557",
    "address": "45 Phạm Thái Bường",
}
PATHS = {"phananh": "/api/v1/reports", "bare": "/reports"}


# -- the bare app --------------------------------------------------------------------------------


def bare_app(url: str) -> Any:
    """Flask + SQLAlchemy Core: one report row and one event row, one transaction, 201."""
    from flask import Flask, jsonify, request
    from sqlalchemy import (
        JSON,
        Column,
        DateTime,
        ForeignKey,
        Integer,
        MetaData,
        String,
        Table,
        Text,
        create_engine,
        func,
        insert,
    )

    metadata = MetaData()
    reports = Table(
        "bare_reports",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(200)),
        Column("phone", String(30)),
        Column("content", Text),
        Column("area", String(10)),
        Column("submitted_at", DateTime(timezone=True), server_default=func.now()),
    )
    events = Table(
        "bare_events",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("report_id", ForeignKey("bare_reports.id")),
        Column("action", String(40)),
        Column("data", JSON),
        Column("at", DateTime(timezone=True), server_default=func.now()),
    )
    engine = create_engine(url, pool_pre_ping=True)
    metadata.create_all(engine)
    app = Flask("bare")

    @app.post("/reports")
    def create() -> Any:
        given = request.get_json()
        with engine.begin() as conn:
            report_id = conn.execute(
                insert(reports)
                .values(
                    name=given["name"],
                    phone=given["phone"],
                    content=given["content"],
                    area=given.get("area"),
                )
                .returning(reports.c.id)
            ).scalar_one()
            conn.execute(insert(events).values(report_id=report_id, action="submit", data={}))
        return jsonify({"id": report_id}), 201

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    return app


def serve_bare(url: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Bare(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {**GUNICORN, "bind": f"127.0.0.1:{port}", "workers": workers}
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return bare_app(url)

    Bare().run()


def serve_phananh(port: int, workers: int) -> None:
    """What ``phananh serve --production`` does, with the rate limits off for the benchmark."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="phananh-metrics-")
    from web import server

    settings = {"CONFIG_DIR": str(ROOT / "config"), "RATELIMIT_ENABLED": False}
    server.serve(settings, host="127.0.0.1", port=port, workers=workers)


# -- the load generator (a second process) -------------------------------------------------------


def _post(port: int, path: str, body: bytes, with_key: bool) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if with_key:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def closed_loop(port: int, path: str, clients: int, seconds: float, limit: int) -> dict[str, Any]:
    """``clients`` threads sending one request after another until ``seconds`` or ``limit``."""
    body, with_key = json.dumps(REPORT).encode(), path.startswith("/api/")
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            with lock:
                if len(latencies) + len(errors) >= limit:
                    return
            sent = time.perf_counter()
            status, answer = _post(port, path, body, with_key)
            took = time.perf_counter() - sent
            with lock:
                if status == 201:
                    latencies.append(took)
                else:
                    errors.append(f"{status} {answer[:200]!r}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return summary(latencies, errors, elapsed)


def open_loop(port: int, path: str, rate: int, seconds: float) -> dict[str, Any]:
    """``rate`` requests/s offered for ``seconds``; latency counted from when each was due."""
    body, with_key = json.dumps(REPORT).encode(), path.startswith("/api/")
    due: queue.Queue[float | None] = queue.Queue()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def sender() -> None:
        while (at := due.get()) is not None:
            if time.perf_counter() - at > MAX_LAG:  # the server is that far behind: give up
                with lock:
                    latencies.append(math.inf)
                continue
            status, answer = _post(port, path, body, with_key)
            took = time.perf_counter() - at
            with lock:
                if status == 201:
                    latencies.append(took)
                else:
                    errors.append(f"{status} {answer[:200]!r}")

    threads = [threading.Thread(target=sender) for _ in range(64)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    for n in range(int(rate * seconds)):
        at = started + n / rate
        time.sleep(max(0.0, at - time.perf_counter()))
        due.put(at)
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    return summary(latencies, errors, time.perf_counter() - started)


def _finite(value: float) -> float | None:
    """``None`` for a percentile among the requests given up (JSON has no infinity)."""
    return None if math.isinf(value) else value


def summary(latencies: list[float], errors: list[str], elapsed: float) -> dict[str, Any]:
    given_up = sum(1 for v in latencies if v == math.inf)
    return {
        "ok": len(latencies) - given_up,
        "given_up": given_up,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "seconds": elapsed,
        "rps": (len(latencies) - given_up) / elapsed,
        "p50_ms": _finite(percentile(latencies, 0.50) * 1000),
        "p99_ms": _finite(percentile(latencies, 0.99) * 1000),
    }


def load(port: int, path: str) -> dict[str, Any]:
    closed_loop(port, path, CONCURRENCY, 10.0, WARM_UP)  # connections, caches, the JIT of nothing
    return {
        "closed": closed_loop(port, path, CONCURRENCY, SECONDS, MAX_REQUESTS),
        "open": open_loop(port, path, RATE, RATE_SECONDS),
    }


# -- the run -------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, process: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz in time")


def measure(which: str, database: str) -> dict[str, Any]:
    """Start one server, load it from a second process, stop it."""
    port = free_port()
    env: Mapping[str, str] = {
        **os.environ,
        "DATABASE_URL": database,
        "SECRET_KEY": "bench-intake",
        "PYTHONPATH": str(ROOT),
    }
    me = str(Path(__file__).resolve())
    server = subprocess.Popen(
        [sys.executable, me, "serve", which, str(port), str(WORKERS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_ready(port, server)
        out = subprocess.run(
            [sys.executable, me, "load", str(port), PATHS[which]],
            env=env,
            capture_output=True,
            check=True,
            timeout=300,
        )
        return json.loads(out.stdout)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def answers(url: str) -> bool:
    """Whether the PostgreSQL server of ``url`` takes a connection."""
    from sqlalchemy.exc import OperationalError

    from engine.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def statements_of_a_request(database: str) -> tuple[int, int]:
    """SQL statements and commits of one ``POST /api/v1/reports`` (in process, after a warm-up)."""
    from sqlalchemy import Engine, event

    from web import create_app

    os.environ["DATABASE_URL"] = database
    app = create_app({"CONFIG_DIR": str(ROOT / "config"), "RATELIMIT_ENABLED": False})
    client = app.test_client()
    counts = {"statements": 0, "commits": 0}

    def post() -> None:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        assert client.post(PATHS["phananh"], json=REPORT, headers=headers).status_code == 201

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def commit(*_: Any) -> None:
        counts["commits"] += 1

    post()
    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    try:
        post()
    finally:
        event.remove(Engine, "before_cursor_execute", statement)
        event.remove(Engine, "commit", commit)
    return counts["statements"], counts["commits"]


def run() -> str:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from engine.store import make_engine, migrate

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not answers(url):
        return f"## Intake\n\nNot measured: no PostgreSQL answers at `{url}` (set `BENCH_DATABASE_URL`).\n"
    schema = f"bench_intake_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    database = scoped.render_as_string(hide_password=False)
    try:
        migrate.upgrade(database)
        statements = statements_of_a_request(database)
        bare = measure("bare", database)
        phananh = measure("phananh", database)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return report(bare, phananh, statements)


def ms(value: float | None) -> str:
    return f"> {MAX_LAG * 1000:,.0f}" if value is None else f"{value:,.1f}"


def report(bare: dict[str, Any], phananh: dict[str, Any], statements: tuple[int, int]) -> str:
    ratio = phananh["closed"]["rps"] / bare["closed"]["rps"]
    p99 = phananh["open"]["p99_ms"]
    lines = [
        "## Intake",
        "",
        f"`POST` of one JSON report on PostgreSQL, both apps under gunicorn with {WORKERS} sync "
        f"worker processes, the load from a second process on 127.0.0.1: {CONCURRENCY} clients "
        f"one request after another for {SECONDS:.0f} s (at most {MAX_REQUESTS:,}), then "
        f"{RATE} requests/s offered for {RATE_SECONDS:.0f} s, latency counted from when each "
        f"was due (a request {MAX_LAG:.0f} s late is given up, counted as too slow). phananh: "
        "`POST /api/v1/reports` of the production server, a fresh `Idempotency-Key` each, rate limits off for the run. Bare: Flask + SQLAlchemy, one "
        "report row and one event row in one transaction.",
        "",
        "| App | Requests/s | p50 (ms) | p99 (ms) | Errors | p99 at "
        f"{RATE} req/s (ms) | Served at {RATE} req/s | Errors there |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in (("phananh `POST /api/v1/reports`", phananh), ("bare Flask", bare)):
        closed, fixed = result["closed"], result["open"]
        lines.append(
            f"| {name} | {closed['rps']:,.0f} | {ms(closed['p50_ms'])} | {ms(closed['p99_ms'])} "
            f"| {closed['errors']} | {ms(fixed['p99_ms'])} | {fixed['rps']:,.0f}/s "
            f"({fixed['given_up']:,} given up) | {fixed['errors']} |"
        )
    lines += [
        "",
        f"- Throughput {ratio:.2f} of the bare app's: "
        + ("meets" if ratio >= TARGET_RATIO else "misses")
        + f" the target of {TARGET_RATIO:.2f}. p99 at {RATE} req/s: {ms(p99)} ms, "
        + ("meets" if p99 is not None and p99 < TARGET_P99_MS else "misses")
        + f" the target of {TARGET_P99_MS:.0f} ms.",
    ]
    lines += (
        f"- Load average of the machine when the section was written: "
        f"{os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[2]:.1f} (15 min), on "
        f"{os.cpu_count()} cores shared with other work: the rates are this machine's, today.",
        f"- One phananh request: {statements[0]} SQL statements in {statements[1]} "
        f"commit{'' if statements[1] == 1 else 's'} (the idempotency claim, the submission and "
        "the stored answer share one transaction); the bare app: 2 in 1.",
    )
    for name, result in (("phananh", phananh), ("bare", bare)):
        error = result["closed"]["first_error"] or result["open"]["first_error"]
        if error:
            lines.append(f"- First error of {name}: `{error}`.")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    if argv[:1] == ["serve"]:
        which, port, workers = argv[1], int(argv[2]), int(argv[3])
        if which == "bare":
            serve_bare(os.environ["DATABASE_URL"], port, workers)
        else:
            serve_phananh(port, workers)
    elif argv[:1] == ["load"]:
        print(json.dumps(load(int(argv[1]), argv[2])))
    else:
        print(run())


if __name__ == "__main__":
    main(sys.argv[1:])
