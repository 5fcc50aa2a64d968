"""Limits that come from the regulation itself (QĐ 2408/QĐ-UBND) and no configuration may exceed."""

from __future__ import annotations

from engine.config.snapshot import Duration, Unit

#: The longest each step may take, in working time, and the article that says so.
STEP_MAXIMA: dict[str, tuple[Duration, str]] = {
    "intake": (Duration(2, Unit.HOUR), "Đ6.2"),
    "forward": (Duration(2, Unit.HOUR), "Đ7.2"),
    "verify": (Duration(1, Unit.DAY), "Đ8.B2"),
    "handle": (Duration(6, Unit.DAY), "Đ8.B3"),
    "approve": (Duration(1, Unit.DAY), "Đ9.2"),
    "publish": (Duration(4, Unit.HOUR), "Đ10.1"),
}

#: Vietnamese names of the steps, for pages and messages.
STEP_NAMES_VI: dict[str, str] = {
    "intake": "Tiếp nhận, kiểm tra và phân loại",
    "forward": "Kiểm tra và chuyển cơ quan xử lý",
    "verify": "Xác minh phạm vi xử lý",
    "handle": "Xử lý phản ánh",
    "approve": "Lãnh đạo phê duyệt kết quả",
    "publish": "Biên tập và công khai kết quả",
}

#: The Phụ lục 2 template every configuration must provide.
RESULT_TEMPLATE = "ket-qua.txt.j2"
