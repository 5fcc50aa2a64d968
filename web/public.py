"""Public pages that need no sign-in: for now, the active configuration (Phụ lục 1 and deadlines)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, current_app, render_template, request

from engine.calendar import WorkingCalendar
from engine.config.regulation import STEP_NAMES_VI
from engine.config.snapshot import Duration, Snapshot

public = Blueprint("public", __name__)

STARTS_VI = {
    "received": "khi có phản ánh",
    "forwarded": "khi chuyển đến cơ quan xử lý",
    "accepted": "khi cơ quan xử lý tiếp nhận",
    "proposed": "khi cán bộ đề xuất kết quả",
    "approved": "khi lãnh đạo phê duyệt",
}


@dataclass(frozen=True)
class Handler:
    """Who handles a sector under one route, in words a citizen reads."""

    name: str
    limit: Duration | None
    scope: str


@dataclass(frozen=True)
class DayNote:
    day: date
    working: bool
    name: str


def handlers(snapshot: Snapshot, sector: str) -> list[Handler]:
    out = []
    for route in sorted(snapshot.routes, key=lambda r: -r.priority):
        if route.sector != sector:
            continue
        scope = ""
        if route.areas:
            scope = ", ".join(snapshot.areas[a].name for a in route.areas if a in snapshot.areas)
        elif route.area_kinds:
            scope = "các " + ", ".join(route.area_kinds)
        if route.area_committee:
            committees = [c for c in map(snapshot.committee_of, snapshot.areas) if c is not None]
            name = f"Ủy ban nhân dân cấp xã nơi xảy ra sự việc ({len(committees)} địa bàn)"
            limits = {c.handling_limit for c in committees}
            limit = limits.pop() if len(limits) == 1 else None
        else:
            agency = snapshot.agencies[route.agency]
            name, limit = agency.name, agency.handling_limit
        out.append(Handler(name, limit, scope))
    return out


def calendar_notes(calendar: WorkingCalendar, snapshot: Snapshot, year: int) -> list[DayNote]:
    """Weekdays off and weekend days worked in ``year``: what differs from an ordinary week."""
    notes = []
    day = date(year, 1, 1)
    while day.year == year:
        working = calendar.is_working_day(day)
        ordinary = day.isoweekday() in snapshot.calendar.weekly_hours
        if working != ordinary:
            name = calendar.holiday_name(day) or ("Ngày làm bù" if working else "Ngày nghỉ")
            notes.append(DayNote(day, working, name))
        day += timedelta(days=1)
    return notes


@public.get("/linh-vuc")
def configuration() -> str:
    snapshot: Snapshot = current_app.extensions["phananh.snapshot"]
    calendar = WorkingCalendar.from_config(snapshot.calendar)
    year = request.args.get("nam", type=int) or datetime.now(calendar.zone).year
    if not snapshot.calendar.first_year <= year <= snapshot.calendar.last_year:
        abort(404)
    return render_template(
        "configuration.html",
        snapshot=snapshot,
        sectors=[(s, handlers(snapshot, s.code)) for s in snapshot.sectors.values()],
        steps=[
            (STEP_NAMES_VI[name], step, STARTS_VI.get(step.starts_at, step.starts_at))
            for name, step in snapshot.sla.steps.items()
        ],
        weekly=sorted(snapshot.calendar.weekly_hours.items()),
        year=year,
        notes=calendar_notes(calendar, snapshot, year),
    )
