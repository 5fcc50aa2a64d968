"""The agencies' editor at /admin/co-quan/: the tree, Đ14.1 contacts, limits, deletion."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import configstore
from engine.config import contacts
from engine.config.loader import load
from tests.admin.config_helpers import (
    active,
    field_error,
    flashed,
    forwarded_report,
    general_errors,
    history,
    page,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[2]
URL = "/admin/co-quan/"
WEBHOOK_COMMENT = "    # webhook_url: https://hethong.sxd.example.vn/phananh/webhook\n"
MERGER_COMMENT = (
    "  # Sở GTVT sáp nhập vào Sở Xây dựng từ 1/3/2025: nhận lĩnh vực Giao thông - Vận tải.\n"
)


def _sxd(**changes: str) -> dict[str, str]:
    """The edit form of Sở Xây dựng as the page fills it, with ``changes``."""
    values = {
        "name": "Sở Xây dựng",
        "kind": "so",
        "parent": "",
        "area": "",
        "handling_limit": "6d",
        "effective_from": "2025-07-01",
        "effective_until": "",
        "email": "phananh.sxd@example.vn",
        "webhook_url": "",
        "webhook_secret_env": "",
        "ly_do": "Sở Xây dựng cử lãnh đạo và cán bộ đầu mối",
        "thao_tac": "luu",
    }
    values.update(changes)
    return values


def _row(text: str, code: str) -> str:
    return text[text.index(f'data-code="{code}"') :].split("</tr>")[0]


def _entry(text: str, code: str) -> tuple[str, str, str]:
    start = text.index(f"  - code: {code} ")
    end = min(text.index(m, start + 1) for m in ("\n  - code: ", "\n  # ", "\n\n"))
    return text[:start], text[start:end], text[end:]


def test_the_list_is_the_tree_of_agencies_with_the_contacts_warning(
    admin_client: FlaskClient,
) -> None:
    text = page(admin_client.get(URL))
    codes = re.findall(r'<tr data-code="([^"]+)" data-depth="(\d)"', text)
    assert len(codes) == 133
    position = codes.index(("SKHCN", "0"))
    assert codes[position + 1] == ("IOC", "1")  # a sub-unit right under its parent (Đ14.3)
    assert "chưa có lãnh đạo phụ trách; chưa có cán bộ đầu mối" in _row(text, "SXD")
    assert "không nhận phân công" in _row(text, "PCVL")
    assert 'id="canh-bao-dau-moi"' in text and "cấu hình vẫn hợp lệ" in text
    communes = page(admin_client.get(URL + "?loai=cap_xa"))
    assert len(re.findall(r"<tr data-code=", communes)) == 124
    departments = page(admin_client.get(URL + "?loai=so"))
    assert "UBND-" not in "".join(re.findall(r'<tr data-code="([^"]+)"', departments))
    found = page(admin_client.get(URL + "?q=cai nhum"))
    assert re.findall(r'<tr data-code="([^"]+)"', found) == ["UBND-29641"]


def test_contacts_are_optional_and_warned_about() -> None:
    default = load(ROOT / "config")
    assert "SXD" in contacts.warnings(default) and "PCVL" not in contacts.warnings(default)
    assert "UBND-29641" in contacts.receiving(default)
    pilot = load(ROOT / "config" / "examples" / "pilot-2020")
    assert all(a.leader is None for a in pilot.agencies.values())


def test_naming_the_leader_and_focal_officers_changes_only_that_entry(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, before = active(app)
    data = _sxd(
        **{
            "leader-name": "Nguyễn Văn Hùng",
            "leader-title": "Phó Giám đốc",
            "leader-phone": "0270 3822 111",
            "focal_officers-0-name": "Trần Thị Mai",
            "focal_officers-0-email": "mai.tt@example.vn",
            "focal_officers-1-name": "Lê Văn Tâm",
            "focal_officers-1-phone": "0909123456",
        }
    )
    shown = flashed(admin_client, admin_client.post(URL + "SXD", data=data))
    after_id, after = active(app)
    assert after_id > before_id
    assert [c.name for c in configstore.changes(before, after)] == ["sectors.yaml"]
    old, new = before["sectors.yaml"], after["sectors.yaml"]
    head, entry, tail = _entry(new, "SXD")
    assert (head, tail) == (_entry(old, "SXD")[0], _entry(old, "SXD")[2])
    assert "leader:" in entry and "Nguyễn Văn Hùng" in entry
    assert new.count(WEBHOOK_COMMENT) == 1 and MERGER_COMMENT in new
    agency = snapshot(app).agencies["SXD"]
    assert agency.leader is not None and agency.leader.title == "Phó Giám đốc"
    assert [c.name for c in agency.focal_officers] == ["Trần Thị Mai", "Lê Văn Tâm"]
    assert agency.focal_officers[1].phone == "0909123456"
    assert "đã có: Nguyễn Văn Hùng" in _row(shown, "SXD")
    edit = page(admin_client.get(URL + "SXD"))
    assert re.search(r'id="focal_officers-1-name"[^>]* value="Lê Văn Tâm"', edit)


def test_a_contact_needs_a_name(app: Flask, admin_client: FlaskClient) -> None:
    before_id, _ = active(app)
    answer = admin_client.post(URL + "SYT", data=_sxd(**{"focal_officers-2-title": "Chuyên viên"}))
    assert answer.status_code == 422
    assert "Cần họ và tên" in field_error(page(answer), "focal_officers-2-name")
    assert active(app)[0] == before_id


def test_a_handling_limit_beyond_six_working_days_is_refused(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = active(app)
    count = len(history(app))
    answer = admin_client.post(URL + "SCT", data=_sxd(name="Sở Công Thương", handling_limit="7d"))
    assert answer.status_code == 422
    text = page(answer)
    assert "vượt quá tối đa 6d" in field_error(text, "handling_limit")
    assert 'value="7d"' in text
    assert active(app)[0] == before_id and len(history(app)) == count


def test_a_webhook_to_an_internal_address_or_with_another_secret_is_refused(
    app: Flask, admin_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #12: a webhook signed with SECRET_KEY and posted to loopback is refused at the save."""
    monkeypatch.delenv("PHANANH_WEBHOOK_ALLOW", raising=False)
    before_id, _ = active(app)
    answer = admin_client.post(
        URL + "SXD",
        data=_sxd(webhook_url="http://127.0.0.1:2601/x", webhook_secret_env="SECRET_KEY"),
    )
    assert answer.status_code == 422
    assert "PHANANH_WEBHOOK_" in field_error(page(answer), "webhook_secret_env")
    answer = admin_client.post(
        URL + "SXD",
        data=_sxd(
            webhook_url="http://127.0.0.1:2601/x", webhook_secret_env="PHANANH_WEBHOOK_SECRET_SXD"
        ),
    )
    assert answer.status_code == 422
    assert "PHANANH_WEBHOOK_ALLOW" in field_error(page(answer), "webhook_url")
    assert active(app)[0] == before_id


def test_a_commune_committee_is_edited_in_areas_yaml(app: Flask, admin_client: FlaskClient) -> None:
    before_id, before = active(app)
    data = {
        "name": "Ủy ban nhân dân xã Cái Nhum",
        "kind": "ubnd_xa",
        "parent": "",
        "area": "29641",
        "handling_limit": "5d",
        "effective_from": "2025-07-01",
        "focal_officers-0-name": "Võ Văn Bảy",
        "ly_do": "UBND xã Cái Nhum: thời hạn riêng 5 ngày",
        "thao_tac": "luu",
    }
    flashed(admin_client, admin_client.post(URL + "UBND-29641", data=data))
    _, after = active(app)
    assert [c.name for c in configstore.changes(before, after)] == ["areas.yaml"]
    old_lines, new_lines = before["areas.yaml"].splitlines(), after["areas.yaml"].splitlines()
    changed = [line for line in new_lines if line not in old_lines]
    assert len(changed) == 1 and "UBND-29641" in changed[0] and "handling_limit: 5d" in changed[0]
    assert len(new_lines) == len(old_lines) - 1  # the entry's two lines became one
    committee = snapshot(app).agencies["UBND-29641"]
    assert (
        str(committee.handling_limit) == "5d" and committee.focal_officers[0].name == "Võ Văn Bảy"
    )


def test_a_new_agency_goes_under_its_parent(app: Flask, admin_client: FlaskClient) -> None:
    data = {
        "code": "TTCNS",
        "name": "Trung tâm Chuyển đổi số",
        "kind": "trung_tam",
        "parent": "SKHCN",
        "area": "",
        "handling_limit": "",
        "ly_do": "Thêm đơn vị trực thuộc Sở KH&CN",
        "thao_tac": "luu",
    }
    duplicate = admin_client.post(URL + "moi", data={**data, "code": "SXD"})
    assert duplicate.status_code == 422
    assert "Đã có cơ quan mã 'SXD'" in field_error(page(duplicate), "code")
    shown = flashed(admin_client, admin_client.post(URL + "moi", data=data))
    codes = re.findall(r'<tr data-code="([^"]+)" data-depth="(\d)"', shown)
    assert ("TTCNS", "1") in codes
    assert snapshot(app).agencies["TTCNS"].parent == "SKHCN"


def test_deleting_an_agency_that_holds_reports_is_refused(
    app: Flask, admin_client: FlaskClient
) -> None:
    forwarded_report(app, "giao-thong-van-tai")
    before_id, _ = active(app)
    answer = admin_client.post(URL + "SXD/xoa", data={"ly_do": "Thử xóa"})
    assert answer.status_code == 409
    text = page(answer)
    assert "Có 1 phản ánh thuộc cơ quan này; không xóa được." in text
    assert "hieu_luc_den=" in text and active(app)[0] == before_id
    listed = page(admin_client.get(URL))
    assert '<td class="so-phan-anh">1</td>' in _row(listed, "SXD")


def test_deleting_a_routed_agency_shows_the_checks_error(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = active(app)
    answer = admin_client.post(URL + "SVHTTDL/xoa", data={"ly_do": "Thử xóa"})
    assert answer.status_code == 422
    assert "cơ quan 'SVHTTDL' không tồn tại" in general_errors(page(answer))
    assert active(app)[0] == before_id


def test_an_unused_agency_is_deleted(app: Flask, admin_client: FlaskClient) -> None:
    answer = admin_client.post(URL + "TTCNS/xoa", data={"ly_do": "Thêm nhầm"})
    assert "Đã xóa cơ quan TTCNS." in flashed(admin_client, answer)
    assert "TTCNS" not in snapshot(app).agencies


def test_the_auditor_reads_but_cannot_change(app: Flask, auditor_client: FlaskClient) -> None:
    assert auditor_client.get(URL).status_code == 200
    text = page(auditor_client.get(URL + "SXD"))
    assert "readonly" in text and 'id="nut-luu"' not in text
    before_id, _ = active(app)
    assert auditor_client.post(URL + "SXD", data=_sxd()).status_code == 403
    assert auditor_client.post(URL + "PCVL/xoa", data={"ly_do": "x"}).status_code == 403
    assert active(app)[0] == before_id
