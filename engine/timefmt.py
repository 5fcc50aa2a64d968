"""How instants read for people: ``dd/mm/yyyy HH:MM`` in the province's time zone."""

from __future__ import annotations

from datetime import date, datetime, tzinfo


def when_vi(value: datetime | date, zone: tzinfo) -> str:
    """``29/04/2026 16:00`` for an instant; ``29/04/2026`` for a date alone."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("An instant shown to people must carry its time zone.")
        return value.astimezone(zone).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")
