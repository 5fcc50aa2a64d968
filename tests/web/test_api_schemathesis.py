"""Schemathesis over the served OpenAPI document: every operation, every check, on demo data.

The document is a promise to the mobile app and the partners: what it calls valid is accepted,
what it calls invalid is refused with a 4xx, and every answer is shaped as it says. Schemathesis
generates requests from the document itself (valid ones and broken ones) and holds each answer to
it: no server error, no status, header, content type or body the document does not declare, no
valid request refused and no invalid one accepted.

It runs in-process against the WSGI app on a database seeded with demo reports in every state,
anonymously and — for the operations staff may call — with a staff bearer token. Hypothesis is
bounded and derandomized, so a run is the same in CI as here (a few minutes).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from cli.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from engine.accounts import create_user, issue_token
from engine.demo import seed
from engine.services.lifecycle import Lifecycle
from engine.store.models import User
from tests.web.test_api_support import API, jpeg, make_app
from web.api import staff

#: Demo reports: a few dozen are enough to reach every state of the workflow table.
REPORTS = 40
#: Hypothesis examples per operation and mode; bounded so that the module stays within minutes.
EXAMPLES = 10
#: The account whose bearer token the staff run carries (it sees every report).
STAFF_USER = "ioc"
PHOTO = jpeg()
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = make_app(
        Path(tmp_path_factory.mktemp("schemathesis")),
        RATELIMIT_ENABLED=False,
        RATELIMIT_PUBLIC_POST="100000 per minute",
        RATELIMIT_SIGN_IN="100000 per minute",
    )
    life: Lifecycle = app.extensions["phananh.lifecycle"]
    with life.uow.begin() as session:
        for username, name, role, agency in DEMO_ACCOUNTS:
            create_user(session, username, DEMO_PASSWORD, role, display_name=name, agency=agency)
    seed(life, REPORTS)
    return app


def staff_token(app: Flask) -> str:
    """A fresh bearer token of ``STAFF_USER``: a case may revoke the one it carries."""
    life: Lifecycle = app.extensions["phananh.lifecycle"]
    with life.uow.begin() as session:
        user = session.scalars(select(User).where(User.username == STAFF_USER)).one()
        token, _ = issue_token(session, user, life.now(), timedelta(hours=1))
    return token


@pytest.fixture(scope="module")
def api_schema(app: Flask) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 renames each test by ``Node._nodeid``, which pytest 9.2 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


def real_photos(case: schemathesis.Case) -> None:
    """A JSON Schema cannot say "bytes that decode as a picture": files generated for ``media``
    become a small real JPEG, so that a valid form is a form the portal's checks accept."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("media"), list):
        body["media"] = [PHOTO for _ in body["media"]]


def only_filters_of(case: schemathesis.Case, other_view: tuple[str, ...]) -> None:
    """``GET /reports`` is two lists behind one address; the document marks the filters of each
    (refused by the other, tested in test_api.py and test_api_staff.py). Send each its own."""
    if case.operation.path == "/reports" and case.method == "GET" and case.query:
        for name in other_view:
            case.query.pop(name, None)


@schema.parametrize()
@BOUNDED
def test_anonymous_requests_keep_the_document(case: schemathesis.Case) -> None:
    real_photos(case)
    only_filters_of(case, staff.STAFF_ONLY)
    case.call_and_validate()


@schema.include(
    operation_id_regex="^(listReports|getReport|performAction|revokeToken)$"
).parametrize()
@BOUNDED
def test_staff_requests_keep_the_document(case: schemathesis.Case, app: Flask) -> None:
    only_filters_of(case, staff.PUBLIC_ONLY)
    case.call_and_validate(headers={"Authorization": f"Bearer {staff_token(app)}"})
