"""Configuration versions kept in the database, so each report can name the one that routed it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from engine.store.db import UnitOfWork
from engine.store.models import ConfigVersion


def files_of(directory: Path) -> dict[str, str]:
    """The configuration's files by relative name: the YAML files and the templates."""
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("templates/**/*.j2")])
    return {str(p.relative_to(directory)): p.read_text(encoding="utf-8") for p in paths}


def record(uow: UnitOfWork, directory: Path, author: str, reason: str) -> int:
    """The id of the version with exactly these files, created if it is new."""
    files = files_of(directory)
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    with uow.begin() as session:
        found = session.scalars(
            select(ConfigVersion.id).where(ConfigVersion.digest == digest)
        ).first()
        if found is not None:
            return found
        version = ConfigVersion(
            digest=digest,
            created_at=datetime.now(UTC),
            author=author,
            reason=reason,
            source=str(directory),
            files=files,
        )
        session.add(version)
        session.flush()
        return version.id
