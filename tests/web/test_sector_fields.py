"""A sector's extra fields on every face: the portal's generated fields, the mobile API's ``extra``,
Open311's service definition and ``attribute[…]``, the officer's result form on the desk and the
staff API. Each refusal names the field and stores nothing; each answer is stored and shown.

The application runs on a copy of the default configuration in which the environment sector asks
the kind of pollution (required) and a few more questions of each type, and the transport sector
asks the officer how the problem was fixed (required).
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from engine import apikeys
from engine.accounts import create_user
from engine.services.lifecycle import Actor, Lifecycle, NewReport
from engine.store.models import Event, Report, User
from engine.workflow import State
from tests.apps import ROOT, make_app
from tests.web.test_desk_support import PASSWORD, STAFF, actor, tags, text_of
from tests.web.test_portal_support import report_form
from web.auth import load_user, session_for

ENVIRONMENT, TRANSPORT = "moi-truong", "giao-thong-van-tai"
API = "/api/v1"
V2 = "/open311/v2"
SCHEMAS = ROOT.parent / "shared" / "standards" / "open311-georeport-v2"
#: More questions of the environment sector, one of each remaining type.
MORE_FIELDS = """\
      - code: nguon
        label: Nguồn phát sinh
        label_en: Source
        type: multichoice
        choices:
          - {code: ho_dan, label: Hộ dân, label_en: Households}
          - {code: co_so_san_xuat, label: Cơ sở sản xuất, label_en: Factories}
      - code: so_ho
        label: Số hộ bị ảnh hưởng
        type: integer
      - code: da_bao
        label: Đã báo chính quyền địa phương
        type: boolean
      - code: ngay_phat_hien
        label: Ngày phát hiện
        type: date
"""
_addresses = (f"10.9.{a}.{b}" for a, b in itertools.product(range(256), repeat=2))


def strict_configuration(target: Path) -> Path:
    shutil.copytree(ROOT / "config", target, ignore=shutil.ignore_patterns("examples"))
    sectors = target / "sectors.yaml"
    text = sectors.read_text(encoding="utf-8")
    for old, new in (
        ("        type: choice\n        help: Chọn", "        type: choice\n        required: true\n        help: Chọn"),
        ("        stage: result\n        choices:", "        stage: result\n        required: true\n        choices:"),
        ("        type: number\n        stage: result\n", "        type: number\n        stage: result\n" + MORE_FIELDS),
    ):  # fmt: skip
        assert text.count(old) == 1, f"the default configuration moved: {old!r}"
        text = text.replace(old, new)
    sectors.write_text(text, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    folder = tmp_path_factory.mktemp("sector-fields")
    built = make_app(
        folder,
        CONFIG_DIR=str(strict_configuration(folder / "config")),
        RATELIMIT_PUBLIC_POST="1000 per minute",
        RATELIMIT_SIGN_IN="1000 per minute",
    )
    life: Lifecycle = built.extensions["phananh.lifecycle"]
    with life.uow.begin() as session:
        for username, (role, agency, name) in STAFF.items():
            create_user(session, username, PASSWORD, role, display_name=name, agency=agency)
    return built


def post(client: FlaskClient, url: str, **kwargs: Any) -> TestResponse:
    """A POST from an address of its own, so per-client rate limits never meet the tests."""
    return client.post(url, environ_base={"REMOTE_ADDR": next(_addresses)}, **kwargs)


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    life: Lifecycle = app.extensions["phananh.lifecycle"]
    with life.uow.read() as session:
        user_id = session.scalars(select(User.id).where(User.username == username)).one()
    with app.app_context():
        marks = session_for(load_user(user_id))
    with client.session_transaction() as session_:
        session_.update(marks)
    return client


def reports(life: Lifecycle) -> int:
    with life.uow.read() as session:
        return session.scalar(select(func.count()).select_from(Report)) or 0


def row(life: Lifecycle, code: str) -> Any:
    with life.uow.read() as session:
        return session.execute(select(Report.__table__).where(Report.code == code)).one()


def perform(life: Lifecycle, who: Actor, code: str, action: str, **inputs: Any) -> State:
    version = row(life, code).version
    return life.perform(who, code, action, version=version, **inputs).state


def environment_form(**changes: Any) -> dict[str, Any]:
    return report_form(
        content="Bãi rác tự phát bốc mùi hôi trước chợ Phước Hậu, ruồi nhặng nhiều.",
        sector=ENVIRONMENT,
        **changes,
    )


# -- the portal ----------------------------------------------------------------------------------


def test_the_form_shows_each_sectors_fields_under_its_name(client: FlaskClient) -> None:
    html = client.get("/gui-phan-anh").get_data(as_text=True)
    (group,) = tags(html, "fieldset", data_testid="sector-fields")  # transport asks the officer
    assert group["data-sector"] == ENVIRONMENT and "hidden" not in group  # shown without script
    assert "Thông tin thêm cho lĩnh vực Môi trường" in text_of(html)
    shown = [t["data-field"] for t in tags(html, data_testid="sector-field")]
    assert shown == ["loai_o_nhiem", "nguon", "so_ho", "da_bao", "ngay_phat_hien"]
    pollution = re.search(r'<select[^>]*name="moi-truong-loai_o_nhiem".*?</select>', html, re.S)
    assert pollution is not None and "Mùi hôi" in pollution.group(0)
    assert re.search(r'for="moi-truong-loai_o_nhiem">Loại ô nhiễm <span class="req"', html)
    assert tags(html, "input", name="moi-truong-nguon", type="checkbox", value="ho_dan")
    assert tags(html, "input", name="moi-truong-da_bao", type="radio", value="true")
    assert tags(html, "input", name="moi-truong-ngay_phat_hien", type="date")
    english = client.get("/gui-phan-anh?lang=en").get_data(as_text=True)
    assert "More details for the sector Môi trường" in text_of(english)
    assert "Kind of pollution" in english and "Households" in english
    client.get("/?lang=vi")


def test_a_missing_required_field_is_shown_next_to_it_and_nothing_is_stored(
    client: FlaskClient, life: Lifecycle
) -> None:
    before = reports(life)
    data = environment_form(
        **{
            "moi-truong-nguon": ["ho_dan", "co_so_san_xuat"],
            "moi-truong-so_ho": "nhiều",
            "moi-truong-da_bao": "true",
            "moi-truong-ngay_phat_hien": "2026-04-21",
        }
    )
    response = post(client, "/gui-phan-anh", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and reports(life) == before
    (error,) = tags(html, data_testid="error-moi-truong-loai_o_nhiem")
    assert error["id"] == "moi-truong-loai_o_nhiem-error"
    assert "Vui lòng chọn Loại ô nhiễm." in text_of(html)
    assert "Số hộ bị ảnh hưởng phải là một số nguyên." in text_of(html)
    summary = text_of(html[html.index('id="error-summary"') : html.index("</ul>")])
    assert "Vui lòng chọn Loại ô nhiễm." in summary
    assert 'href="#field-moi-truong-loai_o_nhiem"' in html
    # What was typed and chosen is kept.
    assert tags(html, "input", name="moi-truong-so_ho", value="nhiều")
    for value in ("ho_dan", "co_so_san_xuat"):
        assert "checked" in tags(html, "input", name="moi-truong-nguon", value=value)[0]
    assert "checked" in tags(html, "input", name="moi-truong-da_bao", value="true")[0]
    assert tags(html, "input", name="moi-truong-ngay_phat_hien", value="2026-04-21")


def test_thousands_of_unknown_choices_are_named_fifty_and_counted(
    client: FlaskClient, life: Lifecycle
) -> None:
    """The message of a field lists the first 50 wrong choices: the page stays about the size of
    what was sent instead of repeating every value in the error and its summary."""
    before = reports(life)
    chosen = [f"gia_tri_khong_co_{i:05}" for i in range(5000)]
    response = post(client, "/gui-phan-anh", data=environment_form(**{"moi-truong-nguon": chosen}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and reports(life) == before
    (error,) = tags(html, data_testid="error-moi-truong-nguon")
    message = text_of(html[html.index('id="moi-truong-nguon-error"') :])
    assert "gia_tri_khong_co_00049" in message and "gia_tri_khong_co_00050" not in html
    assert "(và 4950 mục khác)" in message
    assert len(response.get_data()) < sum(len(c) for c in chosen)


def test_only_the_chosen_sectors_fields_are_read(client: FlaskClient, life: Lifecycle) -> None:
    """Without the script every group is on the page; another sector's are ignored."""
    data = report_form(sector=TRANSPORT, **{"moi-truong-so_ho": "không rõ"})
    response = post(client, "/gui-phan-anh", data=data)
    assert response.status_code == 303
    code = response.headers["Location"].rsplit("/", 1)[-1]
    assert row(life, code).extra is None


def test_a_report_with_its_answers_is_stored_and_shown_to_its_reporter_and_the_desk(
    app: Flask, client: FlaskClient, life: Lifecycle
) -> None:
    data = environment_form(
        **{
            "moi-truong-loai_o_nhiem": "mui_hoi",
            "moi-truong-nguon": ["co_so_san_xuat"],
            "moi-truong-so_ho": "12",
            "moi-truong-da_bao": "false",
            "moi-truong-ngay_phat_hien": "",
        }
    )
    response = post(client, "/gui-phan-anh", data=data, follow_redirects=True)
    assert response.status_code == 200
    code, token = re.search(
        r"/theo-doi/(PA-\d{4}-\d+)\?t=([A-Za-z0-9_-]+)", response.get_data(as_text=True)
    ).groups()  # type: ignore[union-attr]
    assert row(life, code).extra == {
        "loai_o_nhiem": "mui_hoi",
        "nguon": ["co_so_san_xuat"],
        "so_ho": 12,
        "da_bao": False,
    }

    own = text_of(client.get(f"/theo-doi/{code}?t={token}").get_data(as_text=True))
    assert "Thông tin thêm Loại ô nhiễm Mùi hôi Nguồn phát sinh Cơ sở sản xuất" in own
    assert "Đã báo chính quyền địa phương Không" in own

    desk = signed_in(app, "ioc").get(f"/ban-xu-ly/phan-anh/{code}").get_data(as_text=True)
    shown = {t["data-field"]: t for t in tags(desk, data_testid="detail")}
    assert list(shown) == ["loai_o_nhiem", "nguon", "so_ho", "da_bao"]
    assert all(t["data-stage"] == "report" for t in shown.values())
    assert "Loại ô nhiễm Mùi hôi Nguồn phát sinh Cơ sở sản xuất Số hộ bị ảnh hưởng 12" in (
        text_of(desk)
    )


# -- the officer's result on the desk --------------------------------------------------------------


def transport_in_progress(life: Lifecycle) -> str:
    code = life.submit(
        NewReport(
            name="Nguyễn Văn An",
            phone="0909 123 456",
            content="Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.",
            area="29557",
            address="45 Phạm Thái Bường",
        )
    ).code
    perform(life, actor("ioc"), code, "classify", sector=TRANSPORT)
    perform(life, actor("ioc"), code, "forward")
    perform(life, actor("canbo.sxd"), code, "accept")
    return code


def test_the_officers_result_form_asks_the_sectors_result_fields(
    app: Flask, client: FlaskClient, life: Lifecycle
) -> None:
    code = transport_in_progress(life)
    officer = signed_in(app, "canbo.sxd")
    page = officer.get(f"/ban-xu-ly/phan-anh/{code}").get_data(as_text=True)
    (group,) = tags(page, "fieldset", data_testid="sector-fields")
    assert group["id"] == "propose_result-sector-fields" and group["data-sector"] == TRANSPORT
    (select,) = tags(page, "select", name="extra-hinh_thuc_khac_phuc")
    assert select["aria-required"] == "true"
    assert "Thông tin riêng của lĩnh vực Giao thông - Vận tải" in text_of(page)

    # Without the required answer: the form comes back open, the message beside the field.
    version = row(life, code).version
    events = _events(life)
    refused = officer.post(
        f"/ban-xu-ly/phan-anh/{code}/propose_result",
        data={"version": str(version), "result": "Đã vá ổ gà ngày 23/4/2026."},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    (error,) = tags(html, data_testid="sector-field-error")
    assert error["data-field"] == "hinh_thuc_khac_phuc"
    assert "Vui lòng chọn Hình thức khắc phục." in text_of(html)
    assert "open" in tags(html, "details", data_action="propose_result")[0]
    assert "Đã vá ổ gà ngày 23/4/2026." in html  # the typed result is kept
    assert (row(life, code).version, _events(life)) == (version, events)

    done = officer.post(
        f"/ban-xu-ly/phan-anh/{code}/propose_result",
        data={
            "version": str(version),
            "result": "Đã vá ổ gà ngày 23/4/2026.",
            "extra-hinh_thuc_khac_phuc": "va_tam",
        },
    )
    assert done.status_code == 303
    stored = row(life, code)
    assert stored.state == State.PENDING_APPROVAL
    assert stored.result_extra == {"hinh_thuc_khac_phuc": "va_tam"}
    page = officer.get(f"/ban-xu-ly/phan-anh/{code}").get_data(as_text=True)
    (detail,) = tags(page, data_testid="detail")
    assert (detail["data-field"], detail["data-stage"]) == ("hinh_thuc_khac_phuc", "result")
    assert "Hình thức khắc phục cán bộ nhập cùng kết quả Vá tạm thời" in text_of(page)

    # Published, the answer is part of the public result.
    perform(life, actor("lanhdao.sxd"), code, "approve")
    assert perform(life, actor("lanhdao.sxd"), code, "publish") is State.PUBLISHED
    public = text_of(client.get(f"/ket-qua/{code}").get_data(as_text=True))
    assert "Thông tin thêm Hình thức khắc phục Vá tạm thời" in public


def _events(life: Lifecycle) -> int:
    with life.uow.read() as session:
        return session.scalar(select(func.count()).select_from(Event)) or 0


def test_the_staff_api_takes_the_result_fields_as_extra(app: Flask, life: Lifecycle) -> None:
    code = transport_in_progress(life)
    client = app.test_client()
    token = client.post(
        f"{API}/auth/token", json={"username": "canbo.sxd", "password": PASSWORD}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{API}/reports/{code}/actions/propose_result"
    version = row(life, code).version
    body = {"version": version, "result": "Đã vá.", "extra": {"hinh_thuc_khac_phuc": "xa"}}
    refused = client.post(url, json=body, headers=headers)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"][0]["field"] == "extra.hinh_thuc_khac_phuc"
    body["extra"] = {"hinh_thuc_khac_phuc": "xa", "khong_co_truong_nay": "1"}
    both = client.post(url, json=body, headers=headers).get_json()["errors"]
    assert sorted(e["field"] for e in both) == [
        "extra.hinh_thuc_khac_phuc",
        "extra.khong_co_truong_nay",
    ]  # every wrong field at once, as the mobile API answers
    body["extra"] = {"hinh_thuc_khac_phuc": "sua_chua_hoan_chinh"}
    assert client.post(url, json=body, headers=headers).status_code == 200
    detail = client.get(f"{API}/reports/{code}", headers=headers).get_json()
    assert detail["details"] == [
        {
            "code": "hinh_thuc_khac_phuc",
            "stage": "result",
            "label": "Hình thức khắc phục",
            "label_en": "How it was fixed",
            "value": "sua_chua_hoan_chinh",
            "text": "Sửa chữa hoàn chỉnh",
            "text_en": "Full repair",
        }
    ]


# -- the mobile API ------------------------------------------------------------------------------


def api_report(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Nguyễn Văn An",
        "phone": "0909 123 456",
        "content": "Khói bụi từ lò đốt rác bay vào khu dân cư mỗi tối.",
        "area": "29557",
        "address": "Hẻm 12 Phạm Thái Bường",
        "sector": ENVIRONMENT,
    }
    values.update(changes)
    return values


def test_the_api_refuses_every_wrong_extra_field_at_once(
    client: FlaskClient, life: Lifecycle
) -> None:
    before = reports(life)
    response = post(
        client,
        f"{API}/reports",
        json=api_report(extra={"so_ho": "nhiều", "nguon": ["xe"], "mau_nuoc": "đen"}),
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    errors = {e["field"]: e for e in response.get_json()["errors"]}
    assert list(errors) == ["extra.mau_nuoc", "extra.loai_o_nhiem", "extra.nguon", "extra.so_ho"]
    assert errors["extra.loai_o_nhiem"]["message"] == "Vui lòng chọn Loại ô nhiễm."
    assert errors["extra.loai_o_nhiem"]["message_en"] == "Kind of pollution is required."
    wrong_shape = post(client, f"{API}/reports", json=api_report(extra=["rac_thai"]))
    assert wrong_shape.status_code == 422
    assert wrong_shape.get_json()["errors"][0]["field"] == "extra"
    assert reports(life) == before


def test_the_api_stores_the_answers_and_gives_them_back_to_the_reporter(
    client: FlaskClient, life: Lifecycle
) -> None:
    extra = {
        "loai_o_nhiem": "khoi_bui",
        "so_ho": 30,
        "da_bao": True,
        "ngay_phat_hien": "2026-04-20",
    }
    created = post(client, f"{API}/reports", json=api_report(extra=extra))
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    assert row(life, answer["code"]).extra == extra
    view = client.get(answer["tracking_url"]).get_json()
    assert [(d["label"], d["text"]) for d in view["details"]] == [
        ("Loại ô nhiễm", "Khói bụi"),
        ("Số hộ bị ảnh hưởng", "30"),
        ("Đã báo chính quyền địa phương", "Có"),
        ("Ngày phát hiện", "20/04/2026"),
    ]
    # A multipart form carries the object as JSON text.
    form = {k: v for k, v in api_report().items()}
    form["extra"] = json.dumps({"loai_o_nhiem": "tieng_on"})
    sent = post(client, f"{API}/reports", data=form, content_type="multipart/form-data")
    assert sent.status_code == 201, sent.get_json()
    assert row(life, sent.get_json()["code"]).extra == {"loai_o_nhiem": "tieng_on"}


def test_the_openapi_document_describes_the_extra_fields(client: FlaskClient) -> None:
    document = client.get(f"{API}/openapi.json").get_json()
    validate(document)
    schemas = document["components"]["schemas"]
    assert schemas["NewReport"]["properties"]["extra"] == {
        "$ref": "#/components/schemas/ExtraFields"
    }
    described = schemas["ExtraFields"]["properties"]
    # Each field as its sector asks it, or left empty (not answered).
    assert all(
        f["anyOf"][-1] == {"$ref": "#/components/schemas/EmptyValue"} for f in described.values()
    )
    fields = {code: f["anyOf"][0] for code, f in described.items()}
    assert set(fields) == {"loai_o_nhiem", "nguon", "so_ho", "da_bao", "ngay_phat_hien"}
    assert fields["loai_o_nhiem"]["enum"] == [
        "rac_thai",
        "nuoc_thai",
        "khoi_bui",
        "tieng_on",
        "mui_hoi",
    ]
    assert "bắt buộc" in fields["loai_o_nhiem"]["description"]
    assert fields["nguon"]["type"] == "array" and fields["da_bao"]["type"] == "boolean"
    assert "details" in schemas["PublicReport"]["properties"]
    assert "hinh_thuc_khac_phuc" in schemas["StaffAction"]["properties"]["extra"]["description"]


# -- Open311 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key(life: Lifecycle) -> str:
    with life.uow.begin() as session:
        return apikeys.create(session, "doi-tac-truong-rieng")


def open311_form(key: str, **changes: str | list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "api_key": key,
        "service_code": ENVIRONMENT,
        "first_name": "Văn An",
        "last_name": "Nguyễn",
        "phone": "0909 123 456",
        "description": "Nước thải đen chảy ra kênh sau khu chợ.",
        "address_string": "Kênh sau chợ Phước Hậu",
        "address_id": "29557",
    }
    values.update(changes)
    return values


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"the GeoReport v2 schemas are not at {SCHEMAS}")
def test_the_service_definition_lists_the_fields_as_valid_attributes(
    client: FlaskClient,
) -> None:
    from tests.web.test_open311 import VALIDATORS

    services = client.get(f"{V2}/services.json").get_json()
    VALIDATORS["services"].validate(services)
    assert {s["service_code"]: s["metadata"] for s in services}[ENVIRONMENT] is True
    assert {s["service_code"]: s["metadata"] for s in services}[TRANSPORT] is False

    body = client.get(f"{V2}/services/{ENVIRONMENT}.json").get_json()
    VALIDATORS["service-definition"].validate(body)
    attributes = {a["code"]: a for a in body["attributes"]}
    assert list(attributes) == ["loai_o_nhiem", "nguon", "so_ho", "da_bao", "ngay_phat_hien"]
    pollution = attributes["loai_o_nhiem"]
    assert pollution["variable"] is True and pollution["required"] is True
    assert (pollution["datatype"], pollution["order"]) == ("singlevaluelist", 1)
    assert pollution["description"] == "Loại ô nhiễm"
    assert pollution["values"][0] == {"key": "rac_thai", "name": "Rác thải"}
    assert pollution["datatype_description"].startswith("Chọn loại gần nhất")
    assert {a["code"]: a["datatype"] for a in body["attributes"]} == {
        "loai_o_nhiem": "singlevaluelist",
        "nguon": "multivaluelist",
        "so_ho": "number",
        "da_bao": "singlevaluelist",
        "ngay_phat_hien": "datetime",
    }
    assert attributes["da_bao"]["values"] == [
        {"key": "true", "name": "Có"},
        {"key": "false", "name": "Không"},
    ]
    xml = client.get(f"{V2}/services/{ENVIRONMENT}.xml").get_data(as_text=True)
    assert "<attributes><attribute><variable>true</variable><code>loai_o_nhiem</code>" in xml
    assert client.get(f"{V2}/services/{TRANSPORT}.json").get_json()["attributes"] == []


def test_open311_takes_attributes_checked_like_every_channel(
    client: FlaskClient, life: Lifecycle, key: str
) -> None:
    before = reports(life)
    refused = post(
        client, f"{V2}/requests.json", data=open311_form(key, **{"attribute[so_ho]": "2,5"})
    )
    assert refused.status_code == 400
    descriptions = [e["description"] for e in refused.get_json()]
    assert descriptions == [
        "attribute[loai_o_nhiem]: Vui lòng chọn Loại ô nhiễm.",
        "attribute[so_ho]: Số hộ bị ảnh hưởng phải là một số nguyên.",
    ]
    unknown = post(
        client,
        f"{V2}/requests.json",
        data=open311_form(key, **{"attribute[loai_o_nhiem]": "nuoc_thai", "attribute[mau]": "đen"}),
    )
    assert unknown.status_code == 400 and "attribute[mau]" in unknown.get_json()[0]["description"]
    assert reports(life) == before

    sent = post(
        client,
        f"{V2}/requests.json",
        data=open311_form(
            key,
            **{
                "attribute[loai_o_nhiem]": "nuoc_thai",
                "attribute[nguon][]": ["ho_dan", "co_so_san_xuat"],
                "attribute[da_bao]": "false",
                "attribute[ngay_phat_hien]": "2026-04-21T07:30:00+07:00",
            },
        ),
    )
    assert sent.status_code == 200, sent.get_data(as_text=True)
    (answer,) = sent.get_json()
    assert row(life, answer["service_request_id"]).extra == {
        "loai_o_nhiem": "nuoc_thai",
        "nguon": ["ho_dan", "co_so_san_xuat"],
        "da_bao": False,
        "ngay_phat_hien": "2026-04-21",
    }
