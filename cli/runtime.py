"""What the commands share: one-line failures and the configured services they act through."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import click

from engine.config.errors import ConfigInvalid
from engine.config.loader import DEFAULT_DIRECTORY, load
from engine.config.snapshot import Snapshot
from engine.services.lifecycle import Lifecycle
from engine.store import UnitOfWork, make_engine, versions

CONFIG_OPTION = click.option(
    "--config",
    "config_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_DIRECTORY,
    show_default=True,
    help="Thư mục cấu hình / configuration directory.",
)


class Failure(click.ClickException):
    """A request that can't be met; printed as one line, exit 1."""


@cache
def snapshot(directory: Path) -> Snapshot:
    try:
        return load(directory)
    except ConfigInvalid as exc:
        first = exc.errors[0].format("vi")
        raise Failure(
            f"cấu hình '{directory}' không hợp lệ ({len(exc.errors)} lỗi, lỗi đầu: {first}); "
            f"chạy 'phananh config validate {directory}' để xem tất cả"
        ) from exc


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(make_engine())


def lifecycle(directory: Path, author: str = "phananh") -> Lifecycle:
    """The use cases over ``DATABASE_URL`` and the configuration in ``directory``."""
    uow = unit_of_work()
    version = versions.record(uow, directory, author, "cấu hình đang áp dụng")
    return Lifecycle(uow, snapshot(directory), config_version_id=version)
