"""The reporter's private page (Đ11): its steps, its deadline, the result, the reply and rating."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.services.lifecycle import Lifecycle
from engine.store.models import Reply, Report
from engine.workflow import State
from tests.web.test_portal_support import (
    IOC,
    answer,
    post,
    send_report,
    text_of,
    version_of,
)


def report_row(life: Lifecycle, code: str) -> Report:
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        session.expunge(report)
        return report


def test_the_tracking_page_needs_the_right_token(client: FlaskClient) -> None:
    code, token = send_report(client)
    other_code, other_token = send_report(client)
    one_off = token[:-1] + ("y" if token.endswith("x") else "x")  # never the token itself
    for url in (
        f"/theo-doi/{code}",
        f"/theo-doi/{code}?t=",
        f"/theo-doi/{code}?t={one_off}",
        f"/theo-doi/{code}?t={other_token}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        page = text_of(response.get_data(as_text=True))
        assert "Đường dẫn theo dõi không đúng" in page and "Nguyễn Văn An" not in page
        assert "ổ gà" not in page
    assert client.get(f"/theo-doi/PA-1999-999999?t={token}").status_code == 404
    assert client.get(f"/theo-doi/{other_code}?t={other_token}").status_code == 200


def test_the_steps_and_the_deadline_read_in_plain_vietnamese(
    client: FlaskClient, life: Lifecycle
) -> None:
    code, token = send_report(client)
    response = client.get(f"/theo-doi/{code}?t={token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = response.get_data(as_text=True)
    assert '<meta name="referrer" content="no-referrer">' in html
    page = text_of(html)
    assert "Tình trạng: Đã tiếp nhận, chờ phân loại" in page
    assert "Bạn đã gửi phản ánh" in page
    assert re.search(r"cần hoàn thành trước: \d\d/\d\d/\d{4} \d\d:\d\d", page)
    assert "Đường Phạm Thái Bường có ổ gà lớn" in page
    assert "45 Phạm Thái Bường, Phường Phước Hậu" in page
    # No forms before there is an answer.
    assert 'id="reply-form"' not in html and 'id="rating-form"' not in html

    life.perform(IOC, code, "classify", version=version_of(life, code), sector="giao-thong-van-tai")
    page = text_of(client.get(f"/theo-doi/{code}?t={token}").get_data(as_text=True))
    assert "Trung tâm đã kiểm tra và phân loại phản ánh" in page
    assert "Đã phân loại, chờ chuyển" in page
    assert "Giao thông - Vận tải" in page


def test_the_reporter_reads_the_steps_in_a_citizens_words_and_not_the_agencys_own(
    client: FlaskClient, life: Lifecycle
) -> None:
    """The desk's action labels ("Tiếp nhận xử lý", "Đề nghị gia hạn"…) are the staff's; the
    tracking page says what happened to the citizen, and leaves the agency's internal steps out."""
    from engine.services.lifecycle import Actor
    from engine.workflow import ACTIONS, Role

    officer = Actor("Phạm Minh Đức", Role.OFFICER, agency="SXD")
    leader = Actor("Võ Thị Em", Role.LEADER, agency="SXD")
    code, token = send_report(client)
    steps = [
        (IOC, "classify", {"sector": "giao-thong-van-tai"}),
        (IOC, "forward", {}),
        (officer, "accept", {}),
        (officer, "request_extension", {"reason": "Chờ vật tư.", "due": "2030-06-28T17:00+07:00"}),
        (leader, "refuse_extension", {"reason": "Không đủ căn cứ."}),
    ]
    for who, action, inputs in steps:
        life.perform(who, code, action, version=version_of(life, code), **inputs)
    html = client.get(f"/theo-doi/{code}?t={token}").get_data(as_text=True)
    shown = [text_of(str(li)) for li in re.findall(r'<li data-testid="step">.*?</li>', html, re.S)]
    assert [line.split(" — ", 1)[1].strip() for line in shown] == [
        "Bạn đã gửi phản ánh",
        "Trung tâm đã kiểm tra và phân loại phản ánh",
        "Phản ánh đã được chuyển đến cơ quan xử lý",
        "Cơ quan xử lý đã tiếp nhận, đang xử lý",
    ]
    for row in ACTIONS.values():
        if row.label_vi != row.citizen and row.label_vi not in ("Gửi phản ánh",):
            assert row.label_vi not in text_of(html), row.action
    english = client.get(f"/theo-doi/{code}?t={token}&lang=en").get_data(as_text=True)
    assert "The handling agency took it up and is handling it" in text_of(english)
    client.get(f"/theo-doi/{code}?t={token}&lang=vi")  # the visit goes on in Vietnamese


def test_the_centre_asks_and_the_reporter_adds(client: FlaskClient, life: Lifecycle) -> None:
    code, token = send_report(client)
    life.perform(
        IOC,
        code,
        "request_info",
        version=version_of(life, code),
        note="Xin gửi thêm số nhà cụ thể.",
    )
    html = client.get(f"/theo-doi/{code}?t={token}").get_data(as_text=True)
    assert "Xin gửi thêm số nhà cụ thể." in text_of(html) and 'id="addition-form"' in html
    version = version_of(life, code)
    empty = post(client, f"/theo-doi/{code}/bo-sung", {"t": token, "version": version, "text": ""})
    assert empty.status_code == 422
    assert "Vui lòng nhập thông tin bổ sung" in text_of(empty.get_data(as_text=True))
    response = post(
        client,
        f"/theo-doi/{code}/bo-sung",
        {"t": token, "version": version, "text": "Trước nhà số 45, gần cột điện."},
    )
    assert response.status_code == 303
    report = report_row(life, code)
    assert report.state == State.RECEIVED and "gần cột điện" in report.content
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Đã gửi thông tin bổ sung" in page and "Bạn đã bổ sung thông tin" in page


def test_the_result_is_shown_in_the_template_and_can_be_answered(
    client: FlaskClient, life: Lifecycle
) -> None:
    code, token = send_report(client)
    assert answer(life, code, result="Đã vá ổ gà trước số 45 ngày 23/4/2026.") == State.PUBLISHED
    url = f"/theo-doi/{code}?t={token}"
    html = client.get(url).get_data(as_text=True)
    page = text_of(html)
    assert "Tình trạng: Đã công khai kết quả" in page
    # Phụ lục 2: the agency, the greeting with the name, the answer and the closing.
    result = re.search(r'<div class="result-text" id="result-text"[^>]*>(.*?)</div>', html, re.S)
    assert result
    assert result.group(1).startswith("SỞ XÂY DỰNG")
    assert "Kính chào: Ông/Bà Nguyễn Văn An" in result.group(1)
    assert "Đã vá ổ gà trước số 45 ngày 23/4/2026." in result.group(1)
    assert result.group(1).rstrip().endswith("Trân trọng!")
    assert 'id="rating-form"' in html and 'id="reply-form"' in html
    version = version_of(life, code)
    hidden = re.search(r'id="rating-version" name="version" type="hidden" value="(\d+)"', html)
    assert hidden and int(hidden.group(1)) == version

    # Rate (Đ11.2), then change one's mind.
    rated = post(
        client, f"/theo-doi/{code}/danh-gia", {"t": token, "version": version, "rating": "hai_long"}
    )
    assert rated.status_code == 303 and rated.headers["Location"].endswith(url)
    assert report_row(life, code).rating == "hai_long"
    page = text_of(client.get(url).get_data(as_text=True))
    assert "Cảm ơn bạn đã đánh giá" in page and "Bạn đã đánh giá: Hài lòng" in page
    version = version_of(life, code)
    post(
        client,
        f"/theo-doi/{code}/danh-gia",
        {"t": token, "version": version, "rating": "khong_hai_long"},
    )
    assert report_row(life, code).rating == "khong_hai_long"

    # Reply (Đ11.1).
    version = version_of(life, code)
    replied = post(
        client,
        f"/theo-doi/{code}/phan-hoi",
        {"t": token, "version": version, "text": "Vạch sơn chưa được kẻ lại?"},
    )
    assert replied.status_code == 303
    with life.uow.read() as session:
        texts = session.scalars(select(Reply.text).join(Report).where(Report.code == code)).all()
    assert texts == ["Vạch sơn chưa được kẻ lại?"]
    page = text_of(client.get(url).get_data(as_text=True))
    assert "Đã gửi phản hồi của bạn" in page and "Vạch sơn chưa được kẻ lại?" in page
    assert (
        "Bạn đã gửi phản hồi về kết quả" in page and "Bạn đã đánh giá kết quả" in page
    )  # the steps


def test_bad_answers_are_refused_next_to_the_field(client: FlaskClient, life: Lifecycle) -> None:
    code, token = send_report(client)
    answer(life, code)
    version = version_of(life, code)
    bad = post(
        client, f"/theo-doi/{code}/danh-gia", {"t": token, "version": version, "rating": "tuyet"}
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="rating-error"' in html and "Vui lòng chọn một mức đánh giá" in text_of(html)
    empty = post(
        client, f"/theo-doi/{code}/phan-hoi", {"t": token, "version": version, "text": " "}
    )
    assert empty.status_code == 422 and 'id="reply-error"' in empty.get_data(as_text=True)
    long = post(
        client, f"/theo-doi/{code}/phan-hoi", {"t": token, "version": version, "text": "a" * 2001}
    )
    assert long.status_code == 422 and "Tối đa 2000 ký tự" in text_of(long.get_data(as_text=True))
    # A stale version: someone else changed the report since the page was opened.
    stale = post(
        client,
        f"/theo-doi/{code}/phan-hoi",
        {"t": token, "version": version - 1, "text": "Hỏi lại"},
    )
    assert stale.status_code == 409
    assert "hãy tải lại và thực hiện lại" in text_of(stale.get_data(as_text=True))
    # Without the right token nothing happens.
    forged = post(
        client,
        f"/theo-doi/{code}/danh-gia",
        {"t": "x" * 32, "version": version, "rating": "hai_long"},
    )
    assert forged.status_code == 403
    assert report_row(life, code).rating is None and version_of(life, code) == version


def test_answering_before_the_result_is_refused(client: FlaskClient, life: Lifecycle) -> None:
    code, token = send_report(client)
    version = version_of(life, code)
    response = post(
        client, f"/theo-doi/{code}/danh-gia", {"t": token, "version": version, "rating": "hai_long"}
    )
    assert response.status_code == 422
    assert 'id="action-problem"' in response.get_data(as_text=True)
    assert report_row(life, code).rating is None
