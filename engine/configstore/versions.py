"""Configuration versions: create (validated), activate now or later, restore, list, export.

Every function takes the caller's SQLAlchemy session and neither commits nor rolls back: the
caller's unit of work decides (``with uow.begin() as session: create(session, …)``). A refused
change raises before anything is added to the session — :class:`ConfigInvalid` (every
``FILE:LINE`` error of the files) or a :class:`~engine.services.errors.DomainError` — so the
version in force stays.

The version in force at an instant ``t`` is the one with the latest ``active_from`` not after
``t`` (the higher id on a tie). Putting a version in force "from a date" is nothing more than a
future ``active_from``: every process that asks for the active version at or after that instant
gets it (:mod:`engine.configstore.live`).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.config.loader import FILE_NAME, config_files, load, load_files
from engine.config.snapshot import Snapshot
from engine.configstore.diff import unified
from engine.services.errors import Conflict, InvalidInput, NotFound
from engine.store.db import UnitOfWork
from engine.store.models import ConfigVersion
from engine.store.versions import digest_of, record

#: How far in the past ``active_from`` may be and still mean "now" (clocks, a slow form).
PAST_TOLERANCE = timedelta(minutes=1)


class NoChange(InvalidInput):
    """The files are those of the version that would be in force anyway: no version is made."""

    code = "no_change"

    def __init__(self, version_id: int) -> None:
        super().__init__(
            f"Không có thay đổi so với phiên bản {version_id}: không tạo phiên bản mới.",
            f"Nothing differs from version {version_id}: no new version was made.",
        )
        self.version_id = version_id


class Status(StrEnum):
    ACTIVE = "active"  # in force now
    SCHEDULED = "scheduled"  # in force from a future instant
    SUPERSEDED = "superseded"  # was (or would have been) in force, replaced since
    INACTIVE = "inactive"  # never put in force (recorded, or a cancelled schedule)


STATUS_VI = {
    Status.ACTIVE: "đang áp dụng",
    Status.SCHEDULED: "chờ áp dụng",
    Status.SUPERSEDED: "đã thay thế",
    Status.INACTIVE: "không áp dụng",
}


@dataclass(frozen=True)
class VersionInfo:
    """One row of the history: who, when, why, and where the version stands now.

    ``until`` is when the next version took (or takes) over, for one that was put in force.
    """

    id: int
    created_at: datetime
    author: str
    reason: str
    source: str
    digest: str
    active_from: datetime | None
    until: datetime | None
    parent_id: int | None
    restored_from_id: int | None
    status: Status

    @property
    def active(self) -> bool:
        return self.status is Status.ACTIVE

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "author": self.author,
            "reason": self.reason,
            "source": self.source,
            "digest": self.digest,
            "active_from": self.active_from.isoformat() if self.active_from else None,
            "until": self.until.isoformat() if self.until else None,
            "parent_id": self.parent_id,
            "restored_from_id": self.restored_from_id,
            "status": str(self.status),
            "active": self.active,
        }


# -- reading --------------------------------------------------------------------------------------


def _in_force(at: datetime):  # noqa: ANN202 - a Select
    return (
        select(ConfigVersion)
        .where(ConfigVersion.active_from.is_not(None), ConfigVersion.active_from <= at)
        .order_by(ConfigVersion.active_from.desc(), ConfigVersion.id.desc())
        .limit(1)
    )


def active(session: Session, at: datetime | None = None) -> ConfigVersion | None:
    """The version in force at ``at`` (default: now), or ``None`` before the first one."""
    return session.scalars(_in_force(_aware(at or _now(), "at"))).first()


def active_id(session: Session, at: datetime | None = None) -> int | None:
    """The id of the version in force at ``at``: one small query, for the reload check."""
    query = _in_force(_aware(at or _now(), "at")).with_only_columns(ConfigVersion.id)
    return session.scalars(query).first()


def get(session: Session, version_id: int) -> ConfigVersion:
    version = session.get(ConfigVersion, version_id)
    if version is None:
        raise NotFound(
            f"Không có phiên bản cấu hình {version_id}.",
            f"There is no configuration version {version_id}.",
            field="version",
        )
    return version


def history(session: Session, now: datetime | None = None) -> list[VersionInfo]:
    """Every version, newest first, with where it stands at ``now``."""
    now = _aware(now or _now(), "now")
    rows = list(session.scalars(select(ConfigVersion).order_by(ConfigVersion.id.desc())))
    scheduled = sorted(
        (v for v in rows if v.active_from is not None), key=lambda v: (v.active_from, v.id)
    )
    until = {
        v.id: scheduled[i + 1].active_from if i + 1 < len(scheduled) else None
        for i, v in enumerate(scheduled)
    }
    current = active_id(session, now)
    infos = []
    for v in rows:
        if v.id == current:
            status = Status.ACTIVE
        elif v.active_from is None:
            status = Status.INACTIVE
        elif v.active_from > now:
            status = Status.SCHEDULED
        else:
            status = Status.SUPERSEDED
        infos.append(
            VersionInfo(
                id=v.id,
                created_at=v.created_at,
                author=v.author,
                reason=v.reason,
                source=v.source,
                digest=v.digest,
                active_from=v.active_from,
                until=until.get(v.id),
                parent_id=v.parent_id,
                restored_from_id=v.restored_from_id,
                status=status,
            )
        )
    return infos


_snapshots: OrderedDict[tuple[str, int], Snapshot] = OrderedDict()
_snapshots_lock = threading.Lock()


def snapshot_of(version: ConfigVersion) -> Snapshot:
    """The validated snapshot of ``version``'s files (kept for the last few versions asked).

    Raises :class:`ConfigInvalid` for files that no longer validate (a check added to the code
    since the version was made): the caller keeps the configuration it has.
    """
    key = (version.digest, version.id)
    with _snapshots_lock:
        if key in _snapshots:
            _snapshots.move_to_end(key)
            return _snapshots[key]
    return _remember(version, load_files(version.files, source=_source(version.id)))


def _source(version_id: int) -> str:
    """What a version's snapshot says it was read from (``Snapshot.source``)."""
    return f"config_versions:{version_id}"


def _remember(version: ConfigVersion, snapshot: Snapshot) -> Snapshot:
    with _snapshots_lock:
        _snapshots[(version.digest, version.id)] = snapshot
        while len(_snapshots) > 8:
            _snapshots.popitem(last=False)
    return snapshot


def diff(old: ConfigVersion | Mapping[str, str], new: ConfigVersion | Mapping[str, str]) -> str:
    """The unified diff, file by file, from ``old`` to ``new`` (versions or ``{name: text}``)."""
    return unified(_files(old), _files(new))


# -- changing -------------------------------------------------------------------------------------


def create(
    session: Session,
    files: Mapping[str, str],
    *,
    author: str,
    reason: str,
    active_from: datetime | None = None,
    base_id: int | None = None,
    source: str = "",
    restored_from_id: int | None = None,
    now: datetime | None = None,
) -> ConfigVersion:
    """Validate ``files`` and add them as a new version, in force from ``active_from`` (now).

    ``base_id``, when given, is the version the change was made from (an edit form's): if
    another version has been put in force since, the change is refused (:class:`Conflict`)
    rather than silently undoing the other one. The parent (and the diff) is the version that
    would be in force just before the new one starts. Refused, with nothing added: invalid files
    (:class:`ConfigInvalid`), no author or reason, an ``active_from`` in the past, files equal to
    the parent's (:class:`NoChange`).
    """
    now = _aware(now or _now(), "now")
    author, reason = (author or "").strip(), (reason or "").strip()
    if not author:
        raise InvalidInput(
            "Cần ghi người thay đổi cấu hình.", "The author of the change is required.", "author"
        )
    if not reason:
        raise InvalidInput(
            "Cần ghi lý do thay đổi cấu hình.", "The reason for the change is required.", "reason"
        )
    when = now if active_from is None else _aware(active_from, "active_from")
    if when < now - PAST_TOLERANCE:
        raise InvalidInput(
            f"Thời điểm áp dụng {when.isoformat()} đã qua; chọn bây giờ hoặc một thời điểm sau.",
            f"The activation time {when.isoformat()} has passed; choose now or a later time.",
            "active_from",
        )
    when = max(when, now)
    files = {name: files[name] for name in sorted(files)}
    snapshot = load_files(files)  # ConfigInvalid: every FILE:LINE error, nothing written
    if base_id is not None:
        current = active_id(session, now)
        if current != base_id:
            raise Conflict(
                f"Cấu hình đã được thay đổi (phiên bản {current} đang áp dụng, bạn sửa từ phiên "
                f"bản {base_id}); hãy tải lại và thực hiện lại.",
                f"The configuration has changed (version {current} is in force, you edited "
                f"version {base_id}); reload and try again.",
            )
    digest = digest_of(files)
    parent = active(session, when)
    if parent is not None and parent.digest == digest:
        raise NoChange(parent.id)
    version = ConfigVersion(
        digest=digest,
        created_at=now,
        author=author[:100],
        reason=reason,
        source=source[:500],
        files=files,
        active_from=when,
        parent_id=parent.id if parent is not None else None,
        restored_from_id=restored_from_id,
        diff=unified(parent.files, files) if parent is not None else "",
    )
    session.add(version)
    session.flush()
    _remember(version, dataclasses.replace(snapshot, source=_source(version.id)))
    return version


def rollback(
    session: Session,
    version_id: int,
    *,
    author: str,
    reason: str = "",
    base_id: int | None = None,
    now: datetime | None = None,
) -> ConfigVersion:
    """Restore version ``version_id`` as a new version in force at once (its history stays)."""
    earlier = get(session, version_id)
    return create(
        session,
        earlier.files,
        author=author,
        reason=(reason or "").strip() or f"Khôi phục phiên bản {version_id}",
        base_id=base_id,
        source=_source(version_id),
        restored_from_id=version_id,
        now=now,
    )


def cancel(session: Session, version_id: int, *, now: datetime | None = None) -> ConfigVersion:
    """Withdraw a scheduled version before its time: it is kept, never put in force."""
    now = _aware(now or _now(), "now")
    version = get(session, version_id)
    if version.active_from is None or version.active_from <= now:
        raise InvalidInput(
            f"Phiên bản {version_id} không phải phiên bản chờ áp dụng; chỉ hủy được phiên bản "
            "chưa đến thời điểm áp dụng (muốn quay lại cấu hình cũ: khôi phục phiên bản đó).",
            f"Version {version_id} is not scheduled; only a version whose time has not come can "
            "be cancelled (to go back, restore the earlier version).",
            "version",
        )
    version.active_from = None
    session.flush()
    return version


def bootstrap(
    uow: UnitOfWork, directory: Path, author: str, snapshot: Snapshot | None = None
) -> tuple[int, Snapshot]:
    """The version in force and its snapshot; with none yet, ``directory``'s files recorded.

    A new database has no version: the directory (``config/``) is validated and recorded as the
    first version, in force at once. Once there is one in force, the directory is not read.
    """
    with uow.read() as session:
        version = active(session)
        if version is not None:
            return version.id, snapshot_of(version)
    snapshot = snapshot or load(directory)
    version_id = record(uow, Path(directory), author, f"Cấu hình ban đầu từ thư mục {directory}")
    return version_id, snapshot


def export(version: ConfigVersion, directory: Path, *, replace: bool = False) -> list[Path]:
    """Write ``version``'s files under ``directory`` (made if missing); return them.

    A directory that holds anything already is refused unless ``replace``: then the
    configuration files in it that the version lacks are deleted (so that importing the
    directory gives this version back) and other files are left alone.
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise InvalidInput(
            f"'{root}' không phải thư mục.", f"'{root}' is not a directory.", "directory"
        )
    if root.is_dir() and any(root.iterdir()) and not replace:
        raise InvalidInput(
            f"Thư mục '{root}' không trống; chọn thư mục khác hoặc dùng --force để ghi đè.",
            f"The directory '{root}' is not empty; choose another or use --force to overwrite.",
            "directory",
        )
    bad = sorted(name for name in version.files if not FILE_NAME.match(name))
    if bad:
        raise InvalidInput(
            f"Phiên bản {version.id} có tên tệp không hợp lệ: {', '.join(bad)}.",
            f"Version {version.id} has invalid file names: {', '.join(bad)}.",
        )
    if root.is_dir():
        for stale in set(config_files(root)) - set(version.files):
            (root / stale).unlink()
    written = []
    for name, text in sorted(version.files.items()):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(text)
        written.append(path)
    return written


# -- helpers --------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(
            f"Thời điểm {value.isoformat()} thiếu múi giờ.",
            f"The instant {value.isoformat()} has no time zone.",
            name,
        )
    return value


def _files(value: ConfigVersion | Mapping[str, str]) -> Mapping[str, str]:
    return value.files if isinstance(value, ConfigVersion) else value
