"""The checks every upload meets before anything is decoded: not empty, a taken type, not too big."""

from __future__ import annotations

from .model import MediaLimits, MediaRefused, human_size, quoted
from .sniff import Sniffed, sniff

# How each taken type is named in the "what is accepted" sentence.
SHORT_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "video/mp4": "MP4",
    "video/quicktime": "MOV",
    "video/webm": "WebM",
    "video/3gpp": "3GP",
    "application/pdf": "PDF",
}

_MEDIA_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".mp4", ".mov", ".webm", ".3gp", ".m4v",
)  # fmt: skip


def accepted_sentence(limits: MediaLimits) -> tuple[str, str]:
    """ "Chỉ nhận ảnh JPEG, PNG và video MP4…": every kind the limits take, and only those."""
    vi, en = [], []
    for types, name_vi, name_en in (
        (limits.photo_types, "ảnh", "photos"),
        (limits.video_types, "video", "videos"),
        (limits.document_types, "văn bản", "documents"),
    ):
        if types:
            names = ", ".join(SHORT_NAMES.get(t, t) for t in types)
            vi.append(f"{name_vi} {names}")
            en.append(f"{names} {name_en}")
    return f"Chỉ nhận {' và '.join(vi)}.", f"Only {' and '.join(en)} are accepted."


def kinds_taken(limits: MediaLimits) -> tuple[str, str]:
    """What the batch may hold, in words: "ảnh hay video" / "a photo or a video"."""
    vi = ["ảnh"] + (["video"] if limits.video_types else [])
    en = ["a photo"] + (["a video"] if limits.video_types else [])
    if limits.document_types:
        vi.append("văn bản " + ", ".join(SHORT_NAMES.get(t, t) for t in limits.document_types))
        en.append("a " + ", ".join(SHORT_NAMES.get(t, t) for t in limits.document_types))
    return " hay ".join(vi), " or ".join(en)


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def classify(data: bytes, name: str, limits: MediaLimits) -> Sniffed:
    """What the upload is, if it is a type and size the service takes; otherwise refused.

    ``name`` is the display name, used in messages only: the decision rests on the bytes.
    """
    found = sniff(data)
    vi_q, en_q = quoted(name, "vi"), quoted(name, "en")
    if not data:
        raise MediaRefused(
            f"Tệp {vi_q} trống (0 byte).", f"{en_q} is empty (0 bytes).", name, "empty"
        )
    accepted_vi, accepted_en = accepted_sentence(limits)
    if found.content_type in limits.document_types:
        return _sized(data, name, found, limits)
    taken = limits.photo_types if found.kind == "photo" else limits.video_types
    kinds_vi, kinds_en = kinds_taken(limits)
    if found.kind == "other":
        suffix = _suffix(name)
        if suffix in _MEDIA_SUFFIXES:
            vi = f"Tệp {vi_q} không phải {kinds_vi} dù tên có đuôi {suffix}: nội dung của nó trông như {found.label_vi}."
            en = f"{en_q} is not {kinds_en}, although its name ends in {suffix}: its content looks like {found.label_en}."
        else:
            vi = f"Tệp {vi_q} không phải {kinds_vi}: nội dung của nó trông như {found.label_vi}."
            en = f"{en_q} is not {kinds_en}: its content looks like {found.label_en}."
        raise MediaRefused(f"{vi} {accepted_vi}", f"{en} {accepted_en}", name, "not_media")
    if found.content_type not in taken:
        vi = f"Tệp {vi_q} là {found.label_vi}, loại này không được nhận. {accepted_vi}"
        en = f"{en_q} is {found.label_en}, which is not accepted. {accepted_en}"
        if found.hint_vi:
            vi, en = f"{vi} {found.hint_vi}", f"{en} {found.hint_en}"
        raise MediaRefused(vi, en, name, "type_not_accepted")
    return _sized(data, name, found, limits)


def _sized(data: bytes, name: str, found: Sniffed, limits: MediaLimits) -> Sniffed:
    """A file of a taken type, unless it is larger than its kind may be."""
    vi_q, en_q = quoted(name, "vi"), quoted(name, "en")
    if found.kind == "photo":
        limit = limits.max_photo_bytes
        what_vi, what_en = "mỗi ảnh", "a photo"
    elif found.kind == "video":
        limit = limits.max_video_bytes
        what_vi, what_en = "mỗi video", "a video"
    else:
        limit = limits.max_document_bytes
        what_vi, what_en = "mỗi văn bản", "a document"
    if len(data) > limit:
        raise MediaRefused(
            f"Tệp {vi_q} nặng {human_size(len(data), 'vi')}; {what_vi} tối đa {human_size(limit, 'vi')}.",
            f"{en_q} is {human_size(len(data), 'en')}; {what_en} may be at most {human_size(limit, 'en')}.",
            name,
            "too_large",
        )
    return found


def damaged(name: str, found: Sniffed, reason_vi: str, reason_en: str) -> MediaRefused:
    return MediaRefused(
        f"Tệp {quoted(name, 'vi')} trông như {found.label_vi} nhưng không dùng được: {reason_vi}.",
        f"{quoted(name, 'en')} looks like {found.label_en} but cannot be used: {reason_en}.",
        name,
        "corrupt",
    )
