"""A report's whole story as plain data: the report, its clocks now, its events, in order.

Used by ``phananh report show`` and later by the desk and the API. The reporter's details are not
part of it unless asked for (Đ5.4): a caller that may see them says so explicitly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import WorkingCalendar
from engine.services.errors import NotFound
from engine.sla import clocks
from engine.store.models import Report, Reporter


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def story(
    session: Session,
    code: str,
    calendar: WorkingCalendar,
    warning: float,
    now: datetime,
    *,
    with_reporter: bool = False,
) -> dict[str, Any]:
    report = session.scalars(select(Report).where(Report.code == code)).one_or_none()
    if report is None:
        raise NotFound(f"Không có phản ánh mã {code}.", f"There is no report {code}.")
    zone = calendar.zone
    data: dict[str, Any] = {
        "code": report.code,
        "state": report.state,
        "version": report.version,
        "channel": report.channel,
        "content": report.content,
        "sector": report.sector,
        "suggested_sector": report.suggested_sector,
        "area": report.area,
        "address": report.address,
        "coordinates": [report.latitude, report.longitude] if report.latitude is not None else None,
        "confidential": report.confidential,
        "state_secret": report.state_secret,
        "agency": report.agency,
        "routing_rule": report.routing_rule,
        "config_version": report.config_version_id,
        "officer": report.officer,
        "unit": report.unit,
        "proposed_result": report.proposed_result,
        # the sector's extra fields: ``extra`` for ``suggested_sector``, ``result_extra`` for
        # ``sector`` (engine.sector_fields.details reads them)
        "extra": report.extra or {},
        "result_extra": report.result_extra or {},
        "approved_result": report.approved_result,
        "published_text": report.published_text,
        "rating": report.rating,
        "submitted_at": report.submitted_at.astimezone(zone).isoformat(),
        "clocks": [_clock(c, calendar, warning, now) for c in report.clocks],
        "extensions": [
            {
                "requested_by": e.requested_by,
                "requested_due": _when(e.requested_due),
                "request_reason": e.request_reason,
                "granted_by": e.granted_by,
                "granted_due": _when(e.granted_due),
                "grant_reason": e.grant_reason,
                "refused_by": e.refused_by,
                "refused_at": _when(e.refused_at),
                "refusal_reason": e.refusal_reason,
            }
            for e in report.extensions
        ],
        "replies": [{"at": _when(r.created_at), "text": r.text} for r in report.replies],
        "ratings": [{"at": _when(r.created_at), "value": r.value} for r in report.ratings],
        "events": [
            {
                "seq": e.seq,
                "at": e.at.astimezone(zone).isoformat(),
                "actor": e.actor,
                "role": e.role,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "note": e.note,
                "data": e.data,
                "hash": e.hash,
            }
            for e in report.events
        ],
    }
    if with_reporter:
        reporter = session.get(Reporter, report.id)
        data["reporter"] = (
            {"name": reporter.name, "phone": reporter.phone, "email": reporter.email}
            if reporter
            else None
        )
    return data


def _clock(clock: Any, calendar: WorkingCalendar, warning: float, now: datetime) -> dict[str, Any]:
    status = clocks.status(clock, now, calendar, warning)
    zone = calendar.zone
    return {
        "step": clock.step,
        "started_at": clock.started_at.astimezone(zone).isoformat(),
        "due_at": clock.due_at.astimezone(zone).isoformat(),
        "base_due_at": clock.base_due_at.astimezone(zone).isoformat(),
        "budget_minutes": clock.budget_minutes,
        "used_minutes": status.used_minutes,
        "pauses": clock.pauses,
        "extended": clock.extended,
        "stopped_at": clock.stopped_at.astimezone(zone).isoformat() if clock.stopped_at else None,
        "late": clock.late,
        "late_after_extension": clock.late_after_extension,
        "standing": status.standing.value,
    }
