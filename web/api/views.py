"""How the public and reporter's views read as JSON: built only from ``engine.services.public``.

Nothing here reads a database row: each function turns one of the public module's dataclasses into
a dictionary, so whatever that module leaves out (a confidential reporter's identity, every
reporter's phone and e-mail) cannot appear in an answer. Instants are ISO 8601 in the province's
time zone (``2026-04-22T08:00:00+07:00``).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from flask import url_for

from engine.sector_fields import Detail
from engine.services.public import Page, Photo, PublicReport, Tracking
from engine.workflow import RATINGS


def instant(value: datetime | None, zone: tzinfo) -> str | None:
    return value.astimezone(zone).isoformat(timespec="seconds") if value is not None else None


def public_report(report: PublicReport, zone: tzinfo) -> dict[str, Any]:
    return {
        "view": "public",
        "code": report.code,
        "sector": report.sector,
        "sector_name": report.sector_name,
        "area": report.area,
        "area_name": report.area_name,
        "address": report.address,
        "content": report.content,
        "reporter_name": report.reporter_name,
        "submitted_at": instant(report.submitted_at, zone),
        "published_at": instant(report.published_at, zone),
        "result": report.result,
        "rating": report.rating,
        "rating_label": RATINGS.get(report.rating or ""),
        "photos": [public_photo(p) for p in report.photos],
        "details": [detail(d) for d in report.details],
    }


def detail(found: Detail) -> dict[str, Any]:
    """One answer to a sector's extra field: its code, label, stored value and the value in words."""
    return {
        "code": found.code,
        "stage": found.stage,
        "label": found.label,
        "label_en": found.label_en,
        "value": found.value,
        "text": found.text,
        "text_en": found.text_en,
    }


def page(found: Page, zone: tzinfo) -> dict[str, Any]:
    return {
        "items": [public_report(r, zone) for r in found.items],
        "total": min(found.total, found.cap) if found.cap is not None else found.total,
        "total_capped": found.capped,
        "page": found.page,
        "size": found.size,
        "pages": found.pages,
    }


def public_photo(photo: Photo) -> dict[str, Any]:
    links: dict[str, Any] = {"id": photo.id, "kind": photo.kind}
    if photo.kind == "photo":
        links["url"] = url_for("api.photo", photo_id=photo.id)
        links["thumbnail_url"] = url_for("api.photo_thumbnail", photo_id=photo.id)
    return links


def reporter_view(view: Tracking, zone: tzinfo) -> dict[str, Any]:
    """The reporter's own view: the story of the report in words, deadlines and the answer."""
    return {
        "view": "reporter",
        "code": view.code,
        "status": str(view.state),
        "status_label": view.state_label,
        "content": view.content,
        "sector_name": view.sector_name,
        "area_name": view.area_name,
        "address": view.address,
        "submitted_at": instant(view.submitted_at, zone),
        "expected_by": instant(view.expected_by, zone),
        "answered": view.answered,
        "needs_info": view.needs_info,
        "result": view.result,
        "rating": view.rating,
        "rating_label": view.rating_label,
        "steps": [
            {"at": instant(step.at, zone), "label": step.label, "note": step.note}
            for step in view.steps
        ],
        "replies": [{"at": instant(at, zone), "text": text} for at, text in view.replies],
        "photos": [{"id": p.id, "kind": p.kind} for p in view.photos],
        "details": [detail(d) for d in view.details],
    }
