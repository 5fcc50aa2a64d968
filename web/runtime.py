"""The services a request uses: the configuration snapshot and the use cases over the database."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.exc import OperationalError, ProgrammingError

from engine.config.snapshot import Snapshot
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork, make_engine, versions


class DatabaseNotReady(RuntimeError):
    """The database has no tables yet: the operator must run the migrations first."""


def init_app(app: Flask, snapshot: Snapshot) -> None:
    uow = UnitOfWork(make_engine(app.config["DATABASE_URL"]))
    try:
        version = versions.record(
            uow, Path(app.config["CONFIG_DIR"]), "web", "cấu hình đang áp dụng"
        )
    except (OperationalError, ProgrammingError) as exc:
        raise DatabaseNotReady(
            f"The database {app.config['DATABASE_URL']} is not ready ({exc.orig}); "
            "run 'phananh db upgrade' (or 'phananh demo') first."
        ) from exc
    app.extensions["phananh.lifecycle"] = Lifecycle(uow, snapshot, config_version_id=version)


def lifecycle() -> Lifecycle:
    return current_app.extensions["phananh.lifecycle"]


def snapshot() -> Snapshot:
    return current_app.extensions["phananh.snapshot"]
