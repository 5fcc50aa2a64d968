"""Staff accounts: creating them, checking passwords, the sign-in rule, API bearer tokens.

Passwords are kept only as a salted, slow hash (scrypt), written ``scrypt$N$r$p$salt$digest`` so
that the cost can be raised later without breaking the passwords already stored.

The sign-in rule (:func:`authenticate`, :func:`verify_totp`) is shared by the staff pages and the
API's token endpoint:

* one answer for an unknown username and for a wrong password, after the same work (one scrypt),
  so that usernames cannot be probed;
* no account is ever locked: failed passwords and codes are written down and throttled per
  client address and account, and per client address (:mod:`engine.throttle`), with a wait that
  doubles after the free ones; the wait is the same for a name that is no account, and a
  stranger at another address never makes the account's owner wait; a complete sign-in forgives
  its own address's failures;
* an account with a TOTP secret, or of a role that requires one, must give a code as well; a
  wrong code is a failure like a wrong password, forgiven only once the code is right, so knowing
  the password does not give unlimited guesses at the code.

A refusal raises :class:`SignInRefused` *after* writing the failure to the session: the caller
must catch it inside its unit of work, so that the failure is committed.

API tokens are random (``secrets.token_urlsafe(32)``), shown once, and stored as their SHA-256;
one is refused once expired or revoked, or once its account is deactivated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

import pyotp
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine import throttle
from engine.config.snapshot import Agency
from engine.store.models import AccountChange, ApiToken, User
from engine.throttle import Attempt, Throttle
from engine.timefmt import when_vi
from engine.workflow import Role

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10
#: Longer input is refused before hashing: a password is not a document.
MAX_PASSWORD = 1024
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")
#: Roles that act for one agency (Đ14.1: its leader and its focal officer) and must name it.
AGENCY_ROLES = frozenset({Role.OFFICER, Role.LEADER})
#: Who may open the administration (``/admin``); only the editors may change anything there.
ADMINISTRATION_EDITORS = frozenset({Role.OPERATOR_ADMIN})
ADMINISTRATION_READERS = frozenset({Role.OPERATOR_ADMIN, Role.AUDITOR})
#: Roles that have accounts: everyone but the citizen who reports.
STAFF_ROLES = tuple(r for r in Role if r is not Role.REPORTER)
#: Kinds of agency that do not handle reports themselves, so Đ14.1 asks no leader and focal
#: officer of them: the IOC forwards reports (Đ6, Đ7), the province's committee receives only
#: escalations (Đ3.8). Every other agency of the configuration is a handling agency (Đ2.3).
NOT_HANDLING_KINDS = frozenset({"trung_tam", "ubnd_tinh"})
MAX_DISPLAY_NAME = 200
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
TOTP_DIGITS = re.compile(r"\d{6}")
TOKEN_MAX = 200

WRONG_VI = "Tên đăng nhập hoặc mật khẩu không đúng."
WRONG_EN = "The username or password is wrong."


# -- passwords -------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    encode = base64.b64encode
    return (
        f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"
    )


def check_password(password: str, stored: str) -> bool:
    if len(password) > MAX_PASSWORD:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(actual, expected)


@cache
def dummy_hash() -> str:
    """What an unknown username's password is checked against, so that it costs the same time."""
    return hash_password(secrets.token_urlsafe(16))


def normal_username(username: str) -> str:
    return username.strip().lower()


def password_problem(password: str) -> str | None:
    """Why ``password`` can't be an account's password (Vietnamese, with the English), or None."""
    if len(password) < MIN_PASSWORD:
        return f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự (password too short)."
    if len(password) > MAX_PASSWORD:
        return f"Mật khẩu dài quá {MAX_PASSWORD} ký tự (password too long)."
    if not password.strip():
        return "Mật khẩu không được chỉ gồm khoảng trắng (password is blank)."
    return None


# -- accounts --------------------------------------------------------------------------------------


class AccountRefused(ValueError):
    """A refused account change. ``str()`` is the sentence the command line prints (Vietnamese,
    then English); ``field`` names what was wrong (``username``, ``password``, ``display_name``,
    ``role``, ``agency``, ``account``) and ``form_vi`` says it in Vietnamese beside a form's field."""

    def __init__(self, message: str, field: str, form_vi: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.form_vi = form_vi or message


def check_role_agency(role: Role | str, agency: str | None) -> Role:
    """The role as a :class:`Role`, if an account may have it with ``agency`` (Đ14.1): officers
    and leaders work for one agency and must name it; other staff must not; reporters have no
    account. Whether the agency exists is for the caller to check against the configuration."""
    try:
        role = Role(role)
    except ValueError:
        raise AccountRefused(
            f"Vai trò '{role}' không có (unknown role).", "role", "Vai trò không hợp lệ."
        ) from None
    if role is Role.REPORTER:
        raise AccountRefused(
            "Người phản ánh không có tài khoản cán bộ (reporters have no account).", "role"
        )
    if role in AGENCY_ROLES and not agency:
        raise AccountRefused(
            f"Vai trò {role.value} cần cơ quan (--agency MÃ) (an {role.value} needs an agency).",
            "agency",
            "Lãnh đạo cơ quan và cán bộ đầu mối làm việc cho một cơ quan: hãy chọn cơ quan "
            "(Điều 14 khoản 1).",
        )
    if role not in AGENCY_ROLES and agency:
        raise AccountRefused(
            f"Vai trò {role.value} không thuộc cơ quan nào; bỏ --agency "
            f"(an {role.value} has no agency).",
            "agency",
            "Vai trò này không thuộc cơ quan nào: hãy để trống ô Cơ quan.",
        )
    return role


def _display_name(display_name: str | None, username: str) -> str:
    name = (display_name or "").strip() or username
    if len(name) > MAX_DISPLAY_NAME:
        raise AccountRefused(
            f"Họ tên dài quá {MAX_DISPLAY_NAME} ký tự (display name too long).", "display_name"
        )
    return name


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str | None = None,
    agency: str | None = None,
    email: str | None = None,
    at: datetime | None = None,
) -> User:
    """Add an account; refuse a short password, a bad or taken name, or an agency out of place.

    Officers and leaders work for one agency and must name it; other staff must not (whether the
    agency exists is for the caller to check against the configuration).
    """
    username = normal_username(username)
    if not USERNAME.fullmatch(username):
        raise AccountRefused(
            f"Tên đăng nhập '{username}' không hợp lệ: 2–60 ký tự a-z, 0-9, dấu chấm, gạch "
            "ngang, gạch dưới, bắt đầu bằng chữ hoặc số (invalid username).",
            "username",
        )
    problem = password_problem(password)
    if problem:
        raise AccountRefused(problem, "password")
    role = check_role_agency(role, agency)
    name = _display_name(display_name, username)
    if find_user(session, username) is not None:
        raise AccountRefused(f"Tài khoản '{username}' đã tồn tại (username taken).", "username")
    user = User(
        username=username,
        display_name=name,
        role=role,
        agency=agency,
        email=(email or "").strip() or None,
        password_hash=hash_password(password),
        created_at=at or datetime.now(UTC),
        active=True,
        failed_logins=0,
    )
    session.add(user)
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == normal_username(username))).first()


def existing(session: Session, username: str) -> User:
    """The account named ``username``; ``ValueError`` when there is none."""
    user = find_user(session, username)
    if user is None:
        raise AccountRefused(
            f"Không có tài khoản '{normal_username(username)}' (no such account).", "account"
        )
    return user


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def record_change(session: Session, *, actor: str, username: str, what: str, at: datetime) -> None:
    """Record who changed ``username``'s account, when and how — in the change's transaction."""
    session.add(AccountChange(at=at, actor=actor, username=username, what=what))


def changes(session: Session, username: str | None = None, limit: int = 200) -> list[AccountChange]:
    """The latest account changes (of one account when ``username`` is given), newest first."""
    query = select(AccountChange).order_by(AccountChange.at.desc(), AccountChange.id.desc())
    if username is not None:
        query = query.where(AccountChange.username == username)
    return list(session.scalars(query.limit(limit)))


def deactivate(session: Session, username: str, now: datetime) -> User:
    """Stop an account: its sessions end at their next request, its API tokens are revoked."""
    user = existing(session, username)
    user.active = False
    revoke_tokens(session, user, now)
    return user


def activate(session: Session, username: str) -> User:
    user = existing(session, username)
    user.active = True
    return user


def unlock(session: Session, username: str, now: datetime) -> int:
    """Lift the back-off of an account: its failed sign-ins, from every address, stop counting
    (they stay in the audit). Returns how many did."""
    user = existing(session, username)
    user.failed_logins = 0  # the columns of the former hard lock, cleared for old rows
    user.locked_until = None
    return throttle.forgive_account(session, user.username, now)


def reset_totp(session: Session, username: str) -> User:
    """Forget the account's TOTP secret (a lost phone): it sets up a new one at the next sign-in
    if its role requires one."""
    user = existing(session, username)
    user.totp_secret = None
    return user


def change_user(
    session: Session,
    username: str,
    *,
    role: Role | str,
    agency: str | None,
    display_name: str | None,
) -> dict[str, tuple[str | None, str | None]]:
    """Give an account another role, agency or display name, with the checks of
    :func:`create_user`; returns what changed, ``{field: (before, after)}``."""
    user = existing(session, username)
    agency = (agency or "").strip() or None
    role = check_role_agency(role, agency)
    after = {
        "role": role.value,
        "agency": agency,
        "display_name": _display_name(display_name, user.username),
    }
    changes: dict[str, tuple[str | None, str | None]] = {}
    for name, value in after.items():
        before = getattr(user, name)
        if before != value:
            changes[name] = (before, value)
            setattr(user, name, value)
    return changes


def set_password(session: Session, username: str, password: str, now: datetime) -> int:
    """Give an account a new password (one its owner is told, to change at once); returns how
    many of its API tokens were revoked.

    A reset is what follows a password that leaked: whoever held it must lose what it gave them.
    Like :func:`deactivate`, the account's API tokens are revoked; its sessions end at their next
    request, as each carries a mark of the password hash it was opened with (``web.auth``).
    """
    problem = password_problem(password)
    if problem:
        raise AccountRefused(problem, "password")
    user = existing(session, username)
    user.password_hash = hash_password(password)
    return revoke_tokens(session, user, now)


@dataclass(frozen=True)
class Coverage:
    """Whether a handling agency has the people Đ14.1 asks of it: its active leaders and focal
    officers (``officer`` accounts)."""

    agency: Agency
    leaders: int
    officers: int

    @property
    def complete(self) -> bool:
        return self.leaders > 0 and self.officers > 0


def coverage(session: Session, agencies: Iterable[Agency], on: date) -> list[Coverage]:
    """Đ14.1 for each handling agency in effect ``on`` (all but :data:`NOT_HANDLING_KINDS`), in
    the order given."""
    counts: dict[tuple[str, str], int] = {}
    rows = session.execute(
        select(User.agency, User.role, func.count())
        .where(User.active.is_(True), User.role.in_([r.value for r in AGENCY_ROLES]))
        .group_by(User.agency, User.role)
    )
    for agency, role, count in rows:
        counts[(agency, role)] = count
    return [
        Coverage(
            a,
            counts.get((a.code, Role.LEADER.value), 0),
            counts.get((a.code, Role.OFFICER.value), 0),
        )
        for a in agencies
        if a.kind not in NOT_HANDLING_KINDS and a.effective.covers(on)
    ]


# -- signing in ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInPolicy:
    """How sign-in is guarded. ``totp_roles`` are the role codes whose accounts need a TOTP code;
    an account that has set up a secret needs one whatever its role. ``throttle``: the back-off
    of failures per client address and account (:mod:`engine.throttle`)."""

    throttle: Throttle = Throttle()
    totp_roles: frozenset[str] = frozenset()
    zone: tzinfo = VIETNAM

    def needs_totp(self, user: User) -> bool:
        return bool(user.totp_secret) or user.role in self.totp_roles


class SignInRefused(Exception):
    """A refused sign-in: a sentence in Vietnamese and in English; ``retry_at`` when it must wait.

    ``reason`` is ``wrong`` (unknown username or wrong password), ``code`` (wrong TOTP code),
    ``throttled`` (too many failures from this address) or ``inactive``.
    """

    def __init__(
        self,
        message_vi: str,
        message_en: str,
        retry_at: datetime | None = None,
        *,
        reason: str = "wrong",
    ) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.retry_at = retry_at
        self.reason = reason


def authenticate(
    session: Session,
    username: str,
    password: str,
    now: datetime,
    policy: SignInPolicy = SignInPolicy(),
    *,
    client: str | None = None,
) -> User:
    """The password step, from the address ``client``. Returns the account, or raises
    :class:`SignInRefused`.

    An unknown name and a wrong password get the same answer after the same work (one scrypt)
    and are written down alike; a name that must wait gets the same answer whether it is an
    account or not, and no password is checked then. When the account needs no TOTP code, the
    sign-in is complete here; otherwise it is completed by :func:`verify_totp`.
    """
    attempt = Attempt.of(client, username)
    _wait_if_throttled(session, attempt, now, policy)
    user = find_user(session, username) if len(username) <= throttle.NAME_MAX else None
    stored = user.password_hash if user is not None else dummy_hash()
    if not check_password(password, stored) or user is None:
        throttle.record_failure(session, attempt, "password", now)
        raise SignInRefused(WRONG_VI, WRONG_EN)
    if not user.active:
        raise SignInRefused(
            "Tài khoản này đã ngừng hoạt động; hãy liên hệ quản trị hệ thống.",
            "This account has been deactivated; contact the administrator.",
            reason="inactive",
        )
    if not policy.needs_totp(user):
        complete_sign_in(session, user, now, client=client)
    return user


def verify_totp(
    session: Session,
    user: User,
    code: str,
    now: datetime,
    policy: SignInPolicy = SignInPolicy(),
    *,
    client: str | None = None,
) -> None:
    """The second step: ``code`` from the account's authenticator app. A wrong code counts as a
    failure of this address for this account, so that knowing the password does not give
    unlimited guesses at the code; a right one completes the sign-in."""
    attempt = Attempt.of(client, user.username)
    _wait_if_throttled(session, attempt, now, policy)
    if not user.active:
        raise SignInRefused(
            "Tài khoản này đã ngừng hoạt động; hãy liên hệ quản trị hệ thống.",
            "This account has been deactivated; contact the administrator.",
            reason="inactive",
        )
    if not user.totp_secret or not totp_matches(user.totp_secret, code, now):
        throttle.record_failure(session, attempt, "code", now)
        raise SignInRefused(
            "Mã xác thực không đúng hoặc đã hết hạn; hãy nhập mã đang hiện trên ứng dụng.",
            "The authentication code is wrong or has expired.",
            reason="code",
        )
    complete_sign_in(session, user, now, client=client)


def complete_sign_in(
    session: Session, user: User, now: datetime, *, client: str | None = None
) -> None:
    """Both steps done: the failures of this address for this account stop counting."""
    throttle.forgive(session, Attempt.of(client, user.username), now)
    user.last_login_at = now


def _wait_if_throttled(
    session: Session, attempt: Attempt, now: datetime, policy: SignInPolicy
) -> None:
    until = throttle.retry_at(session, attempt, now, policy.throttle)
    if until is None:
        return
    when = when_vi(until, policy.zone)
    raise SignInRefused(
        f"Đăng nhập sai nhiều lần từ địa chỉ này; vui lòng thử lại sau {when}.",
        f"Too many failed sign-ins from this address; try again after {when}.",
        until,
        reason="throttled",
    )


# -- TOTP (RFC 6238, as authenticator apps make it) -----------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads (from a QR code, or typed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def totp_matches(secret: str, code: str, now: datetime) -> bool:
    """Is ``code`` the code of ``now`` (or of the 30 seconds either side, for clock drift)?"""
    code = re.sub(r"\s", "", code or "")
    if not TOTP_DIGITS.fullmatch(code):
        return False
    return pyotp.TOTP(secret).verify(code, for_time=int(now.timestamp()), valid_window=1)


def enable_totp(user: User, secret: str) -> None:
    if user.totp_secret:
        raise ValueError(
            "Tài khoản đã bật xác thực hai bước (two-factor authentication is already set up)."
        )
    user.totp_secret = secret


# -- API tokens ------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, user: User, now: datetime, lifetime: timedelta
) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``: the token itself (shown once) and its stored row."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id, token_hash=token_hash(token), created_at=now, expires_at=now + lifetime
    )
    session.add(row)
    session.flush()
    return token, row


def token_owner(session: Session, token: str, now: datetime) -> tuple[ApiToken, User] | None:
    """The token's row and its account, if the token is known, unexpired, unrevoked and its
    account active."""
    if not token or len(token) > TOKEN_MAX:
        return None
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return row, user


def live_tokens(session: Session, user: User, now: datetime) -> int:
    """How many of ``user``'s tokens are still in force (unexpired, unrevoked)."""
    return int(
        session.scalar(
            select(func.count()).where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
            )
        )
        or 0
    )


def revoke_tokens(session: Session, user: User, now: datetime) -> int:
    """Revoke every token of ``user`` still in force; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
