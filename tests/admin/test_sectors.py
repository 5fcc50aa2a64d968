"""The sectors' editor at /admin/linh-vuc/: list, save, refusals, scheduling, what-if, deletion."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from admin import entries, saving
from admin.sectors import NEW_ROWS, FieldsTarget, SectorForm
from engine import configstore
from engine.config.errors import ConfigError
from engine.config.loader import load_files
from engine.store.models import Report
from tests.admin.config_helpers import (
    IOC,
    active,
    cancel,
    field_error,
    flashed,
    forwarded_report,
    general_errors,
    history,
    later,
    page,
    snapshot,
    submit_report,
)
from web.runtime import lifecycle

URL = "/admin/linh-vuc/"
#: A comment inside the entry of sector "dien", and one of the file's header.
INSIDE_COMMENT = (
    '    # Nguyên văn ghi "phản ảnh"; sửa thành "phản ánh" (lỗi chính tả hiển nhiên).\n'
)
HEADER_COMMENT = (
    "# Lĩnh vực, cơ quan xử lý và bảng phân công — cấu hình mặc định của tỉnh Vĩnh Long"
)


def _form(**changes: str) -> dict[str, str]:
    """The edit form of sector "dien" as the page fills it, with ``changes``."""
    values = {
        "name": "Điện",
        "description": "Các thông tin phản ánh liên quan đến hạ tầng đảm bảo việc cấp điện an "
        "toàn: bể cáp, dây điện, cột điện, trạm biến áp, đồng hồ điện,...",
        "keywords": "mất điện\ncúp điện",
        "effective_from": "2020-09-11",
        "effective_until": "",
        "ly_do": "Sửa lĩnh vực Điện",
        "thao_tac": "luu",
    }
    values.update(changes)
    return values


def _block(text: str, code: str) -> tuple[str, str, str]:
    """``text`` cut around the entry of sector ``code``: before, the entry, after."""
    start = text.index(f"  - code: {code}\n")
    end = text.index("\n  - code: ", start + 1) + 1
    return text[:start], text[start:end], text[end:]


def test_the_list_shows_each_sector_its_agency_and_reports(
    app: Flask, admin_client: FlaskClient
) -> None:
    submit_report(app, sector="du-lich")
    text = page(admin_client.get(URL))
    assert "Lĩnh vực" in text and "Thêm lĩnh vực" in text
    row = text[text.index('data-code="du-lich"') :].split("</tr>")[0]
    assert "Sở Văn hóa, Thể thao và Du lịch" in row and "từ 11/09/2020" in row
    # Not classified yet: counted as the sector suggested, not as one classified in it.
    assert '<td class="so-phan-anh">0</td>' in row and '<td class="so-goi-y">1</td>' in row
    assert '<td class="so-tu-khoa">17</td>' in row
    environment = text[text.index('data-code="moi-truong"') :].split("</tr>")[0]
    assert "UBND xã, phường nơi xảy ra sự việc" in environment


def _counts(admin_client: FlaskClient, code: str) -> tuple[int, int]:
    """The list's (classified, suggested) numbers of sector ``code``."""
    text = page(admin_client.get(URL))
    row = text[text.index(f'data-code="{code}"') :].split("</tr>")[0]
    classified = re.search(r'<td class="so-phan-anh">(\d+)</td>', row)
    suggested = re.search(r'<td class="so-goi-y">(\d+)</td>', row)
    assert classified and suggested, row
    return int(classified[1]), int(suggested[1])


def test_the_list_counts_a_report_in_its_classified_sector_not_its_suggested_one(
    app: Flask, admin_client: FlaskClient
) -> None:
    """A report the reporter filed under "du-lich" and the IOC classified in "giao-thong-van-tai"
    counts once, under the sector it is in; the two columns are told apart by their headings."""
    code = submit_report(app, sector="du-lich")
    tourism, roads = _counts(admin_client, "du-lich"), _counts(admin_client, "giao-thong-van-tai")
    with app.app_context():
        life = lifecycle()
        with life.uow.read() as session:
            version = session.scalars(select(Report.version).where(Report.code == code)).one()
        life.perform(IOC, code, "classify", version=version, sector="giao-thong-van-tai")
    forwarded_report(app, "giao-thong-van-tai")
    text = page(admin_client.get(URL))
    assert "Phản ánh đã phân loại" in text and "Gợi ý, chưa phân loại" in text
    assert _counts(admin_client, "du-lich") == (tourism[0], tourism[1] - 1)
    assert _counts(admin_client, "giao-thong-van-tai") == (roads[0] + 2, roads[1])


def test_a_save_changes_only_that_entry_and_keeps_the_comments(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, before = active(app)
    answer = admin_client.post(
        URL + "dien", data=_form(name="Điện lực", keywords="mất điện, cúp điện\nđiện chập chờn")
    )
    shown = flashed(admin_client, answer)
    after_id, after = active(app)
    assert after_id > before_id and f"phiên bản cấu hình {after_id} đang áp dụng" in shown
    assert [c.name for c in configstore.changes(before, after)] == ["sectors.yaml"]
    old, new = before["sectors.yaml"], after["sectors.yaml"]
    head, entry, tail = _block(new, "dien")
    assert (head, tail) == (_block(old, "dien")[0], _block(old, "dien")[2])
    assert INSIDE_COMMENT in entry and "    name: Điện lực\n" in entry
    assert "    description: |\n" in entry
    assert new.startswith(HEADER_COMMENT)
    sector = snapshot(app).sectors["dien"]
    assert sector.name == "Điện lực"
    assert sector.keywords == ("mất điện", "cúp điện", "điện chập chờn")
    assert sector.effective.start == date(2020, 9, 11)


def test_a_bad_date_is_refused_next_to_its_field(app: Flask, admin_client: FlaskClient) -> None:
    before_id, _ = active(app)
    count = len(history(app))
    answer = admin_client.post(URL + "dien", data=_form(effective_from="2025-13-45", name="Điện X"))
    assert answer.status_code == 422
    text = page(answer)
    assert "Ngày không hợp lệ" in field_error(text, "effective_from")
    assert 'value="Điện X"' in text  # what was typed stays
    assert active(app)[0] == before_id and len(history(app)) == count


def test_the_checks_refuse_a_period_that_ends_before_it_starts(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = active(app)
    answer = admin_client.post(
        URL + "dien", data=_form(effective_from="2026-01-01", effective_until="2025-01-01")
    )
    assert answer.status_code == 422
    assert "sau ngày kết thúc" in field_error(page(answer), "effective_until")
    assert active(app)[0] == before_id


def test_a_save_needs_a_reason(app: Flask, admin_client: FlaskClient) -> None:
    before_id, _ = active(app)
    answer = admin_client.post(URL + "dien", data=_form(ly_do=" ", name="Điện Y"))
    assert answer.status_code == 422 and "Cần ghi lý do thay đổi." in page(answer)
    assert active(app)[0] == before_id


def test_a_new_sector_comes_with_its_route(app: Flask, admin_client: FlaskClient) -> None:
    data = {
        "code": "trat-tu-do-thi",
        "name": "Trật tự đô thị",
        "description": "Lấn chiếm vỉa hè, lòng đường;\nxây dựng không phép.",
        "keywords": "lấn chiếm vỉa hè, xây dựng không phép",
        "effective_from": "2026-01-01",
        "route_to": "__ubnd_dia_ban__",
        "ly_do": "Thêm lĩnh vực Trật tự đô thị",
        "thao_tac": "luu",
    }
    without_route = admin_client.post(URL + "moi", data={**data, "route_to": ""})
    assert without_route.status_code == 422
    assert "chưa có tuyến phân công" in field_error(page(without_route), "code")
    duplicate = admin_client.post(URL + "moi", data={**data, "code": "dien"})
    assert duplicate.status_code == 422
    assert "Đã có lĩnh vực mã 'dien'" in field_error(page(duplicate), "code")
    flashed(admin_client, admin_client.post(URL + "moi", data=data))
    config = snapshot(app)
    assert config.sectors["trat-tu-do-thi"].description.startswith("Lấn chiếm vỉa hè")
    assert any(r.sector == "trat-tu-do-thi" and r.area_committee for r in config.routes)
    text = active(app)[1]["sectors.yaml"]
    assert "  - code: trat-tu-do-thi\n" in text and "description: |\n" in text


def test_activation_from_a_future_date_schedules_the_version(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = active(app)
    answer = admin_client.post(
        URL + "suc-khoe",
        data={
            **_form(name="Y tế", description="Dịch bệnh, chăm sóc sức khỏe."),
            "ap_dung_tu": later(3),
        },
    )
    shown = flashed(admin_client, answer)
    assert "áp dụng từ" in shown
    newest = history(app)[0]
    assert newest.status is configstore.Status.SCHEDULED and newest.id != before_id
    assert active(app)[0] == before_id
    assert snapshot(app).sectors["suc-khoe"].name == "Sức khỏe"
    cancel(app, newest.id)


def test_what_if_shows_the_table_and_writes_nothing(app: Flask, admin_client: FlaskClient) -> None:
    before = active(app)
    count = len(history(app))
    answer = admin_client.post(
        URL + "dien", data=_form(name="Điện năng", thao_tac="thu", tu_ngay="2026-01-01")
    )
    assert answer.status_code == 200
    text = page(answer)
    assert 'id="whatif-table"' in text and "01/01/2026" in text
    assert active(app) == before and len(history(app)) == count


def test_deleting_a_sector_that_reports_refer_to_is_refused_with_the_way_out(
    app: Flask, admin_client: FlaskClient
) -> None:
    submit_report(app, sector="tai-nguyen-nuoc")
    before_id, _ = active(app)
    answer = admin_client.post(URL + "tai-nguyen-nuoc/xoa", data={"ly_do": "Không dùng nữa"})
    assert answer.status_code == 409
    text = page(answer)
    assert "Có 1 phản ánh thuộc lĩnh vực này; không xóa được." in text
    assert "Hãy cho ngừng áp dụng từ một ngày (điền 'hiệu lực đến')" in text
    assert 'id="ngung-ap-dung"' in text and "hieu_luc_den=" in text
    assert active(app)[0] == before_id
    link = text.split('id="ngung-ap-dung" href="')[1].split('"')[0]
    edit = page(admin_client.get(link))
    day = link.split("hieu_luc_den=")[1][:10]
    assert f'id="effective_until" name="effective_until" type="date" value="{day}"' in edit


def test_an_unreferenced_sector_is_deleted_with_its_routes(
    app: Flask, admin_client: FlaskClient
) -> None:
    assert "trat-tu-do-thi" in snapshot(app).sectors
    before_id, _ = active(app)
    kept_route = admin_client.post(URL + "trat-tu-do-thi/xoa", data={"ly_do": "Thử xóa"})
    assert kept_route.status_code == 422
    assert "lĩnh vực 'trat-tu-do-thi' không tồn tại" in general_errors(page(kept_route))
    assert active(app)[0] == before_id
    answer = admin_client.post(
        URL + "trat-tu-do-thi/xoa", data={"ly_do": "Thêm nhầm", "xoa_tuyen": "1"}
    )
    assert "Đã xóa lĩnh vực trat-tu-do-thi." in flashed(admin_client, answer)
    config = snapshot(app)
    assert "trat-tu-do-thi" not in config.sectors
    assert all(r.sector != "trat-tu-do-thi" for r in config.routes)


def test_the_auditor_reads_but_cannot_change(app: Flask, auditor_client: FlaskClient) -> None:
    assert auditor_client.get(URL).status_code == 200
    text = page(auditor_client.get(URL + "dien"))
    assert "readonly" in text and 'id="nut-luu"' not in text and 'id="nut-xoa"' not in text
    before_id, _ = active(app)
    assert auditor_client.post(URL + "dien", data=_form(name="X")).status_code == 403
    assert auditor_client.post(URL + "dien/xoa", data={"ly_do": "x"}).status_code == 403
    assert auditor_client.post(URL + "moi", data=_form(code="x")).status_code == 403
    assert active(app)[0] == before_id


def test_a_sectors_extra_fields_are_shown_and_kept(app: Flask, admin_client: FlaskClient) -> None:
    config = snapshot(app)
    with_fields = [s for s in config.sectors.values() if getattr(s, "fields", ())]
    if not with_fields:
        pytest.skip("no sector of the default configuration has extra fields")
    sector = with_fields[0]
    text = page(admin_client.get(URL + sector.code))
    assert 'id="truong-rieng"' in text and sector.fields[0].label in text
    _, before = active(app)
    data = {
        "name": sector.name + " (sửa)",
        "description": sector.description,
        "keywords": "\n".join(sector.keywords),
        "effective_from": sector.effective.start.isoformat() if sector.effective.start else "",
        "ly_do": "Sửa tên, giữ các trường riêng",
        "thao_tac": "luu",
    }
    flashed(admin_client, admin_client.post(URL + sector.code, data=data))
    _, after = active(app)
    old, new = before["sectors.yaml"], after["sectors.yaml"]
    assert (
        old[old.index("    fields:", old.index(f"  - code: {sector.code}\n")) :]
        == (new[new.index("    fields:", new.index(f"  - code: {sector.code}\n")) :])
    )
    assert snapshot(app).sectors[sector.code].fields == sector.fields


def test_an_error_about_a_field_the_page_hides_goes_above_the_form() -> None:
    refused = saving.Refused(
        by_field={"code": ["lĩnh vực 'dien' chưa có tuyến"], "name": ["không được để trống"]}
    )
    errors, general = entries.errors_of(refused, SectorForm(), hidden=("code", "route_to"))
    assert errors == {"name": ["không được để trống"]}
    assert general == ["code: lĩnh vực 'dien' chưa có tuyến"]


# -- the extra form fields ----------------------------------------------------------------------


class _FormValues(HTMLParser):
    """What a browser would post from the page's ``#sector-form`` as it is shown."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.inside = False
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == "sector-form"
        if not self.inside or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "checkbox"):
            self.values[name] = a.get("value", "")
        elif tag == "input" and name and "checked" in a:
            self.values[name] = a.get("value", "y")
        elif tag == "select":
            self.select = name
        elif (
            tag == "option" and self.select and ("selected" in a or self.select not in self.values)
        ):
            self.values[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            if not self.values[self.textarea]:  # a browser drops the newline after <textarea>
                data = data.removeprefix("\r").removeprefix("\n")
            self.values[self.textarea] += data


def _shown(admin_client: FlaskClient, code: str, **changes: str) -> dict[str, str]:
    """The edit form of sector ``code`` as its page fills it, with ``changes``."""
    parser = _FormValues()
    parser.feed(admin_client.get(URL + code).get_data(as_text=True))
    return {**parser.values, "thao_tac": "luu", "ly_do": "Sửa trường bổ sung", **changes}


def _rows(values: dict[str, str]) -> int:
    return len({k.split("-")[1] for k in values if k.startswith("fields-")})


def _fields_text(text: str, code: str) -> str:
    """The ``fields:`` lines of sector ``code``'s entry."""
    entry = _block(text, code)[1]
    return entry[entry.index("    fields:\n") :].split("\n\n")[0] + "\n"


def test_the_page_shows_a_block_per_field_and_empty_ones(admin_client: FlaskClient) -> None:
    text = page(admin_client.get(URL + "moi-truong"))
    assert "Trường bổ sung của biểu mẫu" in text
    values = _shown(admin_client, "moi-truong")
    assert _rows(values) == 2 + NEW_ROWS
    assert values["fields-0-code"] == "loai_o_nhiem" and values["fields-0-type"] == "choice"
    assert values["fields-0-choices"].splitlines()[0] == "rac_thai: Rác thải | Waste"
    assert values["fields-0-public"] == "y" and "fields-0-required" not in values
    assert values["fields-1-stage"] == "result" and values["fields-1-type"] == "number"
    assert values["fields-2-code"] == "" and values["fields-2-public"] == "y"
    assert '<option value="multichoice">Chọn nhiều</option>' in text
    assert "Cán bộ khai khi đề xuất kết quả" in text and "Xóa trường này" in text
    assert page(admin_client.get(URL + "moi")).count('class="border rounded p-2 mb-3 truong') == (
        NEW_ROWS
    )


def test_saving_the_page_as_shown_keeps_the_fields_byte_for_byte(
    app: Flask, admin_client: FlaskClient
) -> None:
    _, before = active(app)
    data = _shown(admin_client, "giao-thong-van-tai", name="Giao thông, vận tải")
    flashed(admin_client, admin_client.post(URL + "giao-thong-van-tai", data=data))
    _, after = active(app)
    old, new = before["sectors.yaml"], after["sectors.yaml"]
    assert _fields_text(new, "giao-thong-van-tai") == _fields_text(old, "giao-thong-van-tai")
    assert "name: Giao thông, vận tải" in _block(new, "giao-thong-van-tai")[1]


def test_a_choice_field_is_added_and_the_portal_asks_it(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, before = active(app)
    values = _shown(admin_client, "moi-truong")
    n = _rows(values) - NEW_ROWS
    values.update(
        {
            f"fields-{n}-code": "nguon_gay_o_nhiem",
            f"fields-{n}-label": "Nguồn gây ô nhiễm",
            f"fields-{n}-type": "choice",
            f"fields-{n}-required": "y",
            f"fields-{n}-choices": "nha-may: Nhà máy, cơ sở sản xuất\r\n\r\n"
            "ho-gia-dinh: Hộ gia đình | Household\r\n",
        }
    )
    flashed(admin_client, admin_client.post(URL + "moi-truong", data=values))
    after_id, after = active(app)
    assert after_id > before_id
    assert [c.name for c in configstore.changes(before, after)] == ["sectors.yaml"]
    old, new = before["sectors.yaml"], after["sectors.yaml"]
    head, entry, tail = _block(new, "moi-truong")
    assert (head, tail) == (_block(old, "moi-truong")[0], _block(old, "moi-truong")[2])
    assert _fields_text(old, "moi-truong") in entry  # the other fields are untouched
    added = load_files(after).sectors["moi-truong"].fields[-1]
    assert (added.code, added.label, added.type, added.required, added.stage, added.public) == (
        "nguon_gay_o_nhiem",
        "Nguồn gây ô nhiễm",
        "choice",
        True,
        "report",
        True,
    )
    assert [(c.code, c.label, c.label_en) for c in added.choices] == [
        ("nha-may", "Nhà máy, cơ sở sản xuất", None),
        ("ho-gia-dinh", "Hộ gia đình", "Household"),
    ]
    written = entry[entry.index("      - code: nguon_gay_o_nhiem") :]
    assert (
        "stage" not in written
        and "public" not in written
        and "label_en:" not in (written.split("choices:")[0])
    )
    sector = snapshot(app).sectors["moi-truong"]
    assert "nguon_gay_o_nhiem" in [f.code for f in sector.fields_for("report")]
    portal = page(app.test_client().get("/gui-phan-anh"))
    assert 'name="moi-truong-nguon_gay_o_nhiem"' in portal and "Hộ gia đình" in portal


def test_a_choice_field_without_choices_is_refused_next_to_its_type(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = active(app)
    count = len(history(app))
    values = _shown(admin_client, "dien")
    n = _rows(values) - NEW_ROWS
    values.update(
        {f"fields-{n}-code": "muc_do", f"fields-{n}-label": "Mức độ", f"fields-{n}-type": "choice"}
    )
    answer = admin_client.post(URL + "dien", data=values)
    assert answer.status_code == 422
    text = page(answer)
    assert "cần danh sách lựa chọn 'choices'" in field_error(text, f"fields-{n}-type")
    assert 'value="Mức độ"' in text  # what was typed stays
    assert active(app)[0] == before_id and len(history(app)) == count


def test_a_choice_line_without_a_colon_is_refused_by_the_form(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = active(app)
    values = _shown(admin_client, "dien")
    n = _rows(values) - NEW_ROWS
    values.update(
        {
            f"fields-{n}-code": "muc_do",
            f"fields-{n}-label": "Mức độ",
            f"fields-{n}-type": "choice",
            f"fields-{n}-choices": "nhe: Nhẹ\nNghiêm trọng",
        }
    )
    answer = admin_client.post(URL + "dien", data=values)
    assert answer.status_code == 422
    text = page(answer)
    problem = field_error(text, f"fields-{n}-choices")
    assert "Dòng 2" in problem and "thiếu dấu hai chấm" in problem
    assert "nhe: Nhẹ\nNghiêm trọng" in text
    assert active(app)[0] == before_id


def test_a_duplicate_code_is_shown_on_its_block_when_an_earlier_one_is_removed(
    app: Flask, admin_client: FlaskClient
) -> None:
    before_id, _ = active(app)
    values = _shown(admin_client, "moi-truong", **{"fields-0-remove": "y"})
    n = _rows(values) - NEW_ROWS
    values.update(
        {
            f"fields-{n}-code": "khoi_luong_thu_gom",
            f"fields-{n}-label": "Khối lượng",
            f"fields-{n}-type": "number",
        }
    )
    answer = admin_client.post(URL + "moi-truong", data=values)
    assert answer.status_code == 422
    assert "bị trùng" in field_error(page(answer), f"fields-{n}-code")
    assert active(app)[0] == before_id


def test_a_field_is_removed_with_its_checkbox(app: Flask, admin_client: FlaskClient) -> None:
    before_id, before = active(app)
    values = _shown(admin_client, "moi-truong")
    codes = {values[k]: k.split("-")[1] for k in values if k.endswith("-code") and values[k]}
    values[f"fields-{codes['khoi_luong_thu_gom']}-remove"] = "y"
    flashed(admin_client, admin_client.post(URL + "moi-truong", data=values))
    after_id, after = active(app)
    assert after_id > before_id
    fields = [f.code for f in snapshot(app).sectors["moi-truong"].fields]
    assert "khoi_luong_thu_gom" not in fields and fields[0] == "loai_o_nhiem"
    entry = _block(after["sectors.yaml"], "moi-truong")[1]
    assert "khoi_luong_thu_gom" not in entry
    assert "Khói bụi, label_en: Smoke and dust}" in entry  # the other field is as it was
    assert (
        _block(before["sectors.yaml"], "moi-truong")[2]
        == _block(after["sectors.yaml"], "moi-truong")[2]
    )


def test_a_refusal_about_a_field_goes_to_the_input_of_its_block() -> None:
    target = FieldsTarget("sectors.yaml", "sectors[6]", rows=(0, 2, 5))

    def at(path: str) -> str | None:
        return target.field_of(ConfigError("sectors.yaml", 1, path, "x", "x"))

    assert at("sectors[6].fields[2].choices[1].code") == "fields-5-choices"
    assert at("sectors[6].fields[1].type") == "fields-2-type"
    assert at("sectors[6].fields[0]") == "fields-0-code"
    assert at("sectors[6].fields") == "fields"
    assert at("sectors[6].name") == "name"
    assert at("sectors[7].fields[0].code") is None
