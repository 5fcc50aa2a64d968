"""Configuration versions kept in the database, so each report can name the one that routed it.

The low level: the files of a configuration directory, their digest, and :func:`record` (the
version with exactly some files, created if new). Creating a version that changes the
configuration in force, activating, restoring and comparing versions are in
:mod:`engine.configstore`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from engine.config.loader import config_files
from engine.store.db import UnitOfWork
from engine.store.models import ConfigVersion


def files_of(directory: Path) -> dict[str, str]:
    """The configuration's files by relative name: the YAML files and the templates."""
    return config_files(directory)


def digest_of(files: Mapping[str, str]) -> str:
    """The SHA-256 of the files (names and texts): equal files, equal digest."""
    return hashlib.sha256(json.dumps(dict(files), sort_keys=True).encode()).hexdigest()


def record(uow: UnitOfWork, directory: Path, author: str, reason: str) -> int:
    """The id of a version with exactly the files of ``directory``, created if it is new.

    The version in force is preferred when its files are these, then the newest such version.
    The first version of a database is put in force at once (bootstrapping from ``config/``); a
    new one later is only recorded (``active_from`` ``None``): putting a configuration in force is
    :func:`engine.configstore.create`'s job, with a reason and a diff.
    """
    files = files_of(directory)
    digest = digest_of(files)
    now = datetime.now(UTC)
    with uow.begin() as session:
        current = session.scalars(
            select(ConfigVersion)
            .where(ConfigVersion.active_from <= now)
            .order_by(ConfigVersion.active_from.desc(), ConfigVersion.id.desc())
            .limit(1)
        ).first()
        if current is not None and current.digest == digest:
            return current.id
        found = session.scalars(
            select(ConfigVersion.id)
            .where(ConfigVersion.digest == digest)
            .order_by(ConfigVersion.id.desc())
        ).first()
        if found is not None:
            return found
        first = session.scalars(select(ConfigVersion.id).limit(1)).first() is None
        version = ConfigVersion(
            digest=digest,
            created_at=now,
            author=author,
            reason=reason,
            source=str(directory),
            files=files,
            active_from=now if first else None,
            parent_id=current.id if current is not None else None,
            diff="" if current is None else _diff(current.files, files),
        )
        session.add(version)
        session.flush()
        return version.id


def _diff(old: Mapping[str, str], new: Mapping[str, str]) -> str:
    from engine.configstore.diff import unified

    return unified(old, new)
