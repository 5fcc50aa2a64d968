"""The text index made by the migrations: existing reports folded and indexed at 0007, kept in
step by the database afterwards, on SQLite (FTS5, triggers) and PostgreSQL (GIN)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from engine.services.search import Matcher, parse
from engine.store import migrate
from engine.store import search as index
from engine.store.db import make_engine
from engine.store.models import Report
from tests.databases import PG_URL, postgres_schema

BEFORE = "0006_outbox_unsent_index"
PG_SKIP = "TEST_DATABASE_URL is not set: PostgreSQL tests skipped"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason=PG_SKIP)),
    ]
)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with postgres_schema() as scoped:
        yield scoped


def _insert(engine: Engine, row_id: int, content: str, address: str) -> None:
    """A report as revision 0006 stored it: content and address folded into one text."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reports (id, code, tracking_token_hash, state, channel, content, "
                "address, confidential, state_secret, search_text, submitted_at, updated_at, "
                "version) VALUES (:id, :code, :token, 'received', 'web', :content, :address, "
                "false, false, 'old folded text', :at, :at, 1)"
            ),
            {
                "id": row_id,
                "code": f"PA-2026-{row_id:06d}",
                "token": f"{row_id:064d}",
                "content": content,
                "address": address,
                "at": "2026-04-22 01:00:00+00:00",
            },
        )


def _found(engine: Engine, query: str) -> list[str]:
    with Session(engine) as session:
        matcher = Matcher(parse(query), engine.dialect.name, {})
        return list(
            session.scalars(select(Report.code).where(matcher.condition()).order_by(Report.id))
        )


def test_existing_reports_are_folded_and_indexed_by_the_migration(url: str) -> None:
    migrate.upgrade(url, BEFORE)
    engine = make_engine(url, poolclass=NullPool)
    try:
        _insert(engine, 1, "Đường có ổ gà lớn trước chợ.", "Ấp Phước Yên")
        _insert(engine, 2, "Rác thải ở gần chợ, gà vịt bới rác.", "Đường Đồng Khởi")
        migrate.upgrade(url)
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT search_text, search_place, search_result FROM reports WHERE id = 1")
            ).one()
        assert tuple(stored) == ("duong co o ga lon truoc cho", "ap phuoc yen", "")
        assert _found(engine, "ổ gà") == ["PA-2026-000001"]
        assert _found(engine, "dong khoi") == ["PA-2026-000002"]
        # Written after the migration: the database indexes it in the same statement.
        with engine.begin() as conn:
            conn.execute(text("UPDATE reports SET search_result = 'da va o ga' WHERE id = 2"))
        assert _found(engine, "o ga") == ["PA-2026-000001", "PA-2026-000002"]
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM reports WHERE id = 1"))
        assert _found(engine, "o ga") == ["PA-2026-000002"]
    finally:
        engine.dispose()


def test_the_index_exists_at_head_and_goes_with_a_downgrade(url: str) -> None:
    """A later revision that rebuilds ``reports`` on SQLite must make the triggers again."""
    migrate.upgrade(url)
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                listed = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                want = {f"{index.FTS_TABLE}_{w}" for w in ("insert", "update", "delete")}
            else:
                listed = (
                    "SELECT indexname FROM pg_indexes "
                    "WHERE schemaname = current_schema() AND tablename = 'reports'"
                )
                want = set(index.PG_INDEXES)
            assert want <= set(conn.scalars(text(listed)))
        migrate.downgrade(url, BEFORE)
        with engine.connect() as conn:
            assert not want & set(conn.scalars(text(listed)))
    finally:
        engine.dispose()
