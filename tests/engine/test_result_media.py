"""The checks of a result's files (Đ8.B4): photos as the citizens', PDFs whole and unencrypted,
no videos; and sizes written as people read them (KB/MB, Vietnamese decimal comma)."""

from __future__ import annotations

import pytest

from engine.config.snapshot import PortalConfig
from engine.media import MediaRefused, check_batch, inspect_upload
from engine.media.model import MB, human_size
from engine.uploads import limits_of, result_limits_of
from tests.engine.media_samples import jpeg, mp4
from tests.web.test_result_files import pdf

RESULT = result_limits_of(PortalConfig())
CITIZEN = limits_of(PortalConfig())


def test_a_whole_pdf_is_a_document_of_a_result() -> None:
    found = inspect_upload(pdf(), "bien-ban.pdf", "application/pdf", RESULT)
    assert (found.kind, found.content_type, found.extension) == (
        "document",
        "application/pdf",
        ".pdf",
    )


def test_a_photo_is_taken_with_a_result_as_with_a_report() -> None:
    assert inspect_upload(jpeg(), "anh.jpg", None, RESULT).kind == "photo"


def test_a_citizen_still_cannot_send_a_pdf() -> None:
    with pytest.raises(MediaRefused) as refused:
        inspect_upload(pdf(), "don.pdf", "application/pdf", CITIZEN)
    assert refused.value.code == "not_media"
    assert "không phải ảnh hay video" in refused.value.message_vi


def test_a_video_is_not_taken_with_a_result() -> None:
    with pytest.raises(MediaRefused) as refused:
        inspect_upload(mp4(), "clip.mp4", "video/mp4", RESULT)
    assert refused.value.code == "type_not_accepted"
    assert "là video MP4, loại này không được nhận" in refused.value.message_vi
    assert refused.value.message_vi.endswith(" và văn bản PDF.")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (pdf()[:-30], "bị cắt cụt"),
        (pdf().replace(b"<< /Root 1 0 R >>", b"<< /Root 1 0 R /Encrypt 2 0 R >>"), "mật khẩu"),
        (b"%PDF-x" + pdf()[6:], "phần đầu tệp"),
    ],
)
def test_a_pdf_that_cannot_be_read_is_refused_saying_why(data: bytes, reason: str) -> None:
    with pytest.raises(MediaRefused) as refused:
        inspect_upload(data, "cong-van.pdf", None, RESULT)
    assert refused.value.code == "corrupt" and reason in refused.value.message_vi
    assert "“cong-van.pdf”" in refused.value.message_vi


def test_too_many_files_for_a_result_is_refused_before_any_is_opened() -> None:
    files = [(b"not even looked at", f"{i}.pdf", None) for i in range(RESULT.max_files + 1)]
    with pytest.raises(MediaRefused) as refused:
        check_batch(files, RESULT)
    assert refused.value.message_vi == (
        f"Kết quả xử lý chỉ được đính kèm tối đa {RESULT.max_files} tệp; "
        f"đã chọn {RESULT.max_files + 1} tệp."
    )


@pytest.mark.parametrize(
    ("size", "vi", "en"),
    [
        (850, "850 byte", "850 bytes"),
        (10 * 1024, "10 KB", "10 KB"),
        (10_500, "10,3 KB", "10.3 KB"),
        (int(1.5 * MB), "1,5 MB", "1.5 MB"),
        (20 * MB, "20 MB", "20 MB"),
    ],
)
def test_sizes_are_written_in_kb_and_mb_with_the_vietnamese_decimal_comma(
    size: int, vi: str, en: str
) -> None:
    assert (human_size(size, "vi"), human_size(size, "en")) == (vi, en)
