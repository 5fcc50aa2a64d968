"""The application as the web tests build it: on a freshly migrated database in a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from engine.store.migrate import upgrade
from web import create_app

ROOT = Path(__file__).resolve().parents[1]


def make_app(folder: Path, **settings: Any) -> Flask:
    """An application on a migrated database: SQLite in ``folder`` unless ``DATABASE_URL``."""
    url = settings.pop("DATABASE_URL", None) or f"sqlite:///{folder / 'web.db'}"
    upgrade(url)
    return create_app(
        {
            "TESTING": True,
            "CONFIG_DIR": str(ROOT / "config"),
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(folder / "media"),
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            **settings,
        }
    )
