"""Open311 GeoReport v2: every answer valid against the standard's schemas, JSON and XML alike.

The schemas are the shared copies in ``../shared/standards/open311-georeport-v2/``. Where that
folder has no schema (discovery, the POST answer, errors) the shapes of the GeoReport v2
specification are written out here, and the POST answer uses swagger.json's ``RequestResponse``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from engine import apikeys
from engine.services.lifecycle import Actor, Lifecycle, NewReport
from engine.store.models import ApiKey, Attachment, Report, Reporter
from engine.workflow import Role, State
from web.open311_output import render

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"
SCHEMAS = STANDARDS / "open311-georeport-v2"

pytestmark = pytest.mark.skipif(
    not (SCHEMAS / "swagger.json").is_file(),
    reason=f"the GeoReport v2 schemas are not at {SCHEMAS} (a sibling 'shared' folder of the repo)",
)

V2 = "/open311/v2"
IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)

# -- schemas -------------------------------------------------------------------------------------

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
CHECKER = FormatChecker(formats=())


@CHECKER.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(RFC3339.match(value)) and datetime.fromisoformat(value).tzinfo is not None


@CHECKER.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(re.match(r"^[a-z][a-z0-9+.-]*://\S+$", value))


#: GeoReport v2 errors: a list of ``{code, description}`` (not in the shared schemas).
ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "additionalProperties": False,
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
#: GeoReport v2 service discovery (not in the shared schemas).
DISCOVERY = {
    "type": "object",
    "required": ["changeset", "contact", "key_service", "endpoints"],
    "properties": {
        "changeset": {"type": "string", "format": "date-time"},
        "contact": {"type": "string"},
        "key_service": {"type": "string"},
        "endpoints": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "properties": {
                    "specification": {"type": "string", "format": "uri"},
                    "url": {"type": "string", "format": "uri"},
                    "changeset": {"type": "string", "format": "date-time"},
                    "type": {"enum": ["production", "test"]},
                    "formats": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


def _registry() -> Registry:
    resources = [
        (path.as_uri(), Resource.from_contents(json.loads(path.read_text()), DRAFT7))
        for path in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


def _schemas() -> dict[str, Draft7Validator]:
    registry = _registry()

    def shared(name: str) -> Draft7Validator:
        return Draft7Validator(
            {"$ref": (SCHEMAS / name).as_uri()}, registry=registry, format_checker=CHECKER
        )

    posted = {
        "type": "array",
        "minItems": 1,
        "items": {
            "allOf": [
                {"$ref": (SCHEMAS / "swagger.json").as_uri() + "#/definitions/RequestResponse"},
                {"required": ["service_request_id"]},
            ]
        },
    }
    return {
        "services": shared("services.json"),
        "service": shared("service.json"),
        "service-definition": shared("service-definition.json"),
        "requests": shared("requests.json"),
        "request": shared("request.json"),
        "posted": Draft7Validator(posted, registry=registry, format_checker=CHECKER),
        "errors": Draft7Validator(ERRORS, format_checker=CHECKER),
        "discovery": Draft7Validator(DISCOVERY, format_checker=CHECKER),
    }


VALIDATORS = _schemas() if (SCHEMAS / "swagger.json").is_file() else {}

#: Every Open311 answer body this module saw; the privacy test searches all of them.
SEEN: list[str] = []


def check(response: TestResponse, schema: str, status: int = 200) -> Any:
    """The JSON body of ``response``, after checking its status, type and schema."""
    text = response.get_data(as_text=True)
    SEEN.append(text)
    assert response.status_code == status, text
    assert response.mimetype == "application/json"
    body = json.loads(text)
    VALIDATORS[schema].validate(body)
    if schema == "requests":
        for item in body:
            VALIDATORS["request"].validate(item)
    if schema == "services":
        for item in body:
            VALIDATORS["service"].validate(item)
    return body


LIST_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def from_xml(node: ET.Element) -> Any:
    if node.tag in LIST_TAGS:
        assert all(child.tag == LIST_TAGS[node.tag] for child in node), node.tag
        return [from_xml(child) for child in node]
    if len(node):
        return {child.tag: from_xml(child) for child in node}
    return node.text or ""


def as_text(value: Any) -> Any:
    """JSON data as the XML carries it: every scalar a string."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_xml(response: TestResponse, root: str, status: int = 200) -> Any:
    """The XML body of ``response`` as data (every value a string), after checking its shape."""
    raw = response.get_data()
    SEEN.append(raw.decode("utf-8"))
    assert response.status_code == status, raw
    assert response.content_type == "text/xml; charset=utf-8"
    assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert b"&#" not in raw, "Vietnamese text is written as is, not as character references"
    node = ET.fromstring(raw)
    assert node.tag == root
    return from_xml(node)


def same_in_xml(client: FlaskClient, path: str, query: str, schema: str, root: str) -> Any:
    """``path.json`` and ``path.xml`` answer the same content; returns the JSON."""
    suffix = f"?{query}" if query else ""
    body = check(client.get(f"{path}.json{suffix}"), schema)
    assert check_xml(client.get(f"{path}.xml{suffix}"), root) == as_text(body)
    return body


# -- the reports the tests look at ---------------------------------------------------------------

ADDRESSES = (f"10.{n}.{m}.{k}" for n, m, k in itertools.product(range(256), repeat=3))


def post(client: FlaskClient, path: str, data: dict[str, str]) -> TestResponse:
    """A POST from a client address of its own, so the rate limit meets only the test for it."""
    return client.post(path, data=data, environ_base={"REMOTE_ADDR": next(ADDRESSES)})


def published(
    life: Lifecycle, new: NewReport, sector: str, agency: str, submitted: datetime
) -> tuple[str, State]:
    """Submit ``new`` at ``submitted`` and take it to publication: the code and the final state."""
    report = life.submit(new, at=submitted)
    officer = Actor("Phạm Minh Đức", Role.OFFICER, agency=agency)
    leader = Actor("Võ Thị Em", Role.LEADER, agency=agency)
    steps = [
        (IOC, "classify", {"sector": sector}),
        (IOC, "forward", {}),
        (officer, "accept", {}),
        (officer, "propose_result", {"result": "Đã khắc phục xong ngày hôm qua."}),
        (leader, "approve", {}),
        (leader, "publish", {}),
    ]
    version, at, state = report.version, submitted, report.state
    for actor, action, inputs in steps:
        at += timedelta(hours=2)
        outcome = life.perform(actor, report.code, action, version=version, at=at, **inputs)
        version, state = outcome.version, outcome.state
    return report.code, state


def road(**changes: Any) -> NewReport:
    values: dict[str, Any] = {
        "name": "Nguyễn Văn An",
        "phone": "0909 123 456",
        "email": "an.nguyen@example.vn",
        "content": "Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.",
        "area": "29557",
        "address": "45 Phạm Thái Bường",
        "latitude": 10.2537,
        "longitude": 105.9722,
    }
    values.update(changes)
    return NewReport(**values)


#: What identifies the confidential reporter; none of it may appear in any Open311 answer.
SECRET = {
    "name": "Lý Thị Zqxhoten",
    "phone": "0386 274 915",
    "email": "zqx.thudientu@example.vn",
    "reporter_address": "Ấp Zqxnhaorieng, xã Long Hồ",
    "address": "Hẻm Zqxdiadiem số 7",
}
MARKERS = ("zqx", "386274915", "386 274 915", "386.274.915")


def with_photo(life: Lifecycle, code: str) -> int:
    """Give report ``code`` a photo (its row only: the file itself is not needed here)."""
    with life.uow.begin() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        photo = Attachment(
            report_id=report.id,
            stage="report",
            kind="photo",
            filename="o-ga.jpg",
            content_type="image/jpeg",
            size=1,
            sha256="0" * 64,
            path=f"{code}.jpg",
            thumbnail_path=None,
            created_at=report.submitted_at,
        )
        session.add(photo)
        session.flush()
        return photo.id


@dataclass(frozen=True)
class World:
    road: str  # published, transport, submitted 10 days ago
    power: str  # published, electricity, submitted 3 days ago
    old: str  # published, transport, submitted 120 days ago
    pending: str  # from the web, being handled: not shown
    secret: str  # confidential, sent through Open311, answered privately: never shown
    restricted: str  # a state secret, through Open311: never shown
    followed: str  # sent through Open311, being handled: its status alone
    road_photo: int
    secret_photo: int


@pytest.fixture(scope="module")
def world(life: Lifecycle) -> World:
    now = datetime.now(UTC)
    road_code, state = published(
        life, road(), "giao-thong-van-tai", "SXD", now - timedelta(days=10)
    )
    assert state is State.PUBLISHED
    power, state = published(
        life,
        road(
            content="Cột điện nghiêng sắp đổ trước trường tiểu học, dây điện võng thấp.",
            address="Đường 2 Tháng 9",
            latitude=None,
            longitude=None,
        ),
        "dien",
        "SCT",
        now - timedelta(days=3),
    )
    assert state is State.PUBLISHED
    old, _ = published(
        life, road(content="Đèn tín hiệu ngã tư hỏng."), "giao-thong-van-tai", "SXD",
        now - timedelta(days=120),
    )  # fmt: skip
    pending = life.submit(road(content="Cầu khỉ ấp 3 gãy tay vịn."), at=now - timedelta(days=1))
    secret, state = published(
        life,
        road(**SECRET, content="Zqxnoidung: cơ sở xả thải ra kênh.", channel="open311",
             confidential=True),
        "giao-thong-van-tai",
        "SXD",
        now - timedelta(days=5),
    )  # fmt: skip
    assert state is State.ANSWERED_PRIVATELY
    restricted, state = published(
        life, road(channel="open311", state_secret=True), "giao-thong-van-tai", "SXD",
        now - timedelta(days=4),
    )  # fmt: skip
    assert state is State.RESTRICTED
    followed = life.submit(road(channel="open311", sector="dien"), at=now - timedelta(hours=1))
    return World(
        road_code,
        power,
        old,
        pending.code,
        secret,
        restricted,
        followed.code,
        with_photo(life, road_code),
        with_photo(life, secret),
    )


@pytest.fixture(scope="module")
def key(life: Lifecycle) -> str:
    with life.uow.begin() as session:
        return apikeys.create(session, "ung-dung-doi-tac")


def report_count(life: Lifecycle) -> int:
    with life.uow.read() as session:
        return session.scalar(select(func.count()).select_from(Report)) or 0


# -- discovery and services ----------------------------------------------------------------------


def test_discovery_names_this_endpoint_and_its_formats(client: FlaskClient) -> None:
    body = same_in_xml(client, f"{V2}/discovery", "", "discovery", "discovery")
    (endpoint,) = body["endpoints"]
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert "phananh apikey create" in body["key_service"]
    assert check(client.get(f"{V2}/discovery"), "discovery") == body
    assert check(client.get(f"{V2}/"), "discovery") == body


def test_services_are_the_sectors(client: FlaskClient, app) -> None:
    body = same_in_xml(client, f"{V2}/services", "", "services", "services")
    sectors = app.extensions["phananh.snapshot"].sectors
    assert [s["service_code"] for s in body] == list(sectors)
    road_service = next(s for s in body if s["service_code"] == "giao-thong-van-tai")
    assert road_service["service_name"] == "Giao thông - Vận tải"
    assert road_service["description"].startswith("Các thông tin liên quan:")
    assert "ổ gà" in road_service["keywords"].split(", ")
    assert road_service["group"] == "Phản ánh hiện trường"
    assert all(s["type"] == "realtime" for s in body)
    # A service has metadata when its sector asks the reporter extra fields (sectors[].fields):
    # the environment asks the kind of pollution; the transport sector's field is the officer's.
    with_fields = {s["service_code"] for s in body if s["metadata"]}
    assert with_fields == {"moi-truong"}
    raw = client.get(f"{V2}/services.xml").get_data()
    assert "Giao thông - Vận tải".encode() in raw and b"<metadata>false</metadata>" in raw
    assert b"<metadata>true</metadata>" in raw
    assert check(client.get(f"{V2}/services"), "services") == body


def test_a_service_definition_for_each_sector(client: FlaskClient, app) -> None:
    for code in app.extensions["phananh.snapshot"].sectors:
        body = same_in_xml(
            client, f"{V2}/services/{code}", "", "service-definition", "service_definition"
        )
        asked = app.extensions["phananh.snapshot"].sectors[code].fields_for("report")
        assert body["service_code"] == code
        assert [a["code"] for a in body["attributes"]] == [f.code for f in asked]


def test_an_unknown_service_is_a_georeport_404(client: FlaskClient) -> None:
    (error,) = check(client.get(f"{V2}/services/khong-co.json"), "errors", 404)
    assert error["code"] == 404 and "khong-co" in error["description"]
    assert check_xml(client.get(f"{V2}/services/khong-co.xml"), "errors", 404) == as_text([error])


# -- POST requests -------------------------------------------------------------------------------

FORM = {
    "service_code": "giao-thong-van-tai",
    "first_name": "Văn An",
    "last_name": "Nguyễn",
    "phone": "0909 123 456",
    "email": "an.nguyen@example.vn",
    "description": "Cống thoát nước trên đường Nguyễn Huệ bị vỡ nắp, rất nguy hiểm.",
    "lat": "10.2489",
    "long": "105.9611",
    "address_string": "12 Nguyễn Huệ, Phường Phước Hậu",
    "media_url": "https://anh.example.vn/cong-vo.jpg",
}


def test_post_with_a_key_makes_a_report_for_its_reporter(
    client: FlaskClient, life: Lifecycle, key: str
) -> None:
    (answer,) = check(post(client, f"{V2}/requests.json", {**FORM, "api_key": key}), "posted")
    code = answer["service_request_id"]
    assert re.fullmatch(r"PA-\d{4}-\d{6}", code)
    assert "Đã tiếp nhận phản ánh" in answer["service_notice"]
    assert "token" not in answer  # the id is given at once; the tracking token stays secret
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == code)).one()
        reporter = session.get(Reporter, report.id)
        assert report.channel == "open311" and report.state == State.RECEIVED
        assert report.suggested_sector == "giao-thong-van-tai"
        assert (report.latitude, report.longitude) == (10.2489, 105.9611)
        assert report.address == FORM["address_string"]
        assert report.content.startswith(FORM["description"])
        assert report.content.endswith("(media_url): https://anh.example.vn/cong-vo.jpg")
        assert report.confidential is False
        assert reporter.name == "Nguyễn Văn An"  # Vietnamese order: family name first
        assert (reporter.phone, reporter.email) == ("0909 123 456", "an.nguyen@example.vn")

    # Its sender can follow it by id: the status alone, nothing of its content or reporter.
    (status,) = same_in_xml(client, f"{V2}/requests/{code}", "", "requests", "service_requests")
    assert status["service_request_id"] == code and status["status"] == "open"
    assert status["status_notes"] == "Đã tiếp nhận, chờ phân loại"
    assert status["service_code"] == "giao-thong-van-tai"
    assert "expected_datetime" in status
    assert not {"description", "address", "lat", "long"} & set(status)


def test_post_in_xml_and_with_a_commune_code_as_address_id(
    client: FlaskClient, life: Lifecycle, key: str
) -> None:
    form = {
        **FORM,
        "api_key": key,
        "lat": "",
        "long": "",
        "address_string": "",
        "media_url": "",
        "address_id": "29557",
    }
    data = check_xml(post(client, f"{V2}/requests.xml", form), "service_requests")
    (answer,) = data
    VALIDATORS["posted"].validate(data)
    with life.uow.read() as session:
        report = session.scalars(
            select(Report).where(Report.code == answer["service_request_id"])
        ).one()
        assert report.area == "29557" and report.address is None and report.latitude is None
        assert report.content == FORM["description"]


def test_the_key_goes_in_a_header_or_as_the_standards_field(
    client: FlaskClient, life: Lifecycle, key: str
) -> None:
    """A header keeps the key out of every access log; GeoReport's ``api_key`` still works."""
    before = report_count(life)
    by_header = client.post(f"{V2}/requests.json", data=FORM, headers={"X-Api-Key": key})
    check(by_header, "posted")
    in_query = client.post(f"{V2}/requests.json", data=FORM, query_string={"api_key": key})
    check(in_query, "posted")
    wrong = client.post(f"{V2}/requests.json", data=FORM, headers={"X-Api-Key": "sai-khoa"})
    check(wrong, "errors", 403)
    assert report_count(life) == before + 2


def test_a_key_in_the_query_string_never_reaches_the_access_log(
    app, caplog: pytest.LogCaptureFixture
) -> None:
    """The access log line (werkzeug's, gunicorn's) keeps the request, not the partner's key."""
    for name in ("werkzeug", "gunicorn.access"):
        with caplog.at_level(logging.INFO, logger=name):
            logging.getLogger(name).info(
                '%s - - "%s" %s',
                "127.0.0.1",
                "POST /open311/v2/requests.json?service_code=dien&api_key=bi-mat-123 HTTP/1.1",
                "200",
            )
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert all("bi-mat-123" not in line and "api_key=[đã ẩn]" in line for line in lines)
    assert all("service_code=dien" in line for line in lines)


@pytest.mark.parametrize("how", ["without", "unknown", "revoked"])
def test_post_without_a_valid_key_is_refused(
    client: FlaskClient, life: Lifecycle, how: str
) -> None:
    form = dict(FORM)
    if how == "unknown":
        form["api_key"] = "khong-phai-khoa"
    if how == "revoked":
        with life.uow.begin() as session:
            form["api_key"] = apikeys.create(session, "doi-tac-cu")
        with life.uow.begin() as session:
            apikeys.revoke(session, "doi-tac-cu")
    before = report_count(life)
    (error,) = check(post(client, f"{V2}/requests.json", form), "errors", 403)
    assert error == {
        "code": 403,
        "description": "Thiếu khóa API (api_key), hoặc khóa không đúng hay đã bị thu hồi.",
    }
    xml = check_xml(post(client, f"{V2}/requests.xml", form), "errors", 403)
    assert xml == as_text([error])
    assert report_count(life) == before


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"phone": ""}, "Chưa có số điện thoại của cá nhân, tổ chức gửi phản ánh."),
        ({"phone": "12345"}, "Số điện thoại không hợp lệ"),
        ({"first_name": "", "last_name": ""}, "Chưa có họ tên"),
        ({"description": ""}, "Chưa có nội dung phản ánh."),
        ({"lat": "", "long": "", "address_string": ""}, "Chưa có địa điểm phản ánh"),
        ({"lat": "1.0", "long": "2.0"}, "nằm ngoài địa bàn tỉnh Vĩnh Long"),
        ({"email": "khong-phai-thu"}, "Địa chỉ thư điện tử không hợp lệ"),
    ],
)
def test_post_with_missing_or_invalid_details_is_a_400_in_vietnamese(
    client: FlaskClient, life: Lifecycle, key: str, changes: dict[str, str], expected: str
) -> None:
    before = report_count(life)
    response = post(client, f"{V2}/requests.json", {**FORM, "api_key": key, **changes})
    (error,) = check(response, "errors", 400)
    assert error["code"] == 400 and expected in error["description"]
    assert report_count(life) == before


def test_post_names_every_problem_with_the_open311_fields(
    client: FlaskClient, life: Lifecycle, key: str
) -> None:
    form = {
        **FORM,
        "api_key": key,
        "service_code": "khong-co",
        "lat": "abc",
        "media_url": "ftp://x",
        "address_id": "00000",
    }
    errors = check(post(client, f"{V2}/requests.json", form), "errors", 400)
    descriptions = " | ".join(e["description"] for e in errors)
    assert len(errors) == 4 and {e["code"] for e in errors} == {400}
    for part in ("'khong-co'", "Vĩ độ (lat) 'abc'", "media_url", "address_id '00000'"):
        assert part in descriptions
    (missing,) = check(
        post(client, f"{V2}/requests.json", {**FORM, "api_key": key, "service_code": ""}),
        "errors",
        400,
    )
    assert missing["description"].startswith("Thiếu service_code")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_thousands_of_wrong_attributes_list_fifty_and_count_the_rest(
    client: FlaskClient, life: Lifecycle, key: str, fmt: str
) -> None:
    form = {**FORM, "api_key": key, **{f"attribute[khong_co_{i:04}]": "1" for i in range(2000)}}
    response = post(client, f"{V2}/requests.{fmt}", form)
    errors = check(response, "errors", 400) if fmt == "json" else check_xml(response, "errors", 400)
    descriptions = [e["description"] for e in errors]
    assert len(descriptions) == 51
    assert all(d.startswith("attribute[khong_co_") for d in descriptions[:50])
    assert descriptions[-1] == "Và 1950 lỗi khác không được liệt kê."


def test_posts_are_rate_limited_with_a_georeport_error(client: FlaskClient) -> None:
    where = {"REMOTE_ADDR": "192.0.2.77"}
    statuses = [
        client.post(f"{V2}/requests.json", data={}, environ_base=where).status_code
        for _ in range(5)
    ]
    assert statuses == [403] * 5
    (error,) = check(client.post(f"{V2}/requests", data={}, environ_base=where), "errors", 429)
    assert error["description"] == "Gửi quá nhiều yêu cầu; vui lòng thử lại sau."


# -- GET requests --------------------------------------------------------------------------------


def codes(body: list[dict[str, Any]]) -> list[str]:
    return [r["service_request_id"] for r in body]


def test_requests_lists_published_results_of_the_last_90_days(
    client: FlaskClient, world: World
) -> None:
    body = same_in_xml(client, f"{V2}/requests", "", "requests", "service_requests")
    listed = codes(body)
    assert world.road in listed and world.power in listed
    assert listed.index(world.power) < listed.index(world.road)  # newest publication first
    for hidden in (world.old, world.pending, world.secret, world.restricted, world.followed):
        assert hidden not in listed
    item = next(r for r in body if r["service_request_id"] == world.road)
    assert item["status"] == "closed"
    assert item["service_code"] == "giao-thong-van-tai"
    assert item["service_name"] == "Giao thông - Vận tải"
    assert item["description"].startswith("Đường Phạm Thái Bường có ổ gà")
    assert item["agency_responsible"] == "Sở Xây dựng"
    assert item["address"] == "45 Phạm Thái Bường, Phường Phước Hậu"
    assert item["address_id"] == "29557"
    assert (item["lat"], item["long"]) == (10.2537, 105.9722)
    assert "Đã khắc phục xong" in item["status_notes"]
    assert item["media_url"] == f"http://localhost/anh/{world.road_photo}"
    assert item["requested_datetime"].endswith("+07:00")
    assert item["updated_datetime"] > item["requested_datetime"]
    assert check(client.get(f"{V2}/requests"), "requests") == body


def listed(client: FlaskClient, **query: str) -> list[str]:
    """The ids ``GET requests.json`` lists for ``query``, after checking the answer."""
    return codes(check(client.get(f"{V2}/requests.json", query_string=query), "requests"))


def test_requests_are_read_in_batches_by_position(
    client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of one, each after the last one's position: the same list, nothing twice."""
    from web import open311_records

    whole = listed(client)
    monkeypatch.setattr(open311_records, "BATCH", 1)
    assert listed(client) == whole and len(set(whole)) == len(whole) >= 2


def test_requests_by_service_code(client: FlaskClient, world: World) -> None:
    power = same_in_xml(
        client, f"{V2}/requests", "service_code=dien", "requests", "service_requests"
    )
    assert codes(power) == [world.power]
    road_codes = listed(client, service_code="giao-thong-van-tai")
    assert world.road in road_codes and world.power not in road_codes
    assert listed(client, service_code="khong-co") == []


def _at(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="seconds")


def test_requests_by_start_and_end_date(client: FlaskClient, world: World) -> None:
    since = listed(client, start_date=_at(5))
    assert world.power in since and world.road not in since
    until = listed(client, end_date=_at(5))  # and the 90 days before
    assert world.road in until and world.power not in until and world.old not in until
    assert listed(client, start_date=_at(130), end_date=_at(100)) == [world.old]
    # An unencoded "+" arrives as a space.
    assert world.road in listed(client, start_date=_at(11).replace("+", " "), end_date=_at(9))
    # A date alone is a whole day in the province's time.
    (item,) = check(client.get(f"{V2}/requests/{world.road}.json"), "requests")
    day = item["requested_datetime"][:10]
    by_day = check(
        client.get(f"{V2}/requests.json", query_string={"start_date": day, "end_date": day}),
        "requests",
    )
    assert world.road in codes(by_day) and world.power not in codes(by_day)
    assert all(r["requested_datetime"].startswith(day) for r in by_day)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"start_date": "hôm qua"}, "start_date 'hôm qua' không phải thời điểm RFC 3339"),
        ({"end_date": "2026-13-01"}, "end_date '2026-13-01' không phải thời điểm RFC 3339"),
        ({"start_date": _at(200), "end_date": _at(1)}, "cách nhau tối đa 90 ngày"),
        ({"start_date": _at(1), "end_date": _at(2)}, "end_date phải sau start_date"),
        ({"status": "dang-xu-ly"}, "status 'dang-xu-ly' không hợp lệ"),
    ],
)
def test_bad_filters_are_a_400(client: FlaskClient, query: dict[str, str], expected: str) -> None:
    (error,) = check(client.get(f"{V2}/requests.json", query_string=query), "errors", 400)
    assert expected in error["description"]
    assert check_xml(client.get(f"{V2}/requests.xml", query_string=query), "errors", 400) == (
        as_text([error])
    )


def test_requests_by_status(client: FlaskClient, world: World) -> None:
    closed = listed(client, status="closed")
    assert world.road in closed and world.power in closed
    assert listed(client, status="open,closed") == closed == listed(client)
    assert (
        same_in_xml(client, f"{V2}/requests", "status=open", "requests", "service_requests") == []
    )


def test_requests_by_id_override_the_other_filters(client: FlaskClient, world: World) -> None:
    asked = [world.power, "PA-2026-999999", world.secret, world.pending, world.restricted,
             world.followed, world.road, world.power]  # fmt: skip
    query = f"service_request_id={','.join(asked)}&service_code=dien&status=open"
    body = same_in_xml(client, f"{V2}/requests", query, "requests", "service_requests")
    assert codes(body) == [world.power, world.followed, world.road]
    assert [r["status"] for r in body] == ["closed", "open", "closed"]
    query = f"service_request_id={world.road}&service_request_id={world.old}"
    assert codes(check(client.get(f"{V2}/requests.json?{query}"), "requests")) == [
        world.road,
        world.old,
    ]


def test_one_request_by_id(client: FlaskClient, world: World) -> None:
    (item,) = same_in_xml(client, f"{V2}/requests/{world.road}", "", "requests", "service_requests")
    assert item["service_request_id"] == world.road and item["status"] == "closed"
    listed = check(client.get(f"{V2}/requests.json"), "requests")
    assert item == next(r for r in listed if r["service_request_id"] == world.road)
    (followed,) = check(client.get(f"{V2}/requests/{world.followed}"), "requests")
    assert followed["status"] == "open" and followed["service_code"] == "dien"
    assert followed["service_name"] == "Điện"


@pytest.mark.parametrize("which", ["PA-2026-999999", "pending", "secret", "restricted", "x.y"])
def test_unknown_or_hidden_requests_are_the_same_404(
    client: FlaskClient, world: World, which: str
) -> None:
    code = getattr(world, which, which)
    (error,) = check(client.get(f"{V2}/requests/{code}.json"), "errors", 404)
    assert error == {
        "code": 404,
        "description": "Không có yêu cầu này, hoặc yêu cầu không được công khai qua Open311.",
    }
    assert check_xml(client.get(f"{V2}/requests/{code}.xml"), "errors", 404) == as_text([error])


def test_tokens_are_never_issued(client: FlaskClient, world: World) -> None:
    for token in ("abc123", world.road):
        (error,) = check(client.get(f"{V2}/tokens/{token}.json"), "errors", 404)
        assert "không cấp token" in error["description"]
        assert check_xml(client.get(f"{V2}/tokens/{token}.xml"), "errors", 404) == as_text([error])


def test_other_paths_and_methods_are_georeport_errors(client: FlaskClient) -> None:
    for path in ("/khong-co.json", "/services.csv", "/discovery.csv", "/tokens"):
        (error,) = check(client.get(V2 + path), "errors", 404)
        assert "Không có tài nguyên Open311 này" in error["description"]
    assert check_xml(client.get(f"{V2}/khong-co.xml"), "errors", 404)[0]["code"] == "404"
    response = client.post(f"{V2}/services.json")
    (error,) = check(response, "errors", 405)
    assert response.headers["Allow"] == "GET"
    response = client.delete(f"{V2}/requests.xml")
    assert check_xml(response, "errors", 405)[0]["code"] == "405"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}


# -- privacy -------------------------------------------------------------------------------------


def test_a_confidential_reporter_never_appears_in_any_open311_answer(
    client: FlaskClient, life: Lifecycle, world: World, key: str
) -> None:
    """Plant unique markers in a confidential report's identity and place, take it to its end,
    and search every answer: each route in both formats, with and without filters, by id, and
    every answer the other tests of this module saw."""
    with_secret = f"{world.road},{world.secret}"
    queries = ["", "status=closed", "status=open", f"service_request_id={with_secret}",
               "service_code=giao-thong-van-tai", f"start_date={_at(30)}"]  # fmt: skip
    paths = [
        "/discovery",
        "/services",
        "/services/giao-thong-van-tai",
        f"/requests/{world.secret}",
        f"/requests/{world.road}",
        f"/tokens/{world.secret}",
    ]
    answers = []
    for fmt in ("json", "xml"):
        for path in paths:
            answers.append(client.get(f"{V2}{path}.{fmt}"))
        for query in queries:
            answers.append(client.get(f"{V2}/requests.{fmt}", query_string=query))
        answers.append(post(client, f"{V2}/requests.{fmt}", {**FORM, "api_key": key}))
    texts = [a.get_data(as_text=True) for a in answers] + SEEN
    assert len(texts) > 40
    for text in texts:
        folded = text.lower()
        for marker in MARKERS:
            assert marker not in folded
        assert world.secret not in text and world.restricted not in text
        assert f"/anh/{world.secret_photo}" not in text
    # The planted identity is really there, so the search above looked for something real.
    with life.uow.read() as session:
        report = session.scalars(select(Report).where(Report.code == world.secret)).one()
        reporter = session.get(Reporter, report.id)
        assert (reporter.name, reporter.phone, reporter.email) == (
            SECRET["name"],
            SECRET["phone"],
            SECRET["email"],
        )
        assert report.address == SECRET["address"] and report.published_text


# -- keys ----------------------------------------------------------------------------------------


def test_keys_are_stored_hashed(life: Lifecycle, key: str) -> None:
    with life.uow.read() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.name == "ung-dung-doi-tac")).one()
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest() != key
        assert apikeys.check(session, key) is not None
        assert apikeys.check(session, key + "x") is None and apikeys.check(session, "") is None


def test_xml_leaves_out_what_xml_cannot_carry() -> None:
    data = [{"code": 400, "description": "Nội dung\x0bcó ký tự điều khiển\x00.", "ok": True}]
    node = ET.fromstring(render(data, "xml", "errors").get_data())
    assert from_xml(node) == [
        {"code": "400", "description": "Nội dungcó ký tự điều khiển.", "ok": "true"}
    ]
    assert json.loads(render(data, "json", "errors").get_data()) == data
