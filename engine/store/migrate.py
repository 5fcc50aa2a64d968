"""Schema migrations: Alembic, driven from code, for SQLite and PostgreSQL alike.

Alembic is used directly, not through Flask-Migrate: the engine never imports Flask, and
Flask-Migrate needs Flask-SQLAlchemy, which the models don't use. The Alembic configuration is
built here in code — ``script_location`` is the repository's ``migrations/`` folder, or the wheel's copy of it — so no
``alembic.ini`` is needed, and ``migrations/env.py`` takes the database from the configuration
this module builds, never from a global application.

Revisions are named ``NNNN_slug`` (``0001_initial``) and kept in ``migrations/versions/``; a
new one is written by :func:`revision` (see ``migrations/README``).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.pool import NullPool

from engine.resources import migrations_directory
from engine.store import search
from engine.store.db import make_engine
from engine.store.models import Base
from engine.store.types import UtcDateTime

MIGRATIONS = migrations_directory()
VERSION_TABLE = "alembic_version"


class MigrationError(Exception):
    """The database can't be migrated as asked (it has tables but no migration version)."""


def config(url: str, connection: Connection | None = None) -> Config:
    """The Alembic configuration for ``url``; ``env.py`` uses ``connection`` when one is given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "%%(rev)s")
    # The main options go through configparser interpolation: a '%' (an escaped password) doubles.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    """A connection for migrating ``url``; SQLite's foreign keys are off until it closes.

    Off, because SQLite alters a table by copying it, dropping the old one and renaming the copy,
    which the enforced keys of the other tables would refuse; :func:`check_foreign_keys` checks
    the data after the revisions ran.
    """
    engine_ = make_engine(url, poolclass=NullPool)
    try:
        with engine_.connect() as connection:
            if connection.dialect.name == "sqlite":
                # The first statement on the connection: outside a transaction, so it takes effect.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            yield connection
    finally:
        engine_.dispose()


def check_foreign_keys(connection: Connection) -> None:
    """Refuse the migration if SQLite finds a row whose foreign key points nowhere."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise MigrationError(
            f"{len(broken)} rows point to missing rows after the migration, the first: "
            f"{table} row {rowid} → {parent}"
        )


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (default: the newest); idempotent."""
    with connect(url) as connection:
        _refuse_unversioned_tables(connection)
        command.upgrade(config(url, connection), revision)
        connection.commit()


def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` down to ``revision`` (``base``: no tables at all)."""
    with connect(url) as connection:
        command.downgrade(config(url, connection), revision)
        connection.commit()


def stamp(url: str, revision: str = "head") -> None:
    """Record ``revision`` as the database's version without running anything.

    Only for a database whose schema is known to be that revision's already (one made by
    ``Base.metadata.create_all`` and checked against the models).
    """
    with connect(url) as connection:
        command.stamp(config(url, connection), revision)
        connection.commit()


def current(url: str) -> str | None:
    """The revision the database at ``url`` is at; ``None`` for an unmigrated database."""
    with connect(url) as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ", ".join(heads) if heads else None


def head() -> str | None:
    """The newest revision in ``migrations/versions``."""
    return _scripts().get_current_head()


def describe(revision: str) -> str:
    """The message of ``revision`` (``0001_initial`` → ``Initial schema: …``)."""
    script = _scripts().get_revision(revision)
    return (script.doc or "") if script is not None else ""


def revision(
    message: str, url: str | None = None, autogenerate: bool = True, rev_id: str | None = None
) -> Path:
    """Write the next revision ``NNNN_slug`` and return its file, for a developer to read and edit.

    With ``autogenerate`` the operations are Alembic's diff between the models and a database at
    head: ``url`` if given (it must be at head), else a scratch SQLite file upgraded to head.
    ``rev_id`` defaults to the next number and the message's slug (``0002_add_user_email``).
    """
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "revision"
    numbers = [
        int(m.group(1)) for s in _scripts().walk_revisions() if (m := _NUMBER.match(s.revision))
    ]
    rev_id = rev_id or f"{max(numbers, default=0) + 1:04d}_{slug}"
    with tempfile.TemporaryDirectory() as scratch:
        target = url or f"sqlite:///{Path(scratch) / 'scratch.db'}"
        if url is None:
            upgrade(target)
        with connect(target) as connection:
            made = command.revision(
                config(target, connection), message, autogenerate=autogenerate, rev_id=rev_id
            )
    scripts_made = made if isinstance(made, list) else [made]
    return Path(scripts_made[0].path)  # type: ignore[union-attr]


_NUMBER = re.compile(r"^(\d{4})_")


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config(""))


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render the project's column types as plain SQLAlchemy ones in a revision.

    A revision must not import the models' modules: they change, the revision must not.
    """
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the text index's tables and indexes out of autogenerate's comparison: they are
    made per dialect by :mod:`engine.store.search`, not by the models."""
    return not (type_ in ("table", "column", "index") and search.is_index_object(name))


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """As :func:`include_name`, for the objects Alembic compares (a reflected column too)."""
    return include_name(name, type_, None)


def _refuse_unversioned_tables(connection: Connection) -> None:
    """Refuse a database whose tables were made without migrations (``create_all``)."""
    names = set(inspect(connection).get_table_names())
    if VERSION_TABLE not in names and names & set(Base.metadata.tables):
        found = ", ".join(sorted(names & set(Base.metadata.tables))[:3])
        raise MigrationError(
            f"the database has the service's tables ({found}, …) but no migration version: "
            "it was made without migrations; empty it, or, once its schema is checked to be the "
            "newest revision's, record that with engine.store.migrate.stamp"
        )
