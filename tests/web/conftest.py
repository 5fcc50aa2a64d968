"""An application on a fresh, migrated SQLite database for each test module."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.services.lifecycle import Lifecycle
from engine.store.migrate import upgrade
from web import create_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'web.db'}"
    upgrade(url)
    return create_app(
        {
            "TESTING": True,
            "CONFIG_DIR": str(ROOT / "config"),
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(folder / "media"),
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
        }
    )


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def life(app: Flask) -> Lifecycle:
    return app.extensions["phananh.lifecycle"]
