"""A PostgreSQL schema of a test's own, in the database of ``TEST_DATABASE_URL``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

PG_URL = os.environ.get("TEST_DATABASE_URL")


@contextmanager
def postgres_schema(prefix: str = "phananh_test") -> Iterator[str]:
    """The URL of a new, empty schema (its ``search_path``), dropped with everything in it after."""
    assert PG_URL is not None, "TEST_DATABASE_URL is not set"
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def sqlite_and_postgresql() -> list[Any]:
    """The parameters of a fixture made on SQLite, and on PostgreSQL when it is set."""
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(PG_URL is None, reason="TEST_DATABASE_URL is not set"),
        ),
    ]


@contextmanager
def demo_database(kind: str, folder: Path, reports: int, prefix: str) -> Iterator[str]:
    """The URL of a database ``phananh demo --reports N`` filled, ``DATABASE_URL`` set to it
    while inside: a file in ``folder`` (``kind`` ``sqlite``) or a schema of its own."""
    from cli.main import main

    with ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{folder / 'demo.db'}"
        else:
            url = stack.enter_context(postgres_schema(prefix))
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.setenv("DATABASE_URL", url)
        assert main(["demo", "--reports", str(reports)]) == 0
        yield url
