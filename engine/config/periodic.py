"""``periodic.yaml``: the reports to the province's committee the worker builds on schedule
(Đ13.9, R30), as data. The file is optional; without it nothing is built on schedule.

The schema checks the shape; :func:`check` what it cannot: that each day exists in every year
(``31/04`` never does, ``29/02`` not every year, and a schedule must not skip a year) and that
no two entries share a name (the name is the entry's identity in ``periodic_reports``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.config.checks import items
from engine.config.errors import ConfigError
from engine.config.snapshot import ScheduledReport
from engine.config.source import Source

#: ``from: previous``: the period starts where the previous scheduled report's ended.
PREVIOUS = "previous"
#: Not a leap year: a day found in it is found in every year (so 29/02 is refused).
_PROBE_YEAR = 2025


def day_month(text: str) -> tuple[int, int]:
    day, month = text.split("/")
    return int(day), int(month)


def _real(text: str) -> bool:
    day, month = day_month(text)
    try:
        date(_PROBE_YEAR, month, day)
    except ValueError:
        return False
    return True


def check(source: Source) -> list[ConfigError]:
    errors: list[ConfigError] = []
    seen: set[str] = set()
    for item in items(source, "reports"):
        for key in ("build_on", "from"):
            value = item.data.get(key)
            if isinstance(value, str) and value != PREVIOUS and not _real(value):
                errors.append(
                    item.error(
                        key,
                        f"ngày '{value}' không có ở mọi năm; chọn một ngày có thật, ví dụ 10/10",
                        f"the day '{value}' does not exist in every year; choose e.g. 10/10",
                    )
                )
        name = item.data.get("name")
        if name in seen:
            errors.append(
                item.error(
                    "name",
                    f"tên báo cáo '{name}' bị trùng; mỗi báo cáo theo lịch cần một tên riêng",
                    f"the report name '{name}' is used twice; each entry needs its own name",
                )
            )
        seen.add(name)
    return errors


def build(data: dict[str, Any] | None) -> tuple[ScheduledReport, ...]:
    """``periodic.yaml`` (validated and checked) → its entries, in the file's order."""
    return tuple(
        ScheduledReport(
            name=entry["name"],
            build_on=day_month(entry["build_on"]),
            start=None if entry["from"] == PREVIOUS else day_month(entry["from"]),
            formats=tuple(entry["formats"]),
        )
        for entry in (data or {}).get("reports") or []
    )
