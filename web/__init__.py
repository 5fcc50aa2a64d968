"""The Flask faces of the service: the app factory and its blueprints.

Nothing runs at import: ``create_app(settings)`` builds an application, loads and validates the
configuration once, and registers the blueprints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from engine.config.loader import DEFAULT_DIRECTORY, load
from web import formatting
from web.public import public


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. ``settings`` override the environment (``PHANANH_CONFIG``)."""
    app = Flask(__name__)
    app.config.update(
        CONFIG_DIR=os.environ.get("PHANANH_CONFIG", str(DEFAULT_DIRECTORY)),
        JSON_AS_ASCII=False,
    )
    app.config.update(settings or {})
    app.extensions["phananh.snapshot"] = load(app.config["CONFIG_DIR"])
    formatting.init_app(app)
    app.register_blueprint(public)
    return app
