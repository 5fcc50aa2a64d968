"""What the commands share: one-line failures and the configured services they act through.

Where the configuration comes from: ``--config DIR`` given → that directory, as always. Without
it → the version in force in the database (``DATABASE_URL``) when there is one, else the default
directory (``config/``, or ``PHANANH_CONFIG``), which commands that write to the database record
as its first version.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

import click
from click.core import ParameterSource
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from engine import configstore
from engine.config.errors import ConfigInvalid
from engine.config.loader import DEFAULT_DIRECTORY, load
from engine.config.snapshot import Snapshot
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork, database_url, make_engine, versions

CONFIG_OPTION = click.option(
    "--config",
    "config_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_DIRECTORY,
    show_default=True,
    help="Thư mục cấu hình; không ghi: phiên bản đang áp dụng trong CSDL, nếu CSDL chưa có thì "
    "thư mục mặc định / configuration directory; default: the database's version in force.",
)


class Failure(click.ClickException):
    """A request that can't be met; printed as one line, exit 1."""


def snapshot(directory: Path) -> Snapshot:
    """The configuration a command runs with (see the module's docstring)."""
    if _config_defaulted():
        found = _in_force()
        if found is not None:
            return found[1]
    return directory_snapshot(directory)


@cache
def directory_snapshot(directory: Path) -> Snapshot:
    try:
        return load(directory)
    except ConfigInvalid as exc:
        first = exc.errors[0].format("vi")
        raise Failure(
            f"cấu hình '{directory}' không hợp lệ ({len(exc.errors)} lỗi, lỗi đầu: {first}); "
            f"chạy 'phananh config validate {directory}' để xem tất cả"
        ) from exc


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(_engine(database_url()))


def lifecycle(directory: Path, author: str = "phananh") -> Lifecycle:
    """The use cases over ``DATABASE_URL`` and the configuration the command runs with.

    Without ``--config``: the version in force (a new database records the default directory as
    its first version). With it: the directory, recorded as a version (not put in force) so that
    the reports it routes name it.
    """
    uow = unit_of_work()
    if _config_defaulted():
        try:
            version_id, config = configstore.bootstrap(uow, directory, author)
        except ConfigInvalid as exc:
            directory_snapshot(directory)  # the directory's own errors, as one line
            raise _invalid_in_force(exc) from exc
        return Lifecycle(uow, config, config_version_id=version_id)
    config = directory_snapshot(directory)
    version_id = versions.record(uow, directory, author, "cấu hình chạy lệnh với --config")
    return Lifecycle(uow, config, config_version_id=version_id)


def refresher(directory: Path) -> Callable[[], Snapshot | None] | None:
    """For a long-running command without ``--config``: a callable that returns the snapshot of
    the version in force when it is another than last time (``None`` otherwise), for the worker's
    ``run(..., refresh=...)``. ``None`` with ``--config``: a directory is not followed."""
    if not _config_defaulted():
        return None
    found = _in_force()
    seen = [found[0] if found is not None else None]

    def refresh() -> Snapshot | None:
        try:
            current = _in_force()
        except Exception:  # noqa: BLE001 - the database away a moment: keep what we have
            return None
        if current is None or current[0] == seen[0]:
            return None
        seen[0] = current[0]
        return current[1]

    return refresh


def following(life: Lifecycle) -> Callable[[], Lifecycle]:
    """For a long-running command that serves one request at a time (the mail channel): the
    use cases of the version in force, rebuilt when another comes in force, as the web does.
    With ``--config`` the directory's are kept: a directory is not followed."""
    if not _config_defaulted():
        return lambda: life
    live = configstore.LiveConfig(
        life.uow,
        configstore.Loaded(life.config_version_id, life.snapshot, life),
        lambda version_id, config: Lifecycle(life.uow, config, config_version_id=version_id),
        interval=float(os.environ.get("CONFIG_RELOAD_SECONDS", configstore.live.DEFAULT_INTERVAL)),
    )
    return lambda: live.current().value


def _config_defaulted() -> bool:
    """Whether the running command took ``--config``'s default (the option was not given)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False
    source = ctx.get_parameter_source("config_dir")
    return source in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)


def _in_force() -> tuple[int, Snapshot] | None:
    """The version in force in ``DATABASE_URL`` and its snapshot; ``None`` when there is none.

    A database that does not exist (a SQLite file not made yet — not created here), has no
    tables, or cannot be reached has none: the command falls back to the directory.
    """
    url = database_url()
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - a bad URL is reported by the commands that use it
        return None
    if parsed.get_backend_name() == "sqlite":
        name = parsed.database or ""
        if not name or name == ":memory:" or not Path(name).is_file():
            return None
    try:
        with unit_of_work().read() as session:
            version = configstore.active(session)
            if version is None:
                return None
            return version.id, configstore.snapshot_of(version)
    except SQLAlchemyError:
        return None
    except ConfigInvalid as exc:
        raise _invalid_in_force(exc) from exc


def _invalid_in_force(exc: ConfigInvalid) -> Failure:
    first = exc.errors[0].format("vi")
    return Failure(
        f"phiên bản cấu hình đang áp dụng không còn hợp lệ (lỗi đầu: {first}); "
        "khôi phục một phiên bản khác bằng 'phananh config rollback'"
    )


@cache
def _engine(url: str):  # noqa: ANN202 - an Engine
    return make_engine(url)
