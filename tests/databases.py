"""A PostgreSQL schema of a test's own, in the database of ``TEST_DATABASE_URL``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

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
