"""The figures at scale (issue 9): :func:`engine.stats.figures` for the province and for one agency.

For each size a database of its own (``<prefix>_<N>``, default ``bench_stats_<N>``) is made,
migrated and filled by :mod:`seed` (``--reuse`` keeps one already seeded to that size and only
migrates it). Each probe computes the figures — and their JSON, as ``phananh stats --json`` and
``GET /api/v1/stats`` answer — once to warm up and ``--repeat`` times measured; the median is
reported beside its baseline, a plain ``SELECT count(*)`` over the same reports measured in the
same run. The results replace the section "Figures at scale" of ``RESULTS.md``::

    python benchmarks/bench_stats.py --sizes 100000,1000000 --reuse
"""

from __future__ import annotations

import argparse
import json
import os
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

import seed as seeding  # noqa: E402
from run import machine  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from engine import stats  # noqa: E402
from engine.config.loader import load  # noqa: E402
from engine.services.lifecycle import Actor  # noqa: E402
from engine.store import make_engine  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.workflow import Role  # noqa: E402

SECTION = "## Figures at scale"
GOAL_MS = 200.0
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: The seed's two years end here, so that the periods probed hold the same reports every run.
END = datetime(2026, 12, 1, tzinfo=UTC)
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
                return None
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    upgrade(url)
    began = time.perf_counter()
    seeding.seed(url, size, seed=1, end=END)
    return time.perf_counter() - began


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
) -> str:
    now = datetime.now(VN).strftime("%d/%m/%Y %H:%M")
    lines = [
        SECTION,
        "",
        f"Measured {now} (Asia/Ho_Chi_Minh) on: {machine()}; load average "
        f"{os.getloadavg()[0]:.1f} (the machine is shared). `engine.stats.figures` with its JSON "
        "(what `phananh stats --json` and `GET /api/v1/stats` answer), median of "
        f"{repeat} after a warm-up, beside a plain `SELECT count(*)` over the same reports in the "
        f"same run. Goal: the province's figures under {GOAL_MS:.0f} ms at 1 M reports. "
        "Reproduce: `python benchmarks/bench_stats.py --sizes 100000,1000000`.",
        "",
    ]
    for size in sorted(results):
        note = "reused" if seeded.get(size) is None else f"seeded in {seeded[size]:,.0f} s"
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
    return "\n".join(lines).rstrip() + "\n"


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
    results, seeded = {}, {}
    for size in (int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()):
        seeded[size] = prepare(args.server, args.prefix, size, args.reuse)
        engine = make_engine(f"{args.server}/{args.prefix}_{size}")
        try:
            results[size] = run_size(engine, size, args.repeat)
        finally:
            engine.dispose()
    write_section(section(results, seeded, args.repeat))
    print(f"wrote {HERE / 'RESULTS.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
