"""A kept periodic report (Đ13.9, R30) as a download, for those who may build one.

The file comes from the media store as it was built (:func:`web.media.send_stored`: sandboxed,
never sniffed, kept by the reader's browser only), with its content type and a Vietnamese file
name (``Báo cáo tháng 10 từ 01-01-2026 đến 09-10-2026.docx``).
"""

from __future__ import annotations

from flask import Response, abort

from engine.periodic import store as kept_reports
from engine.store import MAX_ID
from web.auth import staff_required
from web.desk.periodic import READERS
from web.desk.views import desk
from web.media import send_stored
from web.runtime import lifecycle

#: A kept report never changes (its key is its content's hash): a browser may keep it a while.
KEEP_SECONDS = 3600


@desk.get("/bao-cao-dinh-ky/<int:report_id>")
@staff_required(*READERS)
def kept_periodic_report(report_id: int) -> Response:
    if report_id > MAX_ID:
        abort(404)
    with lifecycle().uow.read() as session:
        kept = kept_reports.find(session, report_id)
    if kept is None:
        abort(404)
    return send_stored(
        kept.storage_key,
        kept.content_type,
        max_age=KEEP_SECONDS,
        private=True,
        filename=kept.download_name,
    )
