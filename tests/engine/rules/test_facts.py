"""Fact preparation: Vietnamese folding, phone numbers, e-mail, dates (R5, R7, Đ5.3)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import pytest

from engine.rules import FactError
from engine.rules.facts import (
    check_phone,
    chunks,
    coordinate,
    day_number,
    flag,
    fold,
    is_valid_email,
    phrases,
    words,
)


@pytest.mark.parametrize(
    "text",
    ["Rác thải", "rac thai", "RÁC THẢI", "rÁc ThẢi", unicodedata.normalize("NFD", "Rác thải")],
)
def test_fold_ignores_diacritics_and_case(text: str) -> None:
    assert fold(text) == "rac thai"


def test_fold_turns_d_with_stroke_into_d() -> None:
    assert fold("Đường điện Đồng Tháp") == "duong dien dong thap"
    assert fold("ĐĐđđ") == "dddd"


def test_chunks_split_on_punctuation_and_keep_words_together() -> None:
    assert chunks("Mất điện, điện thoại hỏng!  Ổ gà-đường") == [
        ["mat", "dien"],
        ["dien", "thoai", "hong"],
        ["o", "ga", "duong"],
    ]
    assert words("  Đèn giao-thông ") == ("den", "giao", "thong")


def test_phrases_are_runs_of_the_requested_lengths() -> None:
    assert phrases([["a", "b", "c"]], [1, 2]) == ["a", "b", "c", "a b", "b c"]
    assert phrases([["a", "b"], ["a"]], [3]) == []


VALID_MOBILES = [
    "0912345678",
    "0312345678",
    "0512345678",
    "0712345678",
    "0812345678",
    "091 234 5678",
    "091.234.5678",
    "091-234-5678",
    "(091) 234-5678",
    "+84912345678",
    "+84 912 345 678",
    "84912345678",
    "+84 (0) 912 345 678",
    " 0912345678 ",
]
VALID_LANDLINES = [
    "02703823456",
    "0270 382 3456",
    "(0270) 3.823.456",
    "+84 270 3823 456",
    "842703823456",
]
INVALID_PHONES = [
    "091234567",  # 9 digits
    "09123456789",  # 11 digits, mobile prefix
    "0112345678",  # 01 is no longer a prefix
    "0412345678",
    "0612345678",
    "0212345678",  # 02 needs 11 digits
    "027038234567",  # 12 digits
    "1912345678",
    "+1 912 345 678",
    "+85 912 345 678",
    "091234567a",
    "091/234/5678",
    "09+12345678",
    "++84912345678",
    "phone",
    "",
    "+84",
    "8491234567",  # too short once 84 → 0
]


@pytest.mark.parametrize("raw", VALID_MOBILES)
def test_valid_mobile_numbers(raw: str) -> None:
    phone = check_phone(raw)
    assert phone.kind == "mobile", raw
    assert len(phone.digits) == 10 and phone.digits.startswith("0")


@pytest.mark.parametrize("raw", VALID_LANDLINES)
def test_valid_landline_numbers(raw: str) -> None:
    phone = check_phone(raw)
    assert phone.kind == "landline", raw
    assert phone.digits == "02703823456"


@pytest.mark.parametrize("raw", INVALID_PHONES)
def test_invalid_phone_numbers(raw: str) -> None:
    assert check_phone(raw).kind == "invalid"


def test_international_form_gives_the_national_digits() -> None:
    assert check_phone("+84 912-345-678").digits == "0912345678"


@pytest.mark.parametrize(
    "email",
    ["dttm@vinhlong.gov.vn", "nguyen.van.a+pa@gmail.com", "a_b-c@sub.example.org", "X@Y.VN"],
)
def test_valid_emails(email: str) -> None:
    assert is_valid_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "dttm",
        "dttm@",
        "@vinhlong.gov.vn",
        "a@b",
        "a@b.c",
        "a b@c.vn",
        "a@@c.vn",
        "a..b@c.vn",
        ".a@c.vn",
        "a@-c.vn",
        "a@c..vn",
        "nguyễn@c.vn",
        "a@c.vn.",
        "x" * 65 + "@c.vn",
    ],
)
def test_invalid_emails(email: str) -> None:
    assert not is_valid_email(email)


def test_day_number_reads_dates_datetimes_and_iso_text() -> None:
    assert day_number(None) is None
    assert day_number(date(2025, 7, 1)) == date(2025, 7, 1).toordinal()
    assert day_number(datetime(2025, 7, 1, 23, 59)) == date(2025, 7, 1).toordinal()
    assert day_number("2025-07-01") == date(2025, 7, 1).toordinal()
    assert day_number("2025-07-01T08:00:00+07:00") == date(2025, 7, 1).toordinal()
    with pytest.raises(FactError, match="not a date"):
        day_number("01/07/2025")


def test_flags_and_coordinates() -> None:
    assert flag("Có", "x") is True and flag("không", "x") is False and flag(None, "x") is False
    assert flag(1, "x") is True and flag("on", "x") is True
    with pytest.raises(FactError):
        flag("maybe", "x")
    assert coordinate("10.25", 90) == 10.25
    assert coordinate(100, 90) is None
    assert coordinate("nan", 90) is None
    assert coordinate(True, 90) is None
    assert coordinate("x", 180) is None
