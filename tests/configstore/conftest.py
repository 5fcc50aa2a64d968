"""Databases for the configuration-version tests: SQLite always, PostgreSQL with TEST_DATABASE_URL.

Unlike ``tests/services``, each database is also given as a URL (``database_url``) — a
PostgreSQL one carries its schema in ``options`` — so that the command line, a web app and a
second process can be pointed at the very same database through ``DATABASE_URL``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text

from engine.config.loader import config_files, load
from engine.config.snapshot import Snapshot
from engine.store import Base, UnitOfWork, make_engine

ROOT = Path(__file__).resolve().parents[2]
PG_SKIP = "TEST_DATABASE_URL is not set: PostgreSQL tests skipped"
#: A commune whose environment reports go to its own People's Committee by default.
AREA = "28756"
OTHER_AREA = "29557"  # Phường Phước Hậu


def _databases() -> list[object]:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason=PG_SKIP),
        ),
    ]


@pytest.fixture(scope="session", params=_databases())
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('configstore') / 'test.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    base = os.environ["TEST_DATABASE_URL"]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(db_engine: Engine) -> UnitOfWork:
    """Empty tables for each test."""
    with db_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return UnitOfWork(db_engine)


@pytest.fixture(scope="session")
def files() -> dict[str, str]:
    """The default configuration's files, as a version keeps them."""
    return config_files(ROOT / "config")


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return load(ROOT / "config")


def moved_environment(files: dict[str, str], area: str = AREA, agency: str = "SNNMT") -> dict:
    """``files`` with environment reports of ``area`` routed to ``agency`` (a narrowed route)."""
    changed = dict(files)
    changed["sectors.yaml"] = files["sectors.yaml"].rstrip("\n") + (
        "\n  - id: moi-truong-thu-nghiem\n"
        "    sector: moi-truong\n"
        f"    agency: {agency}\n"
        f'    areas: ["{area}"]\n'
        "    priority: 10\n"
    )
    return changed


def with_step(files: dict[str, str], step: str, old: str, new: str) -> dict:
    """``files`` with one step's duration in ``sla.yaml`` changed from ``old`` to ``new``."""
    changed = dict(files)
    before = f"{step}:".ljust(9) + f"{{duration: {old},"
    assert before in files["sla.yaml"], before
    changed["sla.yaml"] = files["sla.yaml"].replace(
        before, f"{step}:".ljust(9) + f"{{duration: {new},"
    )
    return changed


def utc(text_: str) -> datetime:
    return datetime.fromisoformat(text_).astimezone(UTC)
