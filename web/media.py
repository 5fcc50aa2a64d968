"""Serving a stored picture to a browser: from the media store, never outside it, never sniffed."""

from __future__ import annotations

from flask import Response, abort, current_app, send_file

from engine.uploads import MediaStore


def send_stored(
    relative: str | None, content_type: str, *, max_age: int, private: bool = False
) -> Response:
    """The stored file at ``relative``; 404 when it is missing or would leave the media root.

    The file is sandboxed (it can't run anything even if a browser tried to read it as a page);
    a ``private`` one (staff pages) may be kept by the reader's browser only, not by a proxy.
    """
    if not relative:
        abort(404)
    try:
        path = MediaStore(current_app.config["MEDIA_ROOT"]).path(relative)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=content_type, conditional=True, max_age=max_age)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    if private:
        response.headers["Cache-Control"] = f"private, max-age={max_age}"
    return response
