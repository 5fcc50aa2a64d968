"""The site's icon at ``/favicon.ico``, where browsers ask for it unprompted.

The pages also name ``static/favicon.svg`` in their head; ``/favicon.ico`` answers the same pin
drawn as an ICO (16, 32 and 48 pixels), so that neither a browser nor the access log sees a 404.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, send_from_directory

#: A day: the icon changes with a release, not between requests.
ICON_MAX_AGE = 86_400


def favicon() -> Response:
    return send_from_directory(
        current_app.static_folder or "static",
        "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        max_age=ICON_MAX_AGE,
    )


def init_app(app: Flask) -> None:
    app.add_url_rule("/favicon.ico", "favicon", favicon, methods=["GET"])
