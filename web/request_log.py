"""One JSON line per request on the ``phananh.requests`` logger, with a request id.

The line names the URL rule, never the path or the query (a private tracking link or a search
for a reporter's name must not reach the logs), and no client address or form field: nothing of
the reporter is logged. A staff member is named, as in the record of who did what. The request
id is the caller's ``X-Request-ID`` when it is a plain token (a proxy's), else a new one, and is
sent back in the answer's ``X-Request-ID`` so that a complaint can be matched to its line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, request

from web.metrics import route

LOGGER = logging.getLogger("phananh.requests")
HEADER = "X-Request-ID"
_TOKEN = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id() -> str:
    """This request's id (made on first use)."""
    current = g.get("phananh_request_id")
    if current is None:
        offered = request.headers.get(HEADER, "")
        current = offered if _TOKEN.fullmatch(offered) else uuid.uuid4().hex
        g.phananh_request_id = current
    return current


def init_app(app: Flask) -> None:
    """Log each request when ``REQUEST_LOG`` is on (the production server turns it on)."""
    if app.config.get("REQUEST_LOG"):
        _json_lines_to_stderr()
    app.before_request(_start)
    app.after_request(_finish)


def _json_lines_to_stderr() -> None:
    if not LOGGER.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOGGER.addHandler(handler)
        LOGGER.setLevel(logging.INFO)
        LOGGER.propagate = False


def _start() -> None:
    g.phananh_request_started = time.perf_counter()
    request_id()


def _finish(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    if LOGGER.isEnabledFor(logging.INFO):
        LOGGER.info(json.dumps(line(response), ensure_ascii=False))
    return response


def line(response: Response) -> dict[str, object]:
    """The fields logged for one answered request."""
    started = g.get("phananh_request_started")
    staff = g.get("phananh_staff") or g.get("phananh_bearer")
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": request_id(),
        "method": request.method,
        "route": route(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "bytes": response.calculate_content_length(),
        "staff": getattr(staff, "username", None),
    }
