"""The public configuration page: what a citizen reads about sectors, agencies and deadlines."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_page_lists_the_nine_sectors_with_todays_agencies(client: FlaskClient) -> None:
    response = client.get("/linh-vuc")
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    page = text_of(response.get_data(as_text=True))
    for name in (
        "Thông tin và Truyền thông",
        "Nông nghiệp - nông thôn",
        "Khoa học - công nghệ",
        "Sức khỏe",
        "Du lịch",
        "Giao thông - Vận tải",
        "Điện",
        "Tài nguyên nước",
        "Môi trường",
    ):
        assert name in page
    assert "Các lĩnh vực (9)" in page
    # Since 2025 transport belongs to the Department of Construction and environment reports go to
    # the commune where the problem is (there is no district level any more).
    assert "Sở Xây dựng" in page and "Sở Giao thông Vận tải" not in page
    assert "Ủy ban nhân dân cấp xã nơi xảy ra sự việc (124 địa bàn)" in page
    # Phụ lục 1's detailed text is there, not only the names.
    assert "cột ăng-ten trạm BTS" in page


def test_page_states_each_step_deadline_in_working_time(client: FlaskClient) -> None:
    page = text_of(client.get("/linh-vuc").get_data(as_text=True))
    assert "Tiếp nhận, kiểm tra và phân loại 02 giờ làm việc khi có phản ánh Đ6.2" in page
    assert "Xác minh phạm vi xử lý 01 ngày làm việc" in page
    assert "Xử lý phản ánh tối đa 06 ngày làm việc" in page
    assert "Biên tập và công khai kết quả 04 giờ làm việc" in page
    assert "không phải 24 giờ" in page


def test_page_lists_days_off_and_makeup_days_of_a_year(client: FlaskClient) -> None:
    page = text_of(client.get("/linh-vuc?nam=2025").get_data(as_text=True))
    assert "Thứ Bảy, 26/04/2025 Làm việc" in page
    assert "Thứ Sáu, 02/05/2025 Nghỉ" in page
    assert "Thứ Tư, 29/01/2025 Nghỉ Tết Nguyên Đán" in page
    assert client.get("/linh-vuc?nam=1999").status_code == 404


def test_unknown_page_is_answered_in_vietnamese(client: FlaskClient) -> None:
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404 and "Không tìm thấy" in response.get_data(as_text=True)


def test_page_is_vietnamese_and_needs_nothing_from_outside(client: FlaskClient) -> None:
    html = client.get("/linh-vuc").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "no CDN at run time"
    assert client.get("/static/style.css").status_code == 200
