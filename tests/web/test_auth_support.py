"""What the sign-in tests share: an application with the ``auth`` blueprint, accounts, a clock."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import accounts
from engine.services.lifecycle import Lifecycle
from engine.store.models import ApiToken, SignInFailure, User
from engine.workflow import Role
from tests.web.test_api_support import make_app
from web import auth as web_auth
from web.auth import staff_required

PASSWORD = "mat-khau-du-dai-1"
#: A Wednesday morning in Vĩnh Long (09:00 +07:00).
T0 = datetime(2026, 4, 29, 2, 0, tzinfo=UTC)
GUARDED = "/_thu/chi-ioc"
GUARDED_ANY = "/_thu/can-bo"

#: Routes guarded by ``staff_required``, for the tests only.
guarded = Blueprint("auth_test_guarded", __name__)


@guarded.get(GUARDED)
@staff_required(Role.IOC_OPERATOR)
def ioc_only() -> str:
    return "ioc"


@guarded.get(GUARDED_ANY)
@staff_required()
def any_staff() -> str:
    return "staff"


def wire(app: Flask) -> Flask:
    """Set up and register the sign-in pages, unless ``create_app`` already did."""
    if "auth" not in app.blueprints:
        web_auth.init_app(app)
        app.register_blueprint(web_auth.auth)
    app.register_blueprint(guarded)
    return app


def auth_app(folder: Path, **settings: Any) -> Flask:
    """With the account page as where a sign-in lands, whether or not the desk is there."""
    return wire(make_app(folder, **{"AUTH_LANDING": "auth.account", **settings}))


def lifecycle_of(app: Flask) -> Lifecycle:
    return app.extensions["phananh.lifecycle"]


def add_user(
    app: Flask,
    username: str,
    role: Role = Role.IOC_OPERATOR,
    agency: str | None = None,
    *,
    password: str = PASSWORD,
    totp_secret: str | None = None,
    name: str | None = None,
) -> int:
    with lifecycle_of(app).uow.begin() as db:
        user = accounts.create_user(
            db, username, password, role, agency=agency, display_name=name, at=T0
        )
        user.totp_secret = totp_secret
        db.flush()
        return user.id


#: A client address of its own for each test's browser: failures of one test never make the
#: next one wait (the back-off counts per address).
_addresses = (f"10.{i // 62500 % 250}.{i // 250 % 250}.{i % 250 + 1}" for i in itertools.count())


def browser(app: Flask, address: str | None = None) -> FlaskClient:
    """A client at ``address`` (a fresh one of its own when not given)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or next(_addresses)
    return client


def address_of(client: FlaskClient) -> str:
    return client.environ_base["REMOTE_ADDR"]


def failures_of(app: Flask, username: str) -> list[SignInFailure]:
    """The audit of ``username``'s failed sign-ins, oldest first."""
    with lifecycle_of(app).uow.read() as db:
        rows = list(
            db.scalars(
                select(SignInFailure)
                .where(SignInFailure.username == username)
                .order_by(SignInFailure.id)
            )
        )
        db.expunge_all()
        return rows


def counted(app: Flask, username: str) -> int:
    """How many of ``username``'s failures still count (not forgiven)."""
    return sum(1 for f in failures_of(app, username) if f.forgiven_at is None)


def user_row(app: Flask, username: str) -> User:
    with lifecycle_of(app).uow.read() as db:
        found = accounts.find_user(db, username)
        assert found is not None
        db.expunge(found)
        return found


def tokens_of(app: Flask, user_id: int) -> list[ApiToken]:
    with lifecycle_of(app).uow.read() as db:
        rows = list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id)))
        db.expunge_all()
        return rows


def sign_in(
    client: FlaskClient, username: str, password: str = PASSWORD, **extra: str
) -> Any:  # TestResponse
    return client.post("/dang-nhap", data={"username": username, "password": password, **extra})


def cookie_header(response: Any) -> str:
    values = response.headers.getlist("Set-Cookie")
    session_cookies = [v for v in values if v.startswith("session=")]
    assert session_cookies, values
    return session_cookies[-1]


class Clock:
    """The application's clock, set by the test (``monkeypatch.setattr(life, "now", clock)``)."""

    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)
