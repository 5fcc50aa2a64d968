"""What a file is, from its first bytes: signatures only, no decoding, no Pillow.

The name and the type a browser declares are never looked at: both are whatever the sender chose.
The label is what a refusal tells the citizen the file "looks like", so it names formats people
know (a text file, a PDF, a HEIC photo) rather than MIME types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Sniffed:
    kind: Literal["photo", "video", "other"]
    content_type: str | None
    label_vi: str
    label_en: str
    #: A sentence telling the citizen how to send the file in a form that is taken, if there is one.
    hint_vi: str = ""
    hint_en: str = ""


def _photo(ct: str, vi: str, en: str, hint_vi: str = "", hint_en: str = "") -> Sniffed:
    return Sniffed("photo", ct, vi, en, hint_vi, hint_en)


def _video(ct: str, vi: str, en: str) -> Sniffed:
    return Sniffed("video", ct, vi, en)


def _other(vi: str, en: str, ct: str | None = None) -> Sniffed:
    return Sniffed("other", ct, vi, en)


JPEG = _photo("image/jpeg", "ảnh JPEG", "a JPEG photo")
PNG = _photo("image/png", "ảnh PNG", "a PNG image")
WEBP = _photo("image/webp", "ảnh WebP", "a WebP image")
HEIC = _photo(
    "image/heic",
    "ảnh HEIC",
    "a HEIC photo",
    "Trên iPhone, chọn Cài đặt › Camera › Định dạng › Tương thích nhất, hoặc gửi ảnh dạng JPEG.",
    "On an iPhone choose Settings › Camera › Formats › Most Compatible, or send the photo as JPEG.",
)
AVIF = _photo("image/avif", "ảnh AVIF", "an AVIF image")
MP4 = _video("video/mp4", "video MP4", "an MP4 video")
MOV = _video("video/quicktime", "video MOV (QuickTime)", "a MOV (QuickTime) video")
WEBM = _video("video/webm", "video WebM", "a WebM video")
GP3 = _video("video/3gpp", "video 3GP", "a 3GP video")
GP3_2 = _video("video/3gpp2", "video 3G2", "a 3G2 video")
MKV = _video("video/x-matroska", "video MKV (Matroska)", "an MKV (Matroska) video")
TEXT = _other("một tệp văn bản", "a text file", "text/plain")
EMPTY = _other("một tệp trống", "an empty file")
UNKNOWN = _other("dữ liệu không nhận ra được", "data of no known kind")

# Strong signatures at offset 0, in order. Weak ones (2 bytes) come after the text check.
_SIGNATURES: list[tuple[bytes, Sniffed]] = [
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"GIF87a", _photo("image/gif", "ảnh GIF", "a GIF image")),
    (b"GIF89a", _photo("image/gif", "ảnh GIF", "a GIF image")),
    (b"II*\x00", _photo("image/tiff", "ảnh TIFF (hoặc ảnh RAW)", "a TIFF (or RAW) image")),
    (b"MM\x00*", _photo("image/tiff", "ảnh TIFF (hoặc ảnh RAW)", "a TIFF (or RAW) image")),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", _photo("image/jp2", "ảnh JPEG 2000", "a JPEG 2000 image")),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", _photo("image/jxl", "ảnh JPEG XL", "a JPEG XL image")),
    (b"\xff\x0a", _photo("image/jxl", "ảnh JPEG XL", "a JPEG XL image")),
    (b"8BPS", _photo("image/vnd.adobe.photoshop", "tệp Photoshop (PSD)", "a Photoshop file (PSD)")),
    (b"%PDF-", _other("tài liệu PDF", "a PDF document", "application/pdf")),
    (
        b"PK\x03\x04",
        _other(
            "tệp nén ZIP (hoặc tài liệu Word/Excel)", "a ZIP archive (or a Word/Excel document)"
        ),
    ),
    (b"PK\x05\x06", _other("tệp nén ZIP", "a ZIP archive")),
    (b"Rar!\x1a\x07", _other("tệp nén RAR", "a RAR archive")),
    (b"7z\xbc\xaf\x27\x1c", _other("tệp nén 7z", "a 7z archive")),
    (b"\x1f\x8b", _other("tệp nén gzip", "a gzip archive")),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        _other("tài liệu Office cũ (.doc/.xls)", "an old Office document (.doc/.xls)"),
    ),
    (b"\x7fELF", _other("một chương trình (ELF)", "a program (ELF)")),
    (b"ID3", _other("âm thanh MP3", "MP3 audio", "audio/mpeg")),
    (b"OggS", _other("âm thanh/video Ogg", "Ogg audio or video", "application/ogg")),
    (b"fLaC", _other("âm thanh FLAC", "FLAC audio", "audio/flac")),
    (b"#!AMR", _other("âm thanh AMR (ghi âm)", "AMR audio (a voice recording)", "audio/amr")),
    (b"FLV\x01", _video("video/x-flv", "video FLV", "an FLV video")),
    (
        b"\x30\x26\xb2\x75\x8e\x66\xcf\x11",
        _video("video/x-ms-asf", "video WMV/ASF", "a WMV/ASF video"),
    ),
    (b"\x00\x00\x01\xba", _video("video/mpeg", "video MPEG", "an MPEG video")),
    (b"\x00\x00\x01\xb3", _video("video/mpeg", "video MPEG", "an MPEG video")),
]

_RIFF: dict[bytes, Sniffed] = {
    b"WEBP": WEBP,
    b"AVI ": _video("video/x-msvideo", "video AVI", "an AVI video"),
    b"WAVE": _other("âm thanh WAV", "WAV audio", "audio/wav"),
}

# ISO base media file format (MP4 and relatives): brands of the 'ftyp' box.
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41",
    b"mp42", b"mp71", b"avc1", b"dash", b"msdh", b"msix", b"M4V ", b"M4VH", b"M4VP", b"MSNV",
    b"NDAS", b"NDSC", b"NDSH", b"NDSM", b"NDSP", b"NDSS", b"NDXC", b"NDXH", b"NDXM", b"NDXP",
    b"NDXS", b"F4V ", b"F4P ", b"mmp4", b"XAVC", b"CAEP", b"cmfc", b"cmf2", b"cmfs", b"FACE",
}  # fmt: skip
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"heif"}
_AVIF_BRANDS = {b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
# Boxes an old QuickTime movie may start with, before 'ftyp' existed.
_QUICKTIME_FIRST_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def _brand(brand: bytes) -> Sniffed | None:
    if brand == b"qt  ":
        return MOV
    if brand[:3] in (b"3gp", b"3gr", b"3gs", b"3ge", b"3gg"):
        return GP3
    if brand[:3] == b"3g2":
        return GP3_2
    if brand in _AVIF_BRANDS:
        return AVIF
    if brand in _HEIF_BRANDS:
        return HEIC
    if brand in _AUDIO_BRANDS:
        return _other("âm thanh M4A", "M4A audio", "audio/mp4")
    if brand == b"crx ":
        return _photo("image/x-canon-cr3", "ảnh RAW của Canon (CR3)", "a Canon RAW photo (CR3)")
    if brand in _MP4_BRANDS:
        return MP4
    return None


def _iso_media(data: bytes) -> Sniffed:
    size = int.from_bytes(data[0:4], "big")
    end = min(len(data), size if 16 <= size <= 4096 else 16)
    major = data[8:12]
    compatible = [data[i : i + 4] for i in range(16, end - 3, 4)]
    # A generic HEIF major brand says "HEIF"; the compatible brands say whether it is AVIF.
    if major in _HEIF_BRANDS | _AVIF_BRANDS and any(b in _AVIF_BRANDS for b in compatible):
        return AVIF
    for brand in (major, *compatible):
        found = _brand(brand)
        if found is not None:
            return found
    name = major.decode("latin-1").strip() or "?"
    return _other(
        f"tệp đa phương tiện ISO loại lạ (nhãn “{name}”)",
        f"an ISO media file of an unknown kind (brand “{name}”)",
    )


def read_vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at ``pos``: (value, next position), or None if malformed."""
    if pos >= len(data) or data[pos] == 0:
        return None
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        return None
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def ebml_doctype(data: bytes) -> tuple[str | None, int]:
    """The DocType of an EBML header (``webm``, ``matroska``) and where the header ends."""
    head = read_vint(data, 4, keep_marker=False)
    if head is None:
        return None, len(data)
    header_size, pos = head
    end = min(len(data), pos + header_size)
    while pos < end:
        element = read_vint(data, pos, keep_marker=True)
        if element is None:
            break
        element_id, pos = element
        sized = read_vint(data, pos, keep_marker=False)
        if sized is None:
            break
        size, pos = sized
        if element_id == 0x4282:
            return data[pos : pos + size].rstrip(b"\x00").decode("ascii", "replace"), end
        pos += size
    return None, end


def _ebml(data: bytes) -> Sniffed:
    doctype, _ = ebml_doctype(data)
    if doctype == "webm":
        return WEBM
    if doctype == "matroska":
        return MKV
    return _other("tệp Matroska/EBML loại lạ", "a Matroska/EBML file of an unknown kind")


def _text(head: bytes) -> Sniffed | None:
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            return TEXT
    if b"\x00" in head:
        return None
    text = head.decode("utf-8", "ignore")
    if not text or sum(ch.isprintable() or ch in "\r\n\t" for ch in text) < 0.95 * len(text):
        return None
    lowered = text.lstrip().lower()
    if "<svg" in lowered[:1024]:
        return _photo("image/svg+xml", "ảnh vẽ SVG", "an SVG drawing")
    if lowered.startswith(("<!doctype html", "<html")):
        return _other("một trang web (HTML)", "a web page (HTML)", "text/html")
    if lowered.startswith("<?xml"):
        return _other("một tệp XML", "an XML file", "application/xml")
    return TEXT


def sniff(data: bytes) -> Sniffed:
    """What the bytes are, by their signature. Never raises."""
    if not data:
        return EMPTY
    for signature, found in _SIGNATURES:
        if data.startswith(signature):
            return found
    if data[:4] == b"RIFF" and data[8:12] in _RIFF:
        return _RIFF[data[8:12]]
    if data[4:8] == b"ftyp" and len(data) >= 12:
        return _iso_media(data)
    first_size = int.from_bytes(data[0:4], "big")
    if data[4:8] in _QUICKTIME_FIRST_BOXES and (first_size in (0, 1) or first_size >= 8):
        return MOV
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return _ebml(data)
    text = _text(data[:4096])
    if text is not None:
        return text
    if data.startswith(b"MZ"):
        return _other("một chương trình Windows (.exe)", "a Windows program (.exe)")
    if data.startswith(b"BM") and data[6:10] == b"\x00\x00\x00\x00":
        return _photo("image/bmp", "ảnh BMP", "a BMP image")
    if data[0] == 0x47 and len(data) > 188 and data[188] == 0x47:
        return _video("video/mp2t", "video MPEG-TS", "an MPEG-TS video")
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return _other("âm thanh MP3", "MP3 audio", "audio/mpeg")
    return UNKNOWN
