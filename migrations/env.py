"""Alembic's environment: runs the revisions in ``versions/`` against one database.

The database comes from the configuration that :mod:`engine.store.migrate` builds — a
connection in ``config.attributes["connection"]``, else the URL in ``config.attributes["url"]``
or the ``sqlalchemy.url`` option — never from a global application.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from engine.store import migrate
from engine.store.models import Base

config = context.config
target_metadata = Base.metadata

OPTIONS = {
    "target_metadata": target_metadata,
    # SQLite alters a table by copying it: every revision is written in batch form so that it
    # runs on SQLite and PostgreSQL alike.
    "render_as_batch": True,
    "render_item": migrate.render_item,
    "include_name": migrate.include_name,
    "include_object": migrate.include_object,
    "compare_type": True,
    "version_table": migrate.VERSION_TABLE,
}


def url() -> str:
    value = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not value:
        raise RuntimeError("no database URL: build the configuration with engine.store.migrate")
    return value


def run_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade --sql``)."""
    context.configure(url=url(), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()
    migrate.check_foreign_keys(connection)


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    with migrate.connect(url()) as connection:
        run_on(connection)
        connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
