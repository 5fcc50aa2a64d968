"""The calendar editor at /admin/lich-lam-viec: the month view, days of each year, weekly hours."""

from __future__ import annotations

import difflib
import html
import re

from flask import Flask
from flask.testing import FlaskClient

from engine import configstore
from web.runtime import lifecycle

PAGE = "/admin/lich-lam-viec/"
HOURS = "/admin/lich-lam-viec/gio-lam-viec"


def _files(app: Flask) -> tuple[int, dict[str, str]]:
    with app.app_context(), lifecycle().uow.read() as session:
        version = configstore.active(session)
        return version.id, dict(version.files)


def _count(app: Flask) -> int:
    with app.app_context(), lifecycle().uow.read() as session:
        return len(configstore.history(session))


def _cell(page: str, day: str) -> str:
    """The text of the month view's cell of ``day`` (ISO), tags removed."""
    match = re.search(rf'<td[^>]*data-ngay="{day}"[^>]*>(.*?)</td>', page, re.S)
    assert match, day
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_month_view_shows_holidays_days_off_and_make_up_days(
    admin_client: FlaskClient,
) -> None:
    page = admin_client.get(PAGE + "?thang=2026-09").get_data(as_text=True)
    assert "<caption>Tháng 9/2026" in page
    table = page[page.index('id="bang-lich-thang"') :]
    weekdays = re.findall(r'<th scope="col">([^<]+)</th>', table[: table.index("</thead>")])
    assert weekdays == [
        "Thứ Hai",
        "Thứ Ba",
        "Thứ Tư",
        "Thứ Năm",
        "Thứ Sáu",
        "Thứ Bảy",
        "Chủ nhật",
    ]
    assert _cell(page, "2026-09-02").startswith("2/9 Ngày lễ: Quốc khánh")
    assert "Không làm việc" in _cell(page, "2026-09-02")
    assert _cell(page, "2026-08-31").startswith(
        "31/8 (tháng 8) Ngày nghỉ thêm: Nghỉ thứ Hai 31/8/2026"
    )
    assert _cell(page, "2026-09-03") == "3/9 Ngày làm việc Giờ làm việc: 07:00–11:00, 13:00–17:00"
    assert _cell(page, "2026-09-05").startswith("5/9 Nghỉ cuối tuần")
    assert 'href="/admin/lich-lam-viec/?thang=2026-08"' in page
    assert 'href="/admin/lich-lam-viec/?thang=2026-10"' in page
    august = admin_client.get(PAGE + "?thang=2026-08").get_data(as_text=True)
    assert _cell(august, "2026-08-22") == (
        "22/8 Ngày làm bù: Làm bù thứ Bảy 22/8/2026 cho ngày nghỉ thứ Hai 31/8/2026 "
        "Giờ làm việc: 07:00–11:00, 13:00–17:00"
    )
    assert "Gói holidays (Python), quốc gia VN" in " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_month_view_defaults_to_the_current_month(admin_client: FlaskClient) -> None:
    page = admin_client.get(PAGE + "?thang=khong-phai-thang").get_data(as_text=True)
    assert re.search(r"<caption>Tháng \d{1,2}/20\d\d", page)


def _add(client: FlaskClient, **values: str) -> object:
    data = {"kind": "days_off", "thao_tac": "luu", "ly_do": "Thông báo nghỉ Tết 2027", **values}
    return client.post(PAGE, data=data)


def test_adding_a_day_off_changes_only_that_year(app: Flask, admin_client: FlaskClient) -> None:
    before_id, before = _files(app)
    answer = _add(
        admin_client, date="2027-02-03", reason="Nghỉ thêm: liền kề Tết Nguyên đán", thang="2027-02"
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    after_id, after = _files(app)
    assert after_id > before_id
    diff = [
        line
        for line in difflib.unified_diff(
            before["sla.yaml"].splitlines(), after["sla.yaml"].splitlines(), lineterm="", n=0
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert diff == [
        "+    2027:",
        "+      days_off:",
        "+        - {date: 2027-02-03, reason: 'Nghỉ thêm: liền kề Tết Nguyên đán'}",
    ]
    assert "# Tuần làm việc 40 giờ" in after["sla.yaml"]  # comments kept
    page = admin_client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"phiên bản cấu hình {after_id}" in page
    assert _cell(page, "2027-02-03").startswith("3/2 Ngày nghỉ thêm: Nghỉ thêm: liền kề Tết")

    # … and removing it again gives the file back.
    answer = admin_client.post(
        PAGE, data={"xoa": "days_off|2027-02-03", "ly_do": "Bỏ ngày nghỉ", "thao_tac": "luu"}
    )
    assert answer.status_code == 302
    assert _files(app)[1]["sla.yaml"] == before["sla.yaml"]


def test_a_bad_date_or_a_missing_reason_changes_nothing(
    app: Flask, admin_client: FlaskClient
) -> None:
    before, count = _files(app), _count(app)
    answer = _add(admin_client, date="31/02/2027", reason="Ngày không có")
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert re.search(r'id="loi-date"[^>]*>\s*<div>\'31/02/2027\' không phải ngày hợp lệ', page)
    assert 'value="Ngày không có"' in page  # the typed values are kept
    answer = _add(admin_client, date="2027-02-04", reason="")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'id="loi-reason"[^>]*>\s*<div>Cần ghi lý do', page)
    assert 'value="2027-02-04"' in page
    answer = _add(admin_client, date="2026-08-22", reason="Trùng ngày làm bù")
    assert answer.status_code == 422 and "đang là ngày làm bù" in answer.get_data(as_text=True)
    answer = _add(admin_client, date="2027-02-05", reason="Không ghi lý do thay đổi", ly_do=" ")
    assert answer.status_code == 422 and "Cần ghi lý do thay đổi" in answer.get_data(as_text=True)
    assert _files(app) == before and _count(app) == count


def test_what_if_shows_the_proposed_month_and_writes_nothing(
    app: Flask, admin_client: FlaskClient
) -> None:
    before, count = _files(app), _count(app)
    answer = admin_client.post(
        PAGE,
        data={
            "kind": "working_days",
            "date": "2026-09-05",
            "reason": "Làm bù thứ Bảy",
            "thao_tac": "thu",
            "tu_ngay": "2026-01-01",
        },
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'id="whatif-table"' in page and "Theo bản sửa đang thử" in page
    assert _cell(page, "2026-09-05").startswith("5/9 Ngày làm bù: Làm bù thứ Bảy")
    assert _files(app) == before and _count(app) == count


def test_weekly_hours_are_checked_and_saved(app: Flask, admin_client: FlaskClient) -> None:
    form = admin_client.get(HOURS).get_data(as_text=True)
    assert 'value="07:00-11:00, 13:00-17:00"' in form
    before, count = _files(app), _count(app)
    days = {
        d: "07:00-11:00, 13:00-17:00"
        for d in ("monday", "tuesday", "wednesday", "thursday", "makeup_day_hours")
    }
    answer = admin_client.post(
        HOURS,
        data={**days, "friday": "07:00-11:00, 10:00-17:00", "ly_do": "Sai", "thao_tac": "luu"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "chồng lên" in page and 'id="loi-friday"' in page
    assert _files(app) == before and _count(app) == count
    answer = admin_client.post(
        HOURS,
        data={
            **days,
            "friday": "7:00-11:00,13:00-16:30",
            "ly_do": "Chiều thứ Sáu",
            "thao_tac": "luu",
        },
    )
    assert answer.status_code == 302
    after = _files(app)[1]["sla.yaml"]
    assert '    friday: ["07:00-11:00", "13:00-16:30"]' in after
    assert after.replace('"13:00-16:30"]', '"13:00-17:00"]') == before[1]["sla.yaml"]
    answer = admin_client.post(
        HOURS,
        data={**days, "friday": "07:00-11:00, 13:00-17:00", "ly_do": "Trả lại", "thao_tac": "luu"},
    )
    assert answer.status_code == 302 and _files(app)[1]["sla.yaml"] == before[1]["sla.yaml"]


def test_the_auditor_reads_but_cannot_change(app: Flask, auditor_client: FlaskClient) -> None:
    page = auditor_client.get(PAGE + "?thang=2026-09").get_data(as_text=True)
    assert "Quốc khánh" in page and 'id="nut-luu"' not in page and 'name="xoa"' not in page
    assert auditor_client.get(HOURS).status_code == 200
    count = _count(app)
    assert _add(auditor_client, date="2027-02-03", reason="x").status_code == 403
    assert auditor_client.post(HOURS, data={"monday": "07:00-11:00"}).status_code == 403
    assert _count(app) == count
