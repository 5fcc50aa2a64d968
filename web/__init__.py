"""The Flask faces of the service: the app factory and its blueprints.

Nothing runs at import: ``create_app(settings)`` builds an application, loads and validates the
configuration once, and registers the blueprints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

import admin
from engine.config.loader import DEFAULT_DIRECTORY
from engine.store import database_url
from web import auth, errors, formatting, runtime
from web.api import api
from web.desk import desk
from web.limits import limiter
from web.open311 import keep_keys_out_of_logs, open311
from web.portal import portal
from web.public import public

csrf = CSRFProtect()


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. ``settings`` override the environment.

    The environment: ``PHANANH_CONFIG`` (configuration directory), ``DATABASE_URL``,
    ``PHANANH_MEDIA`` (where uploaded pictures are kept), ``SECRET_KEY`` (sessions and forms; a
    random one when unset, which is fine for one process but not for several).
    """
    app = Flask(__name__)
    app.config.update(
        CONFIG_DIR=os.environ.get("PHANANH_CONFIG", str(DEFAULT_DIRECTORY)),
        DATABASE_URL=database_url(),
        MEDIA_ROOT=os.environ.get("PHANANH_MEDIA", "instance/media"),
        SECRET_KEY=os.environ.get("SECRET_KEY") or os.urandom(32),
        MAX_CONTENT_LENGTH=320 * 1024 * 1024,
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
    )
    app.config.update(settings or {})
    app.json.ensure_ascii = False  # Vietnamese stays readable in JSON answers (UTF-8)
    runtime.init_app(app)
    formatting.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    for machine_facing in (api, open311):  # token- and key-authenticated, no browser session
        csrf.exempt(machine_facing)
    for blueprint in (public, portal, auth.auth, desk, api, open311):
        app.register_blueprint(blueprint)
    admin.init_app(app)
    keep_keys_out_of_logs()
    return app
