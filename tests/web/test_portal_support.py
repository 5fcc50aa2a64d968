"""Helpers for the portal's tests (no tests here): posting forms, bringing reports to publication.

Every POST comes from a new client address, so the per-client rate limit on public POSTs
(``web.limits.PUBLIC_POST``) never refuses a test's request; one test checks the limit itself.
"""

from __future__ import annotations

import io
import itertools
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from engine.services.lifecycle import Actor, Lifecycle, NewReport
from engine.store.models import Report
from engine.workflow import Role, State

IOC = Actor("Trần Thị Bình", Role.IOC_OPERATOR)
TRANSPORT = "giao-thong-van-tai"
PHUOC_HAU = "29557"  # Phường Phước Hậu
LINK = re.compile(r"/theo-doi/(PA-\d{4}-\d+)\?t=([A-Za-z0-9_-]+)")

_addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(256), repeat=3))


def address() -> str:
    return next(_addresses)


def post(client: FlaskClient, url: str, data: Any, **kwargs: Any) -> TestResponse:
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": address()}, **kwargs)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def report_form(**changes: Any) -> dict[str, Any]:
    """A complete report as the form posts it; ``None`` drops a field."""
    values: dict[str, Any] = {
        "name": "Nguyễn Văn An",
        "phone": "0909 123 456",
        "email": "an.nguyen@example.vn",
        "content": "Đường Phạm Thái Bường có ổ gà lớn trước số 45, xe máy dễ té ngã.",
        "sector": "",
        "area": PHUOC_HAU,
        "address": "45 Phạm Thái Bường",
        "latitude": "",
        "longitude": "",
        "acknowledge": "y",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def upload(data: bytes, filename: str, content_type: str = "image/jpeg") -> tuple[Any, ...]:
    return (io.BytesIO(data), filename, content_type)


def send_report(client: FlaskClient, **changes: Any) -> tuple[str, str]:
    """Submit through the form; returns the code and the private token shown after it."""
    response = post(client, "/gui-phan-anh", report_form(**changes), follow_redirects=True)
    assert response.status_code == 200, text_of(response.get_data(as_text=True))[:2000]
    found = LINK.search(response.get_data(as_text=True))
    assert found, "the page after submitting shows the private link"
    return found.group(1), found.group(2)


def version_of(life: Lifecycle, code: str) -> int:
    with life.uow.read() as session:
        return session.scalars(select(Report.version).where(Report.code == code)).one()


def agency_of(life: Lifecycle, code: str) -> str:
    with life.uow.read() as session:
        return session.scalars(select(Report.agency).where(Report.code == code)).one()


def answer(life: Lifecycle, code: str, sector: str = TRANSPORT, result: str | None = None) -> State:
    """Drive a report from received to its answer (Đ6–Đ10) through the use cases."""
    version = version_of(life, code)

    def act(actor: Actor, action: str, **inputs: Any) -> State:
        nonlocal version
        outcome = life.perform(actor, code, action, version=version, **inputs)
        version = outcome.version
        return outcome.state

    act(IOC, "classify", sector=sector)
    act(IOC, "forward")
    agency = agency_of(life, code)
    act(Actor("Phạm Minh Đức", Role.OFFICER, agency=agency), "accept")
    act(
        Actor("Phạm Minh Đức", Role.OFFICER, agency=agency),
        "propose_result",
        result=result or "Đã khắc phục xong ngày 23/4/2026.",
    )
    leader = Actor("Võ Thị Em", Role.LEADER, agency=agency)
    act(leader, "approve")
    return act(leader, "publish")  # the agency publishes its results (Đ10.4)


def direct_report(life: Lifecycle, **changes: Any) -> tuple[str, str]:
    """A report submitted through the use case (for reports dated in the past, say)."""
    at = changes.pop("at", None)
    values: dict[str, Any] = {
        "name": "Trần Văn Bé",
        "phone": "0912 345 678",
        "content": "Cột điện nghiêng trước chợ, dây điện võng thấp.",
        "area": PHUOC_HAU,
        "address": "Chợ Phước Hậu",
    }
    values.update(changes)
    submitted = life.submit(NewReport(**values), at=at)
    return submitted.code, submitted.tracking_token
