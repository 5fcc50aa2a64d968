"""The periodic report to the province (R30) as a download on the desk.

Only those who report to the province's committee may build it: the IOC operators who compile
it, the province's viewers who receive it, and the operator-administrator. An agency's staff see
their own figures in GET /api/v1/stats; the report covers every agency.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import Response, request, send_file

from engine import periodic, stats
from engine.services.errors import DomainError
from web.auth import current_staff, staff_required
from web.desk.views import desk, page
from web.runtime import lifecycle

READERS = periodic.READERS
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@desk.get("/bao-cao-dinh-ky")
@staff_required(*READERS)
def periodic_report() -> Response:
    """The form; with ``tu``, ``den`` and ``dang`` the file itself."""
    args = request.args
    if not args.get("tu") and not args.get("den"):
        return page("desk/periodic.html", problem=None, args=args)
    fmt = args.get("dang", "")
    if fmt not in periodic.FORMATS:
        return page(
            "desk/periodic.html", 422, problem="Chọn định dạng XLSX, DOCX hoặc PDF.", args=args
        )
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
        return page("desk/periodic.html", 422, problem=exc.message_vi, args=args)
    name = f"bao-cao-{query.start:%Y%m%d}-{query.end:%Y%m%d}.{fmt}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        periodic.write(
            path, fmt, found, late, query.start, query.end,
            heading=life.snapshot.report, labels=periodic.Labels.of(life.snapshot),
        )  # fmt: skip
        data = path.read_bytes()
    return send_file(io.BytesIO(data), mimetype=MIME[fmt], as_attachment=True, download_name=name)
