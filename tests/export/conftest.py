"""The use-case tests' databases (SQLite, and PostgreSQL when ``TEST_DATABASE_URL`` is set)."""

from tests.services.conftest import db_engine, life, now, snapshot, uow

__all__ = ["db_engine", "life", "now", "snapshot", "uow"]
