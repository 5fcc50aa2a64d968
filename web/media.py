"""Serving a stored file to a browser: from the media store, never outside it, never sniffed."""

from __future__ import annotations

from flask import Response, abort, current_app, send_file

from engine.uploads import MediaStore

#: Kinds a browser may show in the page; anything else (a PDF) is a download.
INLINE_KINDS = ("image/", "video/")


def send_stored(
    relative: str | None,
    content_type: str,
    *,
    max_age: int,
    private: bool = False,
    filename: str | None = None,
) -> Response:
    """The stored file at ``relative``; 404 when it is missing or would leave the media root.

    The file is sandboxed (it can't run anything even if a browser tried to read it as a page);
    a photo or a video is shown inline, anything else — a PDF, which may carry scripts — is sent as a
    download named ``filename``, so that no viewer runs it in the service's origin. A ``private``
    one (staff pages, the reporter's own answer) may be kept by the reader's browser only, not by
    a proxy.
    """
    if not relative:
        abort(404)
    try:
        path = MediaStore(current_app.config["MEDIA_ROOT"]).path(relative)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    inline = content_type.startswith(INLINE_KINDS)
    response = send_file(
        path,
        mimetype=content_type,
        conditional=True,
        max_age=max_age,
        as_attachment=not inline,
        download_name=None if inline else (filename or path.name),
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if inline:
        response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if private:
        response.headers["Cache-Control"] = f"private, max-age={max_age}"
    return response
