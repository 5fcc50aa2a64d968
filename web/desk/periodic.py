"""The periodic report to the province (R30) as a download on the desk.

Only those who report to the province's committee may build it: the IOC operators who compile
it, the province's viewers who receive it, and the operator-administrator. An agency's staff see
their own figures in GET /api/v1/stats; the report covers every agency.

Every report built here is kept (:func:`engine.periodic.store.keep`: the media store and
``periodic_reports``) and listed under the form with those the worker built on schedule, newest
first (:mod:`web.desk.periodic_kept` serves them).
"""

from __future__ import annotations

import io

from flask import Response, current_app, request, send_file

from engine import periodic, stats
from engine.periodic import store as kept_reports
from engine.services.errors import DomainError
from engine.store import MAX_ID
from engine.uploads import MediaStore
from web.auth import current_staff, staff_required
from web.desk.views import desk, page
from web.runtime import lifecycle

READERS = periodic.READERS


def _form(status: int = 200, problem: str | None = None) -> Response:
    """The form, and under it one page of the kept reports (``sau``: after the report of that id)."""
    after = request.args.get("sau", "")
    mark = int(after) if after.isascii() and after.isdigit() and int(after) <= MAX_ID else None
    with lifecycle().uow.read() as session:
        kept = kept_reports.listing(session, mark, kept_reports.PAGE + 1)
    more = kept[-2].id if len(kept) > kept_reports.PAGE else None
    return page(
        "desk/periodic.html",
        status,
        problem=problem,
        args=request.form,
        kept=kept[: kept_reports.PAGE],
        more=more,
    )


@desk.get("/bao-cao-dinh-ky")
@staff_required(*READERS)
def periodic_report() -> Response:
    """The form and the kept reports."""
    return _form()


@desk.post("/bao-cao-dinh-ky")
@staff_required(*READERS)
def build_periodic_report() -> Response:
    """Build the report for ``tu``–``den`` as ``dang``, keep it (it is listed on the page) and send
    it. A POST: every build is written to the store and the register."""
    fields = request.form
    fmt = fields.get("dang", "")
    if fmt not in periodic.FORMATS:
        return _form(422, "Chọn định dạng XLSX, DOCX hoặc PDF.")
    staff, life = current_staff(), lifecycle()
    assert staff is not None
    try:
        start = stats.parse_day(fields.get("tu", ""), "tu")
        end = stats.parse_day(fields.get("den", ""), "den")
        with life.uow.read() as session:
            data = kept_reports.render(
                session, life.snapshot, staff.actor, (fmt,), start, end, life.now()
            )[fmt]
    except DomainError as exc:
        return _form(422, exc.message_vi)
    kept = kept_reports.keep(
        life.uow, MediaStore(current_app.config["MEDIA_ROOT"]), data, fmt=fmt,
        start=start, end=end, built_by=staff.display_name, role=staff.role, at=life.now(),
    )  # fmt: skip
    assert kept is not None  # a report built on request has no schedule to collide on
    return send_file(
        io.BytesIO(data),
        mimetype=kept.content_type,
        as_attachment=True,
        download_name=kept.download_name,
    )
