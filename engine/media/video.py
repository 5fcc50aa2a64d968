"""Videos: a structural check of the container, nothing decoded.

A video is stored exactly as uploaded. Nothing is transcoded and its metadata is **not** stripped:
that needs a demuxer/muxer such as ffmpeg, a native dependency this service does not take on, and
rewriting MP4 boxes by hand risks breaking the offsets every player relies on. Phones do write
metadata into videos — an iPhone MOV carries the recording place (``©xyz`` and the QuickTime
``location.ISO6709`` key) and the device model — so wherever videos are shown to the public they
are the citizen's file as sent, and the upload form should say so.

What is checked here is that the container holds together, which catches the common damage (an
upload cut short) and files that only start like a video:

* MP4 / MOV / 3GP (ISO base media): the top-level boxes are walked; a box that runs past the end
  of the file means the file is truncated, and a file without a ``moov`` box (the movie header
  every player needs) is refused.
* WebM: the EBML header must be followed by a Segment; if the Segment declares its size, the file
  must be that long. Browser recordings (MediaRecorder) write an "unknown" size, which passes.
"""

from __future__ import annotations

from .sniff import ebml_doctype, read_vint

Reason = tuple[str, str]

TRUNCATED: Reason = (
    "video bị cắt cụt, tệp không đầy đủ (có thể việc tải lên bị gián đoạn)",
    "the video is cut short, the file is incomplete (perhaps the upload was interrupted)",
)
NO_MOVIE_HEADER: Reason = (
    "không có phần mô tả video (hộp “moov”), tệp không đầy đủ hoặc không phải video thật",
    "it has no movie header (the “moov” box), so the file is incomplete or not a real video",
)
NO_SEGMENT: Reason = (
    "sau phần đầu WebM không có nội dung (Segment), tệp không đầy đủ hoặc bị hỏng",
    "nothing (no Segment) follows the WebM header, so the file is incomplete or damaged",
)

_SEGMENT_ID = 0x18538067


def _box_type_ok(box: bytes) -> bool:
    return all(0x20 <= b <= 0x7E or b == 0xA9 for b in box)


def check_iso_media(data: bytes) -> Reason | None:
    """None if the top-level boxes tile the file and include ``moov``; else the reason."""
    pos, seen = 0, set()
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        box = data[pos + 4 : pos + 8]
        if not _box_type_ok(box):
            break  # trailing padding or junk after the last box: players ignore it too
        header = 8
        if size == 1:  # 64-bit size follows the type
            if pos + 16 > len(data):
                return TRUNCATED
            size, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif size == 0:  # the box runs to the end of the file
            size = len(data) - pos
        if size < header:
            break
        if pos + size > len(data):
            return TRUNCATED
        seen.add(box)
        pos += size
    return None if b"moov" in seen else NO_MOVIE_HEADER


def check_webm(data: bytes) -> Reason | None:
    """None if the EBML header is followed by a Segment that fits in the file; else the reason."""
    _, pos = ebml_doctype(data)
    element = read_vint(data, pos, keep_marker=True)
    if element is None or element[0] != _SEGMENT_ID:
        return TRUNCATED if element is None and pos >= len(data) else NO_SEGMENT
    sized = read_vint(data, element[1], keep_marker=False)
    if sized is None:
        return TRUNCATED
    size, start = sized
    unknown = size == (1 << (7 * (start - element[1]))) - 1
    if not unknown and start + size > len(data):
        return TRUNCATED
    return None


def check_video(data: bytes, content_type: str) -> Reason | None:
    if content_type == "video/webm":
        return check_webm(data)
    return check_iso_media(data)
