"""An application (fresh migrated SQLite database per module) and one account per role."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import accounts
from engine.workflow import Role
from tests.apps import make_app
from web.auth import load_user, session_for
from web.runtime import lifecycle

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "mat-khau-dai-du-12"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = make_app(tmp_path_factory.mktemp("admin"), CONFIG_RELOAD_SECONDS=0)
    with app.app_context(), lifecycle().uow.begin() as session:
        accounts.create_user(session, "quan-tri", PASSWORD, Role.OPERATOR_ADMIN)
        accounts.create_user(session, "kiem-tra", PASSWORD, Role.AUDITOR)
        accounts.create_user(session, "can-bo", PASSWORD, Role.OFFICER, agency="SXD")
    return app


def user_id(app: Flask, username: str) -> int:
    with app.app_context(), lifecycle().uow.read() as session:
        return accounts.find_user(session, username).id


def signed_in(app: Flask, username: str | None) -> FlaskClient:
    """A new client, signed in as ``username`` (anonymous when ``None``)."""
    client = app.test_client()
    if username is not None:
        with app.app_context():
            marks = session_for(load_user(user_id(app, username)))
        with client.session_transaction() as session:
            session.update(marks)
    return client


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    return signed_in(app, "quan-tri")


@pytest.fixture
def auditor_client(app: Flask) -> FlaskClient:
    return signed_in(app, "kiem-tra")
