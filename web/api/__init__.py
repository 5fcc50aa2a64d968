"""The versioned JSON API for the mobile app and partners' systems (``/api/v1``)."""

from __future__ import annotations

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

# The routes attach themselves to ``api`` when their modules are imported.
from web.api import auth, handlers, openapi, reports, staff, stats  # noqa: E402, F401
