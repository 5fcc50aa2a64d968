"""The services a request uses: the configuration in force and the use cases over the database.

The configuration lives in the database as versions (:mod:`engine.configstore`); ``CONFIG_DIR``
only seeds a new database with its first version. The app holds one
:class:`~engine.services.lifecycle.Lifecycle` (snapshot, calendar, rules engine, version id)
built from the version in force, followed by a :class:`~engine.configstore.LiveConfig`: before
each request, at most every ``CONFIG_RELOAD_SECONDS`` (2 by default; the environment variable of
the same name), one small query asks which version is in force; when another one is, a new
Lifecycle is built completely and then replaces the app's in one assignment. A request takes the
Lifecycle once, at its start (:func:`lifecycle` keeps it in ``g``), so it runs on one
configuration from start to end, old or new — never a mixture.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, current_app, g, has_app_context
from sqlalchemy.exc import OperationalError, ProgrammingError

from engine import configstore
from engine.config.snapshot import Snapshot
from engine.configstore import LiveConfig, Loaded
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork, make_engine

LIVE = "phananh.live"
LIFECYCLE = "phananh.lifecycle"
SNAPSHOT = "phananh.snapshot"
_PINNED = "phananh_lifecycle"


class StartRefused(RuntimeError):
    """The application must not start as configured; the message (one line) says what to set."""


class DatabaseNotReady(StartRefused):
    """The database has no tables yet: the operator must run the migrations first."""


def init_app(app: Flask, snapshot: Snapshot | None = None) -> None:
    """Start on the version in force (recording ``CONFIG_DIR``'s files first in a new database).

    ``CONFIG_DIR`` is read only when the database has no version yet: once the configuration
    lives in the database, a folder edited by hand (or broken) does not stop the service.
    """
    uow = UnitOfWork(make_engine(app.config["DATABASE_URL"]))
    try:
        version_id, in_force = configstore.bootstrap(
            uow, Path(app.config["CONFIG_DIR"]), "web", snapshot
        )
    except (OperationalError, ProgrammingError) as exc:
        raise DatabaseNotReady(
            f"The database {app.config['DATABASE_URL']} is not ready ({exc.orig}); "
            "run 'phananh db upgrade' (or 'phananh demo') first."
        ) from exc

    def build(version: int, config: Snapshot) -> Lifecycle:
        return Lifecycle(uow, config, config_version_id=version)

    def publish(loaded: Loaded[Lifecycle]) -> None:
        # What code outside a request reads (tests, the CLI's app context, web/public.py).
        app.extensions[LIFECYCLE] = loaded.value
        app.extensions[SNAPSHOT] = loaded.snapshot

    interval = app.config.get("CONFIG_RELOAD_SECONDS")
    if interval is None:
        interval = os.environ.get("CONFIG_RELOAD_SECONDS", configstore.live.DEFAULT_INTERVAL)
    initial = Loaded(version_id, in_force, build(version_id, in_force))
    live = LiveConfig(uow, initial, build, interval=float(interval), on_change=publish)
    app.extensions[LIVE] = live
    publish(initial)
    app.before_request(_take_configuration)


def _take_configuration() -> None:
    """Pin the Lifecycle in force for this request, after a reload check if one is due."""
    live: LiveConfig[Lifecycle] = current_app.extensions[LIVE]
    live.current()
    # The published one (the same as live's): set, not kept, as ``g`` outlives a request when
    # an app context was already pushed (tests, ``flask shell``).
    setattr(g, _PINNED, current_app.extensions[LIFECYCLE])


def lifecycle() -> Lifecycle:
    """The request's Lifecycle (the one in force when it started)."""
    if has_app_context():
        pinned = g.get(_PINNED)
        if pinned is not None:
            return pinned
    return current_app.extensions[LIFECYCLE]


def snapshot() -> Snapshot:
    """The request's configuration snapshot: its Lifecycle's."""
    return lifecycle().snapshot


def reload_now(app: Flask) -> bool:
    """Check for another version in force at once (admin pages after a change; tests)."""
    return app.extensions[LIVE].check()
