"""The back-off of failed sign-ins, per client address and account, and their audit.

A hard lock of the account after a few wrong passwords let anyone lock a colleague out from
anywhere, and its message told which names were accounts. Instead, every failure is written down
(:class:`~engine.store.models.SignInFailure`: when, from where, for which typed name, why), and
the next attempt is made to wait when there have been too many failures:

* from one client address for one name (an account or not: the same for both, so nothing tells
  them apart) — ``free_per_account`` failures are free, then each further one doubles the wait,
  from ``first_wait`` up to ``max_wait``;
* from one client address for all names together (someone trying many names) —
  ``free_per_client`` failures are free, then the same doubling.

Only failures of the last :data:`WINDOW` that have not been forgiven count. A complete sign-in
forgives the failures of its own address and name; an administrator can forgive all the failures
of a name (``phananh user unlock``). A stranger at another address therefore never makes the real
user wait. Rows are kept after they are forgiven: they are the audit.

Concurrent attempts may each pass the check before the others' failures are written; the
per-client rate limit of the sign-in endpoints bounds how many that can be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, type_coerce, update
from sqlalchemy.orm import Session

from engine.store.models import SignInFailure
from engine.store.types import UtcDateTime

#: How long a failure counts at most; older ones are only the audit.
WINDOW = timedelta(hours=24)
#: The stored columns' lengths (an IPv6 address is at most 45 characters; a typed name, 200).
CLIENT_MAX = 64
NAME_MAX = 200


@dataclass(frozen=True)
class Throttle:
    """How many failures are free, and how the wait grows after them."""

    free_per_account: int = 5
    free_per_client: int = 20
    first_wait: timedelta = timedelta(seconds=30)
    max_wait: timedelta = timedelta(minutes=15)

    def wait_after(self, failures: int, free: int) -> timedelta:
        """The wait after ``failures`` counted ones, of which ``free`` are free."""
        if failures < free:
            return timedelta(0)
        doublings = min(failures - free, 32)  # 2**32 × anything is beyond max_wait already
        return min(self.first_wait * (2**doublings), self.max_wait)


@dataclass(frozen=True)
class Attempt:
    """Who tries: the client's address and the name typed (normalised, as accounts are)."""

    client: str
    username: str

    @classmethod
    def of(cls, client: str | None, username: str) -> Attempt:
        return cls((client or "unknown")[:CLIENT_MAX], username.strip().lower()[:NAME_MAX])


def retry_at(session: Session, attempt: Attempt, now: datetime, rule: Throttle) -> datetime | None:
    """When ``attempt`` may be made again, if it must wait now; ``None`` when it may go ahead."""
    from_client = SignInFailure.client == attempt.client
    waits = [
        _until(session, now, rule, rule.free_per_account, from_client, _named(attempt.username)),
        _until(session, now, rule, rule.free_per_client, from_client),
    ]
    latest = max((w for w in waits if w is not None), default=None)
    return latest if latest is not None and latest > now else None


def record_failure(session: Session, attempt: Attempt, reason: str, now: datetime) -> None:
    """Write down one failure (``password`` or ``code``), in the caller's transaction."""
    session.add(
        SignInFailure(at=now, client=attempt.client, username=attempt.username, reason=reason)
    )
    session.flush()


def forgive(session: Session, attempt: Attempt, now: datetime) -> None:
    """A complete sign-in: the failures of this address for this name stop counting."""
    _forgive(session, now, SignInFailure.client == attempt.client, _named(attempt.username))


def forgive_account(session: Session, username: str, now: datetime) -> int:
    """An administrator lifts the back-off of a name, from every address; returns how many
    failures stopped counting."""
    return _forgive(session, now, _named(Attempt.of(None, username).username))


def recent_failures(session: Session, username: str, now: datetime) -> list[SignInFailure]:
    """The failures of the last :data:`WINDOW` for ``username`` still counting, newest first."""
    name = Attempt.of(None, username).username
    query = (
        select(SignInFailure)
        .where(_named(name), SignInFailure.forgiven_at.is_(None), SignInFailure.at > now - WINDOW)
        .order_by(SignInFailure.at.desc(), SignInFailure.id.desc())
    )
    return list(session.scalars(query))


def failure_counts(session: Session, now: datetime) -> dict[str, int]:
    """For each name, how many of its failures of the last :data:`WINDOW` still count."""
    rows = session.execute(
        select(SignInFailure.username, func.count())
        .where(SignInFailure.forgiven_at.is_(None), SignInFailure.at > now - WINDOW)
        .group_by(SignInFailure.username)
    )
    return {name: int(count) for name, count in rows}


def _named(username: str) -> ColumnElement[bool]:
    return SignInFailure.username == username


def _until(
    session: Session,
    now: datetime,
    rule: Throttle,
    free: int,
    *where: ColumnElement[bool],
) -> datetime | None:
    count, last = session.execute(
        select(func.count(), type_coerce(func.max(SignInFailure.at), UtcDateTime)).where(
            *where, SignInFailure.forgiven_at.is_(None), SignInFailure.at > now - WINDOW
        )
    ).one()
    wait = rule.wait_after(int(count or 0), free)
    if not wait or last is None:
        return None
    return last + wait


def _forgive(session: Session, now: datetime, *where: ColumnElement[bool]) -> int:
    result = session.execute(
        update(SignInFailure)
        .where(*where, SignInFailure.forgiven_at.is_(None))
        .values(forgiven_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
