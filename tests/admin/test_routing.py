"""The routing decision table at /admin/phan-cong: which rule wins, a rule's save and refusal."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask.testing import FlaskClient

from engine import configstore
from web.runtime import lifecycle

AREA = "28756"  # Phường Phú Khương
RULE = {
    "id": "moi-truong-phu-khuong",
    "sector": "moi-truong",
    "areas": [AREA],
    "target": "SNNMT",
    "priority": "10",
    "ly_do": "Phú Khương: môi trường do Sở Nông nghiệp và Môi trường xử lý",
    "thao_tac": "luu",
}


def _active(app: Flask) -> tuple[int, dict[str, str]]:
    with app.app_context(), lifecycle().uow.read() as session:
        version = configstore.active(session)
        return version.id, dict(version.files)


def _winner(client: FlaskClient, area: str = AREA) -> str:
    page = client.get(f"/admin/phan-cong/?sector=moi-truong&area={area}").get_data(as_text=True)
    assert 'id="winner"' in page
    return page


def test_the_table_lists_every_rule_and_says_who_wins_for_a_commune(
    admin_client: FlaskClient,
) -> None:
    page = admin_client.get("/admin/phan-cong/").get_data(as_text=True)
    assert 'data-rule="giao-thong-van-tai"' in page and "Sở Xây dựng (SXD)" in page
    assert "UBND xã, phường nơi xảy ra sự việc" in page
    winner = _winner(admin_client)
    assert (
        'data-agency="UBND-28756"' in winner
        and '<code id="winner-rule">moi-truong</code>' in winner
    )


def test_a_rule_for_one_commune_wins_there_from_the_next_request_and_nowhere_else(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, before = _active(app)
    answer = admin_client.post("/admin/phan-cong/moi", data=RULE)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    after_id, after = _active(app)
    assert after_id > before_id
    # only the new rule was added: every other line of sectors.yaml, comments too, is as it was
    assert after["sectors.yaml"].startswith(before["sectors.yaml"].rstrip("\n"))
    assert "  - id: moi-truong-phu-khuong\n    sector: moi-truong\n" in after["sectors.yaml"]
    winner = _winner(admin_client)
    assert 'data-agency="SNNMT"' in winner
    assert "moi-truong-phu-khuong" in winner and "Các quy tắc khác cũng khớp" in winner
    assert 'data-agency="UBND-28777"' in _winner(admin_client, "28777")  # Phường An Hội


def test_the_what_if_button_shows_the_replay_and_saves_nothing(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = _active(app)
    data = {**RULE, "id": "moi-truong-an-hoi", "areas": ["28777"], "thao_tac": "thu"}
    answer = admin_client.post("/admin/phan-cong/moi", data=data)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'id="whatif-table"' in page and "Phát lại" in page
    assert _active(app)[0] == before_id


def test_a_rule_to_an_unknown_place_is_refused_beside_its_field_and_changes_nothing(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = _active(app)
    cases = [
        ({"target": "KHONG-CO"}, "nhom-target"),  # not one of the choices
        ({"priority": "5000"}, "nhom-priority"),
        ({"id": "Sai Ma"}, "nhom-id"),
        ({"ly_do": ""}, "ly_do"),
    ]
    for change, where in cases:
        answer = admin_client.post("/admin/phan-cong/moi", data={**RULE, "id": "thu-sai", **change})
        assert answer.status_code == 422, change
        page = answer.get_data(as_text=True)
        assert "field-error" in page and where in page
    assert _active(app)[0] == before_id


def test_a_duplicate_id_and_a_cross_check_failure_are_refused(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = _active(app)
    duplicate = admin_client.post("/admin/phan-cong/moi", data={**RULE, "id": "dien"})
    assert duplicate.status_code == 422
    assert "Đã có quy tắc mã &#39;dien&#39;" in duplicate.get_data(as_text=True)
    # deleting the only rule of a sector leaves it without a route: the cross-checks refuse it
    refused = admin_client.post("/admin/phan-cong/dien/xoa", data={"ly_do": "thử xóa"})
    assert refused.status_code == 302
    page = admin_client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Không xóa được quy tắc dien" in page
    assert _active(app)[0] == before_id


def test_editing_a_rule_keeps_its_id_and_deleting_it_restores_the_old_winner(
    app: Flask, admin_client: FlaskClient
) -> None:
    admin_client.post(
        "/admin/phan-cong/moi", data={**RULE, "id": "moi-truong-son-dong", "areas": ["28783"]}
    )
    edit = admin_client.post(
        "/admin/phan-cong/moi-truong-son-dong",
        data={**RULE, "id": "doi-ma", "areas": ["28783"], "target": "SXD", "ly_do": "Đổi sang SXD"},
    )
    assert edit.status_code == 302
    assert 'data-agency="SXD"' in _winner(admin_client, "28783")
    assert "doi-ma" not in _active(app)[1]["sectors.yaml"]
    gone = admin_client.post(
        "/admin/phan-cong/moi-truong-son-dong/xoa", data={"ly_do": "Trả về UBND phường"}
    )
    assert gone.status_code == 302
    assert 'data-agency="UBND-28783"' in _winner(admin_client, "28783")


def test_the_auditor_reads_the_table_and_cannot_save(auditor_client: FlaskClient) -> None:
    page = auditor_client.get("/admin/phan-cong/").get_data(as_text=True)
    assert 'id="bang-phan-cong"' in page and 'id="them-quy-tac"' not in page
    assert auditor_client.post("/admin/phan-cong/moi", data=RULE).status_code == 403


def test_a_rule_saved_for_a_later_date_waits_and_can_be_cancelled(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = _active(app)
    year = date.today().year + 1  # 1 January of next year, 07:00 in Vĩnh Long
    data = {
        **RULE,
        "id": "moi-truong-nam-sau",
        "areas": ["28789"],
        "ap_dung_tu": f"{year}-01-01T07:00",
    }
    answer = admin_client.post("/admin/phan-cong/moi", data=data)
    assert answer.status_code == 302
    page = admin_client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"áp dụng từ 01/01/{year} 07:00" in page
    assert _active(app)[0] == before_id  # not in force before that instant
    with app.app_context(), lifecycle().uow.read() as session:
        scheduled = [v for v in configstore.history(session) if v.status == "scheduled"]
    assert [v.active_from.isoformat() for v in scheduled] == [f"{year}-01-01T00:00:00+00:00"]
    history = admin_client.get("/admin/phien-ban/").get_data(as_text=True)
    assert 'data-status="scheduled"' in history and "Hủy lịch áp dụng" in history
    cancelled = admin_client.post(f"/admin/phien-ban/{scheduled[0].id}/huy-lich")
    assert cancelled.status_code == 302
    with app.app_context(), lifecycle().uow.read() as session:
        assert not [v for v in configstore.history(session) if v.status == "scheduled"]
    assert _active(app)[0] == before_id
    bad = admin_client.post("/admin/phan-cong/moi", data={**data, "ap_dung_tu": "mai"})
    assert bad.status_code == 422 and "Thời điểm áp dụng không hợp lệ" in bad.get_data(as_text=True)
