"""Following the version in force from a running process: a cheap check, then one swap.

A :class:`LiveConfig` holds what a process built from the version in force — for the web, a
:class:`~engine.services.lifecycle.Lifecycle` (snapshot, calendar, rules engine, version id) —
as one immutable :class:`Loaded` value. :meth:`LiveConfig.current` returns it; at most every
``interval`` seconds it first asks the database for the id of the version in force (one small
query). When that id changed — a new version, a rollback, a scheduled version whose time has
come — the new version's files are validated into a snapshot and the new value is built
*completely*; only then is the reference replaced, in one assignment. A caller that took the
value once (a request, a worker's pass) uses the old configuration or the new one throughout,
never a mixture. A check that fails (database away, files that no longer validate) is logged and
the old value kept; the next check tries again.

Only one thread checks at a time; the others keep using the current value meanwhile instead of
waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from engine.config.snapshot import Snapshot
from engine.configstore import versions
from engine.store.db import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds between two checks unless told otherwise.
DEFAULT_INTERVAL = 2.0


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """What was built from one version: its id, its snapshot, and the built value."""

    version_id: int
    snapshot: Snapshot
    value: T


class LiveConfig(Generic[T]):
    """The value built from the version in force, rebuilt when another version comes in force.

    ``build(version_id, snapshot)`` makes the value (it must not touch the current one);
    ``on_change(loaded)`` is told after each swap. ``clock`` (monotonic seconds) and ``now``
    (the instant compared with ``active_from``) are injectable for tests.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        initial: Loaded[T],
        build: Callable[[int, Snapshot], T],
        *,
        interval: float = DEFAULT_INTERVAL,
        on_change: Callable[[Loaded[T]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.uow = uow
        self.interval = max(float(interval), 0.0)
        self._build = build
        self._on_change = on_change
        self._clock = clock
        self._now = now
        self._lock = threading.Lock()
        self._loaded = initial
        self._checked = clock()

    @property
    def loaded(self) -> Loaded[T]:
        """The current value, without checking the database."""
        return self._loaded

    def current(self) -> Loaded[T]:
        """The current value, after a check of the database if one is due."""
        if self._due() and self._lock.acquire(blocking=False):
            try:
                if self._due():
                    self._refresh()
            finally:
                self._lock.release()
        return self._loaded

    def check(self) -> bool:
        """Check now (waiting for a check in progress); ``True`` if another version came in."""
        with self._lock:
            return self._refresh()

    def _due(self) -> bool:
        return self._clock() - self._checked >= self.interval

    def _refresh(self) -> bool:
        self._checked = self._clock()
        try:
            with self.uow.read() as session:
                version_id = versions.active_id(session, self._now())
                if version_id is None or version_id == self._loaded.version_id:
                    return False
                version = versions.get(session, version_id)
                snapshot = versions.snapshot_of(version)
            fresh = Loaded(version_id, snapshot, self._build(version_id, snapshot))
        except Exception:  # noqa: BLE001 - keep serving with the configuration we have
            log.exception(
                "configuration reload failed; keeping version %s", self._loaded.version_id
            )
            return False
        previous, self._loaded = self._loaded, fresh
        log.info("configuration: version %s in force (was %s)", version_id, previous.version_id)
        if self._on_change is not None:
            self._on_change(fresh)
        return True
