"""Connecting to the database and the unit of work that every use case runs in.

The database is chosen by ``DATABASE_URL``: SQLite (one file under ``instance/``) is the default
that needs no set-up; PostgreSQL is the production database. Nothing connects at import.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///instance/phananh.db"
#: How long (ms) a SQLite writer waits for another's transaction before giving up.
SQLITE_BUSY_TIMEOUT = 30000


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_URL)


def make_engine(url: str | None = None, **options: Any) -> Engine:
    """An engine for ``url`` (default: ``DATABASE_URL`` or the SQLite file)."""
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        options.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT}")
    cursor.close()


class UnitOfWork:
    """One transaction: everything written inside it is committed together, or not at all.

    ``with uow.begin() as session:`` commits when the block ends normally and rolls back on any
    exception, so a use case that fails half-way leaves nothing behind.

    ``with uow.transaction():`` makes one transaction of several: every ``begin()`` and ``read()``
    of this unit of work inside the block (in the same thread or task) joins it, and nothing is
    committed until the block ends. An API request uses it to commit its idempotency record with
    the report it creates (:mod:`web.api.idempotency`): a process killed in between leaves neither.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._joined: ContextVar[Session | None] = ContextVar(f"uow-{id(self)}", default=None)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        joined = self._joined.get()
        if joined is not None:
            yield joined  # the enclosing transaction() commits, or rolls back on an exception
            return
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; whatever it changes is rolled back.

        Inside :meth:`transaction` it is the joined session, so that the request reads what it
        has written so far; the enclosing block decides what is kept.
        """
        joined = self._joined.get()
        if joined is not None:
            yield joined
            return
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction that the ``begin()`` and ``read()`` blocks inside it join."""
        if self._joined.get() is not None:
            raise RuntimeError("a transaction() is already open in this context")
        with self._sessions() as session, session.begin():
            token = self._joined.set(session)
            try:
                yield session
            finally:
                self._joined.reset(token)
