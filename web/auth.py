"""Who is signed in, and what a page or endpoint requires of them.

The contract every staff face relies on: ``session["staff_id"]`` holds the signed-in account's
id; :func:`current_staff` turns it into a :class:`Staff` (or ``None``), re-reading the account so
that a deactivated account loses access at once, and so does a session opened before the account's
password was changed (``staff_mark``, :func:`password_mark`); :func:`staff_required` guards a view by role.
The API never reads the session: :func:`bearer_staff` reads ``Authorization: Bearer …`` and
:func:`token_required` guards an API view with it (401 problem details otherwise).

The pages (sign-in, TOTP, sign-out, the account's two-factor setup) are in :mod:`web.auth_pages`,
attached to the :data:`auth` blueprint; the sign-in rule itself (back-off, TOTP) is
:mod:`engine.accounts`, shared with the API's ``/api/v1/auth/token``.

Configuration (``app.config``, defaults set by :func:`init_app`):

``AUTH_FREE_FAILURES`` (5) and ``AUTH_FREE_FAILURES_PER_CLIENT`` (20)
    failed passwords or codes from one client address for one name, and for all names, before
    each further attempt waits; no account is ever locked (:mod:`engine.throttle`).
``AUTH_BACKOFF_SECONDS`` (30) and ``AUTH_BACKOFF_MAX_MINUTES`` (15)
    the first wait, which doubles at each further failure, and the longest.
``AUTH_TOTP_ROLES`` (empty)
    role codes whose accounts must use TOTP two-factor — the administrator's setting. Until the
    administration issue brings it into the YAML configuration, set it in the settings given to
    ``create_app``; an unknown role code fails at start-up.
``AUTH_TOKEN_HOURS`` (12)
    how long an API token lasts.
``AUTH_PENDING_MINUTES`` (10)
    how long the step between the password and the TOTP code may take.
``AUTH_LANDING`` (``"desk.home"``)
    the endpoint a sign-in goes to when no ``next`` page was asked for; the account page
    (``auth.account``) when the application has no such endpoint.
``RATELIMIT_SIGN_IN`` (``"10 per minute; 100 per hour"``)
    per client address, on the sign-in and TOTP posts and the token endpoint.
``PERMANENT_SESSION_LIFETIME`` (9 hours unless set)
    how long a staff session lasts from sign-in, however active.
``SESSION_COOKIE_SECURE``
    from the environment variable of that name (``1``/``0``) when set; otherwise on when
    ``PHANANH_ENV`` (setting or environment) is ``production``, off otherwise (the local demo
    runs on plain http://127.0.0.1). ``PHANANH_INSECURE_COOKIES=1`` turns it off whatever else.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, redirect, request, session, url_for

from engine import accounts
from engine.services.lifecycle import Actor
from engine.store.models import ApiToken, User
from engine.throttle import Throttle
from engine.workflow import Role
from web.runtime import lifecycle
from web.security import production

SESSION_KEY = "staff_id"
#: A mark of the password hash the session was opened with: a new password ends the session.
MARK_KEY = "staff_mark"
#: When the session's sign-in happened (a Unix time): a session ends a lifetime after it.
SINCE_KEY = "staff_since"
#: Between the password and the TOTP code: ``{"user", "at", "next"}``.
PENDING_KEY = "auth_pending"
#: What survives the clearing of the session at sign-in and sign-out.
KEPT_KEYS = ("lang",)
SIGN_IN_LIMIT = "10 per minute; 100 per hour"
#: The settings of sign-in and their defaults (see the module's docstring).
DEFAULTS: dict[str, Any] = {
    "AUTH_FREE_FAILURES": 5,
    "AUTH_FREE_FAILURES_PER_CLIENT": 20,
    "AUTH_BACKOFF_SECONDS": 30,
    "AUTH_BACKOFF_MAX_MINUTES": 15,
    "AUTH_TOTP_ROLES": frozenset(),
    "AUTH_TOKEN_HOURS": 12,
    "AUTH_PENDING_MINUTES": 10,
    "AUTH_LANDING": "desk.home",
    "RATELIMIT_SIGN_IN": SIGN_IN_LIMIT,
}
View = TypeVar("View", bound=Callable[..., Any])

auth = Blueprint("auth", __name__)


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    display_name: str
    role: Role
    agency: str | None

    @property
    def actor(self) -> Actor:
        """The actor the use cases see: the person's name, role and agency."""
        return Actor(self.display_name, self.role, self.agency, self.username)

    @classmethod
    def of(cls, user: User) -> Staff:
        return cls(user.id, user.username, user.display_name, Role(user.role), user.agency)


def current_staff() -> Staff | None:
    if "phananh_staff" in g:
        return g.phananh_staff
    staff = None
    user_id = session.get(SESSION_KEY)
    if user_id is not None and not _session_expired():
        with lifecycle().uow.read() as db:
            user = db.get(User, user_id)
            if _still_valid(user):
                staff = Staff.of(user)  # type: ignore[arg-type]
    if staff is None:
        for key in (SESSION_KEY, SINCE_KEY, MARK_KEY):
            session.pop(key, None)
    g.phananh_staff = staff
    return staff


def _still_valid(user: User | None) -> bool:
    """The account still gives this session access: active, set up, and its password unchanged
    since the session opened (a reset ends the sessions opened with the old one)."""
    if user is None or not user.active or _needs_totp_setup(user):
        return False
    mark = session.get(MARK_KEY)
    return isinstance(mark, str) and hmac.compare_digest(mark, password_mark(user))


def password_mark(user: User) -> str:
    """What the session keeps of the account's password hash: a keyed digest, so the signed
    (but readable) cookie tells nothing of the hash, and any new password changes it."""
    key = current_app.secret_key
    key_bytes = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key_bytes, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def session_for(user: User) -> dict[str, Any]:
    """The session's values that sign ``user`` in from now (:func:`start_session`; tests)."""
    return {
        SESSION_KEY: user.id,
        SINCE_KEY: int(clock().timestamp()),
        MARK_KEY: password_mark(user),
    }


def keep_signed_in(user: User) -> None:
    """After the signed-in person gave their own account a new password: this session goes on
    (it is theirs), while every other session of the account ends."""
    if session.get(SESSION_KEY) == user.id:
        session[MARK_KEY] = password_mark(user)
        g.pop("phananh_staff", None)


def staff_required(*roles: Role) -> Callable[[View], View]:
    """Only signed-in staff (of one of ``roles``, when given); others go to the sign-in page."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            staff = current_staff()
            if staff is None:
                return redirect(url_for("auth.login", next=_here()))
            if roles and staff.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


# -- the API: bearer tokens ------------------------------------------------------------------------


def bearer_token() -> str | None:
    """The token of ``Authorization: Bearer <token>``, if the request has one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def bearer_staff() -> Staff | None:
    """The account of the request's bearer token; ``None`` without one, or when it is unknown,
    expired or revoked, or its account deactivated."""
    if "phananh_bearer" in g:
        return g.phananh_bearer
    staff, g.phananh_token_id = None, None
    token = bearer_token()
    if token is not None:
        now = clock()
        with lifecycle().uow.begin() as db:
            found = accounts.token_owner(db, token, now)
            if found is not None:
                row, user = found
                if row.last_used_at is None or now - row.last_used_at >= timedelta(minutes=1):
                    row.last_used_at = now  # once a minute at most: a trace, not a write per call
                staff, g.phananh_token_id = Staff.of(user), row.id
    g.phananh_bearer = staff
    return staff


def presented_token() -> ApiToken | None:
    """The row of the request's bearer token, once :func:`bearer_staff` has accepted it."""
    token_id = g.get("phananh_token_id") if bearer_staff() is not None else None
    return None if token_id is None else _detached(ApiToken, token_id)


def load_user(user_id: int) -> User | None:
    """The account, read and let go of (its values stay readable after the session ends)."""
    return _detached(User, user_id)


def _detached(kind: type[Any], key: int) -> Any:
    with lifecycle().uow.read() as db:
        found = db.get(kind, key)
        if found is not None:
            db.expunge(found)
        return found


def token_required(*roles: Role) -> Callable[[View], View]:
    """For API views: a valid bearer token (of one of ``roles``, when given), else 401 or 403
    problem details."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            from web.api.inputs import ApiProblem  # the API's refusals; imported when used

            staff = bearer_staff()
            if staff is None:
                presented = bearer_token() is not None
                raise ApiProblem(
                    401,
                    "Mã truy cập (Bearer) không đúng, đã hết hạn hoặc đã bị thu hồi; hãy lấy mã "
                    "mới tại /api/v1/auth/token."
                    if presented
                    else "Cần mã truy cập: gửi tiêu đề 'Authorization: Bearer <mã>' lấy tại "
                    "/api/v1/auth/token.",
                    "The bearer token is wrong, expired or revoked; get a new one at "
                    "/api/v1/auth/token."
                    if presented
                    else "A bearer token is required (Authorization: Bearer <token>); get one "
                    "at /api/v1/auth/token.",
                    code="invalid_token" if presented else "unauthorized",
                    headers={"WWW-Authenticate": www_authenticate(presented)},
                )
            if roles and staff.role not in roles:
                raise ApiProblem(
                    403,
                    "Vai trò của tài khoản không được dùng chức năng này.",
                    "The account's role may not use this.",
                    code="forbidden",
                )
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def www_authenticate(presented: bool) -> str:
    challenge = 'Bearer realm="phananh"'
    return f'{challenge}, error="invalid_token"' if presented else challenge


# -- what the pages and the API share ------------------------------------------------------------


def clock() -> datetime:
    """Now, by the application's clock (the use cases' clock, which tests may set)."""
    return lifecycle().now()


def setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


def policy() -> accounts.SignInPolicy:
    rule = Throttle(
        free_per_account=int(setting("AUTH_FREE_FAILURES")),
        free_per_client=int(setting("AUTH_FREE_FAILURES_PER_CLIENT")),
        first_wait=timedelta(seconds=float(setting("AUTH_BACKOFF_SECONDS"))),
        max_wait=timedelta(minutes=float(setting("AUTH_BACKOFF_MAX_MINUTES"))),
    )
    return accounts.SignInPolicy(
        throttle=rule, totp_roles=frozenset(setting("AUTH_TOTP_ROLES")), zone=lifecycle().zone
    )


def client_address() -> str | None:
    """The address the sign-in back-off counts failures by: the request's client, as the rate
    limits see it (behind a proxy, what the deployment's proxy set-up makes of it)."""
    return request.remote_addr


def sign_in_limit() -> str:
    return str(setting("RATELIMIT_SIGN_IN"))


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site (``/…``), else ``None``: no open redirect."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target or any(ord(c) < 0x21 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def start_session(user: User) -> Staff:
    """Sign ``user`` in: a new session (nothing of the old one but the language), kept for the
    configured lifetime from now."""
    _clear_session()
    session.update(session_for(user))
    session.permanent = True
    staff = Staff.of(user)
    g.phananh_staff = staff
    return staff


def end_session() -> None:
    _clear_session()
    session.permanent = False
    g.phananh_staff = None


def _clear_session() -> None:
    kept = {key: session[key] for key in KEPT_KEYS if key in session}
    session.clear()
    session.update(kept)
    g.pop("phananh_staff", None)


def _session_expired() -> bool:
    since = session.get(SINCE_KEY)
    if not isinstance(since, int):
        return False
    lifetime: timedelta = current_app.permanent_session_lifetime
    return clock().timestamp() - since > lifetime.total_seconds()


def _needs_totp_setup(user: User) -> bool:
    """The account's role now requires TOTP and it has none: it must set it up first."""
    return not user.totp_secret and user.role in setting("AUTH_TOTP_ROLES")


def _here() -> str:
    return request.full_path.removesuffix("?")


# -- setting up ------------------------------------------------------------------------------------


def totp_roles(values: Iterable[str] | str) -> frozenset[str]:
    """``AUTH_TOTP_ROLES`` as role codes; a comma-separated string is accepted too."""
    if isinstance(values, str):
        values = [v for v in values.replace(",", " ").split() if v]
    roles = set()
    known = {r.value for r in accounts.STAFF_ROLES}
    for value in values:
        code = str(value).strip()
        if code not in known:
            raise ValueError(
                f"AUTH_TOTP_ROLES: '{code}' is not a staff role; the roles are "
                f"{', '.join(sorted(known))}."
            )
        roles.add(code)
    return frozenset(roles)


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def secure_cookies(app: Flask) -> bool:
    """Whether the session cookie is sent over HTTPS only (see the module's docstring)."""
    if _flag(os.environ.get("PHANANH_INSECURE_COOKIES", "")):
        return False
    explicit = os.environ.get("SESSION_COOKIE_SECURE")
    if explicit is not None and explicit.strip():
        return _flag(explicit)
    if app.config.get("SESSION_COOKIE_SECURE"):
        return True
    return production(app.config.get("PHANANH_ENV"))


def init_app(app: Flask) -> None:
    """Settings of sign-in and of the session cookie, and the template helper ``signed_in_staff``
    (used by ``base.html``). Register the :data:`auth` blueprint as well."""
    from web import i18n

    config = app.config
    for name, default in DEFAULTS.items():
        config.setdefault(name, default)
    config["AUTH_TOTP_ROLES"] = totp_roles(config["AUTH_TOTP_ROLES"])
    if config["PERMANENT_SESSION_LIFETIME"] == Flask.default_config["PERMANENT_SESSION_LIFETIME"]:
        config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=9)  # a working day and some
    config["SESSION_COOKIE_HTTPONLY"] = True
    if config.get("SESSION_COOKIE_SAMESITE") is None:
        config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = secure_cookies(app)
    i18n.init_app(app)  # the pages extend base.html, which uses its helpers
    accounts.dummy_hash()  # made now, so that the first unknown username costs no more
    app.add_template_global(current_staff, "signed_in_staff")


# The pages attach themselves to ``auth`` when their module is imported.
from web import auth_pages  # noqa: E402, F401
