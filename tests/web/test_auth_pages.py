"""Signing in and out on the staff pages: sessions, cookies, back-off, redirects, access."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from cli.users import user as user_cli
from engine import accounts
from engine.workflow import Role
from tests.web.test_auth_support import (
    GUARDED,
    GUARDED_ANY,
    PASSWORD,
    T0,
    Clock,
    add_user,
    address_of,
    auth_app,
    browser,
    cookie_header,
    counted,
    failures_of,
    lifecycle_of,
    sign_in,
    tokens_of,
    user_row,
)
from web.auth import SESSION_KEY, local_path, secure_cookies

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return auth_app(tmp_path_factory.mktemp("auth-pages"), RATELIMIT_SIGN_IN="1000 per minute")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return browser(app)


@pytest.fixture
def clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Clock:
    at = Clock()
    monkeypatch.setattr(lifecycle_of(app), "now", at)
    return at


def session_of(client: FlaskClient) -> dict:
    with client.session_transaction() as session:
        return dict(session)


# -- signing in ------------------------------------------------------------------------------------


def test_the_sign_in_page_is_vietnamese_and_keeps_a_local_next(client: FlaskClient) -> None:
    page = client.get("/dang-nhap?next=/ket-qua")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Đăng nhập dành cho cán bộ" in html and 'name="password"' in html
    assert 'name="next" type="hidden" value="/ket-qua"' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_signing_in_opens_a_session_and_goes_to_next(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    user_id = add_user(app, "ioc.an", name="Trần Văn An")
    answer = sign_in(client, "IOC.An ", next="/ket-qua?trang=2")  # names are not case-sensitive
    assert answer.status_code == 303 and answer.headers["Location"] == "/ket-qua?trang=2"
    assert session_of(client)[SESSION_KEY] == user_id
    cookie = cookie_header(answer)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # kept for the session's lifetime, not the browser's
    assert "Secure" not in cookie  # not in tests and the local demo (plain http)
    row = user_row(app, "ioc.an")
    assert row.last_login_at == T0
    assert app.permanent_session_lifetime == timedelta(hours=9)
    # Signed in: the account page, and the header shows who, with a sign-out button.
    page = client.get("/tai-khoan").get_data(as_text=True)
    assert "Trần Văn An" in page and 'id="staff-sign-out"' in page
    assert "Cán bộ Trung tâm IOC" in page and "29/04/2026 09:00" in page
    home = client.get("/").get_data(as_text=True)
    assert 'id="staff-status"' in home and "Trần Văn An" in home
    assert client.get("/dang-nhap").headers["Location"] == "/tai-khoan"  # already signed in


def test_the_cookie_is_secure_in_production(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PHANANH_ENV", "SESSION_COOKIE_SECURE", "PHANANH_INSECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    production = auth_app(
        tmp_path_factory.mktemp("auth-production"),
        PHANANH_ENV="production",
        RATELIMIT_SIGN_IN="1000 per minute",
    )
    add_user(production, "ioc.prod")
    answer = sign_in(production.test_client(), "ioc.prod")
    assert answer.status_code == 303
    cookie = cookie_header(answer)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The environment decides too; PHANANH_INSECURE_COOKIES wins over everything.
    assert secure_cookies(production)
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    assert not secure_cookies(production)
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("PHANANH_INSECURE_COOKIES", "1")
    assert not secure_cookies(production)
    monkeypatch.delenv("PHANANH_INSECURE_COOKIES")
    monkeypatch.delenv("SESSION_COOKIE_SECURE")
    monkeypatch.setenv("PHANANH_ENV", "production")
    development = Flask(__name__)
    assert secure_cookies(development)
    monkeypatch.delenv("PHANANH_ENV")
    assert not secure_cookies(development)


def test_a_wrong_password_says_only_that_and_counts(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    user_id = add_user(app, "ioc.binh")
    before = user_row(app, "ioc.binh")
    answer = sign_in(client, "ioc.binh", "sai-mat-khau-roi")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert WRONG in html and "sai-mat-khau-roi" not in html
    assert SESSION_KEY not in session_of(client)
    after = user_row(app, "ioc.binh")
    (failure,) = failures_of(app, "ioc.binh")  # the audit: when, from where, why
    assert (failure.at, failure.client, failure.reason) == (T0, address_of(client), "password")
    assert failure.forgiven_at is None
    unchanged = ("password_hash", "active", "locked_until", "last_login_at", "totp_secret", "role")
    assert all(getattr(after, f) == getattr(before, f) for f in unchanged)
    assert tokens_of(app, user_id) == []
    assert client.get(GUARDED).status_code == 302


def test_an_unknown_user_gets_the_same_answer(client: FlaskClient, clock: Clock) -> None:
    answer = sign_in(client, "khong.ai.ca", "sai-mat-khau-roi")
    assert answer.status_code == 200 and WRONG in answer.get_data(as_text=True)
    assert SESSION_KEY not in session_of(client)
    empty = client.post("/dang-nhap", data={"username": "", "password": ""})
    assert "Hãy nhập tên đăng nhập." in empty.get_data(as_text=True)


THROTTLED = "Đăng nhập sai nhiều lần từ địa chỉ này; vui lòng thử lại sau 29/04/2026 09:00."


def problem_of(answer: Any) -> str:
    found = re.search(r'role="alert"[^>]*>\s*([^<]+?)\s*<', answer.get_data(as_text=True))
    assert found is not None, answer.get_data(as_text=True)
    return found.group(1)


def test_the_answer_is_the_same_for_no_account_a_real_one_and_one_that_must_wait(
    app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #12: the lock-out's message differed for real accounts, telling which exist. Now the
    text, the status and the work (one scrypt) are the same for a name that is no account."""
    add_user(app, "ioc.cuong")
    hashed: list[str] = []
    checking = accounts.check_password
    monkeypatch.setattr(
        accounts, "check_password", lambda pw, stored: hashed.append(stored) or checking(pw, stored)
    )
    answers: dict[str, list[tuple[int, str, None]]] = {}
    for name in ("ioc.cuong", "khong.co.ai"):
        client = browser(app)
        seen = answers[name] = []
        for _ in range(5):
            hashed.clear()
            answer = sign_in(client, name, "sai-mat-khau-roi")
            assert len(hashed) == 1, name  # one scrypt, against a dummy hash for no account
            seen.append((answer.status_code, problem_of(answer), None))
        hashed.clear()
        sixth = sign_in(client, name, "sai-mat-khau-roi")
        assert hashed == []  # while it must wait, no password is checked at all
        assert int(sixth.headers["Retry-After"]) >= 30
        seen.append((sixth.status_code, problem_of(sixth), None))
    assert answers["ioc.cuong"] == answers["khong.co.ai"]
    assert answers["ioc.cuong"] == [(200, WRONG, None)] * 5 + [(429, THROTTLED, None)]
    assert len(failures_of(app, "khong.co.ai")) == 5  # names that are no account are kept too


def test_the_wait_doubles_and_even_the_right_password_waits(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    add_user(app, "ioc.dung")
    for _ in range(5):
        sign_in(client, "ioc.dung", "sai-mat-khau-roi")
    clock.advance(seconds=29)
    waiting = sign_in(client, "ioc.dung")  # the right password, but too soon
    assert waiting.status_code == 429 and SESSION_KEY not in session_of(client)
    clock.advance(seconds=1)  # 30 seconds after the fifth failure
    assert problem_of(sign_in(client, "ioc.dung", "sai-mat-khau-roi")) == WRONG  # the sixth
    clock.advance(seconds=59)
    assert sign_in(client, "ioc.dung").status_code == 429  # now a minute: doubled
    clock.advance(seconds=1)
    assert sign_in(client, "ioc.dung").status_code == 303
    # A complete sign-in forgives its own address's failures (the audit keeps them).
    assert counted(app, "ioc.dung") == 0 and len(failures_of(app, "ioc.dung")) == 6
    client.post("/dang-xuat")
    assert problem_of(sign_in(client, "ioc.dung", "sai-mat-khau-roi")) == WRONG


def test_a_stranger_elsewhere_cannot_make_the_owner_wait(app: Flask, clock: Clock) -> None:
    """The lock-out let anyone lock an account; the back-off is per client address."""
    add_user(app, "ioc.em")
    stranger, owner = browser(app), browser(app)
    for _ in range(12):
        sign_in(stranger, "ioc.em", "sai-mat-khau-roi")
    assert sign_in(stranger, "ioc.em").status_code == 429
    assert sign_in(owner, "ioc.em").status_code == 303
    assert owner.get(GUARDED).status_code == 200
    assert sign_in(stranger, "ioc.em").status_code == 429  # the owner's sign-in forgave only theirs


def test_one_address_trying_many_names_waits(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "AUTH_FREE_FAILURES_PER_CLIENT", 3)
    add_user(app, "ioc.giau")
    for number in range(3):
        assert problem_of(sign_in(client, f"ten.doan.{number}", "sai-mat-khau-roi")) == WRONG
    assert sign_in(client, "ten.doan.moi", "sai-mat-khau-roi").status_code == 429
    assert sign_in(client, "ioc.giau").status_code == 429  # every name, from this address
    assert sign_in(browser(app), "ioc.giau").status_code == 303  # other addresses: no wait


def test_the_cli_lifts_the_wait(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(app, "ioc.hanh")
    for _ in range(5):
        sign_in(client, "ioc.hanh", "sai-mat-khau-roi")
    assert sign_in(client, "ioc.hanh").status_code == 429
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    result = CliRunner().invoke(user_cli, ["unlock", "ioc.hanh"])
    assert result.exit_code == 0
    assert result.output == (
        "Đã bỏ thời gian chờ đăng nhập của 'ioc.hanh' (5 lần đăng nhập sai không còn được tính).\n"
    )
    assert sign_in(client, "ioc.hanh").status_code == 303
    assert len(failures_of(app, "ioc.hanh")) == 5  # still in the audit


def test_configured_limits(tmp_path_factory: pytest.TempPathFactory) -> None:
    strict = auth_app(
        tmp_path_factory.mktemp("auth-strict"),
        AUTH_FREE_FAILURES=2,
        AUTH_BACKOFF_SECONDS=600,
        RATELIMIT_SIGN_IN="3 per minute",
    )
    add_user(strict, "ioc.giang")
    client = browser(strict)
    sign_in(client, "ioc.giang", "sai-mat-khau-roi")
    sign_in(client, "ioc.giang", "sai-mat-khau-roi")
    third = sign_in(client, "ioc.giang")  # the right password, but it must wait
    assert third.status_code == 429 and 590 <= int(third.headers["Retry-After"]) <= 601
    assert "vui lòng thử lại sau" in third.get_data(as_text=True)
    limited = sign_in(client, "ioc.giang")  # fourth in a minute: the rate limit
    assert limited.status_code == 429 and "Gửi quá nhiều yêu cầu" in limited.get_data(as_text=True)


# -- signing out, forms without their token --------------------------------------------------------


def test_signing_out_ends_the_session_but_keeps_the_language(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    add_user(app, "ioc.hoa")
    client.get("/?lang=en")
    sign_in(client, "ioc.hoa")
    assert session_of(client)[SESSION_KEY]
    assert client.get("/dang-xuat").status_code == 405  # a link cannot sign anyone out
    answer = client.post("/dang-xuat")
    assert answer.status_code == 303 and answer.headers["Location"] == "/dang-nhap"
    left = session_of(client)
    assert SESSION_KEY not in left and left.get("lang") == "en"
    assert "Bạn đã đăng xuất." in client.get("/dang-nhap").get_data(as_text=True)
    assert client.get(GUARDED).status_code == 302


def test_forms_without_their_csrf_token_are_refused(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    protected = auth_app(
        tmp_path_factory.mktemp("auth-csrf"),
        WTF_CSRF_ENABLED=True,
        RATELIMIT_SIGN_IN="1000 per minute",
    )
    add_user(protected, "ioc.khanh")
    client = browser(protected)
    refused = sign_in(client, "ioc.khanh", "sai-mat-khau-roi")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "thiếu mã bảo mật (CSRF)" in html and 'value="ioc.khanh"' in html
    assert failures_of(protected, "ioc.khanh") == []  # nothing was read or written
    assert SESSION_KEY not in session_of(client)
    form = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token is not None
    assert sign_in(client, "ioc.khanh", csrf_token=token.group(1)).status_code == 303
    assert SESSION_KEY in session_of(client)
    # Signing out needs the token too: without it, still signed in.
    out = client.post("/dang-xuat")
    assert out.status_code == 400 and "thiếu mã bảo mật (CSRF)" in out.get_data(as_text=True)
    assert SESSION_KEY in session_of(client)
    page = client.get("/tai-khoan").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    assert client.post("/dang-xuat", data={"csrf_token": token.group(1)}).status_code == 303
    assert SESSION_KEY not in session_of(client)


# -- where a sign-in goes, and what it leaves behind -----------------------------------------------


OUTSIDE = [
    "https://ke-gian.example/dang-nhap",
    "//ke-gian.example/x",
    "/\\ke-gian.example",
    "\\\\ke-gian.example",
    "javascript:alert(1)",
    "/\r\nLocation: https://ke-gian.example",
    " //ke-gian.example",
    "/\tke-gian",
]


@pytest.mark.parametrize("number", range(len(OUTSIDE)))
def test_next_outside_the_site_is_ignored(
    app: Flask, client: FlaskClient, clock: Clock, number: int
) -> None:
    name, target = f"ioc.next{number}", OUTSIDE[number]
    add_user(app, name)
    answer = sign_in(client, name, next=target)
    assert answer.status_code == 303 and answer.headers["Location"] == "/tai-khoan"


def test_local_paths() -> None:
    assert local_path("/ket-qua?trang=2#x") == "/ket-qua?trang=2#x"
    for bad in (None, "", "ket-qua", "//x", "/\\x", "http://x/", "/a\nb", "/a b"):
        assert local_path(bad) is None, bad


def test_signing_in_starts_a_new_session(app: Flask, client: FlaskClient, clock: Clock) -> None:
    """Session fixation: nothing planted before the sign-in survives it (but the language)."""
    user_id = add_user(app, "ioc.lan")
    with client.session_transaction() as session:
        session["planted"] = "attacker"
        session["sent"] = {"PA-2026-000001": {"t": "x"}}
        session["lang"] = "vi"
    sign_in(client, "ioc.lan")
    after = session_of(client)
    assert after[SESSION_KEY] == user_id and after["lang"] == "vi"
    assert "planted" not in after and "sent" not in after


def test_a_session_ends_a_lifetime_after_sign_in(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    add_user(app, "ioc.minh")
    sign_in(client, "ioc.minh")
    clock.advance(hours=8, minutes=59)
    assert client.get(GUARDED).status_code == 200
    clock.advance(minutes=2)
    assert client.get(GUARDED).status_code == 302
    assert SESSION_KEY not in session_of(client)


# -- who may open what ----------------------------------------------------------------------------


def test_staff_required_sends_visitors_to_sign_in_and_refuses_other_roles(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    anonymous = client.get(GUARDED + "?a=1")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == "/dang-nhap?next=/_thu/chi-ioc?a%3D1"
    assert client.get(GUARDED).headers["Location"] == "/dang-nhap?next=/_thu/chi-ioc"
    add_user(app, "canbo.nam", Role.OFFICER, "SXD")
    sign_in(client, "canbo.nam")
    wrong_role = client.get(GUARDED)
    assert wrong_role.status_code == 403 and "Không có quyền" in wrong_role.get_data(as_text=True)
    assert client.get(GUARDED_ANY).status_code == 200
    other = client.application.test_client()
    add_user(app, "ioc.oanh")
    sign_in(other, "ioc.oanh")
    assert other.get(GUARDED).get_data(as_text=True) == "ioc"


def test_a_deactivated_account_loses_access_at_the_next_request(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    add_user(app, "ioc.phuc")
    sign_in(client, "ioc.phuc")
    assert client.get(GUARDED).status_code == 200
    with lifecycle_of(app).uow.begin() as db:
        accounts.deactivate(db, "ioc.phuc", T0)
    assert client.get(GUARDED).status_code == 302
    assert SESSION_KEY not in session_of(client)
    again = sign_in(client, "ioc.phuc").get_data(as_text=True)
    assert "đã ngừng hoạt động" in again and SESSION_KEY not in session_of(client)
    assert WRONG in sign_in(client, "ioc.phuc", "sai-mat-khau-roi").get_data(as_text=True)


NEW_PASSWORD = "mat-khau-moi-hoan-toan"


def _token(client: FlaskClient, username: str) -> str:
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 201
    return answer.get_json()["token"]


def _token_works(client: FlaskClient, token: str) -> bool:
    """Revoking a token needs the token to be good: 204 when it still is, 401 once it is not."""
    answer = client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code == 204


def test_a_password_reset_ends_the_sessions_and_revokes_the_tokens(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    """A reset follows a password that leaked: whoever held it loses the access it gave, at once
    (not up to 9 hours later for a session and 12 for a token), as on deactivation."""
    user_id = add_user(app, "ioc.reset")
    other = app.test_client()
    for each in (client, other):
        assert sign_in(each, "ioc.reset").status_code == 303
        assert each.get(GUARDED).status_code == 200
    machine = app.test_client()
    token, spare = _token(machine, "ioc.reset"), _token(machine, "ioc.reset")
    assert _token_works(machine, spare)
    clock.advance(minutes=30)
    with lifecycle_of(app).uow.begin() as db:
        assert accounts.set_password(db, "ioc.reset", NEW_PASSWORD, clock.at) == 1
    for each in (client, other):
        assert each.get(GUARDED).status_code == 302
        assert SESSION_KEY not in session_of(each)
    assert not _token_works(machine, token)
    assert [t.revoked_at for t in tokens_of(app, user_id)] == [clock.at, T0]
    assert WRONG in sign_in(client, "ioc.reset").get_data(as_text=True)  # the old one is gone
    assert sign_in(client, "ioc.reset", NEW_PASSWORD).status_code == 303
    assert client.get(GUARDED).status_code == 200 and other.get(GUARDED).status_code == 302


def test_the_cli_sets_a_new_password_and_ends_the_sessions(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = add_user(app, "ioc.cli")
    sign_in(client, "ioc.cli")
    token = _token(app.test_client(), "ioc.cli")
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    runner = CliRunner()
    short = runner.invoke(user_cli, ["set-password", "ioc.cli", "--password-stdin"], input="x\n")
    assert short.exit_code == 1 and "ít nhất 10 ký tự" in short.output
    assert client.get(GUARDED).status_code == 200  # a refused reset changes nothing
    result = runner.invoke(
        user_cli, ["set-password", "ioc.cli", "--password-stdin"], input=NEW_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Đã đặt mật khẩu mới cho 'ioc.cli': các phiên đăng nhập đã kết thúc, "
        "thu hồi 1 mã truy cập API.\n"
    )
    assert client.get(GUARDED).status_code == 302
    assert not _token_works(app.test_client(), token)
    assert all(t.revoked_at is not None for t in tokens_of(app, user_id))
    assert accounts.check_password(NEW_PASSWORD, user_row(app, "ioc.cli").password_hash)
    no_flag = runner.invoke(user_cli, ["set-password", "ioc.cli"])
    assert no_flag.exit_code == 2 and "--password-stdin" in no_flag.output


def test_pages_for_the_signed_in_only(client: FlaskClient) -> None:
    assert client.get("/tai-khoan").headers["Location"] == "/dang-nhap?next=/tai-khoan"
    setup = client.get("/tai-khoan/xac-thuc-hai-buoc")
    assert setup.status_code == 303 and setup.headers["Location"].startswith("/dang-nhap")
    step = client.get("/dang-nhap/xac-thuc")
    assert step.status_code == 303 and step.headers["Location"] == "/dang-nhap"
    assert "Phiên đăng nhập đã hết hạn" in client.get("/dang-nhap").get_data(as_text=True)
    assert 'id="staff-status"' not in client.get("/").get_data(as_text=True)


def test_the_password_is_never_echoed(app: Flask, client: FlaskClient, clock: Clock) -> None:
    add_user(app, "ioc.quang")
    html = sign_in(client, "ioc.quang", "mat-khau-khac-9999").get_data(as_text=True)
    assert "mat-khau-khac-9999" not in html
    assert PASSWORD not in html


def test_a_sign_in_lands_on_the_configured_page_if_there_is_one(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(app, "ioc.son")
    monkeypatch.setitem(app.config, "AUTH_LANDING", "portal.results")
    assert sign_in(client, "ioc.son").headers["Location"] == "/ket-qua"
    client.post("/dang-xuat")
    monkeypatch.setitem(app.config, "AUTH_LANDING", "khong.co")  # e.g. no desk in this app
    assert sign_in(client, "ioc.son").headers["Location"] == "/tai-khoan"
