"""On the desk: the IOC records a reply or a rating as handled and the queue empties (Đ11.3);
every full queue view pages by position; the IOC and the leader mark a state secret (Đ10.3);
the roles that may open the administration find it from the desk."""

from __future__ import annotations

import html as markup
from datetime import timedelta

import pytest

from engine.services.queues import QUEUES
from engine.workflow import Role, State
from tests.web.test_desk_support import (
    MORNING,
    OF_ROLE,
    STAFF,
    Desk,
    build_desk,
    codes_in,
    counts,
    forms_on,
    queue_codes,
    report_in,
    state_of,
    tags,
    text_of,
    version_of,
)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return build_desk(tmp_path_factory.mktemp("desk-feedback"))


@pytest.fixture(autouse=True)
def morning(desk: Desk) -> None:
    desk.clock.value = MORNING


def page_of(desk: Desk, username: str, url: str) -> str:
    response = desk.client(username).get(url)
    assert response.status_code == 200, (username, url, response.status_code)
    return response.get_data(as_text=True)


def post(desk: Desk, username: str, code: str, action: str, **data: str):  # noqa: ANN201
    data.setdefault("version", str(version_of(desk.life, code)))
    return desk.client(username).post(f"/ban-xu-ly/phan-anh/{code}/{action}", data=data)


def test_a_reply_marked_handled_leaves_the_replies_queue(desk: Desk) -> None:
    code = report_in(desk.life, State.PUBLISHED, feedback=True)
    other = report_in(desk.life, State.PUBLISHED, feedback=True)
    queued = queue_codes(page_of(desk, "ioc", "/ban-xu-ly"))["phan-hoi"]
    assert {code, other} <= set(queued)
    page = page_of(desk, "ioc", f"/ban-xu-ly/phan-anh/{code}")
    assert {"close_feedback", "reopen"} <= forms_on(page)

    before = counts(desk.life)
    refused = post(desk, "ioc", code, "close_feedback", note="")
    assert refused.status_code == 422
    assert "Cần ghi chú" in text_of(refused.get_data(as_text=True))
    assert counts(desk.life) == before

    done = post(desk, "ioc", code, "close_feedback", note="Đã gọi điện giải thích cho người dân.")
    assert done.status_code == 303
    queued = queue_codes(page_of(desk, "ioc", "/ban-xu-ly?hang=phan-hoi"))["phan-hoi"]
    assert code not in queued and other in queued
    page = page_of(desk, "ioc", f"/ban-xu-ly/phan-anh/{code}")
    story = text_of(page)
    assert "Đã xử lý phản hồi, đánh giá" in story
    assert "Đã gọi điện giải thích cho người dân." in story
    assert "Số phản hồi đã xử lý 1" in story
    assert "close_feedback" not in forms_on(page)  # nothing left to handle
    assert "reopen" in forms_on(page)  # reopening stays possible (Đ11.3)


@pytest.mark.parametrize(
    "role", [r for r, queues in QUEUES.items() if queues], ids=lambda r: r.value
)
def test_every_full_queue_view_pages_by_position(
    desk: Desk, role: Role, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each queue of each role, one row a page: every row once, in as many pages as rows."""
    from web.desk import views

    for state in (State.RECEIVED, State.FORWARDED, State.PENDING_APPROVAL, State.PUBLISHED):
        for _ in range(2):
            report_in(desk.life, state, feedback=True)
    monkeypatch.setattr(views, "QUEUE_PAGE", 1)
    desk.clock.value = MORNING + timedelta(days=30)  # and their clocks are late by now
    username = OF_ROLE[role]
    walked = 0
    for queue in QUEUES[role]:
        url, seen = f"/ban-xu-ly?hang={queue.key}", []
        while url:
            html = page_of(desk, username, url)
            (section,) = tags(html, data_testid="queue")
            seen += codes_in(html)
            following = tags(html, "a", id="page-next")
            url = markup.unescape(following[0]["href"]) if following else ""
            assert len(seen) <= 200
        assert len(seen) == len(set(seen)) == int(section["data-total"]), queue.key
        walked += len(seen) > 1
    assert walked, f"{role}: at least one queue was paged through"


def test_the_ioc_and_the_leader_mark_a_state_secret(desk: Desk) -> None:
    received = report_in(desk.life, State.RECEIVED)
    page = page_of(desk, "ioc", f"/ban-xu-ly/phan-anh/{received}")
    assert "mark_secret_at_classification" in forms_on(page)
    before = counts(desk.life)
    refused = post(desk, "ioc", received, "mark_secret_at_classification", reason="")
    assert refused.status_code == 422 and counts(desk.life) == before
    done = post(desk, "ioc", received, "mark_secret_at_classification", reason="Khu quân sự.")
    assert done.status_code == 303
    page = page_of(desk, "ioc", f"/ban-xu-ly/phan-anh/{received}")
    assert tags(page, id="report-secret")
    assert "mark_secret_at_classification" not in forms_on(page)
    assert "Liên quan bí mật nhà nước: không công khai, không gửi kết quả (Đ10.3)" in text_of(page)

    approved = report_in(desk.life, State.APPROVED)
    page = page_of(desk, "lanhdao.sxd", f"/ban-xu-ly/phan-anh/{approved}")
    assert tags(page, data_testid="preview", data_level="public")
    assert "mark_secret_before_publication" not in forms_on(
        page_of(desk, "canbo.sxd", f"/ban-xu-ly/phan-anh/{approved}")
    )
    reason = "Kết quả nêu vị trí công trình quốc phòng."
    done = post(desk, "lanhdao.sxd", approved, "mark_secret_before_publication", reason=reason)
    assert done.status_code == 303
    page = page_of(desk, "lanhdao.sxd", f"/ban-xu-ly/phan-anh/{approved}")
    assert tags(page, data_testid="preview", data_level="restricted")
    assert reason in text_of(page) and "state-secret" not in text_of(page)
    assert post(desk, "lanhdao.sxd", approved, "publish").status_code == 303
    assert state_of(desk.life, approved) is State.RESTRICTED


def test_the_desk_links_to_the_administration_for_who_may_open_it(desk: Desk) -> None:
    for username, (role, _, _) in STAFF.items():
        links = tags(page_of(desk, username, "/ban-xu-ly"), "a", id="nav-admin")
        assert bool(links) is (role in (Role.OPERATOR_ADMIN, Role.AUDITOR)), username
        if links:
            assert desk.client(username).get(links[0]["href"]).status_code == 200
