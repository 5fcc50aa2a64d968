"""What the API tests share: an application, valid inputs, photos, the OpenAPI checker, and a way
to drive a report through its life with the use cases. Holds no tests of its own."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from PIL import Image
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select
from werkzeug.test import TestResponse

from engine.services.lifecycle import Actor, Lifecycle
from engine.store.models import Report
from engine.workflow import Role
from tests.apps import make_app  # noqa: F401 - re-exported for the API tests

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
PROBLEM = "application/problem+json"
#: Vĩnh Long, as a phone's GPS writes it: 10°15'13.32" N, 105°58'19.92" E.
VINH_LONG = (10.2537, 105.9722)

IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)
OFFICER = Actor("Phạm Minh Đức", Role.OFFICER, agency="SXD")
LEADER = Actor("Võ Thị Em", Role.LEADER, agency="SXD")

#: From a new transport report to its published (or privately answered) result.
TO_THE_END: tuple[tuple[str, Actor, dict[str, Any]], ...] = (
    ("classify", IOC, {"sector": "giao-thong-van-tai"}),
    ("forward", IOC, {}),
    ("accept", OFFICER, {}),
    ("propose_result", OFFICER, {"result": "Đã vá ổ gà ngày 23/4/2026."}),
    ("approve", LEADER, {}),
    ("publish", OFFICER, {}),
)


def road_report(**changes: Any) -> dict[str, Any]:
    """A pothole in Phường Phước Hậu: transport, handled by Sở Xây dựng."""
    values: dict[str, Any] = {
        "name": "Nguyễn Văn An",
        "phone": "0909 123 456",
        "email": "an.nguyen@example.vn",
        "content": "Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.",
        "area": "29557",
        "address": "45 Phạm Thái Bường",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def new_key() -> str:
    return str(uuid.uuid4())


def submit(client: FlaskClient, **changes: Any) -> dict[str, Any]:
    response = client.post(f"{API}/reports", json=road_report(**changes))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def version_of(life: Lifecycle, code: str) -> int:
    with life.uow.read() as session:
        return session.scalars(select(Report.version).where(Report.code == code)).one()


def drive(
    life: Lifecycle, code: str, steps: tuple[tuple[str, Actor, dict[str, Any]], ...] = TO_THE_END
) -> None:
    """Take a report through ``steps`` with the use cases, as the staff would."""
    for action, actor, values in steps:
        life.perform(actor, code, action, version=version_of(life, code), **values)


def gps_exif(latitude: float, longitude: float) -> Image.Exif:
    def dms(value: float) -> tuple[float, float, float]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4)

    exif = Image.Exif()
    exif[0x010F] = "Samsung"  # Make
    exif[0x0110] = "Galaxy A15"  # Model
    exif[0x8825] = {1: "N", 2: dms(latitude), 3: "E", 4: dms(longitude)}  # GPS IFD
    return exif


def jpeg(place: tuple[float, float] | None = VINH_LONG, size: tuple[int, int] = (64, 48)) -> bytes:
    """A phone photo, with its GPS position in the EXIF when ``place`` is given."""
    out = io.BytesIO()
    extra = {"exif": gps_exif(*place).tobytes()} if place else {}
    Image.new("RGB", size, (40, 120, 200)).save(out, "JPEG", quality=90, **extra)
    return out.getvalue()


def is_problem(response: TestResponse, status: int, field: str | None = None) -> dict[str, Any]:
    """An RFC 9457 answer with a Vietnamese title, naming ``field`` among its errors."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["type"].startswith("https://")
    assert body["title"] and body["detail"]
    if field is not None:
        fields = [e["field"] for e in body.get("errors", [])]
        assert field in fields, body
        assert all(e["message"] for e in body["errors"])
    return body


class OpenApi:
    """Checks answers against the response schemas of the served OpenAPI document."""

    BASE = "urn:phananh:api-v1"

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource(self.BASE, resource)

    def check(self, response: TestResponse, path: str, method: str) -> Any:
        """Validate ``response`` against the document's schema for ``method path`` and its status."""
        responses = self.document["paths"][path][method]["responses"]
        answer = responses[str(response.status_code)]
        if "$ref" in answer:
            answer = self._resolve(answer["$ref"])
        content = answer["content"]
        assert response.mimetype in content, (response.mimetype, list(content))
        pointer = "/".join(
            part.replace("~", "~0").replace("/", "~1")
            for part in (
                "paths",
                path,
                method,
                "responses",
                str(response.status_code),
                "content",
                response.mimetype,
                "schema",
            )
        )
        if "$ref" in responses[str(response.status_code)]:
            ref = responses[str(response.status_code)]["$ref"].lstrip("#/")
            pointer = f"{ref}/content/{response.mimetype.replace('/', '~1')}/schema"
        validator = Draft202012Validator(
            {"$ref": f"{self.BASE}#/{pointer}"},
            registry=self.registry,
            format_checker=FormatChecker(),
        )
        body = response.get_json()
        validator.validate(body)
        return body

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.document
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node


@pytest.fixture(scope="module")
def openapi(client: FlaskClient) -> OpenApi:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return OpenApi(response.get_json())
