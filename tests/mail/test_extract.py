"""Name, phone and place from a citizen's e-mail, and a content safe to publish."""

from __future__ import annotations

import pytest

from engine.config.snapshot import Snapshot
from engine.mail.extract import MASK_EMAIL, MASK_NAME, MASK_PHONE, extract, find_area, find_phone


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("0909 123 456", "0909123456"),
        ("0909.123.456", "0909123456"),
        ("+84 909 123 456", "0909123456"),
        ("090-912-3456", "0909123456"),
        ("0909123456", "0909123456"),
        ("số máy 84 909 123 456 nhé", "0909123456"),
        ("bàn: 0270 3822 123", "02703822123"),
        ("gọi 0909 123 456 45 lần rồi", "0909123456"),  # a number glued to what follows
    ],
)
def test_phone_formats(text: str, digits: str) -> None:
    found = find_phone(text)
    assert found is not None and found[1] == digits


@pytest.mark.parametrize(
    "text", ["ngày 22.04.2026", "số nhà 45/12", "0909 12", "mã 123456789012", "+1 415 555 0100"]
)
def test_not_phones(text: str) -> None:
    assert find_phone(text) is None


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Họ tên: Nguyễn Văn An", "Nguyễn Văn An"),
        ("Họ và tên: Trần Thị Bé.", "Trần Thị Bé"),
        ("Tên: Lê Cường, SĐT 0909 123 456", "Lê Cường"),
        ("Người gửi: Phạm Đức", "Phạm Đức"),
        ("Ho ten: Nguyen Van An", "Nguyen Van An"),  # written without diacritics
        ("- Người phản ánh : Võ Thị Em", "Võ Thị Em"),
        ("Tôi là Nguyễn Văn An, ở ấp 3, xin phản ánh", "Nguyễn Văn An"),
        ("tôi tên là Huỳnh Văn Hải. Nhà tôi gần chợ", "Huỳnh Văn Hải"),
    ],
)
def test_name_formats(line: str, name: str) -> None:
    assert extract(f"Rác ùn ứ.\n{line}").name == name


def test_name_falls_back_to_the_display_name() -> None:
    found = extract("Rác ùn ứ ở chợ.", display_name="Đặng Thu Giang", sender="giang@example.vn")
    assert found.name == "Đặng Thu Giang"


@pytest.mark.parametrize("display", [None, "", "giang@example.vn", "'giang@example.vn'"])
def test_no_name_when_the_display_name_is_the_address(display: str | None) -> None:
    assert extract("Rác ùn ứ.", display_name=display, sender="giang@example.vn").name is None


def test_no_name_from_lower_case_words() -> None:
    """«Tôi là người dân ở ấp 3» names nobody."""
    assert extract("Tôi là người dân ở ấp 3, xin phản ánh.").name is None


def test_missing_name_and_phone() -> None:
    found = extract("Đèn đường hỏng ở ấp 3 đã một tuần.")
    assert (found.name, found.phone, found.address, found.area) == (None, None, None, None)
    assert found.text == "Đèn đường hỏng ở ấp 3 đã một tuần."


def test_an_invalid_labelled_phone_is_kept_so_the_reporter_hears_why() -> None:
    assert extract("Rác.\nSĐT: 0909 12").phone == "0909 12"


def test_address_and_area(snapshot: Snapshot) -> None:
    found = extract(
        "Ổ gà lớn.\nĐịa chỉ: 45 Phạm Thái Bường, phường Phước Hậu", areas=snapshot.areas
    )
    assert found.address == "45 Phạm Thái Bường, phường Phước Hậu"
    assert found.area == "29557"
    assert snapshot.areas["29557"].name == "Phường Phước Hậu"


def test_area_without_diacritics_and_in_the_text(snapshot: Snapshot) -> None:
    assert extract("Rac thai o xa Giao Long", areas=snapshot.areas).area == "28807"


def test_two_areas_named_is_left_to_a_person(snapshot: Snapshot) -> None:
    text = "Xe tải chạy từ Xã Giao Long qua Phường Phước Hậu làm hư đường."
    assert find_area(text, snapshot.areas) is None


def test_a_name_without_the_kind_is_not_an_area(snapshot: Snapshot) -> None:
    assert find_area("đường Giao Long", snapshot.areas) is None


def test_identity_is_taken_out_of_the_text_to_publish() -> None:
    found = extract(
        "Ổ gà lớn trước số 45.\n"
        "Họ tên: Nguyễn Văn An\n"
        "Điện thoại: 0909 123 456\n"
        "Email: an@example.vn\n"
        "Liên hệ: 0909.123.456 hoặc an@example.vn. Nguyễn Văn An kính gửi.\n"
        "Quán karaoke số 0270 3822 123 mở nhạc quá 22 giờ.",
        sender="an@example.vn",
    )
    assert (found.name, found.phone) == ("Nguyễn Văn An", "0909123456")
    assert found.text == (
        "Ổ gà lớn trước số 45.\n"
        f"Liên hệ: {MASK_PHONE} hoặc {MASK_EMAIL}. {MASK_NAME} kính gửi.\n"
        "Quán karaoke số 0270 3822 123 mở nhạc quá 22 giờ."  # not the reporter's: it stays
    )
