"""The figures at scale (issue 9): :func:`engine.stats.figures` for the province and for one agency.

For each size a database of its own (``<prefix>_<N>``, default ``bench_stats_<N>``) is made,
migrated and filled by :mod:`seed` (``--reuse`` keeps one already seeded to that size and only
migrates it). Each probe computes the figures — and their JSON, as ``phananh stats --json`` and
``GET /api/v1/stats`` answer — once to warm up and ``--repeat`` times measured; the median is
reported beside its baseline, a plain ``SELECT count(*)`` over the same reports measured in the
same run. The dashboard page itself (``/ban-xu-ly/thong-ke``: the figures, the map's communes and,
for a leader, each sub-unit's figures and the urgent queues) is asked the same way through the
Flask test client, signed in as the province viewer ``tinh`` and as the leader ``lanhdao.sxd``,
for its default period (the month to date) and for the two years: what a user waits for. The
page's clock is set to the last second of the seed's last full local day, so that its default
period is a whole month (November 2026), the heaviest month to date. The results replace the
section "Figures at scale" of ``RESULTS.md``::

    python benchmarks/bench_stats.py --sizes 100000,1000000 --reuse
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(ROOT), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

import bench_read  # noqa: E402
import seed as seeding  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from run import machine  # noqa: E402
from sqlalchemy import Engine, select, text, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine import stats  # noqa: E402
from engine.accounts import create_user  # noqa: E402
from engine.config.loader import load  # noqa: E402
from engine.services.lifecycle import Actor  # noqa: E402
from engine.stats import tallies  # noqa: E402
from engine.store import UnitOfWork, make_engine  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.store.models import Report, User  # noqa: E402
from engine.workflow import Role  # noqa: E402
from web.auth import session_for  # noqa: E402

SECTION = "## Figures at scale"
GOAL_MS = 200.0
#: The goal at ten million reports, judged on the estimate from the growth between 100 k and 1 M.
GOAL_10M_MS = 1000.0
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: The seed's two years end here, so that the periods probed hold the same reports every run.
END = datetime(2026, 12, 1, tzinfo=UTC)
#: The dashboard's clock: 30/11/2026 23:59:59 in Vietnam, its default period 01/11–30/11.
PAGE_NOW = datetime(2026, 11, 30, 23, 59, 59, tzinfo=VN).astimezone(UTC)
DASHBOARD = "/ban-xu-ly/thong-ke"
PASSWORD = "mat-khau-do-hieu-nang"
AGENCY = "SXD"
PROVINCE = Actor("tinh", Role.PROVINCE_VIEWER)
LEADER = Actor("lanhdao.sxd", Role.LEADER, AGENCY)


@dataclass(frozen=True)
class Probe:
    name: str
    actor: Actor
    query: stats.Query
    baseline: str


def probes() -> list[Probe]:
    last_day = (END - timedelta(days=1)).astimezone(VN).date()
    month = last_day - timedelta(days=29)
    since = datetime.combine(month, datetime.min.time(), VN).astimezone(UTC).isoformat()
    scope = f"(agency = '{AGENCY}' OR unit = '{AGENCY}')"
    return [
        Probe("Province, the two years", PROVINCE, stats.Query(),
              "SELECT count(*) FROM reports"),
        Probe("Province, the last 30 days", PROVINCE, stats.Query(start=month, end=last_day),
              f"SELECT count(*) FROM reports WHERE submitted_at >= '{since}'"),
        Probe(f"Agency {AGENCY} (leader), the two years", LEADER, stats.Query(agency=AGENCY),
              f"SELECT count(*) FROM reports WHERE {scope}"),
        Probe(f"Agency {AGENCY} (leader), the last 30 days", LEADER,
              stats.Query(agency=AGENCY, start=month, end=last_day),
              f"SELECT count(*) FROM reports WHERE {scope} AND submitted_at >= '{since}'"),
    ]  # fmt: skip


@dataclass(frozen=True)
class Page:
    name: str
    username: str
    role: Role
    agency: str | None
    path: str
    baseline: str


def pages() -> list[Page]:
    month = PAGE_NOW.astimezone(VN).date().replace(day=1)
    since = datetime.combine(month, datetime.min.time(), VN).astimezone(UTC).isoformat()
    until = (PAGE_NOW + timedelta(seconds=1)).isoformat()
    period = f"submitted_at >= '{since}' AND submitted_at < '{until}'"
    scope = f"(agency = '{AGENCY}' OR unit = '{AGENCY}')"
    first = (END - timedelta(days=2 * 365 + 1)).astimezone(VN).date()
    years = f"?tu={first:%d/%m/%Y}&den={PAGE_NOW.astimezone(VN).date():%d/%m/%Y}"
    return [
        Page("Province dashboard (tinh), default period", "tinh", Role.PROVINCE_VIEWER, None,
             DASHBOARD, f"SELECT count(*) FROM reports WHERE {period}"),
        Page("Province dashboard (tinh), the two years", "tinh", Role.PROVINCE_VIEWER, None,
             DASHBOARD + years, f"SELECT count(*) FROM reports WHERE submitted_at < '{until}'"),
        Page(f"Agency dashboard (lanhdao.{AGENCY.lower()}), default period",
             f"lanhdao.{AGENCY.lower()}", Role.LEADER, AGENCY, DASHBOARD,
             f"SELECT count(*) FROM reports WHERE {scope} AND {period}"),
        Page(f"Agency dashboard (lanhdao.{AGENCY.lower()}), the two years",
             f"lanhdao.{AGENCY.lower()}", Role.LEADER, AGENCY, DASHBOARD + years,
             f"SELECT count(*) FROM reports WHERE {scope} AND submitted_at < '{until}'"),
    ]  # fmt: skip


def prepare(server: str, prefix: str, size: int, reuse: bool) -> float | None:
    """A database of ``size`` reports, migrated to head; the seconds the seed took (reused: None)."""
    name = f"{prefix}_{size}"
    admin = make_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    url = f"{server}/{name}"
    try:
        with admin.connect() as conn:
            found = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if found and reuse and _reports(url) == size:
                upgrade(url)  # this branch's indexes on a database seeded before them
                vacuum(url)
                return None
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    upgrade(url)
    began = time.perf_counter()
    seeding.seed(url, size, seed=1, end=END)
    took = time.perf_counter() - began
    vacuum(url)
    return took


def tally(url: str) -> float:
    """Count every day into the figures' tallies, as the worker's passes would, a month of days a
    pass; then leave the last local day counted from the rows, as if its reports had changed
    since the worker's last pass (the figures of a live database always have such days). The
    seconds the passes took."""
    engine = make_engine(url)
    uow = UnitOfWork(engine)
    began = time.perf_counter()
    try:
        while True:
            with uow.begin() as session:
                if not tallies.refresh(session, VN):
                    break
        took = time.perf_counter() - began
        with uow.begin() as session:
            session.execute(
                update(Report)
                .where(Report.submitted_at >= PAGE_NOW - timedelta(days=1))
                .values(tallied_version=0)
            )
    finally:
        engine.dispose()
    vacuum(url)
    return took


def vacuum(url: str) -> None:
    """``VACUUM ANALYZE``: the state autovacuum keeps a live database in, where the figures'
    index-only scans skip the tables. Bulk-loaded rows are not yet marked visible, and every
    report would be read from the table once more."""
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def _reports(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM reports")) or 0)
    except Exception:  # noqa: BLE001 - not migrated yet: not reusable
        return -1
    finally:
        engine.dispose()


def _median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm-up
    took = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        took.append((time.perf_counter() - began) * 1000)
    return statistics.median(took)


def make_app(url: str) -> Flask:
    """The read benchmark's app (:func:`bench_read.make_app`), its clock at :data:`PAGE_NOW`."""
    app = bench_read.make_app(url)
    app.extensions["phananh.lifecycle"].now = lambda: PAGE_NOW
    return app


def signed_in(app: Flask, page: Page) -> FlaskClient:
    """A test client signed in as the page's account (made once in the benchmark's database)."""
    life = app.extensions["phananh.lifecycle"]
    with life.uow.begin() as session:
        user = session.scalars(select(User).where(User.username == page.username)).one_or_none()
        if user is None:
            user = create_user(session, page.username, PASSWORD, page.role, agency=page.agency)
            session.flush()
        with app.app_context():
            marks = session_for(user)
    client = app.test_client()
    with client.session_transaction() as browser:
        browser.update(marks)
    return client


def run_pages(
    app: Flask, engine: Engine, size: int, repeat: int
) -> list[tuple[str, float, float, int]]:
    rows = []
    for page in pages():
        client = signed_in(app, page)
        answers: list[str] = []

        def ask(
            client: FlaskClient = client, page: Page = page, answers: list[str] = answers
        ) -> None:
            answer = client.get(page.path)
            if answer.status_code != 200:
                raise RuntimeError(f"{page.path} as {page.username}: {answer.status_code}")
            answers.append(answer.get_data(as_text=True))

        took = _median_ms(ask, repeat)
        with engine.connect() as conn:
            baseline = _median_ms(lambda page=page: conn.execute(text(page.baseline)), repeat)
        found = re.search(r'data-figure="received" data-value="(\d+)"', answers[-1])
        received = int(found.group(1)) if found else 0
        rows.append((page.name, took, baseline, received))
        print(
            f"  {size:>9,} {page.name}: {took:,.0f} ms (count {baseline:,.0f} ms)", file=sys.stderr
        )
    return rows


def run_size(engine: Engine, size: int, repeat: int) -> list[tuple[str, float, float, int]]:
    snap = load(ROOT / "config")
    now = END
    rows = []
    with Session(engine) as session:
        session.execute(text("ANALYZE"))
        for probe in probes():

            def figures(probe: Probe = probe) -> stats.Figures:
                found = stats.figures(session, snap, probe.actor, probe.query, now)
                json.dumps(found.as_json(), ensure_ascii=False)
                return found

            took = _median_ms(figures, repeat)
            baseline = _median_ms(lambda probe=probe: session.execute(text(probe.baseline)), repeat)
            rows.append((probe.name, took, baseline, figures().received))
            print(
                f"  {size:>9,} {probe.name}: {took:,.0f} ms (count {baseline:,.0f} ms)",
                file=sys.stderr,
            )
    return rows


def section(
    results: dict[int, list[tuple[str, float, float, int]]],
    seeded: dict[int, float | None],
    repeat: int,
    loads: dict[int, float] | None = None,
    tallied: dict[int, float] | None = None,
) -> str:
    now = datetime.now(VN).strftime("%d/%m/%Y %H:%M")
    loads, tallied = loads or {}, tallied or {}
    lines = [
        SECTION,
        "",
        f"Measured {now} (Asia/Ho_Chi_Minh) on: {machine()}; load average "
        f"{os.getloadavg()[0]:.1f} at the end (the machine is shared). `engine.stats.figures` "
        "with its JSON (what `phananh stats --json` and `GET /api/v1/stats` answer), and the "
        f"dashboard page `{DASHBOARD}` through the Flask test client (its figures, the map's "
        "communes, a leader's sub-units and urgent queues, the HTML), median of "
        f"{repeat} after a warm-up, beside a plain `SELECT count(*)` over the same reports in the "
        f"same run. The page's clock is {PAGE_NOW.astimezone(VN):%d/%m/%Y %H:%M:%S} (Vietnam), "
        "so its default period is the whole of November 2026. Goal: the province's dashboard "
        f"under {GOAL_MS:.0f} ms at 1 M reports, under {GOAL_10M_MS / 1000:.0f} s at 10 M "
        "(estimated from the growth). The figures add the worker's daily tallies "
        "(`engine/stats/tallies.py`, migration `0016_figure_tallies`) and count from the rows, "
        "through covering indexes (`0014_figures_indexes`), the days not tallied: here the last "
        "day (30/11), made untallied after the tallies were counted, as on a live database "
        "where the worker has not yet counted the latest changes. See docs/decisions.md. "
        "Reproduce: `python benchmarks/bench_stats.py --sizes 100000,1000000`.",
        "",
    ]
    for size in sorted(results):
        note = "reused" if seeded.get(size) is None else f"seeded in {seeded[size]:,.0f} s"
        if size in tallied:
            note += f", tallied in {tallied[size]:,.0f} s"
        if size in loads:
            note += f"; load average {loads[size]:.1f} when it started"
        lines += [
            f"### {size:,} reports ({note})",
            "",
            "| Figures | Reports counted | Median | `COUNT(*)` baseline | Ratio | Goal |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for name, took, baseline, received in results[size]:
            goal = ""
            if name.startswith("Province") and size >= 1_000_000:
                goal = "met" if took <= GOAL_MS else f"**not met** (> {GOAL_MS:.0f} ms)"
            lines.append(
                f"| {name} | {received:,} | {took:,.1f} ms | {baseline:,.1f} ms | "
                f"{took / baseline if baseline else 0:,.1f}× | {goal} |"
            )
        lines.append("")
    lines += estimate(results)
    return "\n".join(lines).rstrip() + "\n"


def estimate(results: dict[int, list[tuple[str, float, float, int]]]) -> list[str]:
    """10 M reports, from the growth between 100 k and 1 M: ``t(10 M) = t(1 M)² / t(100 k)``."""
    if not {100_000, 1_000_000} <= set(results):
        return []
    small = {name: took for name, took, _b, _r in results[100_000]}
    lines = [
        "### 10,000,000 reports (estimated, not measured)",
        "",
        "Each time grown from 1 M by the factor it grew from 100 k to 1 M.",
        "",
        "| Figures | 100 k | 1 M | Growth ×10 | 10 M estimated | Goal |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, took, _baseline, _received in results[1_000_000]:
        if not small.get(name):
            continue
        growth = took / small[name]
        guess = took * growth
        goal = ""
        if name.startswith("Province dashboard"):
            goal = "met" if guess <= GOAL_10M_MS else f"**not met** (> {GOAL_10M_MS:,.0f} ms)"
        lines.append(
            f"| {name} | {small[name]:,.1f} ms | {took:,.1f} ms | {growth:,.1f}× | "
            f"{guess:,.0f} ms | {goal} |"
        )
    return [*lines, ""]


def write_section(text_: str, path: Path = HERE / "RESULTS.md") -> None:
    """Replace (or add) this benchmark's section of RESULTS.md, leaving the others as they are."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    start = current.find(SECTION)
    rest = ""
    if start >= 0:
        following = current.find("\n## ", start + len(SECTION))
        rest = current[following + 1 :] if following >= 0 else ""
        current = current[:start]
    current = current.rstrip() + "\n\n" + text_.rstrip() + "\n"
    path.write_text(current + ("\n" + rest if rest else ""), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated report counts")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL, no database")
    parser.add_argument("--prefix", default="bench_stats", help="databases' name before _<N>")
    parser.add_argument("--reuse", action="store_true", help="keep a database seeded to size")
    args = parser.parse_args(argv)
    results, seeded, loads, tallied = {}, {}, {}, {}
    for size in (int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()):
        seeded[size] = prepare(args.server, args.prefix, size, args.reuse)
        tallied[size] = tally(f"{args.server}/{args.prefix}_{size}")
        loads[size] = os.getloadavg()[0]
        url = f"{args.server}/{args.prefix}_{size}"
        engine = make_engine(url)
        try:
            results[size] = run_size(engine, size, args.repeat)
            results[size] += run_pages(make_app(url), engine, size, args.repeat)
        finally:
            engine.dispose()
    write_section(section(results, seeded, args.repeat, loads, tallied))
    print(f"wrote {HERE / 'RESULTS.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
