"""Uploads: the type comes from the content, limits hold, photos come out with no metadata."""

from __future__ import annotations

import io
import threading
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile
from PIL.TiffImagePlugin import IFDRational

from engine.media import (
    CleanedPhoto,
    Inspected,
    MediaLimits,
    MediaRefused,
    check_batch,
    clean_photo,
    display_name,
    inspect_upload,
    sha256_hex,
    storage_name,
)
from engine.media.model import pillow_heic_format
from engine.media.sniff import sniff

from . import media_samples as samples

LIMITS = MediaLimits()


def refused(data: bytes, filename: str, limits: MediaLimits = LIMITS) -> MediaRefused:
    with pytest.raises(MediaRefused) as caught:
        inspect_upload(data, filename, "image/jpeg", limits)
    error = caught.value
    assert error.filename == filename
    if filename:
        assert f"“{filename}”" in error.message_vi
        assert f"“{filename}”" in error.message_en
    assert str(error) == error.message_en
    return error


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- defaults -----------------------------------------------------------------------------------


def test_default_limits() -> None:
    assert (LIMITS.max_files, LIMITS.max_photo_bytes, LIMITS.max_video_bytes) == (
        6,
        10 * 1024 * 1024,
        50 * 1024 * 1024,
    )
    assert (LIMITS.max_pixels, LIMITS.max_side, LIMITS.thumbnail_side) == (24_000_000, 2560, 320)
    assert LIMITS.photo_types[:3] == ("image/jpeg", "image/png", "image/webp")
    assert LIMITS.video_types == ("video/mp4", "video/quicktime", "video/webm", "video/3gpp")
    # HEIC only where a Pillow plug-in can open it (not on a plain Pillow install).
    assert ("image/heic" in LIMITS.photo_types) == (pillow_heic_format() is not None)


# --- photos accepted ----------------------------------------------------------------------------


def test_jpeg_with_exif_gps_is_accepted_with_its_location_and_time() -> None:
    data = samples.jpeg_with_gps()
    found = inspect_upload(data, "o-ga.jpg", "image/jpeg", LIMITS)
    assert (found.kind, found.content_type, found.extension) == ("photo", "image/jpeg", ".jpg")
    assert (found.size, found.width, found.height) == (len(data), 64, 48)
    assert found.gps is not None
    assert found.gps == pytest.approx(samples.VINH_LONG, abs=1e-4)
    assert found.taken_at == datetime(2025, 3, 14, 8, 30, 5)
    assert found.taken_at.tzinfo is None
    assert found.filename == "o-ga.jpg"


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(-33.8688, 151.2093), (40.7128, -74.006), (-22.9068, -43.1729)],
)
def test_south_and_west_are_negative(latitude: float, longitude: float) -> None:
    data = samples.jpeg(exif=samples.gps_exif(latitude, longitude))
    found = inspect_upload(data, "a.jpg", None, LIMITS)
    assert found.gps == pytest.approx((latitude, longitude), abs=1e-4)


def test_a_photo_without_exif_has_no_location_or_time() -> None:
    found = inspect_upload(samples.jpeg(), "a.jpg", None, LIMITS)
    assert (found.gps, found.taken_at) == (None, None)


@pytest.mark.parametrize(
    "gps",
    [
        {2: (10.0, 15.0, 13.32), 4: (105.0, 58.0, 19.92)},  # no N/S, E/W: the sign is unknown
        {1: "N", 2: (10.0, 15.0, 13.32), 3: "E"},  # no longitude
        {1: "X", 2: (10.0, 15.0, 13.32), 3: "E", 4: (105.0, 58.0, 19.92)},
        {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (105.0, 58.0, 19.92)},  # beyond the pole
        {1: "N", 2: (10.0, 75.0, 0.0), 3: "E", 4: (105.0, 58.0, 19.92)},  # 75 minutes
        {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},  # no fix
        {1: "N", 2: (IFDRational(10, 0), 15.0, 0.0), 3: "E", 4: (105.0, 58.0, 19.92)},  # x/0
    ],
)
def test_garbled_gps_reads_as_none(gps: dict) -> None:
    exif = Image.Exif()
    exif[0x8825] = gps
    exif[0x8769] = {0x9003: "0000:00:00 00:00:00"}
    found = inspect_upload(samples.jpeg(exif=exif), "a.jpg", None, LIMITS)
    assert (found.gps, found.taken_at) == (None, None)


def test_exif_that_does_not_parse_reads_as_none() -> None:
    junk = b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\x7f" + bytes(range(200))
    found = inspect_upload(samples.jpeg(exif=junk), "a.jpg", None, LIMITS)
    assert (found.kind, found.gps, found.taken_at) == ("photo", None, None)
    assert clean_photo(samples.jpeg(exif=junk), LIMITS).width == 64


def test_png_is_accepted() -> None:
    found = inspect_upload(samples.png(), "so-do.png", "image/png", LIMITS)
    assert (found.kind, found.content_type, found.extension) == ("photo", "image/png", ".png")
    assert (found.width, found.height) == (50, 30)


def test_webp_is_accepted() -> None:
    found = inspect_upload(samples.webp(), "a.webp", "image/webp", LIMITS)
    assert (found.content_type, found.extension) == ("image/webp", ".webp")


def test_the_content_decides_not_the_name_or_declared_type() -> None:
    found = inspect_upload(samples.png(), "anh.jpg", "image/jpeg", LIMITS)
    assert (found.content_type, found.extension) == ("image/png", ".png")
    video = inspect_upload(samples.mp4(), "anh.jpg", "image/jpeg", LIMITS)
    assert (video.kind, video.extension) == ("video", ".mp4")


# --- refused ------------------------------------------------------------------------------------


def test_a_text_file_named_jpg_is_refused_as_what_it_is() -> None:
    error = refused(samples.text_named_jpg(), "bao-cao.jpg")
    assert error.code == "not_media"
    assert "text file" in error.message_en and "văn bản" in error.message_vi
    assert ".jpg" in error.message_en and ".jpg" in error.message_vi
    assert "JPEG" in error.message_en  # says what is accepted


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(40), "ZIP"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00", "Windows program"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
        (bytes(range(256)) * 4, "no known kind"),
    ],
)
def test_other_files_are_named_for_what_they_look_like(data: bytes, label: str) -> None:
    error = refused(data, "anh.jpg")
    assert error.code == "not_media"
    assert label in error.message_en


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (samples.gif(), "GIF"),
        (samples.webm(b"matroska"), "MKV"),
        (samples.mp4(b"3g2a", (b"3g2a",)), "3G2"),
        (samples.mp4(b"M4A ", (b"M4A ", b"mp42")), "M4A"),
    ],
)
def test_media_of_a_type_not_taken_is_refused_by_name(data: bytes, label: str) -> None:
    error = refused(data, "tep.bin")
    assert error.code in ("type_not_accepted", "not_media")
    assert label in error.message_en and label in error.message_vi


@pytest.mark.skipif(pillow_heic_format() is not None, reason="a HEIC plug-in is installed here")
def test_heic_is_refused_with_how_to_send_jpeg_instead() -> None:
    error = refused(samples.heic(), "IMG_0001.HEIC")
    assert error.code == "type_not_accepted"
    assert "HEIC" in error.message_en and "Most Compatible" in error.message_en
    assert "Tương thích nhất" in error.message_vi


def test_an_empty_file_is_refused() -> None:
    assert refused(b"", "a.jpg").code == "empty"


def test_a_truncated_jpeg_is_refused() -> None:
    error = refused(samples.truncated_jpeg(), "cut.jpg")
    assert error.code == "corrupt"
    assert "JPEG" in error.message_en and "incomplete" in error.message_en


def test_a_corrupt_png_is_refused() -> None:
    data = bytearray(samples.png())
    data[40:60] = bytes(20)  # inside the chunks: CRCs and the compressed stream break
    assert refused(bytes(data), "hong.png").code == "corrupt"


def test_a_64_megapixel_header_is_refused_before_decoding() -> None:
    start = time.perf_counter()
    error = refused(samples.huge_header_png(8000, 8000), "khong-lo.png")
    assert time.perf_counter() - start < 0.5  # nothing of 8000 × 8000 was decoded
    assert error.code == "too_many_pixels"
    assert "8000 × 8000" in error.message_en and "64 megapixels" in error.message_en
    assert "24 megapixel" in error.message_vi


def test_a_39_7_megapixel_png_of_a_few_kilobytes_is_refused_by_default() -> None:
    """Such a file cost 512 MB and seconds to decode; by default it is refused from its header."""
    error = refused(samples.huge_header_png(7720, 5140), "nho-ma-lon.png")
    assert error.code == "too_many_pixels"
    assert "7720 × 5140" in error.message_vi and "39,7 megapixel" in error.message_vi


def test_pixels_are_counted_from_the_header_before_any_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoded: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def counting(image: ImageFile.ImageFile) -> Any:
        decoded.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting)
    for data in (samples.png(size=(100, 60)), samples.jpeg(size=(100, 60))):
        assert refused(data, "a", replace(LIMITS, max_pixels=5_999)).code == "too_many_pixels"
    assert decoded == []


def test_a_photo_being_decoded_does_not_hold_up_another(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding runs outside the lock that guards Pillow's warnings: one large upload no longer
    makes every other upload of the process wait for it."""
    decoding, finish = threading.Event(), threading.Event()
    load = ImageFile.ImageFile.load

    def held_up(image: ImageFile.ImageFile) -> Any:
        if image.size == (61, 41) and not decoding.is_set():
            decoding.set()
            finish.wait(timeout=30)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", held_up)
    slow = threading.Thread(target=clean_photo, args=(samples.png(size=(61, 41)), LIMITS))
    slow.start()
    assert decoding.wait(timeout=30)
    done: list[CleanedPhoto] = []
    other = threading.Thread(target=lambda: done.append(clean_photo(samples.jpeg(), LIMITS)))
    other.start()
    other.join(timeout=30)  # returns at once unless the other photo waits for the first
    finished_meanwhile = bool(done)
    finish.set()
    slow.join()
    other.join()
    assert finished_meanwhile


def test_pillow_bomb_guard_refuses_and_is_restored() -> None:
    before = Image.MAX_IMAGE_PIXELS
    tight = replace(LIMITS, max_pixels=4_000)
    # 60 × 80 = 4800: over the limit (Pillow warns) — refused with the size.
    error = refused(samples.jpeg(size=(60, 80)), "a.jpg", tight)
    assert error.code == "too_many_pixels" and "60 × 80" in error.message_en
    # 100 × 100 = 10 000: over twice the limit (Pillow raises DecompressionBombError) — refused.
    assert refused(samples.jpeg(size=(100, 100)), "b.jpg", tight).code == "too_many_pixels"
    assert before == Image.MAX_IMAGE_PIXELS


def test_a_photo_over_the_byte_limit_is_refused() -> None:
    data = samples.jpeg_with_gps()
    error = refused(data, "nang.jpg", replace(LIMITS, max_photo_bytes=1024))
    assert error.code == "too_large"
    assert "1 KB" in error.message_en and "1 KB" in error.message_vi


# --- videos -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "content_type", "extension"),
    [
        (samples.mp4, "video/mp4", ".mp4"),
        (samples.mov, "video/quicktime", ".mov"),
        (samples.video_3gp, "video/3gpp", ".3gp"),
        (samples.webm, "video/webm", ".webm"),
    ],
)
def test_videos_are_accepted_by_their_container(make, content_type: str, extension: str) -> None:
    data = make()
    found = inspect_upload(data, "clip", None, LIMITS)
    assert (found.kind, found.content_type, found.extension, found.size) == (
        "video",
        content_type,
        extension,
        len(data),
    )
    assert (found.width, found.height, found.gps, found.taken_at) == (None, None, None, None)


def test_an_oversized_video_is_refused() -> None:
    limits = replace(LIMITS, max_video_bytes=4 * 1024)
    assert inspect_upload(samples.mp4_of_size(4 * 1024), "vua.mp4", None, limits).kind == "video"
    error = refused(samples.mp4_of_size(6 * 1024), "dai.mp4", limits)
    assert error.code == "too_large"
    assert "6 KB" in error.message_en and "4 KB" in error.message_en
    assert "a video may be at most" in error.message_en


def test_a_truncated_video_is_refused() -> None:
    error = refused(samples.truncated_mp4(), "dut.mp4")
    assert error.code == "corrupt" and "cut short" in error.message_en


def test_an_ftyp_box_alone_is_not_a_video() -> None:
    error = refused(samples.ftyp_and_padding(), "gia.mp4")
    assert error.code == "corrupt" and "moov" in error.message_en


def test_a_webm_segment_that_runs_past_the_end_is_refused() -> None:
    data = samples.webm().replace(
        b"\x01\xff\xff\xff\xff\xff\xff\xff", b"\x01" + bytes(5) + b"\xff\xff"
    )
    assert refused(data, "dut.webm").code == "corrupt"


# --- cleaning -----------------------------------------------------------------------------------


def assert_no_metadata(data: bytes) -> Image.Image:
    image = reopen(data)
    assert not image.getexif()
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Comment"):
        assert key not in image.info
    for secret in (b"Galaxy", b"Samsung", b"xmpmeta", b"Vinh Long", "Vĩnh Long".encode()):
        assert secret not in data
    return image


def test_clean_jpeg_has_no_metadata_left() -> None:
    cleaned = clean_photo(samples.jpeg_with_gps(), LIMITS)
    assert isinstance(cleaned, CleanedPhoto)
    assert (cleaned.content_type, cleaned.extension) == ("image/jpeg", ".jpg")
    image = assert_no_metadata(cleaned.data)
    assert (
        (image.format, image.size)
        == ("JPEG", (cleaned.width, cleaned.height))
        == ("JPEG", (64, 48))
    )
    again = inspect_upload(cleaned.data, "clean.jpg", None, LIMITS)
    assert (again.gps, again.taken_at) == (None, None)
    assert_no_metadata(cleaned.thumbnail)


def test_clean_applies_the_exif_orientation() -> None:
    found = inspect_upload(samples.rotated_jpeg(), "xoay.jpg", None, LIMITS)
    assert (found.width, found.height) == (40, 60)  # stored 60 × 40, shown upright
    cleaned = clean_photo(samples.rotated_jpeg(), LIMITS)
    image = assert_no_metadata(cleaned.data)
    assert image.size == (cleaned.width, cleaned.height) == (40, 60)
    red, green, blue = image.getpixel((20, 5))  # red was on the left; turned clockwise: on top
    assert red > 200 and blue < 50
    red, green, blue = image.getpixel((20, 55))
    assert blue > 200 and red < 50


def test_clean_png_stays_png_with_transparency_and_no_chunks() -> None:
    cleaned = clean_photo(samples.png(), LIMITS)
    assert cleaned.content_type == "image/png"
    image = assert_no_metadata(cleaned.data)
    assert image.format == "PNG" and image.mode == "RGBA" and image.info == {}
    assert image.getpixel((0, 0))[3] == 128
    assert reopen(cleaned.thumbnail).format == "JPEG"


def test_clean_webp_becomes_jpeg() -> None:
    cleaned = clean_photo(samples.webp(), LIMITS)
    assert cleaned.content_type == "image/jpeg"
    assert assert_no_metadata(cleaned.data).format == "JPEG"


def test_clean_downscales_to_max_side_and_makes_a_thumbnail() -> None:
    big = samples.jpeg(size=(3000, 2000))
    cleaned = clean_photo(big, LIMITS)
    assert (cleaned.width, cleaned.height) == (2560, 1707)
    assert reopen(cleaned.data).size == (2560, 1707)
    assert reopen(cleaned.thumbnail).size == (320, 213)

    small = replace(LIMITS, max_side=100, thumbnail_side=30)
    cleaned = clean_photo(samples.rotated_jpeg(), small)
    assert (cleaned.width, cleaned.height) == (40, 60)  # not enlarged
    assert reopen(cleaned.thumbnail).size == (20, 30)
    cleaned = clean_photo(samples.jpeg(size=(300, 120)), small)
    assert (cleaned.width, cleaned.height) == (100, 40)


def _encoded(image: Image.Image, fmt: str, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def _palette_with_transparency() -> bytes:
    image = Image.new("P", (20, 10), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    return _encoded(image, "PNG", transparency=0)


@pytest.mark.parametrize(
    ("data", "content_type", "mode"),
    [
        (_encoded(Image.new("CMYK", (20, 10), (0, 255, 255, 0)), "JPEG"), "image/jpeg", "RGB"),
        (_encoded(Image.new("L", (20, 10), 90), "JPEG"), "image/jpeg", "L"),
        (_palette_with_transparency(), "image/png", "RGBA"),
        (_encoded(Image.new("LA", (20, 10), (90, 10)), "PNG"), "image/png", "RGBA"),
        (_encoded(Image.new("1", (20, 10), 1), "PNG"), "image/png", "L"),
        (_encoded(Image.new("I;16", (20, 10), 0x8000), "PNG"), "image/png", "L"),
        (_encoded(Image.new("RGB", (20, 10), (1, 2, 3)), "PNG"), "image/png", "RGB"),
    ],
)
def test_clean_handles_every_colour_mode(data: bytes, content_type: str, mode: str) -> None:
    cleaned = clean_photo(data, LIMITS)
    image = assert_no_metadata(cleaned.data)
    assert (cleaned.content_type, image.mode, image.size) == (content_type, mode, (20, 10))
    assert reopen(cleaned.thumbnail).mode in ("L", "RGB")


def test_clean_scales_16_bit_grey_instead_of_clipping_it() -> None:
    cleaned = clean_photo(_encoded(Image.new("I;16", (20, 10), 0x8000), "PNG"), LIMITS)
    assert 120 <= reopen(cleaned.data).getpixel((0, 0)) <= 135  # half grey, not white


def test_clean_runs_the_same_checks() -> None:
    with pytest.raises(MediaRefused) as caught:
        clean_photo(samples.mp4(), LIMITS, "clip.mp4")
    assert "not a photo" in caught.value.message_en and caught.value.filename == "clip.mp4"
    with pytest.raises(MediaRefused) as caught:
        clean_photo(samples.truncated_jpeg(), LIMITS, "cut.jpg")
    assert caught.value.code == "corrupt"
    with pytest.raises(MediaRefused) as caught:
        clean_photo(samples.huge_header_png(), LIMITS, "big.png")
    assert caught.value.code == "too_many_pixels"


# --- batch, names, hashes -----------------------------------------------------------------------


def test_batch_is_inspected_in_order() -> None:
    files = [(samples.jpeg_with_gps(), "1.jpg", "image/jpeg"), (samples.mp4(), "2.mp4", None)]
    found = check_batch(files, LIMITS)
    assert [f.kind for f in found] == ["photo", "video"]
    assert all(isinstance(f, Inspected) for f in found)
    assert check_batch([], LIMITS) == []


def test_batch_over_the_file_count_is_refused() -> None:
    files = [(samples.jpeg(), f"{i}.jpg", None) for i in range(7)]
    with pytest.raises(MediaRefused) as caught:
        check_batch(files, LIMITS)
    error = caught.value
    assert error.code == "too_many_files" and error.filename == ""
    assert "at most 6" in error.message_en and "7 were sent" in error.message_en
    assert "tối đa 6" in error.message_vi and "7 tệp" in error.message_vi
    assert len(check_batch(files[:6], LIMITS)) == 6


def test_batch_names_the_file_refused() -> None:
    files = [(samples.jpeg(), "tot.jpg", None), (samples.text_named_jpg(), "xau.jpg", None)]
    with pytest.raises(MediaRefused) as caught:
        check_batch(files, LIMITS)
    assert caught.value.filename == "xau.jpg" and "“xau.jpg”" in caught.value.message_vi


def test_display_name() -> None:
    decomposed = "a\u0309nh o\u0302\u0300 ga\u0300.jpg"  # as macOS sends "ảnh ồ gà.jpg"
    assert display_name("C:\\fakepath\\" + decomposed) == "ảnh ồ gà.jpg"
    assert display_name("../../etc/x\x00\x1b[31m.jpg") == "x[31m.jpg"
    assert len(display_name("a" * 500 + ".jpg")) == 80
    assert refused(b"", "").message_en.startswith("(unnamed)")


def test_storage_names_come_from_the_cleaned_bytes() -> None:
    cleaned = clean_photo(samples.jpeg_with_gps(), LIMITS)
    assert cleaned.sha256 == sha256_hex(cleaned.data)
    assert len(cleaned.sha256) == 64
    assert storage_name(cleaned.data, cleaned.content_type) == cleaned.sha256 + ".jpg"
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# --- robustness ---------------------------------------------------------------------------------

SEEDS = [samples.jpeg_with_gps(), samples.png(), samples.mp4(), samples.webm(), samples.webp()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=8),
    cut=st.integers(1, 5000),
)
def test_damaged_uploads_are_accepted_or_refused_never_crash(
    seed: bytes, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(seed[:cut])
    for position, value in edits:
        if position < len(data):
            data[position] = value
    try:
        found = inspect_upload(bytes(data), "x", None, LIMITS)
    except MediaRefused as error:
        assert error.message_vi and error.message_en
        return
    if found.kind == "photo":  # what inspection accepts, cleaning can store
        cleaned = clean_photo(bytes(data), LIMITS)
        assert (cleaned.width, cleaned.height) == (found.width, found.height)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_sniffing_never_raises(data: bytes) -> None:
    assert sniff(data).label_en
