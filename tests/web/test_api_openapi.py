"""The OpenAPI 3.1 document: valid, served, and describing every route of the API blueprint."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tests.web.test_api_support import API, OpenApi, make_app, road_report

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_app(tmp_path_factory.mktemp("openapi"))


@pytest.fixture(scope="module")
def document(client: FlaskClient) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document: dict) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": API}]


def test_every_route_of_the_blueprint_is_described(app: Flask, document: dict) -> None:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule).removeprefix(API)
        routes |= {(path, m.lower()) for m in rule.methods or () if m.lower() in HTTP_METHODS}
    described = {
        (path, method)
        for path, operations in document["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }
    assert routes == described
    assert ("/reports", "post") in routes and ("/reports/{code}/rating", "post") in routes


#: POSTs whose body must never be kept, even hashed: a password's sha256 would be quick to guess,
#: undoing scrypt. A retried sign-in simply gets a second token.
NOT_IDEMPOTENT = {"/auth/token"}


def test_every_post_takes_an_idempotency_key_and_answers_problems(document: dict) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            refs = [p.get("$ref", "") for p in operation.get("parameters", [])]
            answers = operation["responses"]
            if method == "post" and path not in NOT_IDEMPOTENT:
                assert "#/components/parameters/IdempotencyKey" in refs, path
                assert {"422", "429"} <= set(answers), path
            for status, answer in answers.items():
                if status.startswith(("4", "5")):
                    assert answer["$ref"].startswith("#/components/responses/Problem"), path


def test_the_document_follows_the_configuration(document: dict) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["NewReport"]["properties"]["content"]["maxLength"] == 5000
    assert "giao-thong-van-tai" in schemas["NewReport"]["properties"]["sector"]["enum"]
    assert schemas["NewRating"]["properties"]["rating"]["enum"] == [
        "hai_long",
        "chap_nhan_duoc",
        "khong_hai_long",
    ]
    assert document["components"]["securitySchemes"]["trackingToken"]["name"] == (
        "X-Tracking-Token"
    )
    problems = document["components"]["responses"]
    assert problems["Problem422"]["description"] == "Dữ liệu không hợp lệ"
    assert "application/problem+json" in problems["Problem429"]["content"]


def _valid(document: dict, pointer: str, instance: object) -> bool:
    """Whether ``instance`` is valid against the document's schema at ``pointer``."""
    checker = OpenApi(document)
    validator = Draft202012Validator(
        {"$ref": f"{OpenApi.BASE}#/{pointer}"}, registry=checker.registry
    )
    return validator.is_valid(instance)


def test_a_new_report_is_valid_only_as_the_api_accepts_it(document: dict) -> None:
    """What the document calls valid is what the API takes (Đ5.2–5.3): a name, a Vietnamese
    phone number, a content, a place, and text without control characters."""
    for pointer in ("components/schemas/NewReport", "components/schemas/NewReportForm"):
        assert _valid(document, pointer, road_report())
        assert _valid(document, pointer, road_report(phone="+84 (0) 912.345.678"))
        assert not _valid(document, pointer, road_report(name="   "))
        assert not _valid(document, pointer, road_report(content=""))
        assert not _valid(document, pointer, road_report(phone="12345"))
        assert not _valid(document, pointer, road_report(email="khong-phai-thu"))
        assert not _valid(document, pointer, road_report(name="An\x00"))
        assert not _valid(document, pointer, road_report(address="45\x1bPhạm Thái Bường"))
        assert not _valid(document, pointer, road_report(area=None, address=None))
        assert not _valid(document, pointer, road_report(area="00000"))


def test_keys_and_credentials_are_declared_as_checked(document: dict) -> None:
    """An Idempotency-Key is 16–200 visible ASCII characters; a sign-in needs both credentials."""
    key = "components/parameters/IdempotencyKey/schema"
    assert _valid(document, key, "0f8fad5b-d9cb-469f-a165-70867728950e")
    assert not _valid(document, key, "khóa có dấu cách!")
    assert not _valid(document, key, "x" * 15)
    token = "components/schemas/TokenRequest"
    assert _valid(document, token, {"username": "ioc", "password": "phananh-demo"})
    assert not _valid(document, token, {"username": "ioc", "password": ""})
    assert not _valid(document, token, {"username": "", "password": "phananh-demo"})
