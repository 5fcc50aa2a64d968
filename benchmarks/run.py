"""Run every benchmark and write ``benchmarks/RESULTS.md``, with the machine and the date.

Each benchmark module has ``run() -> str`` returning its Markdown section, with its baseline
measured in the same run. Goals are checked here and reported, never asserted in the tests.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
MODULES = ("bench_calendar", "bench_rules", "bench_worker", "bench_intake", "bench_memory")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )


#: Sections written by benchmarks too long for ``make bench`` (``make bench-read``,
#: ``make bench-stats``): kept as they are.
KEPT_SECTIONS = (
    "## Read path at scale",
    "## Read path before the list fixes of issue 13",
    "## Figures at scale",
)


def _kept_sections(path: Path) -> str:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = []
    for title in KEPT_SECTIONS:
        start = text.find(title)
        if start >= 0:
            end = text.find("\n## ", start + len(title))
            kept.append(text[start : end + 1 if end >= 0 else len(text)].rstrip() + "\n")
    return "".join("\n" + part for part in kept)


def main() -> int:
    sys.path.insert(0, str(HERE))
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")
    sections = [
        "# Benchmark results",
        "",
        f"Measured {now} (Asia/Ho_Chi_Minh) on: {machine()}.",
        "Reproduce with `make bench`; each section measures its baseline in the same run.",
    ]
    for name in MODULES:
        module = importlib.import_module(name)
        print(f"running {name} …", file=sys.stderr)
        sections += ["", module.run().strip()]
    kept = _kept_sections(HERE / "RESULTS.md")
    (HERE / "RESULTS.md").write_text("\n".join(sections) + "\n" + kept, encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
