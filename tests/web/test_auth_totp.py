"""TOTP two-factor on the staff pages: required by role, set up, then asked at every sign-in."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import accounts
from engine.workflow import Role
from tests.web.test_auth_support import (
    GUARDED_ANY,
    T0,
    Clock,
    add_user,
    auth_app,
    browser,
    counted,
    failures_of,
    lifecycle_of,
    sign_in,
    user_row,
)
from web.auth import SESSION_KEY, totp_roles

SETUP = "/tai-khoan/xac-thuc-hai-buoc"
STEP = "/dang-nhap/xac-thuc"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return auth_app(
        tmp_path_factory.mktemp("auth-totp"),
        AUTH_TOTP_ROLES={"leader", "operator_admin"},
        RATELIMIT_SIGN_IN="1000 per minute",
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return browser(app)


@pytest.fixture
def clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Clock:
    at = Clock()
    monkeypatch.setattr(lifecycle_of(app), "now", at)
    return at


def signed_in(client: FlaskClient) -> bool:
    with client.session_transaction() as session:
        return SESSION_KEY in session


def shown_secret(html: str) -> str:
    found = re.search(r'id="totp-secret" data-testid="totp-secret">([A-Z2-7 ]+)<', html)
    assert found is not None, html
    return found.group(1).replace(" ", "")


def test_a_role_that_requires_totp_sets_it_up_before_anything_else(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    add_user(app, "lanhdao.an", Role.LEADER, "SXD")
    first = sign_in(client, "lanhdao.an", next=GUARDED_ANY)
    assert first.status_code == 303 and first.headers["Location"] == SETUP
    assert not signed_in(client)
    assert client.get(GUARDED_ANY).status_code == 302  # nothing else opens meanwhile
    page = client.get(SETUP)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "bắt buộc xác thực hai bước" in html
    secret = shown_secret(html)
    assert "otpauth://totp/" in html and f"secret={secret}" in html
    assert 'src="data:image/svg+xml' in html  # the QR code is drawn here, by no outside service
    assert client.get(SETUP).get_data(as_text=True).count(secret) >= 1  # same secret on reload
    # A wrong code: refused, nothing stored.
    wrong = client.post(SETUP, data={"code": "000000"})
    assert "Mã xác thực không đúng" in wrong.get_data(as_text=True)
    assert user_row(app, "lanhdao.an").totp_secret is None and not signed_in(client)
    # The code of the moment: stored, signed in, on to the page asked for.
    code = pyotp.TOTP(secret).at(T0)
    done = client.post(SETUP, data={"code": code})
    assert done.status_code == 303 and done.headers["Location"] == GUARDED_ANY
    assert signed_in(client) and client.get(GUARDED_ANY).status_code == 200
    row = user_row(app, "lanhdao.an")
    assert row.totp_secret == secret and row.last_login_at == T0
    assert "Đã bật xác thực hai bước" in client.get("/tai-khoan").get_data(as_text=True)


def test_an_account_with_a_secret_gives_its_code_at_every_sign_in(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    secret = pyotp.random_base32()
    add_user(app, "ioc.binh", totp_secret=secret)  # a role that does not require it
    answer = sign_in(client, "ioc.binh", next="/ket-qua")
    assert answer.status_code == 303 and answer.headers["Location"] == STEP
    assert not signed_in(client)
    wrong = client.post(STEP, data={"code": "123456"})
    html = wrong.get_data(as_text=True)
    assert "Mã xác thực không đúng hoặc đã hết hạn" in html and not signed_in(client)
    assert [f.reason for f in failures_of(app, "ioc.binh")] == ["code"]  # a wrong code counts
    clock.advance(seconds=20)
    right = client.post(STEP, data={"code": pyotp.TOTP(secret).at(clock.at)})
    assert right.status_code == 303 and right.headers["Location"] == "/ket-qua"
    assert signed_in(client) and counted(app, "ioc.binh") == 0


def test_wrong_codes_make_this_address_wait_like_wrong_passwords(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    secret = pyotp.random_base32()
    add_user(app, "quantri.cuong", Role.OPERATOR_ADMIN, totp_secret=secret)
    sign_in(client, "quantri.cuong")
    for _ in range(5):
        wrong = client.post(STEP, data={"code": "000000"})
        assert "Mã xác thực không đúng" in wrong.get_data(as_text=True)
    sixth = client.post(STEP, data={"code": pyotp.TOTP(secret).at(clock.at)})  # even the right one
    assert sixth.status_code == 303 and sixth.headers["Location"] == "/dang-nhap"
    page = client.get("/dang-nhap").get_data(as_text=True)
    assert "Đăng nhập sai nhiều lần từ địa chỉ này" in page and "29/04/2026 09:00" in page
    # The password alone does not start a new count while the code is still owed.
    assert sign_in(client, "quantri.cuong").status_code == 429
    assert not signed_in(client)
    assert counted(app, "quantri.cuong") == 5


def test_a_right_password_does_not_forgive_the_wrong_codes(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    secret = pyotp.random_base32()
    add_user(app, "quantri.dung", Role.OPERATOR_ADMIN, totp_secret=secret)
    for _ in range(3):
        sign_in(client, "quantri.dung")
        client.post(STEP, data={"code": "000000"})
    assert counted(app, "quantri.dung") == 3
    sign_in(client, "quantri.dung")
    client.post(STEP, data={"code": pyotp.TOTP(secret).at(clock.at)})
    assert signed_in(client) and counted(app, "quantri.dung") == 0


def test_the_step_between_password_and_code_is_short(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    secret = pyotp.random_base32()
    add_user(app, "ioc.em", totp_secret=secret)
    sign_in(client, "ioc.em")
    clock.advance(minutes=11)
    late = client.post(STEP, data={"code": pyotp.TOTP(secret).at(clock.at)})
    assert late.status_code == 303 and late.headers["Location"] == "/dang-nhap"
    assert not signed_in(client)
    assert "Phiên đăng nhập đã hết hạn" in client.get("/dang-nhap").get_data(as_text=True)


def test_staff_may_turn_totp_on_from_their_account(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    add_user(app, "ioc.giang")
    sign_in(client, "ioc.giang")
    assert "Chưa bật" in client.get("/tai-khoan").get_data(as_text=True)
    secret = shown_secret(client.get(SETUP).get_data(as_text=True))
    done = client.post(SETUP, data={"code": pyotp.TOTP(secret).at(T0)})
    assert done.status_code == 303 and done.headers["Location"] == "/tai-khoan"
    assert user_row(app, "ioc.giang").totp_secret == secret
    assert 'data-testid="totp-enabled"' in client.get(SETUP).get_data(as_text=True)
    client.post("/dang-xuat")
    assert sign_in(client, "ioc.giang").headers["Location"] == STEP


def test_a_role_newly_requiring_totp_ends_sessions_without_it(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(app, "kiemtra.hai", Role.AUDITOR)
    sign_in(client, "kiemtra.hai")
    assert client.get(GUARDED_ANY).status_code == 200
    monkeypatch.setitem(app.config, "AUTH_TOTP_ROLES", frozenset({"auditor"}))
    assert client.get(GUARDED_ANY).status_code == 302
    assert sign_in(client, "kiemtra.hai").headers["Location"] == SETUP


def test_the_totp_roles_setting_is_checked() -> None:
    assert totp_roles("leader, officer") == {"leader", "officer"}
    assert totp_roles(["auditor"]) == {"auditor"}
    with pytest.raises(ValueError, match="'truong-phong' is not a staff role"):
        totp_roles({"truong-phong"})
    with pytest.raises(ValueError, match="'reporter' is not a staff role"):
        totp_roles({"reporter"})


def test_codes_a_step_away_are_accepted_older_ones_not() -> None:
    from engine.accounts import totp_matches

    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    assert totp_matches(secret, totp.at(T0 - timedelta(seconds=30)), T0)
    assert totp_matches(secret, " " + totp.at(T0)[:3] + " " + totp.at(T0)[3:], T0)
    assert not totp_matches(secret, totp.at(T0 - timedelta(minutes=2)), T0)
    assert not totp_matches(secret, "abcdef", T0)


def test_a_password_reset_between_the_two_steps_ends_the_second(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    """Whoever gave the old password may not finish with a code after a reset."""
    secret = pyotp.random_base32()
    add_user(app, "ioc.giua", totp_secret=secret)
    assert sign_in(client, "ioc.giua").headers["Location"] == STEP
    with lifecycle_of(app).uow.begin() as db:
        accounts.set_password(db, "ioc.giua", "mat-khau-moi-hoan-toan", clock.at)
    answer = client.post(STEP, data={"code": pyotp.TOTP(secret).at(clock.at)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/dang-nhap"
    assert not signed_in(client)
