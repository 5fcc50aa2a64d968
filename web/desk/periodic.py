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
import tempfile
from pathlib import Path

from flask import Response, current_app, request, send_file

from engine import periodic, stats
from engine.periodic import store as kept_reports
from engine.services.errors import DomainError
from engine.store import MAX_ID
from engine.uploads import MediaStore
from engine.workflow import Role
from web.auth import current_staff, staff_required
from web.desk.views import desk, page
from web.runtime import lifecycle

READERS = (Role.IOC_OPERATOR, Role.PROVINCE_VIEWER, Role.OPERATOR_ADMIN)
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


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
        args=request.args,
        kept=kept[: kept_reports.PAGE],
        more=more,
    )


@desk.get("/bao-cao-dinh-ky")
@staff_required(*READERS)
def periodic_report() -> Response:
    """The form; with ``tu``, ``den`` and ``dang`` the file itself."""
    args = request.args
    if not args.get("tu") and not args.get("den"):
        return _form()
    fmt = args.get("dang", "")
    if fmt not in periodic.FORMATS:
        return _form(422, "Chọn định dạng XLSX hoặc DOCX.")
    staff, life = current_staff(), lifecycle()
    assert staff is not None
    try:
        query = stats.Query(
            start=stats.parse_day(args.get("tu", ""), "tu"),
            end=stats.parse_day(args.get("den", ""), "den"),
        )
        with life.uow.read() as session:
            found = stats.figures(session, life.snapshot, staff.actor, query, life.now())
            late = periodic.late_cases(session, query.start, query.end)
    except DomainError as exc:
        return _form(422, exc.message_vi)
    name = f"bao-cao-{query.start:%Y%m%d}-{query.end:%Y%m%d}.{fmt}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        periodic.write(path, fmt, found, late, query.start, query.end)
        data = path.read_bytes()
    kept = kept_reports.keep(
        life.uow, MediaStore(current_app.config["MEDIA_ROOT"]), data, fmt=fmt,
        start=query.start, end=query.end, built_by=staff.display_name, role=staff.role,
        at=life.now(),
    )  # fmt: skip
    assert kept is not None  # a report built on request has no schedule to collide on
    return send_file(
        io.BytesIO(data), mimetype=MIME[fmt], as_attachment=True, download_name=kept.download_name
    )
