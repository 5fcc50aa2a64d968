"""The reports of an export, read in keyset batches: never the whole period in memory.

Each batch is :data:`BATCH` reports in submission order, with their clocks, extensions, events,
replies, ratings, media and disclosures loaded by one ``IN`` query each; once its reports are
written the session forgets them. The reporter's identity is read — by explicit columns, for
the reports of the batch on the register of disclosures only — when the caller may hand it on
(:data:`engine.export.request.IDENTITY_READERS`); otherwise it is never selected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from engine.config.snapshot import Snapshot
from engine.export.request import ExportRequest
from engine.services import keyset
from engine.services.queues import agency_tree
from engine.store.models import Disclosure, Report, Reporter

BATCH = 250


def where(snapshot: Snapshot, request: ExportRequest, zone: tzinfo) -> list[ColumnElement[bool]]:
    """The reports of the request: submitted in the period, of the agency's tree if one is named."""
    start, end = request.bounds(zone)
    conditions = [Report.submitted_at >= start, Report.submitted_at < end]
    if request.agency:
        codes = sorted(agency_tree(snapshot, request.agency))
        conditions.append(or_(Report.agency.in_(codes), Report.unit.in_(codes)))
    return conditions


def reports(
    session: Session,
    snapshot: Snapshot,
    request: ExportRequest,
    zone: tzinfo,
    *,
    with_identity: bool,
    batch: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Each report of the request as one nested object, oldest first."""
    size = batch or BATCH
    conditions = where(snapshot, request, zone)
    keys = (Report.submitted_at, Report.id)
    cursor: keyset.Cursor | None = None
    while True:
        found = session.scalars(
            select(Report)
            .where(*conditions, *keyset.after(keys, cursor))
            .order_by(*keys)
            .limit(size)
            .options(
                selectinload(Report.clocks),
                selectinload(Report.extensions),
                selectinload(Report.events),
                selectinload(Report.replies),
                selectinload(Report.ratings),
                selectinload(Report.attachments),
            )
        ).all()
        if not found:
            return
        ids = [r.id for r in found]
        disclosed = _disclosures(session, ids, zone)
        identities = _identities(session, list(disclosed)) if with_identity and disclosed else {}
        duplicates = _codes(session, [r.duplicate_of_id for r in found if r.duplicate_of_id])
        for report in found:
            yield _report(report, zone, disclosed, identities, duplicates)
        cursor = keyset.Cursor((found[-1].submitted_at, found[-1].id))
        session.expunge_all()
        if len(found) < size:
            return


def _disclosures(
    session: Session, ids: Sequence[int], zone: tzinfo
) -> dict[int, list[dict[str, Any]]]:
    rows = session.execute(
        select(
            Disclosure.report_id,
            Disclosure.disclosed_at,
            Disclosure.disclosed_by,
            Disclosure.authority,
            Disclosure.reason,
        )
        .where(Disclosure.report_id.in_(ids))
        .order_by(Disclosure.disclosed_at, Disclosure.id)
    ).all()
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for report_id, at, by, authority, reason in rows:
        found[report_id].append(
            {"at": _iso(at, zone), "by": by, "authority": authority, "reason": reason}
        )
    return found


def _identities(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(
        select(
            Reporter.report_id, Reporter.name, Reporter.phone, Reporter.email, Reporter.address
        ).where(Reporter.report_id.in_(ids))
    ).all()
    return {
        report_id: {"name": name, "phone": phone, "email": email, "address": address}
        for report_id, name, phone, email, address in rows
    }


def _codes(session: Session, ids: Sequence[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    rows = session.execute(select(Report.id, Report.code).where(Report.id.in_(set(ids)))).all()
    return dict(rows)


def _iso(value: datetime | None, zone: tzinfo) -> str | None:
    return value.astimezone(zone).isoformat() if value is not None else None


def _report(
    report: Report,
    zone: tzinfo,
    disclosed: dict[int, list[dict[str, Any]]],
    identities: dict[int, dict[str, Any]],
    duplicates: dict[int, str | None],
) -> dict[str, Any]:
    return {
        "code": report.code,
        "state": report.state,
        "channel": report.channel,
        "submitted_at": _iso(report.submitted_at, zone),
        "updated_at": _iso(report.updated_at, zone),
        "published_at": _iso(report.published_at, zone),
        "content": report.content,
        "sector": report.sector,
        "suggested_sector": report.suggested_sector,
        "area": report.area,
        "address": report.address,
        "coordinates": (
            [report.latitude, report.longitude] if report.latitude is not None else None
        ),
        "confidential": report.confidential,
        "state_secret": report.state_secret,
        "duplicate_of": duplicates.get(report.duplicate_of_id) if report.duplicate_of_id else None,
        "routing": {
            "agency": report.agency,
            "unit": report.unit,
            "officer": report.officer,
            "rule": report.routing_rule,
            "config_version": report.config_version_id,
        },
        "extra": report.extra or {},
        "result_extra": report.result_extra or {},
        "proposed_result": report.proposed_result,
        "approved_result": report.approved_result,
        "published_text": report.published_text,
        "rating": report.rating,
        "clocks": [
            {
                "step": c.step,
                "started_at": _iso(c.started_at, zone),
                "base_due_at": _iso(c.base_due_at, zone),
                "due_at": _iso(c.due_at, zone),
                "stopped_at": _iso(c.stopped_at, zone),
                "paused_at": _iso(c.paused_at, zone),
                "base_minutes": c.base_minutes,
                "budget_minutes": c.budget_minutes,
                "used_minutes": c.used_minutes,
                "extended": c.extended,
                "late": c.late,
                "late_after_extension": c.late_after_extension,
            }
            for c in report.clocks
        ],
        "extensions": [
            {
                "requested_by": e.requested_by,
                "requested_at": _iso(e.requested_at, zone),
                "requested_due": _iso(e.requested_due, zone),
                "request_reason": e.request_reason,
                "granted_by": e.granted_by,
                "granted_at": _iso(e.granted_at, zone),
                "granted_due": _iso(e.granted_due, zone),
                "grant_reason": e.grant_reason,
            }
            for e in report.extensions
        ],
        "events": [
            {
                "seq": e.seq,
                "at": _iso(e.at, zone),
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
        "replies": [
            {"at": _iso(r.created_at, zone), "text": r.text, "handled": r.handled}
            for r in report.replies
        ],
        "ratings": [{"at": _iso(r.created_at, zone), "value": r.value} for r in report.ratings],
        "attachments": [
            {
                "id": a.id,
                "stage": a.stage,
                "kind": a.kind,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "path": a.path,
            }
            for a in report.attachments
        ],
        "disclosures": disclosed.get(report.id, []),
        "reporter": identities.get(report.id),
    }
