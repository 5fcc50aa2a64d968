"""Memory of ``phananh export`` at scale (R23): peak resident set of the whole command, per format.

For each size N a PostgreSQL database ``h_export_bench_<N>`` on the server is filled by
``benchmarks/seed.py`` (N reports over two years, with clocks, events, replies and ratings), then
``phananh export`` runs as a child process for every report of the two years in each format, and
once for a single day (a few hundred reports) as the baseline. The peak RSS is the child's
``ru_maxrss`` (``os.wait4``). A flat peak from one day to two years means the export streams:
it holds a batch, never the period. The section "Export at scale" of RESULTS.md is rewritten.
Usage::

    python benchmarks/bench_export.py [--server postgresql+psycopg://postgres@127.0.0.1] [--sizes 100000]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
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
from sqlalchemy import text  # noqa: E402

from engine.store import make_engine  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SERVER = "postgresql+psycopg://postgres@127.0.0.1"
FORMATS = ("jsonl", "csv", "xlsx")


@dataclass(frozen=True)
class Run:
    label: str
    format: str
    rows: int
    seconds: float
    peak_mb: float
    size_mb: float


def prepare(server: str, size: int, end: datetime) -> tuple[str, float]:
    name = f"h_export_bench_{size}"
    admin = make_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"{server}/{name}"
    upgrade(url)
    began = time.perf_counter()
    seeding.seed(url, size, seed=1, end=end)
    return url, time.perf_counter() - began


def drop(server: str, size: int) -> None:
    admin = make_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "h_export_bench_{size}"'))
    admin.dispose()


def export(url: str, label: str, first: str, last: str, format: str, folder: Path) -> Run:
    """One ``phananh export`` in a child process; its peak RSS from the kernel's accounting."""
    out = folder / f"export.{format}"
    command = [sys.executable, "-m", "cli.main", "export", "--from", first, "--to", last]
    command += ["--format", format, "--reason", "benchmark", "--out", str(out)]
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    began = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - began
    said = child.stdout.read() if child.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"export failed: {said}")
    rows = int(re.search(r"Đã xuất (\d+) phản ánh", said).group(1))  # type: ignore[union-attr]
    size_mb = out.stat().st_size / 2**20
    out.unlink()
    return Run(label, format, rows, seconds, usage.ru_maxrss / 1024, size_mb)


def section(size: int, seeded: float, runs: Sequence[Run]) -> str:
    now = datetime.now(VN).strftime("%d/%m/%Y %H:%M")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "## Export at scale",
        "",
        f"Measured {now} (Asia/Ho_Chi_Minh), on the same machine, shared (load average {load}). "
        f"PostgreSQL, {size:,} reports made by `benchmarks/seed.py` in {seeded:.0f} s; "
        "`phananh export` as a child process, peak resident set from `ru_maxrss` "
        "(`benchmarks/bench_export.py`).",
        "",
        "| Period | Format | Reports | Seconds | Peak RSS (MB) | File (MB) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.label} | {run.format} | {run.rows:,} | {run.seconds:.1f} | "
            f"{run.peak_mb:.1f} | {run.size_mb:.1f} |"
        )
    base = {r.format: r.peak_mb for r in runs if r.label == "one day (baseline)"}
    lines.append("")
    for run in runs:
        if run.label != "one day (baseline)":
            lines.append(
                f"- {run.format}: {run.rows:,} reports in {run.peak_mb:.1f} MB peak, "
                f"{run.peak_mb - base[run.format]:+.1f} MB over the one-day export of the same "
                "command: the reports are read in keyset batches of 250 and written as they come."
            )
    return "\n".join(lines) + "\n"


def write_section(text_: str, path: Path = HERE / "RESULTS.md") -> None:
    current = path.read_text(encoding="utf-8")
    pattern = re.compile(r"^## Export at scale\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        current = pattern.sub(lambda _: text_ + "\n", current)
    else:
        current = current.rstrip("\n") + "\n\n" + text_
    path.write_text(current, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--keep", action="store_true", help="do not drop the databases")
    args = parser.parse_args(argv)
    end = datetime.now(UTC).replace(microsecond=0)
    last = end.astimezone(VN).date()
    first = (end - timedelta(days=2 * 366)).astimezone(VN).date()
    day = (end - timedelta(days=200)).astimezone(VN).date().isoformat()
    texts = []
    for size in args.sizes:
        url, seeded = prepare(args.server, size, end)
        try:
            runs = []
            with tempfile.TemporaryDirectory() as folder:
                for format in args.formats:
                    runs.append(export(url, "one day (baseline)", day, day, format, Path(folder)))
                    runs.append(
                        export(
                            url,
                            "two years",
                            first.isoformat(),
                            last.isoformat(),
                            format,
                            Path(folder),
                        )
                    )
                    # written after each format: a long run leaves what it measured so far
                    write_section("\n".join([*texts, section(size, seeded, runs)]))
            texts.append(section(size, seeded, runs))
            print(texts[-1])
        finally:
            if not args.keep:
                drop(args.server, size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
