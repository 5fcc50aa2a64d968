"""Staff accounts: creating them and checking passwords, with a salted, slow hash (scrypt).

The hash is ``scrypt$N$r$p$salt$digest`` so that its cost can be raised later without breaking the
passwords already stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import User
from engine.workflow import Role

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    encode = base64.b64encode
    return (
        f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"
    )


def check_password(password: str, stored: str) -> bool:
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


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str | None = None,
    agency: str | None = None,
) -> User:
    """Add an account; refuse a short password or a name already taken."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự (password too short).")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise ValueError(f"Tài khoản '{username}' đã tồn tại (username taken).")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        agency=agency,
        password_hash=hash_password(password),
        created_at=datetime.now(UTC),
    )
    session.add(user)
    return user
