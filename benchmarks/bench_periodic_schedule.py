"""The scheduled periodic reports at scale (issue 9, R30): what the worker's pass costs.

On a database already seeded (``seed.py``, or a copy of ``bench_read.py``'s ``base_<N>``; it is
migrated first, which adds ``periodic_reports``), with the default ``periodic.yaml`` and the
clock on 10/10/2026, this measures in one run:

* **baseline**: the figures and the late cases of the October period (01/01–09/10), read once, as
  the desk's page reads them for a report built on request;
* **build**: the worker's :func:`engine.periodic.store.build_due` that finds the October report
  due, reads those figures once and writes, stores and records its DOCX and XLSX;
* **idle pass**: ``build_due`` again, when everything due is recorded: what every later pass of
  the worker pays (``--repeat`` times, the median).

The rows it recorded are deleted at the end; nothing is written to ``RESULTS.md``::

    python benchmarks/bench_periodic_schedule.py --url postgresql+psycopg://postgres@127.0.0.1:5432/copy
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(ROOT), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

from run import machine  # noqa: E402
from sqlalchemy import delete, func, select  # noqa: E402

from engine import periodic, stats  # noqa: E402
from engine.config.loader import load  # noqa: E402
from engine.periodic import store as kept_reports  # noqa: E402
from engine.store import UnitOfWork, make_engine  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.store.models import PeriodicReport, Report  # noqa: E402
from engine.uploads import MediaStore  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 10, 10, 9, 0, tzinfo=VN)
START, END = date(2026, 1, 1), date(2026, 10, 9)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a seeded database (never a shared one)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    upgrade(args.url)
    snapshot = load(ROOT / "config")
    uow = UnitOfWork(make_engine(args.url))
    with uow.read() as session:
        reports = session.scalar(select(func.count()).select_from(Report)) or 0
    print(machine())
    print(f"{reports:,} reports; load before: {os.getloadavg()}")

    started = time.perf_counter()
    with uow.read() as session:
        query = stats.Query(start=START, end=END)
        found = stats.figures(session, snapshot, kept_reports.PROVINCE, query, AT)
        periodic.late_cases(session, START, END)
    baseline = time.perf_counter() - started
    print(f"baseline (figures + late cases, {START:%d/%m}–{END:%d/%m}): {baseline:.2f} s")
    print(f"  the period holds {found.received:,} reports")

    with tempfile.TemporaryDirectory() as folder:
        store = MediaStore(folder)
        started = time.perf_counter()
        built = kept_reports.build_due(uow, snapshot, store, AT, "bench")
        build = time.perf_counter() - started
        sizes = ", ".join(f"{k.format} {k.size:,} B" for k in built)
        print(f"build (due reports found, built, stored, recorded): {build:.2f} s — {sizes}")
        idle = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            assert kept_reports.build_due(uow, snapshot, store, AT, "bench") == []
            idle.append(time.perf_counter() - started)
        print(
            f"idle pass (nothing due), median of {args.repeat}: {statistics.median(idle) * 1000:.1f} ms"
        )
    with uow.begin() as session:
        session.execute(delete(PeriodicReport).where(PeriodicReport.built_by == "bench"))
    print(f"load after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
