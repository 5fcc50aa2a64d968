"""CPU cost of one report intake: ``POST /api/v1/reports`` against the bare app, in one process.

What :mod:`benchmarks.bench_intake` measures as throughput under gunicorn follows, on a machine
with few cores, the CPU time a request costs; this measures that time directly, so a change can
be judged on a machine shared with other work (where wall time says little). For each app, in a
schema of its own on PostgreSQL (made here, migrated, dropped after), ``N`` requests through the
Flask test client after a warm-up, each phananh request with a fresh ``Idempotency-Key``:

* wall ms a request;
* Python CPU ms a request (``time.process_time`` of this process: Flask, our code, SQLAlchemy,
  psycopg);
* PostgreSQL CPU ms a request (utime + stime in ``/proc/<pid>/stat`` of the backends connected
  to the database, other than this script's own: the ones serving the app's pool).

phananh is built as :func:`benchmarks.bench_intake.statements_of_a_request` builds it, with the
production server's request log on and the rate limits off; the bare app is
:func:`benchmarks.bench_intake.bare_app`. ``--profile`` prints the top of a cProfile of
phananh's requests, on process time (the database's time is not in it).

Run: ``PYTHONPATH=. python benchmarks/profile_intake.py [--requests 400] [--warm-up 50]
[--profile] [--url postgresql+psycopg://postgres@127.0.0.1:5432/intake_prof]``; the database
must exist (``createdb -h 127.0.0.1 -U postgres intake_prof``) and run on this machine.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # when run as `python benchmarks/profile_intake.py`
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_intake import PATHS, REPORT, bare_app  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/intake_prof"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cost:
    """Milliseconds a request, over ``requests`` requests."""

    requests: int
    wall_ms: float
    python_ms: float
    postgres_ms: float

    def line(self, name: str) -> str:
        return (
            f"{name:8} {self.requests:5} requests: wall {self.wall_ms:6.2f} ms, "
            f"Python CPU {self.python_ms:5.2f} ms, PostgreSQL CPU {self.postgres_ms:5.2f} ms, "
            f"CPU {self.python_ms + self.postgres_ms:5.2f} ms"
        )


def backend_seconds(admin: Any) -> float:
    """CPU seconds so far of the backends on the admin connection's database, except its own."""
    from sqlalchemy import text

    pids = admin.execute(
        text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
    ).scalars()
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / TICKS


def measure(send: Callable[[], None], admin: Any, requests: int, warm_up: int) -> Cost:
    for _ in range(warm_up):
        send()
    pg_before = backend_seconds(admin)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    for _ in range(requests):
        send()
    cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
    pg = backend_seconds(admin) - pg_before
    return Cost(requests, wall * 1000 / requests, cpu * 1000 / requests, pg * 1000 / requests)


def phananh_sender(database: str) -> Callable[[], None]:
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="phananh-metrics-"))
    from web import create_app

    settings = {"CONFIG_DIR": str(ROOT / "config"), "RATELIMIT_ENABLED": False}
    app = create_app({**settings, "REQUEST_LOG": True})
    from web.request_log import LOGGER

    for handler in LOGGER.handlers:  # the request log's lines: written, but not to the terminal
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (open for the process)
    client = app.test_client()

    def send() -> None:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        answer = client.post(PATHS["phananh"], json=REPORT, headers=headers)
        assert answer.status_code == 201, answer.get_data(as_text=True)

    return send


def bare_sender(database: str) -> Callable[[], None]:
    client = bare_app(database).test_client()

    def send() -> None:
        assert client.post(PATHS["bare"], json=REPORT).status_code == 201

    return send


def profiled(send: Callable[[], None], requests: int, top: int = 40) -> str:
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(requests):
        send()
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str]) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from engine.store import make_engine, migrate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("PROFILE_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warm-up", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", choices=("phananh", "bare"))
    args = parser.parse_args(argv)

    schema = f"profile_intake_{uuid.uuid4().hex[:8]}"
    admin_engine = make_engine(args.url)
    with admin_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(args.url).update_query_dict({"options": f"-csearch_path={schema}"})
    database = scoped.render_as_string(hide_password=False)
    try:
        migrate.upgrade(database)
        with admin_engine.connect() as admin:
            admin.execution_options(isolation_level="AUTOCOMMIT")
            results = []
            for name, make in (("bare", bare_sender), ("phananh", phananh_sender)):
                if args.only not in (None, name):
                    continue
                send = make(database)
                results.append(measure(send, admin, args.requests, args.warm_up).line(name))
                if args.profile and name == "phananh":
                    print(profiled(send, args.requests))
        print("\n".join(results))
    finally:
        with admin_engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
