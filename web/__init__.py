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
from werkzeug.middleware.proxy_fix import ProxyFix

import admin
from engine.config.loader import DEFAULT_DIRECTORY
from engine.store import database_url
from web import auth, errors, formatting, icon, ops, request_log, runtime, security
from web.api import api
from web.desk import desk
from web.jsonbody import BoundedRequest
from web.limits import limiter
from web.open311 import keep_keys_out_of_logs, open311
from web.portal import portal
from web.public import public
from web.routing import RowId

csrf = CSRFProtect()


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. ``settings`` override the environment.

    The environment: ``PHANANH_CONFIG`` (configuration directory), ``DATABASE_URL``,
    ``PHANANH_MEDIA`` (where uploaded pictures are kept), ``SECRET_KEY`` (sessions and forms; a
    random one when unset, which is fine for one process but not for several, and refused with
    ``PHANANH_ENV=production``: :class:`~web.runtime.StartRefused`), ``PHANANH_PROXIES`` (how
    many reverse proxies in front set ``X-Forwarded-*``; 0, the default, trusts none),
    ``PHANANH_OPS_NETWORKS`` (who may read ``/healthz`` and ``/metrics``, :mod:`web.ops`).
    """
    _refuse_production_without_secret(settings or {})
    app = Flask(__name__)
    app.request_class = BoundedRequest
    app.url_map.converters["id"] = RowId  # before any route that uses it is added
    app.config.update(
        CONFIG_DIR=os.environ.get("PHANANH_CONFIG", str(DEFAULT_DIRECTORY)),
        DATABASE_URL=database_url(),
        MEDIA_ROOT=os.environ.get("PHANANH_MEDIA", "instance/media"),
        SECRET_KEY=os.environ.get("SECRET_KEY") or os.urandom(32),
        MAX_CONTENT_LENGTH=320 * 1024 * 1024,
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Flask-Limiter's one limiter takes ``enabled`` from the last app that set it: say it for
        # every app, or one built with the limits off would switch them off for the next ones.
        RATELIMIT_ENABLED=True,
        PROXIES=int(os.environ.get("PHANANH_PROXIES", "0")),
    )
    app.config.update(settings or {})
    trust_proxies(app, app.config["PROXIES"])
    app.json.ensure_ascii = False  # Vietnamese stays readable in JSON answers (UTF-8)
    security.init_app(app)
    runtime.init_app(app)
    request_log.init_app(app)
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
    ops.init_app(app)
    icon.init_app(app)
    keep_keys_out_of_logs()
    return app


def trust_proxies(app: Flask, count: int) -> None:
    """Take the client's address, scheme and host from ``count`` proxies' ``X-Forwarded-*``.

    Only as many hops as there are proxies of the deployment's own: a client can write any
    ``X-Forwarded-For`` it likes, so trusting one hop too many lets it choose its address (and
    escape the rate limits, or reach ``/metrics``).
    """
    if count > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count
        )


def _refuse_production_without_secret(settings: Mapping[str, Any]) -> None:
    """In production a random key would sign each process's sessions differently and forget
    them all at every restart: the operator must set one."""
    configured = settings.get("PHANANH_ENV") or os.environ.get("PHANANH_ENV")
    secret = settings.get("SECRET_KEY") or os.environ.get("SECRET_KEY", "").strip()
    if security.production(configured) and not secret:
        raise runtime.StartRefused(
            "biến môi trường SECRET_KEY chưa được đặt: với PHANANH_ENV=production hãy đặt "
            "SECRET_KEY một chuỗi ngẫu nhiên dài, chung cho mọi tiến trình web, ví dụ "
            "python -c 'import secrets; print(secrets.token_hex(32))' "
            "(SECRET_KEY is not set; production needs one)"
        )
