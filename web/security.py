"""The headers every answer carries — the one place they are decided.

Every browser page (HTML): a strict content policy (only this site's scripts and styles, no
framing), no sniffing, the referrer kept on this site. Private pages (staff, the administration,
a reporter's own) are also never cached or indexed. Every other answer (JSON, pictures, static
files) is not sniffed either. With ``PHANANH_ENV=production`` every answer also carries
``Strict-Transport-Security``: browsers then refuse plain http for the site (the deployment
serves HTTPS only, see the README).

A blueprint that knows more (the portal's map tiles, the desk's privacy) calls
:func:`page_headers` in its own ``after_request``, which runs first; :func:`init_app`'s hook
only fills in what is still missing, so that nothing — the administration, the public pages, an
error page — goes out without them.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

#: A year, and the subdomains: the province's site is HTTPS through and through.
HSTS = "max-age=31536000; includeSubDomains"
#: Paths whose pages are private even though no blueprint of ours serves them (Flask-Admin).
PRIVATE_PREFIXES = ("/admin",)


def production(configured: Any = None) -> bool:
    """Whether this is a production deployment: ``PHANANH_ENV=production`` (the setting given to
    the app when there is one, else the environment variable)."""
    env = configured or os.environ.get("PHANANH_ENV", "")
    return str(env).strip().lower() == "production"


def tile_origin(tile_url: str) -> str:
    """``https://{s}.tile.example.org/{z}/{x}/{y}.png`` → ``https://*.tile.example.org``."""
    if not tile_url:
        return ""
    parts = urlsplit(re.sub(r"\{[a-z]\}", "*", tile_url.split("/{", 1)[0] + "/"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def page_headers(response: Response, tile_url: str = "", *, private: bool = False) -> Response:
    """Only this site's scripts and styles; pictures also from the map's tile server.

    ``private`` pages (staff, a reporter's own) are never cached, indexed or given a referrer.
    """
    tiles = tile_origin(tile_url)
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"img-src 'self' data:{' ' + tiles if tiles else ''}; "
        "script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if private:
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    return response


def every_response(response: Response) -> Response:
    """What no answer goes without (after the blueprints' own hooks; see the module)."""
    if response.mimetype == "text/html":
        page_headers(response, private=request.path.startswith(PRIVATE_PREFIXES))
    else:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if current_app.config.get("PHANANH_PRODUCTION"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Decide once whether this is production (``PHANANH_PRODUCTION``) and add the hook."""
    app.config["PHANANH_PRODUCTION"] = production(app.config.get("PHANANH_ENV"))
    app.after_request(every_response)
