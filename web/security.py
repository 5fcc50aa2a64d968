"""The headers every browser page carries: a strict content policy, no sniffing, no framing."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Response


def tile_origin(tile_url: str) -> str:
    """``https://{s}.tile.example.org/{z}/{x}/{y}.png`` → ``https://*.tile.example.org``."""
    if not tile_url:
        return ""
    parts = urlsplit(re.sub(r"\{[a-z]\}", "*", tile_url.split("/{", 1)[0] + "/"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def page_headers(response: Response, tile_url: str, *, private: bool = False) -> Response:
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
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if private:
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Robots-Tag", "noindex, nofollow")
    return response
