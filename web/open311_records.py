"""What Open311 shows: services (the sectors) and service requests (reports), as plain data.

Which reports, and what of them:

* A **published** report (state ``published``, not confidential) is shown in full as the public
  sees it on the portal: the set of such reports and their public fields come only from
  :func:`engine.services.public.published_page` / ``published_report``; this module adds the
  non-identifying place columns the portal view leaves out (coordinates, responsible agency, area
  code) for those same reports, read from ``reports`` alone, and links its first photo on the
  portal (``media_url``, the portal's public photo route). Its status is ``closed``.
* A report **sent through Open311** (channel ``open311``) can be followed by its id before it is
  published: only its id, status (``open``, or ``closed`` once rejected), the state's Vietnamese
  label, the sector and the dates — never its content, place or anything of the reporter.
* Nothing else is shown, ever: a confidential report, a state secret, a report answered privately
  or restricted, and a report from another channel not yet published all answer 404, with the same
  words as a report that does not exist.

The reporter's identity is never read here: no query in this module touches ``reporters``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from engine import sector_fields
from engine.config.snapshot import Sector, Snapshot
from engine.services.errors import NotFound
from engine.services.public import (
    Filters,
    Photo,
    PublicReport,
    published_page,
    published_report,
)
from engine.store.models import Clock, Report
from engine.workflow import STATE_LABELS_VI, State

CHANNEL = "open311"
GROUP = "Phản ánh hiện trường"
#: GeoReport v2 limits a request's description to 4000 characters; ours may hold 5000.
DESCRIPTION_MAX = 4000
#: States whose reports are never shown, whatever their channel (Đ5.4, Đ10.2–10.3).
HIDDEN_STATES = frozenset({State.ANSWERED_PRIVATELY, State.RESTRICTED})
CLOSED_STATES = frozenset({State.REJECTED, State.PUBLISHED})
#: How many published reports are read from the database at a time while listing: a list's
#: whole answer (GeoReport v2's 1000) in one read, with its photos and places, most of the time;
#: more reads only where the window's first or last day has reports outside its hours.
BATCH = 1000
#: The longest span a list may cover (GeoReport v2: "may not span more than 90 days").
SPAN = timedelta(days=90)


# -- services ------------------------------------------------------------------------------------


def offered(snapshot: Snapshot, today: date) -> list[Sector]:
    """The sectors in force today, in the configuration's order."""
    return [s for s in snapshot.sectors.values() if s.effective.covers(today)]


def service(sector: Sector) -> dict[str, Any]:
    return {
        "service_code": sector.code,
        "service_name": sector.name,
        "description": sector.description.strip(),
        "metadata": bool(attributes(sector)),
        "type": "realtime",
        "keywords": ", ".join(sector.keywords),
        "group": GROUP,
    }


#: GeoReport v2's datatype of each type of a sector's extra field.
DATATYPES = {
    "text": "string",
    "textarea": "text",
    "number": "number",
    "integer": "number",
    "date": "datetime",
    "choice": "singlevaluelist",
    "multichoice": "multivaluelist",
    "boolean": "singlevaluelist",
}
#: What to type, by the field's type (GeoReport's ``datatype_description``).
DATATYPE_NOTES = {
    "text": f"Một dòng chữ, tối đa {sector_fields.TEXT_MAX} ký tự.",
    "textarea": f"Văn bản, tối đa {sector_fields.TEXTAREA_MAX} ký tự.",
    "number": "Một số; dấu thập phân là dấu chấm hoặc dấu phẩy (2.5 hoặc 2,5).",
    "integer": "Một số nguyên.",
    "date": "Một ngày, dạng YYYY-MM-DD (hoặc thời điểm RFC 3339: lấy ngày).",
    "choice": "Mã (key) của một lựa chọn.",
    "multichoice": "Mã (key) của các lựa chọn: gửi attribute[mã][]=… cho mỗi lựa chọn, hoặc "
    "các mã cách nhau bằng dấu phẩy.",
    "boolean": "true (Có) hoặc false (Không).",
}


def attributes(sector: Sector) -> list[dict[str, Any]]:
    """The sector's extra fields asked with a report (stage ``report``), as GeoReport attributes.

    ``code`` is the field's code (sent back as ``attribute[code]``), ``description`` its label,
    ``datatype_description`` its help and what to type; lists carry their options as ``values``.
    The officer's fields (stage ``result``) are not asked here.
    """
    found = []
    for order, field in enumerate(sector.fields_for("report"), start=1):
        attribute: dict[str, Any] = {
            "variable": True,
            "code": field.code,
            "datatype": DATATYPES[field.type],
            "required": field.required,
            "datatype_description": " ".join(
                part for part in (field.help, DATATYPE_NOTES[field.type]) if part
            ),
            "order": order,
            "description": field.label,
        }
        if field.type == "boolean":
            attribute["values"] = [
                {"key": "true", "name": sector_fields.YES[0]},
                {"key": "false", "name": sector_fields.NO[0]},
            ]
        elif field.choices:
            attribute["values"] = [{"key": c.code, "name": c.label} for c in field.choices]
        found.append(attribute)
    return found


def service_definition(sector: Sector) -> dict[str, Any]:
    return {"service_code": sector.code, "attributes": attributes(sector)}


# -- service requests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The published reports a list asks for: submitted in ``[start, end]``, of one sector."""

    start: datetime
    end: datetime
    sector: str | None = None


def published_requests(
    session: Session, snapshot: Snapshot, window: Window, limit: int
) -> list[dict[str, Any]]:
    """Published reports submitted in the window, newest publication first, at most ``limit``."""
    zone = ZoneInfo(snapshot.calendar.timezone)
    filters = Filters(
        sector=window.sector,
        since=window.start.astimezone(zone).date(),
        until=window.end.astimezone(zone).date(),
    )
    found: list[dict[str, Any]] = []
    after: str | None = None
    while len(found) < limit:  # batches by position (keyset), never counted nor OFFSET
        size = min(BATCH, limit - len(found))
        batch = published_page(session, snapshot, filters, size, after=after, count=False)
        chosen = [r for r in batch.items if window.start <= r.submitted_at <= window.end]
        places = _places(session, [r.code for r in chosen])
        found.extend(_published(r, places.get(r.code), snapshot) for r in chosen)
        if batch.next is None:
            break
        after = batch.next
    return found[:limit]


def request_by_id(session: Session, snapshot: Snapshot, code: str) -> dict[str, Any]:
    """One request by its id (our report code), if it may be shown; else :class:`NotFound`."""
    try:
        item = published_report(session, snapshot, code)
    except NotFound:  # its message names the code: answer with ours
        return _followed(session, snapshot, code)
    return _published(item, _places(session, [code]).get(code), snapshot)


def requests_by_id(session: Session, snapshot: Snapshot, codes: Iterable[str]) -> list[dict]:
    """The requests among ``codes`` that may be shown, in the order asked; others are left out."""
    found = []
    for code in codes:
        try:
            found.append(request_by_id(session, snapshot, code))
        except NotFound:
            continue
    return found


def not_found() -> NotFound:
    """The one answer for a report that does not exist and for one that may not be shown.

    It does not repeat the id: an answer never carries the code of a report it may not show.
    """
    return NotFound(
        "Không có yêu cầu này, hoặc yêu cầu không được công khai qua Open311.",
        "There is no such service request, or it is not available through Open311.",
    )


@dataclass(frozen=True)
class _Place:
    latitude: float | None
    longitude: float | None
    agency: str | None


def _places(session: Session, codes: list[str]) -> dict[str, _Place]:
    """Coordinates and agency of published, non-confidential reports (explicit columns only)."""
    if not codes:
        return {}
    rows = session.execute(
        select(Report.code, Report.latitude, Report.longitude, Report.agency).where(
            Report.code.in_(codes),
            Report.state == State.PUBLISHED,
            Report.confidential.is_(False),
            Report.state_secret.is_(False),
        )
    ).all()
    return {row.code: _Place(row.latitude, row.longitude, row.agency) for row in rows}


def _published(item: PublicReport, place: _Place | None, snapshot: Snapshot) -> dict[str, Any]:
    zone = ZoneInfo(snapshot.calendar.timezone)
    agency = snapshot.agencies.get(place.agency or "") if place else None
    where = ", ".join(part for part in (item.address, item.area_name) if part)
    return {
        "service_request_id": item.code,
        "status": "closed",
        "status_notes": item.result,
        "service_name": item.sector_name,
        "service_code": item.sector or "",
        "description": _shortened(item.content),
        "agency_responsible": agency.name if agency else None,
        "requested_datetime": instant(item.submitted_at, zone),
        "updated_datetime": instant(item.published_at, zone),
        "address": where or None,
        "address_id": item.area,
        "lat": place.latitude if place else None,
        "long": place.longitude if place else None,
        "media_url": _media_url(item.photos),
    }


def _media_url(photos: tuple[Photo, ...]) -> str | None:
    """The portal's address of the report's first photo (served only while it is public)."""
    photo = next((p for p in photos if p.kind == "photo"), None)
    if photo is None:
        return None
    try:
        return url_for("portal.photo", attachment_id=photo.id, _external=True)
    except BuildError:  # a portal without its photo route: no link rather than a broken one
        return None


def _followed(session: Session, snapshot: Snapshot, code: str) -> dict[str, Any]:
    """The status of a report sent through Open311 and not (or no longer) published."""
    row = session.execute(
        select(
            Report.id,
            Report.code,
            Report.state,
            Report.sector,
            Report.suggested_sector,
            Report.submitted_at,
            Report.updated_at,
        ).where(
            Report.code == code,
            Report.channel == CHANNEL,
            Report.confidential.is_(False),
            Report.state_secret.is_(False),
            Report.state.not_in([*HIDDEN_STATES, State.PUBLISHED]),
        )
    ).one_or_none()
    if row is None:
        raise not_found()
    zone = ZoneInfo(snapshot.calendar.timezone)
    state = State(row.state)
    sector_code = row.sector or row.suggested_sector or ""
    sector = snapshot.sectors.get(sector_code)
    closed = state in CLOSED_STATES
    due = None
    if not closed:
        due = session.scalars(
            select(Clock.due_at)
            .where(Clock.report_id == row.id, Clock.stopped_at.is_(None), Clock.paused_at.is_(None))
            .order_by(Clock.due_at.desc())
        ).first()
    return {
        "service_request_id": row.code,
        "status": "closed" if closed else "open",
        "status_notes": STATE_LABELS_VI[state],
        "service_name": sector.name if sector else None,
        "service_code": sector_code,
        "requested_datetime": instant(row.submitted_at, zone),
        "updated_datetime": instant(row.updated_at, zone),
        "expected_datetime": instant(due, zone) if due else None,
    }


def instant(value: datetime | None, zone: ZoneInfo) -> str | None:
    """RFC 3339 in the province's time, e.g. ``2026-04-22T08:00:00+07:00``."""
    return value.astimezone(zone).isoformat(timespec="seconds") if value else None


def _shortened(text: str) -> str:
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1] + "…"
