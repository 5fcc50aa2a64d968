"""Sample uploads built in memory: photos with Pillow, videos from their container bytes."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime

from PIL import Image, ImageCms, PngImagePlugin

# Vĩnh Long, as a phone writes it: 10°15'13.32" N, 105°58'19.92" E.
VINH_LONG = (10.2537, 105.9722)
TAKEN_AT = datetime(2025, 3, 14, 8, 30, 5)
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>10,15.222N</exif:GPSLatitude></x:xmpmeta>'


def dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return float(degrees), float(minutes), seconds


def gps_exif(
    latitude: float = VINH_LONG[0],
    longitude: float = VINH_LONG[1],
    taken_at: datetime | None = TAKEN_AT,
    orientation: int | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Samsung"  # Make
    exif[0x0110] = "Galaxy A15"  # Model
    exif[0x8825] = {
        1: "N" if latitude >= 0 else "S",
        2: dms(abs(latitude)),
        3: "E" if longitude >= 0 else "W",
        4: dms(abs(longitude)),
    }
    if taken_at is not None:
        exif[0x8769] = {0x9003: taken_at.strftime("%Y:%m:%d %H:%M:%S")}
    if orientation is not None:
        exif[0x0112] = orientation
    return exif


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg(
    size: tuple[int, int] = (64, 48),
    exif: Image.Exif | bytes | None = None,
    image: Image.Image | None = None,
    **save: object,
) -> bytes:
    image = image if image is not None else Image.new("RGB", size, (40, 120, 200))
    out = io.BytesIO()
    if exif is not None:
        save["exif"] = exif if isinstance(exif, bytes) else exif.tobytes()
    image.save(out, "JPEG", quality=90, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A phone photo: EXIF with GPS, capture time, make and model, plus XMP, ICC and a comment."""
    return jpeg(exif=gps_exif(), xmp=XMP, icc_profile=srgb_icc(), comment=b"Vinh Long")


def rotated_jpeg() -> bytes:
    """60×40 as stored, left half red and right half blue, EXIF orientation 6 (turn 90° clockwise
    to view): shown upright it is 40×60 with red on top."""
    image = Image.new("RGB", (60, 40), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 30, 40))
    return jpeg(image=image, exif=gps_exif(orientation=6))


def png(size: tuple[int, int] = (50, 30), mode: str = "RGBA") -> bytes:
    """A PNG with transparency, a text chunk, XMP, an ICC profile and EXIF with GPS."""
    image = Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Chụp tại Vĩnh Long")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, icc_profile=srgb_icc(), exif=gps_exif().tobytes())
    return out.getvalue()


def webp(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 160, 0, 255)).save(out, "WEBP", exif=gps_exif().tobytes(), xmp=XMP)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    return out.getvalue()


def text_named_jpg() -> bytes:
    return "Kính gửi: UBND phường 1,\nĐường Phạm Thái Bường có ổ gà lớn.\n".encode()


def truncated_jpeg() -> bytes:
    data = jpeg(image=Image.effect_noise((120, 90), 60).convert("RGB"))
    return data[: len(data) // 2]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_header_png(width: int = 8000, height: int = 8000) -> bytes:
    """A PNG whose header says ``width`` × ``height`` (64 MP by default) over a few bytes of data:
    reading it is refused from the header; decoding it would fail (or allocate 192 MB)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x80" * 3 * width)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


# --- videos -------------------------------------------------------------------------------------


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    return box(b"ftyp", major + struct.pack(">I", 0) + b"".join(compatible))


def _moov() -> bytes:
    mvhd = struct.pack(">B3xIIII", 0, 0, 0, 600, 600 * 3)  # version/flags, times, timescale, length
    mvhd += struct.pack(">IH10x", 0x00010000, 0x0100) + bytes(36) + bytes(24) + struct.pack(">I", 2)
    return box(b"moov", box(b"mvhd", mvhd))


def mp4(
    major: bytes = b"isom", compatible: tuple[bytes, ...] = (b"isom", b"iso2", b"avc1", b"mp41")
) -> bytes:
    """An MP4 as far as its container goes: 'ftyp', a movie header, and 2 KB of media data."""
    return ftyp(major, *compatible) + _moov() + box(b"mdat", bytes(2048))


def mov() -> bytes:
    return mp4(b"qt  ", (b"qt  ",))


def video_3gp() -> bytes:
    return mp4(b"3gp4", (b"isom", b"3gp4"))


def mp4_of_size(size: int) -> bytes:
    head = ftyp(b"mp42", b"mp42", b"isom") + _moov()
    return head + box(b"mdat", bytes(size - len(head) - 8))


def truncated_mp4() -> bytes:
    """The upload stopped partway through the media data: 'mdat' claims more than is there."""
    return mp4()[:-1000]


def ftyp_and_padding() -> bytes:
    """Only starts like an MP4: an 'ftyp' box and zeros, no movie header."""
    return ftyp(b"isom", b"isom", b"mp41") + bytes(4096)


def heic() -> bytes:
    return ftyp(b"heic", b"mif1", b"heic") + box(b"meta", bytes(64)) + box(b"mdat", bytes(256))


def _ebml_element(element_id: bytes, body: bytes) -> bytes:
    return element_id + bytes([0x80 | len(body)]) + body  # one-byte size: bodies under 127 bytes


def webm(doctype: bytes = b"webm") -> bytes:
    """An EBML header with the DocType, then a Segment of unknown size as MediaRecorder writes."""
    header = _ebml_element(b"\x42\x86", b"\x01")  # EBMLVersion
    header += _ebml_element(b"\x42\x82", doctype)  # DocType
    header += _ebml_element(b"\x42\x87", b"\x04")  # DocTypeVersion
    segment = b"\x18\x53\x80\x67" + b"\x01\xff\xff\xff\xff\xff\xff\xff" + bytes(1024)
    return _ebml_element(b"\x1a\x45\xdf\xa3", header) + segment
