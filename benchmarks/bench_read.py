"""The read path at scale (issue 13): every page staff and citizens read, at 10 k, 100 k and 1 M.

For each size a database of its own (``bench_read_<N>`` on the server of ``--server``) is made,
migrated and filled by :mod:`seed` (``--reuse`` keeps one already seeded to that size). Each page
is then asked through the Flask test client — staff signed in as the desk's tests sign in — once
to warm up and ``--repeat`` times (5) measured; the median is reported with its baseline, a plain
``SELECT count(*)`` over the same rows measured in the same run. A page slower than
:data:`SLOW_PAGE` on its warm-up is measured twice only (noted). The statements of the slowest
pages are run again under ``EXPLAIN (ANALYZE, BUFFERS)`` into ``explain_read_<N>.txt``. The results
replace the section "Read path at scale" of ``RESULTS.md`` (``make bench-read``)::

    python benchmarks/bench_read.py --sizes 10000,100000,1000000
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(ROOT), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

import seed as seeding  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from run import machine  # noqa: E402
from sqlalchemy import Engine, event, select, text  # noqa: E402

from engine.accounts import create_user  # noqa: E402
from engine.store import make_engine  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.store.models import Report, User  # noqa: E402
from engine.worker.jobs import queue_clock_notices  # noqa: E402
from engine.workflow import Role  # noqa: E402
from web import create_app  # noqa: E402
from web.auth import session_for  # noqa: E402

SECTION = "## Read path at scale"
GOAL_MS = 200.0
SLOW_PAGE = 10.0
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
#: The staff of the run: username → (role, agency). Sở Xây dựng handles transport, a fifth of all.
STAFF = {
    "ioc": (Role.IOC_OPERATOR, None),
    "canbo.sxd": (Role.OFFICER, "SXD"),
    "lanhdao.sxd": (Role.LEADER, "SXD"),
    "kiemtra": (Role.AUDITOR, None),
}
PASSWORD = "mat-khau-do-hieu-nang"
SEARCH_WORD = "ổ gà"
#: The phrase found in any searched column, as the index is written (engine.store.search);
#: the colons escaped for ``text()``.
PHRASE_FOUND = (
    "search_vector @@ to_tsquery('simple'::regconfig, "
    r"'(''o''\:A <-> ''ga''\:A) | (''o''\:B <-> ''ga''\:B) | (''o''\:C <-> ''ga''\:C)')"
)
IOC_STATES = "('received','classified','needs_info','returned','escalated')"
AGENCY_STATES = "('forwarded','in_progress','pending_approval','approved')"
ANSWERED_TO_FOLLOW = (
    "state IN ('published','answered_privately') AND (EXISTS (SELECT 1 FROM replies p WHERE "
    "p.report_id = r.id) OR EXISTS (SELECT 1 FROM ratings g WHERE g.report_id = r.id AND "
    "g.value = 'khong_hai_long'))"
)
OVERDUE = (
    "EXISTS (SELECT 1 FROM clocks c WHERE c.report_id = r.id AND c.stopped_at IS NULL AND "
    "c.paused_at IS NULL AND c.due_at < now())"
)
SXD = "(r.agency = 'SXD' OR r.unit = 'SXD')"


@dataclass(frozen=True)
class Probe:
    """One page (or job) to measure, who asks it, and the count(*) that is its baseline."""

    name: str
    who: str | None
    path: str
    baseline: str


@dataclass
class Measure:
    probe: Probe
    status: int
    bytes: int
    times: list[float]
    baseline: list[float]
    rows: int
    statements: list[tuple[float, str, Any]] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def baseline_ms(self) -> float:
        return statistics.median(self.baseline) * 1000


def probes(sample: str, deep_page: int) -> list[Probe]:
    """What the issue measured; ``sample`` is a published report, ``deep_page`` the list's last."""
    return [
        Probe("Desk home, IOC (6 queues)", "ioc", "/ban-xu-ly/",
              f"SELECT count(*) FROM reports r WHERE state IN {IOC_STATES} OR "
              f"{ANSWERED_TO_FOLLOW}"),
        Probe("Desk home, officer SXD", "canbo.sxd", "/ban-xu-ly/",
              f"SELECT count(*) FROM reports r WHERE {SXD} AND state IN {AGENCY_STATES}"),
        Probe("Desk home, leader SXD", "lanhdao.sxd", "/ban-xu-ly/",
              f"SELECT count(*) FROM reports r WHERE {SXD} AND state IN {AGENCY_STATES}"),
        Probe("IOC queue 'phản hồi', full view", "ioc", "/ban-xu-ly/?hang=phan-hoi",
              f"SELECT count(*) FROM reports r WHERE {ANSWERED_TO_FOLLOW}"),
        Probe("Desk search 'ổ gà'", "ioc", f"/ban-xu-ly/tim-kiem?q={SEARCH_WORD}",
              f"SELECT count(*) FROM reports r WHERE {PHRASE_FOUND}"),
        Probe("Public search /ket-qua?q=ổ gà", None, f"/ket-qua?q={SEARCH_WORD}",
              f"SELECT count(*) FROM reports r WHERE state = 'published' AND {PHRASE_FOUND}"),
        Probe("Public search by code", None, f"/ket-qua?q={sample}",
              f"SELECT count(*) FROM reports r WHERE r.code = '{sample}'"),
        Probe("Desk overdue filter", "ioc", "/ban-xu-ly/tim-kiem?qua-han=1",
              f"SELECT count(*) FROM reports r WHERE {OVERDUE}"),
        Probe("Public results /ket-qua, page 1", None, "/ket-qua",
              "SELECT count(*) FROM reports r WHERE state = 'published'"),
        Probe(f"Public results, page {deep_page:,}", None, f"/ket-qua?trang={deep_page}",
              "SELECT count(*) FROM reports r WHERE state = 'published'"),
        Probe("Portal home", None, "/",
              "SELECT count(*) FROM reports r WHERE state = 'published'"),
        Probe("One report, desk", "ioc", f"/ban-xu-ly/phan-anh/{sample}",
              f"SELECT count(*) FROM events e JOIN reports r ON r.id = e.report_id "
              f"WHERE r.code = '{sample}'"),
        Probe("One report, public", None, f"/ket-qua/{sample}",
              f"SELECT count(*) FROM events e JOIN reports r ON r.id = e.report_id "
              f"WHERE r.code = '{sample}'"),
        Probe("Open311 GET requests.json", None, "/open311/v2/requests.json",
              "SELECT count(*) FROM reports r WHERE state = 'published'"),
        Probe("Auditor's record /nhat-ky", "kiemtra", "/ban-xu-ly/nhat-ky",
              "SELECT count(*) FROM events"),
        Probe("Worker deadline job (one pass: at most 500 notices)", None, "job:deadlines",
              "SELECT count(*) FROM clocks WHERE stopped_at IS NULL AND paused_at IS NULL"),
    ]  # fmt: skip


# -- the databases ---------------------------------------------------------------------------------


#: The databases' names start with this (``--prefix``): engineers sharing a server use their own.
PREFIX = ["bench_read"]


def database_name(size: int) -> str:
    return f"{PREFIX[0]}_{size}"


def database_url(server: str, size: int) -> str:
    return f"{server}/{database_name(size)}"


def prepare(server: str, size: int, reuse: bool) -> float | None:
    """A database of ``size`` reports; the seconds the seed took (``None``: reused)."""
    name = database_name(size)
    admin = make_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if exists and reuse and _reports(database_url(server, size)) == size:
                upgrade(database_url(server, size))  # indexes added since it was seeded
                return None
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = database_url(server, size)
    upgrade(url)
    began = time.perf_counter()
    seeding.seed(url, size, seed=1)
    return time.perf_counter() - began


def drop(server: str, size: int) -> None:
    admin = make_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database_name(size)}"'))
    admin.dispose()


def _reports(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM reports")) or 0)
    except Exception:  # noqa: BLE001 - not migrated yet: not reusable
        return -1
    finally:
        engine.dispose()


# -- the app and its clients -----------------------------------------------------------------------


def make_app(url: str) -> Flask:
    return create_app(
        {
            # Not TESTING: a page that fails answers 500, as in production, and is recorded so.
            "PROPAGATE_EXCEPTIONS": False,
            "CONFIG_DIR": str(ROOT / "config"),
            "DATABASE_URL": url,
            "MEDIA_ROOT": "/tmp/phananh-bench-media",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def clients(app: Flask) -> dict[str | None, FlaskClient]:
    """A signed-in test client per account of :data:`STAFF` (made once), and an anonymous one."""
    life = app.extensions["phananh.lifecycle"]
    found: dict[str | None, FlaskClient] = {None: app.test_client()}
    with life.uow.begin() as session:
        for username, (role, agency) in STAFF.items():
            user = session.scalars(select(User).where(User.username == username)).one_or_none()
            if user is None:
                user = create_user(session, username, PASSWORD, role, agency=agency)
                session.flush()
            with app.app_context():
                marks = session_for(user)
            client = app.test_client()
            with client.session_transaction() as browser:
                browser.update(marks)
            found[username] = client
    return found


@contextmanager
def recording(engine: Engine) -> Iterator[list[tuple[float, str, Any]]]:
    """Every statement run on ``engine`` inside the block, with its time."""
    found: list[tuple[float, str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        found.append((time.perf_counter() - conn.info.pop("bench_started"), statement, params))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def measure(
    app: Flask, browsers: dict[str | None, FlaskClient], probe: Probe, repeat: int
) -> Measure:
    life = app.extensions["phananh.lifecycle"]
    engine = life.uow.engine

    def ask() -> tuple[int, int]:
        if probe.path == "job:deadlines":
            with life.uow.read() as session:  # rolled back: every run does the same work
                queued = queue_clock_notices(session, life.snapshot, life.calendar, life.now())
            return 200, queued
        answer = browsers[probe.who].get(probe.path)
        return answer.status_code, len(answer.get_data())

    with recording(engine) as statements:
        began = time.perf_counter()
        status, size = ask()
        first = time.perf_counter() - began
    runs = 2 if first > SLOW_PAGE else repeat
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        status, size = ask()
        times.append(time.perf_counter() - began)
    baseline, rows = [], 0
    with engine.connect() as conn:
        for _ in range(repeat):
            began = time.perf_counter()
            rows = int(conn.scalar(text(probe.baseline)) or 0)
            baseline.append(time.perf_counter() - began)
    return Measure(probe, status, size, times, baseline, rows, statements)


def sample_code(engine: Engine) -> tuple[str, int]:
    """The latest published report, and the number of pages of the public list."""
    with engine.connect() as conn:
        code = conn.scalar(
            select(Report.code)
            .where(Report.state == "published")
            .order_by(Report.published_at.desc())
            .limit(1)
        )
        published = int(conn.scalar(text("SELECT count(*) FROM reports WHERE state = 'published'")))
    return str(code), max(1, -(-published // 20))


# -- EXPLAIN ---------------------------------------------------------------------------------------


def explain(engine: Engine, measures: Sequence[Measure], pages: int = 4, per_page: int = 2) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statements of the slowest pages."""
    out: list[str] = []
    slowest = sorted(measures, key=lambda m: m.median_ms, reverse=True)[:pages]
    for m in slowest:
        out.append(f"### {m.probe.name} — {m.probe.path} ({m.median_ms:,.0f} ms)\n")
        for took, statement, params in sorted(m.statements, key=lambda s: -s[0])[:per_page]:
            out.append(f"-- statement of {took * 1000:,.1f} ms in the page's first run")
            out.append(_shorten(statement))
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
                out += [row[0] for row in cursor.fetchall()]
            except Exception as exc:  # noqa: BLE001 - recorded, as the page failed with it
                out.append(f"EXPLAIN failed: {type(exc).__name__}: {str(exc)[:300]}")
            finally:
                raw.rollback()
                raw.close()
            out.append("")
    return "\n".join(out)


def _shorten(statement: str) -> str:
    """A statement with long IN lists cut, so the file stays readable."""
    flat = " ".join(statement.split())
    param = r"%\(\w+\)s(?:::\w+)?"
    return re.sub(rf"(\({param}(?:, {param}){{3}})(?:, {param})+", r"\1, …", flat)


# -- the report ------------------------------------------------------------------------------------


@dataclass
class SizeRun:
    size: int
    seeded_s: float | None
    counts: dict[str, int]
    measures: list[Measure]
    #: The machine's load average (1 min) before and after measuring: it is shared.
    load: tuple[float, float] = (0.0, 0.0)


def counts_of(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.scalar(text(f"SELECT count(*) FROM {t}")) or 0)
            for t in ("reports", "events", "clocks", "outbox")
        }


def selected(found: Sequence[Probe], only: Sequence[str]) -> list[Probe]:
    """The probes whose names hold one of ``only`` (case-insensitive); all when it is empty."""
    if not only:
        return list(found)
    wanted = [name.casefold() for name in only]
    chosen = [p for p in found if any(name in p.name.casefold() for name in wanted)]
    if not chosen:
        raise SystemExit(f"no probe is named like {', '.join(only)}")
    return chosen


def run_size(
    server: str, size: int, repeat: int, reuse: bool, keep: bool, only: Sequence[str] = ()
) -> tuple[SizeRun, str]:
    print(f"seeding {size:,} reports …", file=sys.stderr)
    seeded = prepare(server, size, reuse)
    url = database_url(server, size)
    app = make_app(url)
    engine = app.extensions["phananh.lifecycle"].uow.engine
    browsers = clients(app)
    code, last_page = sample_code(engine)
    load_before = os.getloadavg()[0]
    measures = []
    for probe in selected(probes(code, last_page), only):
        print(f"  {probe.name} …", file=sys.stderr)
        measures.append(measure(app, browsers, probe, repeat))
    plans = explain(engine, measures)
    load = (load_before, os.getloadavg()[0])
    result = SizeRun(size, seeded, counts_of(engine), measures, load)
    engine.dispose()
    if not keep:
        drop(server, size)
    return result, f"## {size:,} reports\n\n{plans}"


def commit() -> str:
    """The checkout's commit, so that each size's figures say what code they measured."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def section(runs: Sequence[SizeRun], repeat: int) -> str:
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")
    lines = [
        SECTION,
        "",
        f"On: {machine()}, PostgreSQL; each size says when and at which commit it was measured "
        "(a size measured before the list fixes of issue 13 is their baseline). Reproduce with "
        "`make bench-read` (`python benchmarks/bench_read.py --sizes 10000,100000,1000000`).",
        "Each page through the Flask test client, staff signed in; median of "
        f"{repeat} after one warm-up (of 2 when the warm-up took over {SLOW_PAGE:.0f} s). "
        "Baseline: a plain `SELECT count(*)` over the same rows, in the same run. "
        f"Goal: under {GOAL_MS:.0f} ms at 1 M. Plans of the slowest statements: "
        "`benchmarks/explain_read_<N>.txt`.",
        "",
    ]
    for run in runs:
        c = run.counts
        seeded = f"seeded in {run.seeded_s:.0f} s" if run.seeded_s else "seeded earlier"
        lines += [
            f"### {run.size:,} reports",
            "",
            f"Measured {now} (Asia/Ho_Chi_Minh) at commit {commit()}: "
            f"{c['reports']:,} reports, {c['events']:,} events, {c['clocks']:,} clocks, "
            f"{c['outbox']:,} outbox rows ({seeded} by `benchmarks/seed.py`); load average "
            f"{run.load[0]:.1f} before measuring, {run.load[1]:.1f} after (2 cores, shared).",
            "",
            "| Page | Status | Size | Median ms | Baseline ms (rows) | Goal |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for m in run.measures:
            note = "" if len(m.times) == repeat else f" ({len(m.times)} runs)"
            size = f"{m.bytes / 1024:,.0f} kB" if m.probe.path != "job:deadlines" else f"{m.bytes}"
            ok = "meets" if m.status == 200 and m.median_ms < GOAL_MS else "**misses**"
            lines.append(
                f"| {m.probe.name} | {m.status} | {size} | {m.median_ms:,.1f}{note} | "
                f"{m.baseline_ms:,.1f} ({m.rows:,}) | {ok} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_section(text_: str, path: Path = HERE / "RESULTS.md") -> None:
    """Replace (or add) the section in RESULTS.md, leaving the other sections as they are, and
    the sizes this run did not measure as they were (each size is a subsection ``### N reports``).
    """
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    start = current.find(SECTION)
    rest, kept = "", {}
    if start >= 0:
        following = current.find("\n## ", start + len(SECTION))
        old = current[start : following if following >= 0 else len(current)]
        rest = current[following + 1 :] if following >= 0 else ""
        current = current[:start]
        kept = _sizes(old)
    head, new = text_.split("\n### ", 1)[0], _sizes(text_)
    merged = {**kept, **new}
    body = "\n".join(merged[k] for k in sorted(merged))
    current = current.rstrip() + "\n\n" + head.rstrip() + "\n\n" + body
    path.write_text(current.rstrip() + "\n" + ("\n" + rest if rest else ""), encoding="utf-8")


def _sizes(section_text: str) -> dict[int, str]:
    """The subsections ``### N reports`` of a section, by N."""
    found = {}
    for part in section_text.split("\n### ")[1:]:
        size = int(part.split(" ", 1)[0].replace(",", ""))
        found[size] = "### " + part.rstrip() + "\n"
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated report counts")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL, no database")
    parser.add_argument("--reuse", action="store_true", help="keep a database seeded to size")
    parser.add_argument("--keep", action="store_true", help="do not drop the databases after")
    parser.add_argument("--prefix", default=PREFIX[0], help="the databases' names: PREFIX_<N>")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated parts of probe names (e.g. 'search'): measure those only and "
        "print their table and plans instead of writing RESULTS.md and explain_read_<N>.txt",
    )
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    PREFIX[0] = args.prefix
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    runs = []
    for size in sizes:
        run, plan = run_size(args.server, size, args.repeat, args.reuse, args.keep, only)
        runs.append(run)
        if only:  # a part of the pages: the recorded section stays whole
            print(f"{section([run], args.repeat)}\n{plan}")
            continue
        (HERE / f"explain_read_{size}.txt").write_text(
            f"EXPLAIN (ANALYZE, BUFFERS) — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n{plan}\n",
            encoding="utf-8",
        )
        write_section(section(runs, args.repeat))  # after each size: a long run keeps its part
    if not only:
        print(f"wrote {HERE / 'RESULTS.md'} and explain_read_<N>.txt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
