"""How values read on a Vietnamese page: dates as dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh, durations
in words."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from engine import timefmt
from engine.config.snapshot import Duration, Unit
from engine.media.model import human_size
from web.i18n import current_language

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
UNIT_WORDS = {Unit.MINUTE: "phút làm việc", Unit.HOUR: "giờ làm việc", Unit.DAY: "ngày làm việc"}
WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def duration_vi(duration: Duration) -> str:
    """``2h`` → ``02 giờ làm việc``, as the regulation writes it."""
    return f"{duration.amount:02d} {UNIT_WORDS[duration.unit]}"


def when_vi(value: datetime | date) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnam's time zone; a date alone as ``dd/mm/yyyy``."""
    return timefmt.when_vi(value, VIETNAM)


def size_text(size: int) -> str:
    """A file's size in the page's language: ``10 KB``, ``1,5 MB`` (English: ``1.5 MB``)."""
    return human_size(size, current_language())


def weekday_vi(value: date) -> str:
    return WEEKDAY_NAMES[value.weekday()]


def init_app(app: Flask) -> None:
    app.add_template_filter(duration_vi, "duration_vi")
    app.add_template_filter(when_vi, "when_vi")
    app.add_template_filter(weekday_vi, "weekday_vi")
    app.add_template_filter(size_text, "size_text")
