"""What the media checks work with: the limits, what an upload turned out to be, and refusals."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from PIL import Image

MB = 1024 * 1024

#: Content type → the extension files of that type are stored under (with the dot).
EXTENSIONS: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/3gpp": ".3gp",
    "application/pdf": ".pdf",
}

BASE_PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm", "video/3gpp")
#: Documents an agency attaches to its result (the signed answer, a record of the work): PDF only,
#: the format official documents are signed and exchanged in.
DOCUMENT_TYPES = ("application/pdf",)


def pillow_heic_format() -> str | None:
    """The Pillow format that opens HEIC here, or None.

    Pillow itself has no HEIC decoder; a plug-in (``pillow-heif``'s ``register_heif_opener()``)
    adds one. Asked each time limits are built, so a host that registers the plug-in at start-up
    gets HEIC accepted without a code change, and a machine without it never accepts a photo it
    cannot check or clean.
    """
    Image.init()
    return Image.registered_extensions().get(".heic")


def default_photo_types() -> tuple[str, ...]:
    if pillow_heic_format() is None:
        return BASE_PHOTO_TYPES
    return (*BASE_PHOTO_TYPES, "image/heic")


@dataclass(frozen=True)
class MediaLimits:
    """What a batch of attachments may be. Sizes are bytes of the upload as sent.

    ``purpose`` says whose batch it is, for the refusals' wording: ``report`` (the citizen's
    pictures and videos) or ``result`` (the agency's "after" photos and documents, Đ8.B4).
    """

    max_files: int = 6
    max_photo_bytes: int = 10 * MB
    max_video_bytes: int = 50 * MB
    #: Width × height, read from the header before any pixel is decoded.
    max_pixels: int = 24_000_000
    #: Longest side of a stored photo; larger ones are downscaled by ``clean_photo``.
    max_side: int = 2560
    #: Longest side of a thumbnail.
    thumbnail_side: int = 320
    photo_types: tuple[str, ...] = field(default_factory=default_photo_types)
    video_types: tuple[str, ...] = VIDEO_TYPES
    #: Documents taken (none for a citizen's report), and the size each may be.
    document_types: tuple[str, ...] = ()
    max_document_bytes: int = 20 * MB
    purpose: Literal["report", "result"] = "report"


@dataclass(frozen=True)
class Inspected:
    """What an upload is, decided from its bytes alone.

    ``extension`` has its dot (``".jpg"``) and follows the content, not the name sent.
    ``width``/``height`` are a photo's size the right way up, i.e. after its EXIF orientation
    (None for a video). ``gps`` is ``(latitude, longitude)`` in decimal degrees, south and west
    negative, or None. ``taken_at`` is the EXIF capture time (DateTimeOriginal, else
    DateTimeDigitized) as a *naive* datetime: the camera's wall clock, zone unknown — for Vietnam
    usually UTC+7, but nothing in the file guarantees it. Videos and documents have neither: their
    metadata is not read. ``filename`` is the name as shown in messages (see ``display_name``).
    """

    kind: Literal["photo", "video", "document"]
    content_type: str
    extension: str
    size: int
    width: int | None = None
    height: int | None = None
    gps: tuple[float, float] | None = None
    taken_at: datetime | None = None
    filename: str = ""


@dataclass(frozen=True)
class CleanedPhoto:
    """A photo as it is stored and served: re-encoded from its pixels, with no metadata at all.

    ``width``/``height`` are the stored photo's, after orientation and downscaling.
    ``thumbnail`` is always a JPEG.
    """

    data: bytes
    thumbnail: bytes
    width: int
    height: int
    content_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    @property
    def sha256(self) -> str:
        return sha256_hex(self.data)


class MediaRefused(ValueError):
    """An upload the service does not take, with the reason in Vietnamese and English.

    ``filename`` is the display name of the file refused ("" for a refusal of the whole batch);
    ``code`` is a short machine-readable reason: ``too_many_files``, ``empty``, ``not_media``,
    ``type_not_accepted``, ``too_large``, ``too_many_pixels``, ``corrupt``.
    """

    def __init__(
        self, message_vi: str, message_en: str, filename: str = "", code: str = ""
    ) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.filename = filename
        self.code = code

    def message(self, lang: str = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi


def display_name(filename: str, limit: int = 80) -> str:
    """The name a citizen's file is called in messages and logs.

    Only the last path component (some browsers send ``C:\\fakepath\\...``), in NFC (macOS sends
    Vietnamese names decomposed), without control characters, at most ``limit`` characters.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > limit:
        name = name[: limit - 1] + "…"
    return name


def quoted(name: str, lang: str) -> str:
    if not name:
        return "(không tên)" if lang == "vi" else "(unnamed)"
    return f"“{name}”"


def human_size(size: int, lang: str) -> str:
    """``12,3 MB`` / ``12.3 MB``; below a megabyte in KB, below a kilobyte in bytes."""
    if size >= MB:
        text = f"{size / MB:.1f} MB"
    elif size >= 1024:
        text = f"{size / 1024:.1f} KB"
    else:
        return f"{size} byte" if lang == "vi" else f"{size} bytes"
    text = text.replace(".0 ", " ")
    return text.replace(".", ",") if lang == "vi" else text


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of the bytes: the storage name of a cleaned photo, so one photo is kept once."""
    return hashlib.sha256(data).hexdigest()


def storage_name(data: bytes, content_type: str) -> str:
    """``<sha256 hex><extension>``, e.g. ``3a7b…e1.jpg``."""
    return sha256_hex(data) + EXTENSIONS[content_type]
