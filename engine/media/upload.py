"""Inspecting what a citizen sends: one file, or a report's whole batch."""

from __future__ import annotations

from collections.abc import Sequence

from .checks import classify, damaged
from .document import check_pdf
from .model import EXTENSIONS, CleanedPhoto, Inspected, MediaLimits, MediaRefused, display_name
from .photo import OpenedPhoto, cleaned, open_photo
from .sniff import Sniffed
from .video import check_video


def inspect_upload(
    data: bytes, filename: str, declared_type: str | None, limits: MediaLimits
) -> Inspected:
    """What the upload is, decided from its content, or ``MediaRefused`` naming the file.

    ``filename`` and ``declared_type`` are whatever the sender's device chose; neither decides
    anything (a text file named ``.jpg`` and declared ``image/jpeg`` is refused as a text file, a
    PNG named ``.jpg`` is taken as the PNG it is). The name is used in messages only;
    ``declared_type`` is accepted so callers can pass what they have, and is ignored.

    A photo is fully decoded here (so a truncated one is refused now, not when it is shown) and its
    EXIF location and capture time are read; ``clean_photo`` then makes what is stored. A video's
    container structure is checked (see ``engine.media.video``); it is stored as sent.
    """
    del declared_type  # never trusted: see the docstring
    return _inspected(data, filename, limits)[0]


def _inspected(
    data: bytes, filename: str, limits: MediaLimits
) -> tuple[Inspected, Sniffed, OpenedPhoto | None]:
    """What :func:`inspect_upload` answers, with what was sniffed and the decoded photo."""
    name = display_name(filename)
    found = classify(data, name, limits)
    content_type = found.content_type or ""
    if content_type in limits.document_types:
        reason = check_pdf(data)
        if reason is not None:
            raise damaged(name, found, *reason)
        document = Inspected(
            kind="document",
            content_type=content_type,
            extension=EXTENSIONS[content_type],
            size=len(data),
            filename=name,
        )
        return document, found, None
    if found.kind == "video":
        reason = check_video(data, content_type)
        if reason is not None:
            raise damaged(name, found, *reason)
        video = Inspected(
            kind="video",
            content_type=content_type,
            extension=EXTENSIONS[content_type],
            size=len(data),
            filename=name,
        )
        return video, found, None
    photo = open_photo(data, found, name, limits)
    inspected = Inspected(
        kind="photo",
        content_type=content_type,
        extension=EXTENSIONS[content_type],
        size=len(data),
        width=photo.image.width,
        height=photo.image.height,
        gps=photo.gps,
        taken_at=photo.taken_at,
        filename=name,
    )
    return inspected, found, photo


def _count(files: Sequence[object], limits: MediaLimits) -> None:
    """More than ``max_files`` is refused before any file is opened."""
    if len(files) > limits.max_files and limits.purpose == "result":
        raise MediaRefused(
            f"Kết quả xử lý chỉ được đính kèm tối đa {limits.max_files} tệp; "
            f"đã chọn {len(files)} tệp.",
            f"A result may have at most {limits.max_files} attached files; "
            f"{len(files)} were chosen.",
            "",
            "too_many_files",
        )
    if len(files) > limits.max_files:
        raise MediaRefused(
            f"Mỗi phản ánh chỉ được gửi tối đa {limits.max_files} tệp ảnh/video; "
            f"đã gửi {len(files)} tệp.",
            f"A report may have at most {limits.max_files} photos or videos; "
            f"{len(files)} were sent.",
            "",
            "too_many_files",
        )


def check_batch(
    files: Sequence[tuple[bytes, str, str | None]], limits: MediaLimits
) -> list[Inspected]:
    """Every file of one report inspected, in order; the first refusal is raised.

    More than ``max_files`` is refused before any file is opened.
    """
    _count(files, limits)
    return [inspect_upload(data, name, declared, limits) for data, name, declared in files]


def prepare_batch(
    files: Sequence[tuple[bytes, str]], limits: MediaLimits
) -> list[tuple[Inspected, CleanedPhoto | None]]:
    """Every file of one report inspected and each photo cleaned, decoding each photo once.

    The first refusal is raised, so nothing need be stored before all files are known good; a
    photo's full-size pixels are let go as soon as its clean copy is made.
    """
    _count(files, limits)
    prepared: list[tuple[Inspected, CleanedPhoto | None]] = []
    for data, name in files:
        inspected, found, photo = _inspected(data, name, limits)
        prepared.append((inspected, cleaned(photo.image, found, limits) if photo else None))
        del photo
    return prepared
