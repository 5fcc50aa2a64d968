"""The desk's export page: the reports of a period for a state body on request (Đ12.1, R23).

For the roles of :data:`engine.export.EXPORTERS` (the operations administrator and the auditor;
:mod:`engine.export.request` says why). A wrong field is the page again (422) with the message
beside it and nothing written; a good request is a download that streams: CSV and JSONL chunk by
chunk as the reports are read, XLSX and the zip with the media from a temporary file, sent a
block at a time and deleted. The register of exports is on the same page.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from flask import Response, current_app, request

from engine.export import EXPORTERS, FORMATS, Exporter, ExportRequest, build_request, exports
from engine.services.errors import InvalidInput
from engine.services.lifecycle import Actor
from web.auth import current_staff, staff_required
from web.desk import widgets
from web.desk.views import desk, page
from web.routing import page_number
from web.runtime import lifecycle, snapshot

REGISTER_PAGE = 50
SEND_CHUNK = 1 << 16
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
FIELDS = ("from", "to", "agency", "format", "reason")


def _page(status: int = 200, posted: dict[str, Any] | None = None, errors: Any = None) -> Response:
    number = page_number(request.args)
    with lifecycle().uow.read() as db:
        total, rows = exports(db, limit=REGISTER_PAGE, offset=(number - 1) * REGISTER_PAGE)
    return page(
        "desk/export.html",
        status,
        posted=posted or {"format": "xlsx"},
        errors=errors or {},
        formats=FORMATS,
        agencies=[(o.value, o.label, o.group) for o in widgets.agency_options(snapshot())],
        rows=rows,
        total=total,
        number=number,
        pages=max(1, -(-total // REGISTER_PAGE)),
    )


@desk.get("/xuat-du-lieu")
@staff_required(*EXPORTERS)
def export_page() -> Response:
    return _page()


@desk.post("/xuat-du-lieu")
@staff_required(*EXPORTERS)
def export_download() -> Response:
    staff, life = current_staff(), lifecycle()
    assert staff is not None
    posted = {k: (request.form.get(k) or "").strip() for k in FIELDS}
    posted["with_media"] = request.form.get("with_media") in ("1", "on", "y")
    try:
        wanted = build_request(
            life.snapshot,
            date_from=posted["from"],
            date_to=posted["to"],
            format=posted["format"],
            reason=posted["reason"],
            agency=posted["agency"],
            with_media=posted["with_media"],
        )
    except InvalidInput as refused:
        return _page(422, posted, {refused.field or "reason": refused.message_vi})
    exporter = Exporter(
        life.uow, life.snapshot, life.zone, current_app.config["MEDIA_ROOT"], clock=life.now
    )
    if wanted.format != "xlsx" and not wanted.with_media:
        body: Iterator[bytes] = exporter.stream(staff.actor, wanted)
    else:
        body = _sent(_spooled(exporter, staff.actor, wanted))
    kind = "zip" if wanted.with_media else wanted.format
    response = Response(body, mimetype=MEDIA_TYPES[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="{wanted.file_name}"'
    return response


def _spooled(exporter: Exporter, actor: Actor, wanted: ExportRequest) -> IO[bytes]:
    """The whole file in a temporary file (deleted when closed), at its start."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _sent, or here on a failure
    try:
        exporter.write(actor, wanted, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _sent(spool: IO[bytes]) -> Iterator[bytes]:
    """The temporary file a block at a time; it is deleted when closed, sent or not."""
    with spool:
        while block := spool.read(SEND_CHUNK):
            yield block
