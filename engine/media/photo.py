"""Photos: their pixel count checked from the header, fully decoded, then re-encoded clean.

Why re-encode rather than delete tags: EXIF (with GPS and the phone's serial numbers), XMP, IPTC,
ICC profiles, PNG text chunks and JPEG comments each live in a different place in each format, and
a photo editor can put them in more. Building a new image from the decoded pixels alone and
encoding it leaves nothing behind that we did not write.

What is stored:

* a JPEG stays a JPEG (quality 85) and a PNG stays a PNG (lossless, transparency kept: screenshots
  and diagrams are sharper that way);
* WebP and HEIC become JPEG (quality 85), with any transparency flattened onto white, because the
  stored photos travel on into PDF answers, exports and e-mails to agencies, where JPEG is read
  everywhere;
* an animated PNG or WebP keeps its first frame only;
* the EXIF orientation is applied to the pixels first, so the photo is the right way up once the
  tag is gone; colours with an embedded ICC profile (an iPhone's Display P3, a CMYK scan) are
  converted to sRGB before the profile is dropped;
* the longest side is at most ``max_side``; the thumbnail is a JPEG whose longest side is at most
  ``thumbnail_side`` (a smaller photo is not enlarged).
"""

from __future__ import annotations

import io
import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import ExifTags, Image

from .checks import classify, damaged
from .model import (
    CleanedPhoto,
    MediaLimits,
    MediaRefused,
    display_name,
    pillow_heic_format,
    quoted,
)
from .sniff import Sniffed

try:
    from PIL import ImageCms
except ImportError:  # a Pillow built without LittleCMS: profiles are then dropped unconverted
    ImageCms = None  # type: ignore[assignment]

JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80

_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}

# Pillow reports a citizen's broken EXIF (and a header over its own bomb limit) as warnings, and
# the warning filters are process-wide: reading the header and the EXIF runs under one lock so
# that those warnings are recorded and dropped instead of reaching the log (or failing under
# ``-W error``). That is a few milliseconds per photo; decoding the pixels and everything after
# it run outside the lock, so photos uploaded at the same time are decoded side by side.
# Pillow's own ``Image.MAX_IMAGE_PIXELS`` is never changed: the limit is checked here, from the
# header, before a single pixel is decoded.
_READING_LOCK = threading.Lock()

#: EXIF orientation → the transposition that turns the pixels upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIENTATION = 0x0112

_GPS_LATITUDE_REF, _GPS_LATITUDE, _GPS_LONGITUDE_REF, _GPS_LONGITUDE = 1, 2, 3, 4
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 0x9003, 0x9004

_UNREADABLE = (
    "tệp bị hỏng hoặc không đầy đủ (có thể việc tải lên bị gián đoạn)",
    "the file is damaged or incomplete (perhaps the upload was interrupted)",
)


def _megapixels(pixels: int, lang: str) -> str:
    text = f"{round(pixels / 1_000_000, 1):g}"
    return text.replace(".", ",") if lang == "vi" else text


def _too_many_pixels(name: str, limits: MediaLimits, size: tuple[int, int] | None) -> MediaRefused:
    limit_vi, limit_en = _megapixels(limits.max_pixels, "vi"), _megapixels(limits.max_pixels, "en")
    vi_q, en_q = quoted(name, "vi"), quoted(name, "en")
    if size is None:
        vi = f"Ảnh {vi_q} có quá nhiều điểm ảnh; ảnh chỉ được tối đa {limit_vi} megapixel."
        en = f"{en_q} has too many pixels; a photo may have at most {limit_en} megapixels."
    else:
        w, h = size
        vi = (
            f"Ảnh {vi_q} có kích thước {w} × {h} điểm ảnh ({_megapixels(w * h, 'vi')} megapixel); "
            f"ảnh chỉ được tối đa {limit_vi} megapixel."
        )
        en = (
            f"{en_q} is {w} × {h} pixels ({_megapixels(w * h, 'en')} megapixels); "
            f"a photo may have at most {limit_en} megapixels."
        )
    return MediaRefused(vi, en, name, "too_many_pixels")


@contextmanager
def _reading() -> Iterator[list[warnings.WarningMessage]]:
    """The reading lock, with every warning raised inside recorded (and so not shown)."""
    with _READING_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


@dataclass(frozen=True)
class OpenedPhoto:
    """A photo decoded, the right way up, with what its EXIF said."""

    image: Image.Image
    gps: tuple[float, float] | None
    taken_at: datetime | None


def open_photo(data: bytes, found: Sniffed, name: str, limits: MediaLimits) -> OpenedPhoto:
    """The photo opened, fully decoded and turned upright, or refused.

    The pixel count is checked from the header, before a single pixel is decoded; a file that
    fails to decode anywhere (truncated, corrupt) is refused. Only the format the content was
    sniffed as is tried, so a PNG cannot be opened as something else by accident.
    """
    fmt = _PILLOW_FORMATS.get(found.content_type or "")
    if found.content_type == "image/heic":
        fmt = pillow_heic_format()
    if fmt is None:  # pragma: no cover - classify() lets through only types with a format
        raise damaged(name, found, "không có bộ giải mã", "there is no decoder for it")
    with _reading():
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt])
        except Image.DecompressionBombError:  # past twice Pillow's own limit
            raise _too_many_pixels(name, limits, None) from None
        except Exception:  # any parser failure means the same thing: not a readable image
            raise damaged(name, found, *_UNREADABLE) from None
    if image.width * image.height > limits.max_pixels:
        raise _too_many_pixels(name, limits, image.size)
    try:
        image.load()
    except Exception:
        raise damaged(name, found, *_UNREADABLE) from None
    with _reading():
        gps, taken_at = read_exif(image)
        orientation = _orientation(image)
    upright = image.transpose(_UPRIGHT[orientation]) if orientation in _UPRIGHT else image
    return OpenedPhoto(upright, gps, taken_at)


def _orientation(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(_ORIENTATION)
    except Exception:  # EXIF that does not parse: leave the pixels as they are
        return None
    return value if isinstance(value, int) else None


# --- EXIF ---------------------------------------------------------------------------------------


def _ref(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    return str(value).strip("\x00 ").upper() if value is not None else ""


def _degrees(value: Any, ref: Any, positive: str, negative: str, bound: float) -> float | None:
    """Degrees, minutes, seconds (rationals) and N/S or E/W to signed decimal degrees."""
    sign = {positive: 1.0, negative: -1.0}.get(_ref(ref))
    if sign is None:
        return None  # without its reference a coordinate's sign is unknown: better none than wrong
    parts = value if isinstance(value, tuple) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    try:
        numbers = [float(part) for part in parts]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(n) and n >= 0 for n in numbers) or any(n >= 60 for n in numbers[1:]):
        return None
    degrees = sum(n / 60**i for i, n in enumerate(numbers))
    if degrees > bound:
        return None
    return round(sign * degrees, 7)


def read_gps(exif: Image.Exif) -> tuple[float, float] | None:
    """(latitude, longitude) from the GPS IFD, or None if absent, incomplete or out of range.

    (0, 0) is taken as "no fix": phones write it when they had none, and no report comes from the
    Gulf of Guinea.
    """
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # garbled IFD offsets
        return None
    latitude = _degrees(gps.get(_GPS_LATITUDE), gps.get(_GPS_LATITUDE_REF), "N", "S", 90)
    longitude = _degrees(gps.get(_GPS_LONGITUDE), gps.get(_GPS_LONGITUDE_REF), "E", "W", 180)
    if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
        return None
    return latitude, longitude


def _exif_datetime(value: Any) -> datetime | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    text = value.strip("\x00 ")[:19]
    for pattern in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def read_taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal, else DateTimeDigitized, as a naive datetime (the camera's clock).

    IFD0's DateTime is not used: it is when the file was last changed, e.g. by an editor.
    """
    try:
        tags = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:
        return None
    for tag in (_DATETIME_ORIGINAL, _DATETIME_DIGITIZED):
        found = _exif_datetime(tags.get(tag))
        if found is not None:
            return found
    return None


def read_exif(image: Image.Image) -> tuple[tuple[float, float] | None, datetime | None]:
    try:
        exif = image.getexif()
    except Exception:  # EXIF that does not parse is treated as absent
        return None, None
    return read_gps(exif), read_taken_at(exif)


# --- cleaning -----------------------------------------------------------------------------------

_SRGB: Any = None


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colours converted from an embedded ICC profile to sRGB, when there is one and it works."""
    global _SRGB
    icc = image.info.get("icc_profile")
    if not icc or ImageCms is None or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        if _SRGB is None:
            _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except Exception:  # a broken or exotic profile: keep the pixels as they are
        return image
    return converted if converted is not None else image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _flatten(image: Image.Image) -> Image.Image:
    """RGB (or L) for JPEG: transparency composited onto white."""
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode == "L":
        return image
    return image.convert("RGB")


def _normalised(image: Image.Image, keep_alpha: bool) -> Image.Image:
    """The image in a mode that resizes well and the output format stores: L, RGB or RGBA."""
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        # 16-bit greyscale: scale to 8 bits rather than let convert() clip everything to white.
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    image = _to_srgb(image)
    if keep_alpha and _has_alpha(image):
        return image.convert("RGBA")
    if image.mode in ("1", "L"):
        return image.convert("L")
    return _flatten(image)


def _fresh(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels: no ``info``, no EXIF, no profile, nothing else."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, "PNG")
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def clean_photo(data: bytes, limits: MediaLimits, filename: str = "") -> CleanedPhoto:
    """The photo as it is stored and served: upright, at most ``max_side``, without metadata.

    Runs every check ``inspect_upload`` runs on a photo (a video or anything else is refused), so
    it is safe on bytes that were never inspected. ``filename`` only names the file in messages.
    """
    name = display_name(filename)
    found = classify(data, name, limits)
    if found.kind != "photo":
        raise MediaRefused(
            f"Tệp {quoted(name, 'vi')} là {found.label_vi}, không phải ảnh.",
            f"{quoted(name, 'en')} is {found.label_en}, not a photo.",
            name,
            "type_not_accepted",
        )
    return cleaned(open_photo(data, found, name, limits).image, found, limits)


#: Modes that resample well as they are: downscaled first, before any conversion copies them.
_RESAMPLED_AS_IS = ("L", "RGB", "RGBA")


def cleaned(image: Image.Image, found: Sniffed, limits: MediaLimits) -> CleanedPhoto:
    """What :func:`clean_photo` stores, from a photo :func:`open_photo` has already decoded.

    ``image`` is downscaled in place when its mode allows, so that its full-size pixels are let go
    at once rather than copied by each conversion.
    """
    keep_png = found.content_type == "image/png"
    side = (limits.max_side, limits.max_side)
    if image.mode in _RESAMPLED_AS_IS and "transparency" not in image.info:
        image.thumbnail(side, Image.Resampling.LANCZOS)
    image = _normalised(image, keep_alpha=keep_png)
    image.thumbnail(side, Image.Resampling.LANCZOS)
    stored = _fresh(image)

    thumbnail = _flatten(stored).copy()  # copied: _flatten returns an L/RGB image as it is
    thumbnail.thumbnail((limits.thumbnail_side, limits.thumbnail_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumbnail.save(out, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)

    fmt, content_type = ("PNG", "image/png") if keep_png else ("JPEG", "image/jpeg")
    return CleanedPhoto(
        data=_encode(stored, fmt),
        thumbnail=out.getvalue(),
        width=stored.width,
        height=stored.height,
        content_type=content_type,
    )
