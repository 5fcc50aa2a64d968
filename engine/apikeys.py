"""API keys for partners' and agencies' systems (Open311 ``POST requests``, R24).

A key is a random string shown once, when it is made; only its SHA-256 is stored, so a copy of
the database does not give anyone a working key. A key is named (one name, one key, for good):
revoking it keeps the row — and the name — on record, and a revoked key is refused from then on.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.services.errors import Conflict, InvalidInput, NotFound
from engine.store.models import ApiKey

#: The longest name the table holds.
NAME_MAX = 100


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(session: Session, name: str, *, at: datetime | None = None) -> str:
    """Make a key called ``name``; return the key itself (the only time it is ever seen)."""
    name = _checked_name(name)
    taken = session.scalars(select(ApiKey).where(ApiKey.name == name)).one_or_none()
    if taken is not None:
        state = " (đã thu hồi)" if taken.revoked_at else ""
        raise Conflict(
            f"Tên khóa '{name}' đã được dùng{state}; hãy chọn tên khác.",
            f"The key name '{name}' is already taken; choose another name.",
            field="name",
        )
    key = secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_hash=key_hash(key), created_at=at or datetime.now(UTC)))
    session.flush()
    return key


def revoke(session: Session, name: str, *, at: datetime | None = None) -> ApiKey:
    """Revoke the key called ``name``: from now on it is refused. Its row stays on record."""
    found = session.scalars(select(ApiKey).where(ApiKey.name == name.strip())).one_or_none()
    if found is None:
        raise NotFound(f"Không có khóa nào tên '{name}'.", f"There is no key named '{name}'.")
    if found.revoked_at is not None:
        raise Conflict(
            f"Khóa '{found.name}' đã bị thu hồi trước đó.",
            f"The key '{found.name}' was already revoked.",
        )
    found.revoked_at = at or datetime.now(UTC)
    session.flush()
    return found


def check(session: Session, key: str | None) -> ApiKey | None:
    """The key's row if ``key`` is a key that was made here and is not revoked, else ``None``."""
    if not key:
        return None
    return session.scalars(
        select(ApiKey).where(ApiKey.key_hash == key_hash(key), ApiKey.revoked_at.is_(None))
    ).one_or_none()


def all_keys(session: Session) -> Sequence[ApiKey]:
    """Every key made, in name order, revoked ones included (they carry ``revoked_at``)."""
    return session.scalars(select(ApiKey).order_by(ApiKey.name)).all()


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX or any(not c.isprintable() for c in name):
        raise InvalidInput(
            f"Tên khóa phải có từ 1 đến {NAME_MAX} ký tự in được.",
            f"A key name must be 1 to {NAME_MAX} printable characters.",
            field="name",
        )
    return name
