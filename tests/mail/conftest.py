"""The e-mail channel's tests run on the use-case tests' databases (SQLite, and PostgreSQL when
``TEST_DATABASE_URL`` is set): the fixtures are those of ``tests/services/conftest.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.uploads import MediaStore
from tests.services.conftest import db_engine, life, now, snapshot, uow

__all__ = ["db_engine", "life", "now", "snapshot", "uow"]


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")
