"""The oversight faces (Đ2.2, R2): ``/ban-xu-ly/thong-ke``, the figures of :mod:`engine.stats`.

A leader sees its agency tree (another agency asked: 403, from :func:`engine.stats.check`); the IOC,
the province viewer, the operator's admin and the auditor see every agency side by side. Every
number is the engine's, printed with its sentence from :data:`engine.stats.EXPLAINED`; the
"received" numbers link to the desk's search with the same period and agency, which counts the same
reports. A wrong date or a period ending before it starts is a Vietnamese message on the page.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flask import Response, request, url_for

from engine import stats
from engine.services import queues
from engine.services.errors import InvalidInput
from engine.workflow import Role
from web import charts
from web.auth import current_staff, staff_required
from web.desk import widgets
from web.desk.views import FIGURE_READERS, desk, page
from web.runtime import lifecycle

#: A leader's overdue and soon-due reports on its dashboard (the desk's queues, keyset-paged; the
#: whole queue is one click away).
URGENT_ROWS = 20


@desk.get("/thong-ke")
@staff_required(*FIGURE_READERS)
def dashboard() -> Response:
    staff, life = current_staff(), lifecycle()
    assert staff is not None
    snap = life.snapshot
    now = life.now()
    today = now.astimezone(stats.compute._zone(snap)).date()
    problems: dict[str, str] = {}
    start = _day("tu", problems) or today.replace(day=1)
    end = _day("den", problems) or today
    agency = (request.args.get("co-quan") or "").strip() or None
    if staff.role is Role.LEADER and agency is None:
        agency = staff.agency
    query = stats.Query(start=start, end=end, agency=agency)
    found, places, urgent, units = None, (), [], []
    if not problems:
        try:
            with life.uow.read() as db:
                found = stats.figures(db, snap, staff.actor, query, now)
                places = stats.commune_points(db, snap, staff.actor, query)
                units = [
                    (unit, stats.figures(db, snap, staff.actor, replace(query, agency=unit), now))
                    for unit in _sub_units(snap, query.agency)
                ]
                if staff.role is Role.LEADER:
                    urgent = [
                        queues.queue_rows(db, life, staff.actor, q, now, limit=URGENT_ROWS)
                        for q in (queues.LATE, queues.WARNING)
                    ]
        except InvalidInput as exc:
            problems[_field(exc)] = exc.message_vi
    status = 422 if problems else 200
    return page(
        "desk/dashboard.html",
        status,
        found=found,
        query=query,
        problems=problems,
        period=(start, end),
        province=staff.role is not Role.LEADER,
        explained={key: vi for key, (vi, _en) in stats.EXPLAINED.items()},
        drill=lambda **more: _drill(query, **more),
        agency_label=lambda code: snap.agencies[code].name if code in snap.agencies else code,
        places=places,
        agencies=[(o.value, o.label, o.group) for o in widgets.agency_options(snap)],
        urgent=urgent,
        units=units,
        charts=_charts(found, snap, places) if found else {},
    )


def _sub_units(snap: Any, agency: str | None) -> list[str]:
    """The agencies directly under ``agency``, each compared with its own tree's figures."""
    if agency is None:
        return []
    return sorted(a.code for a in snap.agencies.values() if a.parent == agency)


def _day(key: str, problems: dict[str, str]) -> date | None:
    raw = (request.args.get(key) or "").strip()
    if not raw:
        return None
    try:
        return stats.parse_day(raw, key)
    except InvalidInput as exc:
        problems[key] = exc.message_vi
        return None


def _field(error: InvalidInput) -> str:
    return {"from": "tu", "agency": "co-quan"}.get(getattr(error, "field", "") or "", "tu")


def _drill(query: stats.Query, **more: Any) -> str:
    """The desk's search for the reports behind a number: the same period, agency and more."""
    args: dict[str, Any] = {"tu": f"{query.start:%d/%m/%Y}", "den": f"{query.end:%d/%m/%Y}"}
    if query.agency:
        args["co-quan"] = query.agency
    args.update(more)
    return url_for("desk.search", **args)


def _charts(
    found: stats.Figures, snap: Any, places: tuple[stats.CommunePoint, ...]
) -> dict[str, Any]:
    def name(code: str) -> str:
        return snap.agencies[code].name if code in snap.agencies else code

    last = found.query.end or date.today()
    series = [(f"{b.start:%d/%m}", b.received, b.with_result) for b in found.series]
    return {
        "agencies": charts.bar_chart(
            "Số phản ánh gửi trong kỳ, theo cơ quan",
            [(name(code), c.received) for code, c in found.by_agency.items()],
            "chart-agencies",
        ),
        "series": charts.time_series(
            f"Phản ánh gửi và đã có kết quả theo ngày, đến {last:%d/%m/%Y}",
            series,
            "chart-series",
            ("Gửi", "Đã có kết quả"),
        ),
        "map": charts.point_map(
            "Bản đồ phản ánh theo xã, phường (vòng tròn lớn hơn: nhiều phản ánh hơn)",
            [(p.name, p.received, p.latitude, p.longitude) for p in places],
            "chart-map",
        ),
        "communes": charts.bar_chart(
            "Các xã, phường có nhiều phản ánh nhất",
            [(c.name, c.received) for c in found.top_communes],
            "chart-communes",
        ),
    }


__all__ = ["dashboard"]
