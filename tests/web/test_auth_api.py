"""``/api/v1/auth/token`` and bearer tokens: issued once, stored hashed, refused once expired or
revoked; the pages' back-off and TOTP apply."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from engine.workflow import Role
from tests.web.test_api_support import API, OpenApi, is_problem
from tests.web.test_auth_support import (
    PASSWORD,
    T0,
    Clock,
    add_user,
    auth_app,
    browser,
    counted,
    failures_of,
    lifecycle_of,
    tokens_of,
    user_row,
)
from web.auth import Staff, bearer_staff

TOKEN = f"{API}/auth/token"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return auth_app(
        tmp_path_factory.mktemp("auth-api"),
        AUTH_TOTP_ROLES={"leader"},
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


@pytest.fixture(scope="module")
def openapi(app: Flask) -> OpenApi:
    document = app.test_client().get(f"{API}/openapi.json").get_json()
    validate(document)
    return OpenApi(document)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def staff_of(app: Flask, token: str | None) -> Staff | None:
    headers = bearer(token) if token else {}
    with app.test_request_context(f"{API}/reports", headers=headers):
        return bearer_staff()


def test_a_token_for_the_right_password(
    app: Flask, client: FlaskClient, clock: Clock, openapi: OpenApi
) -> None:
    user_id = add_user(app, "ioc.an", name="Trần Văn An")
    answer = client.post(TOKEN, json={"username": "ioc.an", "password": PASSWORD})
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    openapi.check(answer, "/auth/token", "post")
    body = answer.get_json()
    token = body["token"]
    assert body["token_type"] == "Bearer" and len(token) >= 43
    assert datetime.fromisoformat(body["expires_at"]) == T0 + timedelta(hours=12)
    assert body["expires_at"].endswith("+07:00")
    (row,) = tokens_of(app, user_id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # never the token itself
    assert row.revoked_at is None and row.expires_at == T0 + timedelta(hours=12)
    assert user_row(app, "ioc.an").last_login_at == T0
    staff = staff_of(app, token)
    assert staff is not None and staff.username == "ioc.an" and staff.role is Role.IOC_OPERATOR
    assert staff_of(app, None) is None and staff_of(app, token + "x") is None
    assert tokens_of(app, user_id)[0].last_used_at == T0
    other = client.post(TOKEN, json={"username": "ioc.an", "password": PASSWORD})
    assert other.get_json()["token"] != token


def test_a_wrong_password_is_401_problem_details_and_counts(
    app: Flask, client: FlaskClient, clock: Clock, openapi: OpenApi
) -> None:
    user_id = add_user(app, "ioc.binh")
    answer = client.post(TOKEN, json={"username": "ioc.binh", "password": "sai-mat-khau-roi"})
    body = is_problem(answer, 401)
    openapi.check(answer, "/auth/token", "post")
    assert body["detail"] == "Tên đăng nhập hoặc mật khẩu không đúng."
    assert body["detail_en"] == "The username or password is wrong."
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert [f.reason for f in failures_of(app, "ioc.binh")] == ["password"]
    assert tokens_of(app, user_id) == []
    unknown = client.post(TOKEN, json={"username": "khong.ai", "password": "sai-mat-khau-roi"})
    assert is_problem(unknown, 401)["detail"] == body["detail"]


def test_bad_requests_are_refused_before_anything(
    app: Flask, client: FlaskClient, clock: Clock, openapi: OpenApi
) -> None:
    add_user(app, "ioc.cuong")
    missing = client.post(TOKEN, json={"username": "ioc.cuong"})
    body = is_problem(missing, 422)
    assert [e["field"] for e in body["errors"]] == ["password"]
    openapi.check(missing, "/auth/token", "post")
    extra = client.post(TOKEN, json={"username": "ioc.cuong", "password": 5, "role": "x"})
    assert {e["field"] for e in is_problem(extra, 422)["errors"]} == {"password", "role"}
    assert is_problem(client.post(TOKEN, data={"username": "ioc.cuong"}), 415)
    assert is_problem(client.post(TOKEN, data="[1]", content_type="application/json"), 400)
    assert failures_of(app, "ioc.cuong") == []


def test_expired_and_revoked_tokens_are_refused(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    add_user(app, "ioc.dung")
    token = client.post(TOKEN, json={"username": "ioc.dung", "password": PASSWORD}).get_json()
    token = token["token"]
    clock.advance(hours=11, minutes=59)
    assert staff_of(app, token) is not None
    clock.advance(minutes=1)  # 12 hours: expired
    assert staff_of(app, token) is None
    answer = client.delete(TOKEN, headers=bearer(token))
    body = is_problem(answer, 401)
    assert "đã hết hạn" in body["detail"]
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="phananh", error="invalid_token"'


def test_delete_revokes_the_token_it_is_called_with(
    app: Flask, client: FlaskClient, clock: Clock, openapi: OpenApi
) -> None:
    user_id = add_user(app, "ioc.em")
    first = client.post(TOKEN, json={"username": "ioc.em", "password": PASSWORD}).get_json()
    second = client.post(TOKEN, json={"username": "ioc.em", "password": PASSWORD}).get_json()
    answer = client.delete(TOKEN, headers=bearer(first["token"]))
    assert answer.status_code == 204 and answer.data == b""
    assert "204" in openapi.document["paths"]["/auth/token"]["delete"]["responses"]
    assert staff_of(app, first["token"]) is None
    assert staff_of(app, second["token"]) is not None  # only the one presented
    again = client.delete(TOKEN, headers=bearer(first["token"]))
    is_problem(again, 401)
    anonymous = client.delete(TOKEN)
    assert is_problem(anonymous, 401)["detail"].startswith("Cần mã truy cập")
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="phananh"'
    openapi.check(anonymous, "/auth/token", "delete")
    revoked = [t for t in tokens_of(app, user_id) if t.revoked_at is not None]
    assert len(revoked) == 1 and revoked[0].revoked_at == T0


def test_a_deactivated_account_loses_its_tokens(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    from engine import accounts

    user_id = add_user(app, "ioc.giang")
    token = client.post(TOKEN, json={"username": "ioc.giang", "password": PASSWORD}).get_json()
    with lifecycle_of(app).uow.begin() as db:
        accounts.deactivate(db, "ioc.giang", T0)
    assert staff_of(app, token["token"]) is None
    assert all(t.revoked_at == T0 for t in tokens_of(app, user_id))
    refused = client.post(TOKEN, json={"username": "ioc.giang", "password": PASSWORD})
    assert is_problem(refused, 401)["type"].endswith("/account_inactive")


def test_the_api_has_the_same_back_off(
    app: Flask, client: FlaskClient, clock: Clock, openapi: OpenApi
) -> None:
    """The same answers for a name that is no account; the wait is for this address only."""
    add_user(app, "ioc.hoa")
    answers = {}
    for name in ("ioc.hoa", "khong.co.ai"):
        caller = browser(app)
        wrong = {"username": name, "password": "sai-mat-khau-roi"}
        seen = [is_problem(caller.post(TOKEN, json=wrong), 401)["detail"] for _ in range(5)]
        sixth = caller.post(TOKEN, json={"username": name, "password": PASSWORD})
        openapi.check(sixth, "/auth/token", "post")
        body = is_problem(sixth, 429)
        assert (
            body["type"].endswith("/sign_in_throttled") and int(sixth.headers["Retry-After"]) >= 30
        )
        answers[name] = [*seen, body["detail"]]
    assert answers["ioc.hoa"] == answers["khong.co.ai"]
    assert answers["ioc.hoa"][-1] == (
        "Đăng nhập sai nhiều lần từ địa chỉ này; vui lòng thử lại sau 29/04/2026 09:00."
    )
    owner = client.post(TOKEN, json={"username": "ioc.hoa", "password": PASSWORD})
    assert owner.status_code == 201  # from another address: no wait


def test_totp_applies_to_the_api(app: Flask, client: FlaskClient, clock: Clock) -> None:
    secret = pyotp.random_base32()
    add_user(app, "lanhdao.khanh", Role.LEADER, "SXD", totp_secret=secret)
    credentials = {"username": "lanhdao.khanh", "password": PASSWORD}
    missing = client.post(TOKEN, json=credentials)
    assert is_problem(missing, 401)["type"].endswith("/totp_required")
    assert failures_of(app, "lanhdao.khanh") == []
    wrong = client.post(TOKEN, json={**credentials, "totp": "000000"})
    assert is_problem(wrong, 401)["type"].endswith("/totp_refused")
    assert counted(app, "lanhdao.khanh") == 1
    right = client.post(TOKEN, json={**credentials, "totp": pyotp.TOTP(secret).at(T0)})
    assert right.status_code == 201
    assert counted(app, "lanhdao.khanh") == 0
    # A role that requires TOTP, on an account that has not set it up: the web page first.
    add_user(app, "lanhdao.lan", Role.LEADER, "SXD")
    setup = client.post(TOKEN, json={"username": "lanhdao.lan", "password": PASSWORD})
    body = is_problem(setup, 403)
    assert body["type"].endswith("/totp_setup_required") and "/dang-nhap" in body["detail"]


def test_the_token_endpoint_is_rate_limited(tmp_path_factory: pytest.TempPathFactory) -> None:
    limited = auth_app(tmp_path_factory.mktemp("auth-api-limit"), RATELIMIT_SIGN_IN="2 per minute")
    client = limited.test_client()
    for _ in range(2):
        client.post(TOKEN, json={"username": "x.y", "password": "sai-mat-khau-roi"})
    over = client.post(TOKEN, json={"username": "x.y", "password": "sai-mat-khau-roi"})
    assert is_problem(over, 429)["detail"].startswith("Bạn đã gửi quá nhiều yêu cầu")
    assert int(over.headers["Retry-After"]) >= 1


def test_the_document_describes_the_endpoints(openapi: OpenApi) -> None:
    paths = openapi.document["paths"]
    assert set(paths["/auth/token"]) == {"post", "delete"}
    schemes = openapi.document["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerToken"]["description"],
    }
    assert "/reports" in paths  # the rest of the document is untouched
