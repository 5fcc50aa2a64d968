"""``phananh db``: bring the database's schema up to date, take it back, say where it is.

The database is ``DATABASE_URL`` (default: the SQLite file under ``instance/``). Every failure —
no server, a wrong URL, a missing driver, an unknown revision — is one line, never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import click

from cli.runtime import Failure

T = TypeVar("T")


@click.group()
def db() -> None:
    """Cơ sở dữ liệu: nâng cấp, hạ cấp lược đồ (Alembic) theo DATABASE_URL."""


@db.command("upgrade")
@click.option(
    "--revision", default="head", show_default=True, help="Phiên bản đích / target revision."
)
def db_upgrade(revision: str) -> None:
    """Nâng cấp lược đồ lên REVISION (mặc định: mới nhất); chạy lại không sao."""
    from engine.store import migrate

    url = _url()
    before = _run(url, lambda: migrate.current(url))
    _run(url, lambda: migrate.upgrade(url, revision))
    after = _run(url, lambda: migrate.current(url))
    if before == after:
        click.echo(f"{_shown(url)}: đã ở phiên bản {_label(after)}, không có gì để nâng cấp")
    else:
        click.echo(f"{_shown(url)}: đã nâng cấp {_label(before)} → {_label(after)}")
    if revision == "head":
        added = _run(url, lambda: _complete_configuration(url))
        if added:
            click.echo(f"{_shown(url)}: cấu hình đang áp dụng {added}")


def _complete_configuration(url: str) -> str:
    """Add the files this release needs (mail templates, the schedule) to the configuration in
    force; what was done, for the command's output."""
    from engine.configstore.shipped import complete
    from engine.store import UnitOfWork, make_engine

    engine = make_engine(url)
    try:
        with UnitOfWork(engine).begin() as session:
            version = complete(session)
            if version is None:
                return ""
            return f"được bổ sung thành phiên bản {version.id}: {version.reason}"
    finally:
        engine.dispose()


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Hạ cấp lược đồ về REVISION ('base': xoá mọi bảng — và mọi dữ liệu)."""
    from engine.store import migrate

    url = _url()
    before = _run(url, lambda: migrate.current(url))
    _run(url, lambda: migrate.downgrade(url, revision))
    after = _run(url, lambda: migrate.current(url))
    if before == after:
        click.echo(f"{_shown(url)}: đã ở phiên bản {_label(after)}, không có gì để hạ cấp")
    else:
        click.echo(f"{_shown(url)}: đã hạ cấp {_label(before)} → {_label(after)}")


@db.command("current")
def db_current() -> None:
    """In phiên bản lược đồ hiện tại của cơ sở dữ liệu."""
    from engine.store import migrate

    url = _url()
    now = _run(url, lambda: migrate.current(url))
    if now is None:
        click.echo(f"{_shown(url)}: chưa có lược đồ; chạy 'phananh db upgrade'")
        return
    newest = migrate.head()
    tail = "mới nhất" if now == newest else f"chưa mới nhất ({newest}); chạy 'phananh db upgrade'"
    click.echo(f"{_shown(url)}: {now} — {tail}")


def _url() -> str:
    from engine.store.db import database_url

    return database_url()


def _shown(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _label(revision: str | None) -> str:
    return revision if revision is not None else "(trống)"


def _run(url: str, action: Callable[[], T]) -> T:
    """Run a migration call; whatever goes wrong becomes one line naming the database."""
    from alembic.util import CommandError
    from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

    from engine.store.migrate import MigrationError

    try:
        return action()
    except DBAPIError as exc:
        reason = str(exc.orig) if exc.orig is not None else str(exc)
        raise Failure(f"cơ sở dữ liệu {_shown(url)}: {_one_line(reason)}") from None
    except ArgumentError as exc:
        raise Failure(f"DATABASE_URL '{_shown(url)}' không hợp lệ: {_one_line(exc)}") from None
    except (SQLAlchemyError, CommandError, MigrationError, ImportError, OSError) as exc:
        raise Failure(f"cơ sở dữ liệu {_shown(url)}: {_one_line(exc)}") from None


def _one_line(error: object) -> str:
    text = re.sub(r"\(Background on this error at: [^)]*\)", "", str(error))
    return re.sub(r"\s+", " ", text).strip() or type(error).__name__
