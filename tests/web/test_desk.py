"""The processing desk's pages (R2, R11–R22, R26–R28, R35): reads, queues, badges, forms, refusals.

The authorization matrix is in ``test_desk_matrix.py``; here, each behaviour on a few reports.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import audit
from engine.services import keyset
from engine.services.lifecycle import Actor
from engine.store.models import Attachment, Clock, Event, Extension, Report
from engine.workflow import Role, State
from tests.web.test_desk_support import (
    HEALTH,
    MORNING,
    OF_ROLE,
    STAFF,
    VN,
    Desk,
    actor,
    build_desk,
    codes_in,
    counts,
    forms_on,
    health_report,
    perform,
    queue_codes,
    report_in,
    state_of,
    submit,
    tags,
    text_of,
    version_of,
)
from web.desk.views import actor_label

REPORTER_NAME, REPORTER_PHONE, REPORTER_EMAIL = "Nguyễn Văn An", "0909 123 456", "an.nguyen@"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return build_desk(tmp_path_factory.mktemp("desk"))


@pytest.fixture(autouse=True)
def morning(desk: Desk) -> None:
    desk.clock.value = MORNING


def page_of(desk: Desk, username: str, url: str, status: int = 200) -> str:
    response = desk.client(username).get(url)
    assert response.status_code == status, (username, url, response.status_code)
    return response.get_data(as_text=True)


def post(desk: Desk, username: str, code: str, action: str, **data: str):  # noqa: ANN201
    data.setdefault("version", str(version_of(desk.life, code)))
    return desk.client(username).post(f"/ban-xu-ly/phan-anh/{code}/{action}", data=data)


def form_tag(html: str, action: str) -> dict[str, str]:
    found = tags(html, "form", data_action=action)
    assert found, f"no form for {action}"
    return found[0]


# -- who may read what -----------------------------------------------------------------------------


def test_signed_out_staff_go_to_the_sign_in_page_and_nothing_is_written(desk: Desk) -> None:
    code = submit(desk.life)
    nobody = desk.client(None)
    for url in ("/ban-xu-ly", f"/ban-xu-ly/phan-anh/{code}", "/ban-xu-ly/tim-kiem"):
        response = nobody.get(url)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]
    before = counts(desk.life)
    response = nobody.post(
        f"/ban-xu-ly/phan-anh/{code}/request_info", data={"version": "1", "note": "Thiếu ảnh."}
    )
    assert response.status_code == 302 and counts(desk.life) == before


@pytest.mark.parametrize("role", list(OF_ROLE), ids=str)
def test_every_read_for_every_role(desk: Desk, role: Role) -> None:
    username = OF_ROLE[role]
    home = page_of(desk, username, "/ban-xu-ly")
    assert tags(home, data_testid="staff", data_role=role.value)
    page_of(desk, username, "/ban-xu-ly/tim-kiem?q=o+ga&qua-han=1")
    reads_register = role in (Role.OPERATOR_ADMIN, Role.AUDITOR)
    for url in ("/ban-xu-ly/cong-bo-thong-tin", "/ban-xu-ly/nhat-ky"):
        html = page_of(desk, username, url, 200 if reads_register else 403)
        if not reads_register:
            assert tags(html, data_testid="desk-error", data_status="403")
    assert bool(tags(home, id="nav-register")) is reads_register
    missing = page_of(desk, username, "/ban-xu-ly/phan-anh/PA-2026-999999", 404)
    assert "Không có phản ánh mã PA-2026-999999" in text_of(missing)


def test_pages_are_private_and_scripts_come_from_here_only(desk: Desk) -> None:
    code = submit(desk.life)
    response = desk.client("ioc").get(f"/ban-xu-ly/phan-anh/{code}")
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html
    assert tags(html, "input", name="version", id="classify-version")


def test_a_form_without_its_security_token_is_refused_and_nothing_is_written(desk: Desk) -> None:
    code = submit(desk.life)
    html = page_of(desk, "ioc", f"/ban-xu-ly/phan-anh/{code}")
    assert tags(html, "input", name="csrf_token")  # every form carries it
    before = counts(desk.life)
    desk.app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = post(desk, "ioc", code, "request_info", note="Xin thêm ảnh.")
    finally:
        desk.app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and counts(desk.life) == before
    assert "Biểu mẫu đã hết hạn" in text_of(response.get_data(as_text=True))


def test_an_unknown_action_or_the_reporters_own_is_not_a_desk_route(desk: Desk) -> None:
    code = report_in(desk.life, State.PUBLISHED)
    for action in ("fly_away", "rate", "reply", "provide_info", "submit"):
        assert post(desk, "ioc", code, action, text="x", rating="hai_long").status_code == 404


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("ioc", True),
        ("quantri", True),
        ("canbo.sxd", True),
        ("lanhdao.sxd", True),
        ("tinh", False),
        ("kiemtra", False),
    ],
)
def test_the_reporters_identity_is_shown_only_to_who_contacts_them(
    desk: Desk, username: str, sees: bool
) -> None:
    code = report_in(desk.life, State.IN_PROGRESS)
    html = page_of(desk, username, f"/ban-xu-ly/phan-anh/{code}")
    page = text_of(html)
    for secret in (REPORTER_NAME, REPORTER_PHONE, REPORTER_EMAIL):
        assert (secret in page) is sees, (username, secret)
    assert bool(tags(html, id="reporter-name")) is sees
    assert bool(tags(html, data_testid="reporter-hidden")) is not sees
    for url in ("/ban-xu-ly", "/ban-xu-ly/tim-kiem", "/ban-xu-ly/nhat-ky"):
        response = desk.client(username).get(url)
        assert REPORTER_NAME not in response.get_data(as_text=True)  # rows never carry it


def test_what_a_citizen_typed_is_escaped(desk: Desk) -> None:
    code = submit(desk.life, content="Ổ gà <script>alert(1)</script> trước số 45 đường Lê Lợi.")
    html = page_of(desk, "ioc", f"/ban-xu-ly/phan-anh/{code}")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# -- queues and badges -----------------------------------------------------------------------------


def test_the_queues_of_each_role_on_the_page(desk: Desk) -> None:
    ioc_states = {
        "moi": State.RECEIVED,
        "cho-chuyen": State.CLASSIFIED,
        "cho-bo-sung": State.NEEDS_INFO,
        "bi-tra-lai": State.RETURNED,
        "chuyen-cap-tren": State.ESCALATED,
    }
    agency_states = {
        "cho-xac-minh": State.FORWARDED,
        "dang-xu-ly": State.IN_PROGRESS,
        "cho-phe-duyet": State.PENDING_APPROVAL,
        "cho-cong-khai": State.APPROVED,
    }
    made = {
        key: report_in(desk.life, state) for key, state in {**ioc_states, **agency_states}.items()
    }
    other = report_in(desk.life, State.FORWARDED, "SYT")
    replied = report_in(desk.life, State.PUBLISHED, feedback=True)  # the reporter's reply
    ioc = queue_codes(page_of(desk, "ioc", "/ban-xu-ly?hang=phan-hoi"))
    assert replied in ioc["phan-hoi"]
    ioc = queue_codes(page_of(desk, "ioc", "/ban-xu-ly"))
    assert list(ioc) == [
        "moi",
        "cho-chuyen",
        "cho-bo-sung",
        "bi-tra-lai",
        "chuyen-cap-tren",
        "phan-hoi",
    ]
    for key in ioc_states:
        assert made[key] in ioc[key], key
    for username in ("canbo.sxd", "lanhdao.sxd"):
        queues_ = queue_codes(page_of(desk, username, "/ban-xu-ly"))
        if username == "canbo.sxd":  # the officer's own first: what they accepted, unanswered
            assert list(queues_)[0] == "giao-cho-toi"
            assert made["dang-xu-ly"] in queues_.pop("giao-cho-toi")
        assert set(queues_) == set(agency_states)
        for key in agency_states:
            assert made[key] in queues_[key], (username, key)
        assert other not in {c for codes in queues_.values() for c in codes}
    assert other in queue_codes(page_of(desk, "canbo.syt", "/ban-xu-ly"))["cho-xac-minh"]
    assert set(queue_codes(page_of(desk, "quantri", "/ban-xu-ly"))) == {
        "chuyen-cap-tren",
        "tranh-chap",
        "qua-han",
    }
    assert set(queue_codes(page_of(desk, "tinh", "/ban-xu-ly"))) == {"qua-han", "sap-den-han"}
    auditor = page_of(desk, "kiemtra", "/ban-xu-ly")
    assert queue_codes(auditor) == {} and tags(auditor, id="audit-events")


@pytest.mark.parametrize(
    ("at", "standing", "label", "text"),
    [
        ("2026-04-22T08:40+07:00", "on_time", "Đúng hạn", "còn 1 giờ 20 phút làm việc"),
        ("2026-04-22T09:40+07:00", "warning", "Sắp đến hạn", "còn 20 phút làm việc"),
        ("2026-04-23T08:00+07:00", "late", "Quá hạn", "quá 6 giờ"),
        ("2026-04-24T09:00+07:00", "late", "Quá hạn", "quá 1 ngày 7 giờ"),
    ],
)
def test_every_row_has_a_deadline_badge_from_the_clock(
    desk: Desk, at: str, standing: str, label: str, text: str
) -> None:
    code = submit(desk.life)  # Wednesday 08:00: 2 working hours to classify (Đ6)
    desk.clock.value = datetime.fromisoformat(at)
    html = page_of(desk, "ioc", "/ban-xu-ly?hang=moi")
    row = next(r for r in tags(html, "tr", data_testid="queue-row") if r["data-code"] == code)
    assert row["data-standing"] == standing
    cell = html[html.index(f'data-code="{code}"') :]
    cell = text_of(cell[: cell.index("</tr>")])
    assert label in cell and text in cell
    assert all(r.get("data-standing") for r in tags(html, "tr", data_testid="queue-row"))
    report = page_of(desk, "ioc", f"/ban-xu-ly/phan-anh/{code}")
    assert tags(report, id="report-deadline", data_standing=standing)


def test_the_full_queue_pages_with_next_links(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """``?hang=`` shows one queue a page at a time ("Trang sau"), by position, never all of it."""
    import html as markup

    from web.desk import views

    monkeypatch.setattr(views, "QUEUE_PAGE", 2)
    made = {report_in(desk.life, State.FORWARDED, "SYT") for _ in range(3)}
    url, pages = "/ban-xu-ly?hang=cho-xac-minh", []
    while url:
        html = page_of(desk, "canbo.syt", url)
        pages.append(codes_in(html))
        following = tags(html, "a", id="page-next")
        url = markup.unescape(following[0]["href"]) if following else ""
        assert len(pages) < 50
    seen = [code for codes in pages for code in codes]
    assert all(len(codes) <= 2 for codes in pages) and len(pages) >= 2
    assert made <= set(seen) and len(seen) == len(set(seen))
    assert tags(html, "a", id="page-first")  # the last page leads back to the first
    home = page_of(desk, "canbo.syt", "/ban-xu-ly")
    assert tags(home, "a", id="more-cho-xac-minh") or len(seen) <= views.QUEUE_PREVIEW


def test_the_record_pages_by_position_newest_first(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The auditor's record follows "Trang sau" through every event, each once (R23)."""
    import html as markup

    from web.desk import views

    monkeypatch.setattr(views, "RECORD_PAGE", 3)
    report_in(desk.life, State.FORWARDED)
    with desk.life.uow.read() as session:
        events = session.scalars(select(Event).order_by(Event.at.desc(), Event.id.desc())).all()
        expected = [(e.report.code, str(e.seq)) for e in events]
    url, seen = "/ban-xu-ly/nhat-ky", []
    while url and len(seen) <= len(expected):
        html = page_of(desk, "kiemtra", url)
        lines = tags(html, "tr", data_testid="record-line")
        assert len(lines) <= 3
        seen += [(line["data-code"], line["data-seq"]) for line in lines]
        following = tags(html, "a", id="page-next")
        url = markup.unescape(following[0]["href"]) if following else ""
    assert seen == expected and tags(html, "a", id="page-first")
    edited = page_of(desk, "kiemtra", "/ban-xu-ly/nhat-ky?sau=i1")
    assert "Địa chỉ trang không hợp lệ" in text_of(edited)


def test_an_edited_page_position_shows_the_first_page_with_a_message(desk: Desk) -> None:
    report_in(desk.life, State.FORWARDED, "SYT")
    html = page_of(desk, "canbo.syt", "/ban-xu-ly?hang=cho-xac-minh&sau=abc")
    assert "Địa chỉ trang không hợp lệ" in text_of(html) and codes_in(html)
    assert not tags(html, "a", id="page-first")


def test_a_paused_report_reads_paused(desk: Desk) -> None:
    code = report_in(desk.life, State.NEEDS_INFO)
    html = page_of(desk, "ioc", "/ban-xu-ly?hang=cho-bo-sung")
    row = next(r for r in tags(html, "tr", data_testid="queue-row") if r["data-code"] == code)
    assert row["data-standing"] == "paused" and "Tạm dừng" in text_of(html)


def test_filters_and_search(desk: Desk) -> None:
    road = report_in(desk.life, State.FORWARDED)
    food = report_in(desk.life, State.FORWARDED, "SYT")
    html = page_of(desk, "ioc", "/ban-xu-ly/tim-kiem?q=o+ga&trang-thai=forwarded")
    assert road in codes_in(html) and food not in codes_in(html)
    html = page_of(desk, "ioc", f"/ban-xu-ly/tim-kiem?linh-vuc={HEALTH}&co-quan=SYT")
    assert food in codes_in(html) and road not in codes_in(html)
    html = page_of(desk, "canbo.syt", "/ban-xu-ly/tim-kiem?q=o+ga")
    assert road not in codes_in(html)  # outside the officer's scope
    html = page_of(desk, "ioc", "/ban-xu-ly/tim-kiem?linh-vuc=thoi-tiet&xa=00000")
    assert "Lĩnh vực này không có trong danh sách." in text_of(html)
    assert "Xã, phường này không có trong danh sách." in text_of(html)
    desk.clock.value = datetime(2026, 4, 24, 9, 0, tzinfo=VN)
    late = page_of(desk, "lanhdao.sxd", "/ban-xu-ly/tim-kiem?qua-han=1")
    assert road in codes_in(late)
    filtered = queue_codes(page_of(desk, "lanhdao.sxd", f"/ban-xu-ly?q={road}&qua-han=1"))
    assert filtered["cho-xac-minh"] == [road]


def test_a_search_past_the_count_cap_says_more_than(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        submit(desk.life)  # a pothole, "ổ gà" in its content
    monkeypatch.setattr(keyset, "COUNT_CAP", 2)
    html = page_of(desk, "ioc", "/ban-xu-ly/tim-kiem?q=ổ+gà")
    [count] = tags(html, "p", id="search-count")
    assert count["data-capped"] == "1"
    assert "hơn 2 phản ánh" in text_of(html)
    assert "Các trang chỉ gồm 2 phản ánh khớp nhất" in text_of(html)
    assert "· trang" not in text_of(html)  # one page: the pages of the first two matches
    plain = page_of(desk, "ioc", "/ban-xu-ly/tim-kiem")
    [exact] = tags(plain, "p", id="search-count")
    assert not tags(plain, id="search-capped") and "data-capped" not in exact
    assert int(exact["data-total"]) >= 5  # counted to the end


# -- the forms -------------------------------------------------------------------------------------


def test_the_pickers_preselect_the_rules_choice_and_name_the_rule(desk: Desk) -> None:
    code = submit(desk.life)
    html = page_of(desk, "ioc", f"/ban-xu-ly/phan-anh/{code}")
    assert tags(html, "p", id="classify-sector-rule", data_rule="giao-thong-van-tai")
    selected = html[html.index('id="classify-sector"') :]
    selected = selected[: selected.index("</select>")]
    assert 'value="giao-thong-van-tai" selected' in selected
    assert "ổ gà" in text_of(html)  # the words the suggestion matched
    perform(desk.life, actor("ioc"), code, "classify", sector="giao-thong-van-tai")
    html = page_of(desk, "ioc", f"/ban-xu-ly/phan-anh/{code}")
    assert tags(html, "p", id="forward-agency-rule", data_rule="giao-thong-van-tai")
    # The rule in words, with its article; its internal id is not shown to staff.
    assert "Phụ lục 1 — phân công lĩnh vực Giao thông - Vận tải" in text_of(html)
    assert "giao-thong-van-tai" not in text_of(html)
    assert "Theo quy tắc phân công: Sở Xây dựng" in text_of(html)
    chosen = html[html.index('id="forward-agency"') :]
    assert 'value="SXD" selected' in chosen[: chosen.index("</select>")]
    client = desk.client("ioc")
    response = client.post(
        f"/ban-xu-ly/phan-anh/{code}/forward",
        data={"version": str(version_of(desk.life, code)), "agency": "SXD"},
    )
    assert response.status_code == 303 and state_of(desk.life, code) is State.FORWARDED
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert tags(after, data_testid="flash")
    assert "Đã thực hiện: Chuyển cơ quan xử lý. Tình trạng: Đã chuyển cơ quan xử lý." in text_of(
        after
    )


def test_an_empty_required_note_is_answered_beside_the_field(desk: Desk) -> None:
    code = submit(desk.life)
    for note in ("", "   "):
        before = counts(desk.life)
        response = post(desk, "ioc", code, "request_info", note=note)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        error = tags(html, data_testid="field-error", data_field="note")
        assert error and error[0]["id"] == "request_info-note-error"
        assert "Cần ghi chú cho thao tác «Yêu cầu bổ sung thông tin»" in text_of(html)
        assert tags(html, "details", id="action-request_info-details", open="")
        assert counts(desk.life) == before and state_of(desk.life, code) is State.RECEIVED
    response = post(desk, "ioc", code, "reject", reason="", note="ghi chú giữ lại")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and tags(
        html, data_testid="field-error", data_field="reason"
    )
    assert "ghi chú giữ lại" in html  # what was typed stays in the form


def test_the_use_cases_refusal_lands_beside_its_field(desk: Desk) -> None:
    code = report_in(desk.life, State.CLASSIFIED)
    before = counts(desk.life)
    response = post(desk, "ioc", code, "forward", agency="SYT")  # not the rules' choice, no note
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert tags(html, data_testid="field-error", data_field="note")
    assert "cần ghi rõ lý do" in text_of(html)
    assert counts(desk.life) == before
    response = post(desk, "ioc", code, "forward", agency="SYT", note="An toàn thực phẩm.")
    assert response.status_code == 303 and state_of(desk.life, code) is State.FORWARDED


def test_a_stale_version_is_a_conflict_and_nothing_is_written(desk: Desk) -> None:
    code = report_in(desk.life, State.FORWARDED)
    html = page_of(desk, "lanhdao.sxd", f"/ban-xu-ly/phan-anh/{code}")
    shown = tags(html, "input", id="assign-version")[0]["value"]
    perform(desk.life, actor("lanhdao.sxd"), code, "assign", officer="canbo.sxd")  # meanwhile
    before = counts(desk.life)
    response = post(
        desk, "lanhdao.sxd", code, "assign", version=shown, unit="", officer="canbo.sxd"
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Phản ánh vừa được người khác cập nhật" in text_of(html)
    assert tags(html, data_testid="problem")
    assert counts(desk.life) == before
    fresh = tags(html, "input", id="assign-version")[0]["value"]
    assert int(fresh) == version_of(desk.life, code) != int(shown)
    assert 'value="canbo.sxd" selected' in html  # what was chosen is kept
    with desk.life.uow.read() as session:
        officer = session.scalars(select(Report.officer).where(Report.code == code)).one()
    assert officer == "Phạm Minh Đức"


def test_an_action_the_state_does_not_allow_is_answered_in_words(desk: Desk) -> None:
    code = report_in(desk.life, State.FORWARDED)
    before = counts(desk.life)
    response = post(desk, "ioc", code, "classify", sector="dien")  # a forged or very old form
    assert response.status_code == 422 and counts(desk.life) == before
    problem = text_of(response.get_data(as_text=True))
    assert "Không thể «Phân loại lĩnh vực» khi phản ánh đang ở tình trạng" in problem
    assert "«Đã chuyển cơ quan xử lý». Chưa có gì được ghi." in problem


def test_a_due_time_typed_in_vietnam_becomes_an_aware_instant(desk: Desk) -> None:
    code = report_in(desk.life, State.IN_PROGRESS)
    assert post(desk, "canbo.sxd", code, "request_extension", due="2026-05-08T16:30",
                reason="Chờ vật tư.").status_code == 303  # fmt: skip
    html = page_of(desk, "lanhdao.sxd", f"/ban-xu-ly/phan-anh/{code}")
    assert tags(html, "input", id="grant_extension-due", value="2026-05-08T16:30")
    assert "Chờ vật tư." in text_of(html)
    assert post(desk, "lanhdao.sxd", code, "grant_extension", due="2026-05-08T16:30",
                reason="Đồng ý.").status_code == 303  # fmt: skip
    with desk.life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        extension = session.scalars(select(Extension).where(Extension.report_id == report.id)).one()
        handle = session.scalars(
            select(Clock).where(Clock.report_id == report.id, Clock.step == "handle")
        ).one()
        expected = datetime(2026, 5, 8, 16, 30, tzinfo=VN)
        assert extension.requested_due == expected and extension.granted_due == expected
        assert handle.due_at == expected and handle.extended
    response = post(desk, "canbo.sxd", code, "request_extension", due="ngày mai", reason="x")
    assert response.status_code == 422
    assert tags(response.get_data(as_text=True), data_testid="field-error", data_field="due")


def test_edit_and_approve_shows_both_texts_and_keeps_the_officers(desk: Desk) -> None:
    code = report_in(desk.life, State.PENDING_APPROVAL)
    html = page_of(desk, "lanhdao.sxd", f"/ban-xu-ly/phan-anh/{code}")
    officer_text = "Đã vá ổ gà ngày 23/4/2026."
    beside = tags(html, data_testid="officer-text")
    assert beside and beside[0]["id"] == "edit_and_approve-result-beside"
    edit = html[html.index('id="edit_and_approve-result"') :]
    assert edit[edit.index(">") + 1 :].startswith(officer_text)  # the textarea starts from it
    edited = "Sở Xây dựng đã vá ổ gà trước số 45 ngày 23/4/2026 và cắm biển cảnh báo."
    assert post(desk, "lanhdao.sxd", code, "edit_and_approve", result=edited).status_code == 303
    with desk.life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        assert (report.proposed_result, report.approved_result) == (officer_text, edited)
    html = page_of(desk, "lanhdao.sxd", f"/ban-xu-ly/phan-anh/{code}")
    assert officer_text in text_of(html) and edited in text_of(html)
    assert tags(html, id="proposed-result") and tags(html, id="approved-result")


@pytest.mark.parametrize(
    ("state", "level", "named"),
    [
        (State.PUBLISHED, "public", True),
        (State.ANSWERED_PRIVATELY, "private", False),
        (State.RESTRICTED, "restricted", None),
    ],
)
def test_the_phu_luc_2_preview_before_publishing(
    desk: Desk, state: State, level: str, named: bool | None
) -> None:
    code = submit(
        desk.life,
        confidential=state is State.ANSWERED_PRIVATELY,
        state_secret=state is State.RESTRICTED,
    )
    for action, who, inputs in (
        ("classify", "ioc", {"sector": "giao-thong-van-tai"}),
        ("forward", "ioc", {}),
        ("accept", "canbo.sxd", {}),
        ("propose_result", "canbo.sxd", {"result": "Đã vá ổ gà ngày 23/4/2026."}),
        ("approve", "lanhdao.sxd", {}),
    ):
        perform(desk.life, actor(who), code, action, **inputs)
    html = page_of(desk, "canbo.sxd", f"/ban-xu-ly/phan-anh/{code}")
    preview = tags(html, data_testid="preview")
    assert preview and preview[0]["data-level"] == level
    start = html.find('id="publish-preview-text"')
    if named is None:
        assert start == -1 and tags(html, id="publish-preview-none")
    else:
        text = text_of(html[start : html.index("</pre>", start)])
        assert "SỞ XÂY DỰNG" in text and "Đã vá ổ gà ngày 23/4/2026." in text
        assert (REPORTER_NAME in text) is named
    assert post(desk, "canbo.sxd", code, "publish").status_code == 303
    assert state_of(desk.life, code) is state


# -- disputes (Đ3.8) -------------------------------------------------------------------------------


def test_a_report_returned_by_two_agencies_goes_to_the_administrator(desk: Desk) -> None:
    code = report_in(desk.life, State.FORWARDED)
    ok = 303
    assert (
        post(
            desk, "canbo.sxd", code, "return_to_ioc", reason="Không phải đường của Sở."
        ).status_code
        == ok
    )
    assert post(desk, "ioc", code, "classify", sector=HEALTH).status_code == ok
    assert post(desk, "ioc", code, "forward", agency="SYT").status_code == ok
    assert (
        post(desk, "canbo.syt", code, "return_to_ioc", reason="Không thuộc y tế.").status_code == ok
    )
    admin = queue_codes(page_of(desk, "quantri", "/ban-xu-ly"))
    assert code in admin["tranh-chap"]
    ioc_page = page_of(desk, "ioc", "/ban-xu-ly?hang=bi-tra-lai")
    row = next(r for r in tags(ioc_page, "tr", data_testid="queue-row") if r["data-code"] == code)
    assert row.get("data-disputed") == "1" and "Tranh chấp" in text_of(ioc_page)
    assert post(desk, "ioc", code, "escalate", note="").status_code == 422  # a note is required
    assert post(desk, "ioc", code, "escalate", note="Hai Sở cùng trả lại.").status_code == ok
    admin = queue_codes(page_of(desk, "quantri", "/ban-xu-ly"))
    assert code in admin["chuyen-cap-tren"] and code not in admin["tranh-chap"]
    html = page_of(desk, "quantri", f"/ban-xu-ly/phan-anh/{code}")
    assert forms_on(html) == {"designate"}
    assert "Đã trả lại: Sở Xây dựng, Sở Y tế." in text_of(html)
    response = post(desk, "quantri", code, "designate", agency="SXD", committee="y",
                    note="Theo ý kiến UBND tỉnh, Sở Xây dựng chủ trì.")  # fmt: skip
    assert response.status_code == ok and state_of(desk.life, code) is State.FORWARDED
    with desk.life.uow.read() as session:
        event = session.scalars(
            select(Event).join(Report).where(Report.code == code).order_by(Event.seq.desc())
        ).first()
        assert event.action == "designate" and event.data == {"agency": "SXD", "committee": True}
    assert code in queue_codes(page_of(desk, "canbo.sxd", "/ban-xu-ly"))["cho-xac-minh"]
    timeline = text_of(page_of(desk, "tinh", f"/ban-xu-ly/phan-anh/{code}"))
    assert "Chỉ định cơ quan xử lý" in timeline and "Báo cáo UBND tỉnh Có" in timeline


# -- the whole story -------------------------------------------------------------------------------


def test_the_report_page_tells_the_whole_story(desk: Desk, tmp_path: Path) -> None:
    code = report_in(desk.life, State.IN_PROGRESS)
    perform(desk.life, actor("canbo.sxd"), code, "request_extension",
            reason="Chờ vật tư.", due="2026-05-29T17:00+07:00")  # fmt: skip
    perform(desk.life, actor("lanhdao.sxd"), code, "grant_extension",
            reason="Đồng ý.", due="2026-05-29T17:00+07:00")  # fmt: skip
    with desk.life.uow.begin() as session:  # a picture, as the intake would have stored it
        report = session.scalars(select(Report).where(Report.code == code)).one()
        root = Path(desk.app.config["MEDIA_ROOT"])
        (root / "ab").mkdir(parents=True, exist_ok=True)
        (root / "ab" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
        session.add(
            Attachment(report=report, stage="report", kind="photo", filename="o-ga.jpg",
                       content_type="image/jpeg", size=20, sha256="0" * 64, path="ab/photo.jpg",
                       thumbnail_path=None, created_at=MORNING)
        )  # fmt: skip
        report.latitude, report.longitude = 10.2537, 105.9722
    html = page_of(desk, "lanhdao.sxd", f"/ban-xu-ly/phan-anh/{code}")
    actions = [e["data-action"] for e in tags(html, "li", data_testid="event")]
    assert actions == [
        "submit",
        "classify",
        "forward",
        "accept",
        "request_extension",
        "grant_extension",
    ]
    steps = {c["data-step"]: c["data-standing"] for c in tags(html, "tr", data_testid="clock")}
    assert set(steps) == {"intake", "forward", "verify", "handle"}
    assert tags(html, data_testid="extension") and "Đồng ý." in text_of(html)
    assert tags(html, data_testid="map", data_lat="10.2537")
    media = tags(html, "a", data_testid="media")
    assert len(media) == 1
    assert desk.client("canbo.sxd").get(media[0]["href"]).status_code == 200
    assert desk.client("canbo.syt").get(media[0]["href"]).status_code == 403
    assert desk.client("tinh").get(media[0]["href"]).status_code == 200


# -- disclosure (Đ13.7) and the auditor ----------------------------------------------------------


def test_a_disclosure_asks_for_the_authority_and_the_reason_and_records_both(desk: Desk) -> None:
    code = report_in(desk.life, State.FORWARDED)
    url = f"/ban-xu-ly/phan-anh/{code}/cong-bo-thong-tin"
    authority, reason = "Công an tỉnh Vĩnh Long", "Công văn 45/CAT-PV01 ngày 20/4/2026."
    admin_page = page_of(desk, "quantri", f"/ban-xu-ly/phan-anh/{code}")
    assert tags(admin_page, "form", id="disclose-form")
    for username in ("ioc", "canbo.sxd", "lanhdao.sxd", "tinh", "kiemtra"):
        assert not tags(page_of(desk, username, f"/ban-xu-ly/phan-anh/{code}"), id="disclose-form")
        before = counts(desk.life)
        response = desk.client(username).post(url, data={"authority": authority, "reason": reason})
        assert response.status_code == 403 and counts(desk.life) == before
    before = counts(desk.life)
    response = desk.client("quantri").post(url, data={"authority": "", "reason": reason})
    assert response.status_code == 422 and counts(desk.life) == before
    html = response.get_data(as_text=True)
    assert tags(html, data_testid="field-error", data_field="authority")
    assert reason in html  # kept
    response = desk.client("quantri").post(url, data={"authority": authority, "reason": reason})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    slip = response.get_data(as_text=True)
    assert tags(slip, data_testid="disclosed", data_code=code)
    assert REPORTER_NAME in text_of(slip) and REPORTER_PHONE in text_of(slip)
    register = page_of(desk, "kiemtra", "/ban-xu-ly/cong-bo-thong-tin")
    line = [d for d in tags(register, "tr", data_testid="disclosure") if d["data-code"] == code]
    assert line and authority in text_of(register) and reason in text_of(register)
    assert REPORTER_NAME not in text_of(register)
    story = page_of(desk, "kiemtra", f"/ban-xu-ly/phan-anh/{code}")
    assert tags(story, "li", data_testid="event", data_action="disclose")
    assert authority in text_of(story) and REPORTER_NAME not in text_of(story)
    assert "Cung cấp thông tin người phản ánh cho cơ quan có thẩm quyền" in text_of(story)
    record = page_of(desk, "kiemtra", "/ban-xu-ly/nhat-ky")
    assert tags(record, "tr", data_testid="record-line", data_code=code, data_action="disclose")
    with desk.life.uow.read() as session:
        assert list(audit.verify(session)) == []


def test_the_auditor_and_the_viewer_read_and_change_nothing(desk: Desk) -> None:
    code = report_in(desk.life, State.PENDING_APPROVAL)
    for username in ("kiemtra", "tinh"):
        html = page_of(desk, username, f"/ban-xu-ly/phan-anh/{code}")
        assert forms_on(html) == set() and tags(html, data_testid="no-actions")
        assert tags(html, data_testid="read-only")
    assert 'class="hash code"' in page_of(desk, "kiemtra", f"/ban-xu-ly/phan-anh/{code}")
    assert 'class="hash code"' not in page_of(desk, "tinh", f"/ban-xu-ly/phan-anh/{code}")


def test_the_desk_names_people_and_agencies_in_vietnamese(desk: Desk) -> None:
    html = page_of(desk, "lanhdao.sxd", "/ban-xu-ly")
    assert "Võ Thị Em" in text_of(html) and "Lãnh đạo cơ quan" in text_of(html)
    assert "Sở Xây dựng" in text_of(html)
    role, agency, name = STAFF["canbo.syt"]
    assert Actor(name, role, agency, "canbo.syt") == actor("canbo.syt")


def test_a_report_of_another_agency_is_refused_on_the_page_and_the_post(desk: Desk) -> None:
    code = health_report(desk.life).code
    perform(desk.life, actor("ioc"), code, "classify", sector=HEALTH)
    perform(desk.life, actor("ioc"), code, "forward")
    html = page_of(desk, "canbo.sxd", f"/ban-xu-ly/phan-anh/{code}", 403)
    assert f"Phản ánh {code} không thuộc phạm vi của cơ quan SXD" in text_of(html)
    before = counts(desk.life)
    response = post(desk, "canbo.sxd", code, "accept")
    assert response.status_code == 403 and counts(desk.life) == before
    assert "không thuộc phạm vi" in text_of(response.get_data(as_text=True))


# -- assignment down the agency tree and refused extensions (Đ14.3, Đ8.B3) -------------------------


def test_the_leader_chooses_an_officer_account_and_a_typed_name_is_refused_beside_it(
    desk: Desk,
) -> None:
    code = report_in(desk.life, State.FORWARDED)
    html = page_of(desk, "lanhdao.sxd", f"/ban-xu-ly/phan-anh/{code}")
    picker = [t for t in tags(html, "option") if t.get("value") is not None]
    officers = {t["value"] for t in picker} & {"canbo.sxd", "canbo.syt", "Phạm Minh Đức"}
    assert officers == {"canbo.sxd"}  # the agency's own account, by its username
    assert tags(html, "select", id="assign-officer") and not tags(
        html, "input", id="assign-officer"
    )
    before = counts(desk.life)
    response = post(
        desk, "lanhdao.sxd", code, "assign", version=str(version_of(desk.life, code)),
        officer="Phạm Minh Đức",
    )  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = tags(page, data_testid="field-error", data_field="officer")
    assert error and "không phải tài khoản cán bộ" in text_of(page)
    assert "Chưa có gì được ghi" in text_of(page)
    assert counts(desk.life) == before
    response = post(
        desk, "lanhdao.sxd", code, "assign", version=str(version_of(desk.life, code)),
        officer="canbo.sxd",
    )  # fmt: skip
    assert response.status_code == 303
    with desk.life.uow.read() as session:
        given = session.execute(
            select(Report.officer, Report.officer_account).where(Report.code == code)
        ).one()
    assert tuple(given) == ("Phạm Minh Đức", "canbo.sxd")


def test_the_officer_reads_the_leaders_refusal_and_the_deadline_stays(desk: Desk) -> None:
    code = report_in(desk.life, State.IN_PROGRESS)
    perform(
        desk.life, actor("canbo.sxd"), code, "request_extension",
        reason="Chờ vật tư.", due=datetime(2026, 5, 29, 17, 0, tzinfo=VN),
    )  # fmt: skip
    with desk.life.uow.read() as session:
        due = session.scalars(select(Clock.due_at).where(Clock.step == "handle")).all()
    response = post(
        desk, "lanhdao.sxd", code, "refuse_extension", version=str(version_of(desk.life, code)),
        reason="Đủ thời gian xử lý trong hạn.",
    )  # fmt: skip
    assert response.status_code == 303
    html = page_of(desk, "canbo.sxd", f"/ban-xu-ly/phan-anh/{code}")
    refused = text_of(html)
    assert "Võ Thị Em không đồng ý gia hạn" in refused
    assert "Đủ thời gian xử lý trong hạn. Thời hạn xử lý giữ nguyên." in refused
    assert "Thời hạn đề nghị 29/05/2026 17:00" in refused  # the event's facts, in local time
    with desk.life.uow.read() as session:
        assert session.scalars(select(Clock.due_at).where(Clock.step == "handle")).all() == due
        pending = session.scalars(
            select(Extension).where(Extension.refused_at.is_(None), Extension.granted_at.is_(None))
        ).all()
    assert pending == []


def test_the_timeline_names_each_actor_once(desk: Desk) -> None:
    code = report_in(desk.life, State.FORWARDED)
    html = page_of(desk, "ioc", f"/ban-xu-ly/phan-anh/{code}")
    actors = [text_of(str(t)) for t in re.findall(r'data-testid="event-actor">([^<]*)<', html)]
    assert actors[0] == "Người phản ánh"  # not "người phản ánh (Người phản ánh)"
    assert actors[1] == "Trần Thị Bình (Cán bộ Trung tâm IOC)"
    assert actor_label("Trần Thị Bình (Trung tâm IOC)", "ioc_operator") == (
        "Trần Thị Bình (Trung tâm IOC) · Cán bộ Trung tâm IOC"
    )
    assert actor_label("Lãnh đạo cơ quan", "leader") == "Lãnh đạo cơ quan"
