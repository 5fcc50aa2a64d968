"""Accepting citizens' pictures and videos, whichever channel they come by (portal, API, e-mail),
and the files an agency attaches to its result (photos after the work, the signed answer in PDF).

Each file is checked from its content (:mod:`engine.media`); photos are re-encoded without any
metadata before they are kept; everything is stored by the hash of what is kept, so storing the
same file twice costs nothing and a stored file is never overwritten with other bytes. Files are
written before the report's transaction: if that transaction fails, an unreferenced file remains,
never a report that points at a missing file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine.config.snapshot import Bounds, PortalConfig
from engine.media import MediaLimits, MediaRefused, prepare_batch, sha256_hex
from engine.media.model import DOCUMENT_TYPES, human_size
from engine.store.models import Attachment

__all__ = [
    "IncomingFile",
    "MediaRefused",
    "MediaStore",
    "StoredFile",
    "accept",
    "limits_of",
    "result_limits_of",
]


@dataclass(frozen=True)
class IncomingFile:
    data: bytes
    filename: str
    content_type: str | None = None


@dataclass(frozen=True)
class StoredFile:
    """What the report's attachment row records; ``path`` is relative to the media root."""

    kind: str
    content_type: str
    filename: str
    size: int
    sha256: str
    path: str
    thumbnail_path: str | None
    gps: tuple[float, float] | None

    def attachment(self, stage: str, at: datetime) -> Attachment:
        """The attachment row of this file at ``stage`` (``report``, ``result``), added at ``at``."""
        return Attachment(
            stage=stage,
            kind=self.kind,
            filename=self.filename,
            content_type=self.content_type,
            size=self.size,
            sha256=self.sha256,
            path=self.path,
            thumbnail_path=self.thumbnail_path,
            created_at=at,
        )


class MediaStore:
    """Files on disk under one root, named by the hash of their content."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def put(self, data: bytes, extension: str) -> str:
        digest = sha256_hex(data)
        relative = f"{digest[:2]}/{digest}.{extension.lstrip('.')}"
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
                handle.write(data)
            os.replace(handle.name, target)
        return relative

    def path(self, relative: str) -> Path:
        """The file for a stored path; refuses anything that would leave the root."""
        target = (self.root / relative).resolve()
        if self.root.resolve() not in target.parents:
            raise ValueError(f"The stored path {relative!r} is outside the media root.")
        return target


def limits_of(portal: PortalConfig) -> MediaLimits:
    return MediaLimits(
        max_files=portal.max_files,
        max_photo_bytes=portal.max_photo_bytes,
        max_video_bytes=portal.max_video_bytes,
        max_pixels=portal.max_pixels,
        max_side=portal.max_photo_side,
    )


def result_limits_of(portal: PortalConfig) -> MediaLimits:
    """The result's files: photos as the citizens' (and cleaned alike), PDFs, no videos.

    No videos, because a video is kept as sent and never served publicly: it could not be shown
    with the result it was attached to.
    """
    return MediaLimits(
        max_files=portal.result_max_files,
        max_photo_bytes=portal.max_photo_bytes,
        max_pixels=portal.max_pixels,
        video_types=(),
        document_types=DOCUMENT_TYPES,
        max_document_bytes=portal.result_max_document_bytes,
        purpose="result",
    )


def accept(
    files: Sequence[IncomingFile],
    portal: PortalConfig,
    store: MediaStore,
    limits: MediaLimits | None = None,
) -> list[StoredFile]:
    """Check and clean every file first (all or nothing, each photo decoded once), then store.

    ``limits`` are the citizens' (:func:`limits_of`) unless given (:func:`result_limits_of`).
    """
    prepared = prepare_batch([(f.data, f.filename) for f in files], limits or limits_of(portal))
    stored = []
    for incoming, (found, cleaned) in zip(files, prepared, strict=True):
        if cleaned is not None:
            extension = _extension(cleaned.content_type)
            path = store.put(cleaned.data, extension)
            thumbnail = store.put(cleaned.thumbnail, "jpg")
            data, content_type = cleaned.data, cleaned.content_type
        else:
            path = store.put(incoming.data, found.extension)
            thumbnail, data, content_type = None, incoming.data, found.content_type
        stored.append(
            StoredFile(
                kind=found.kind,
                content_type=content_type,
                filename=incoming.filename[:255],
                size=len(data),
                sha256=sha256_hex(data),
                path=path,
                thumbnail_path=thumbnail,
                gps=found.gps,
            )
        )
    return stored


def proposed_place(
    files: Sequence[StoredFile], bounds: Bounds | None
) -> tuple[float, float] | None:
    """The place a photo says it was taken, if it lies in the province (EXIF GPS)."""
    for stored in files:
        if stored.gps and (bounds is None or bounds.contains(*stored.gps)):
            return stored.gps
    return None


def _extension(content_type: str) -> str:
    return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(content_type, "bin")


def size_text(size: int) -> str:
    """A file's size as the pages write it: ``850 byte``, ``10 KB``, ``1,5 MB`` (decimal comma)."""
    return human_size(size, "vi")
