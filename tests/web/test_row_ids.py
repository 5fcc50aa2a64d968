"""An id in a URL beyond what the database holds names nothing: 404, never a 500, on both databases.

SQLite's keys stop at 2**63 - 1, PostgreSQL's ``integer`` at 2**31 - 1; an id past either used to
reach the query and fail there (an overflow) instead of finding no row.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.accounts import create_user
from engine.workflow import Role
from tests.apps import make_app
from tests.databases import PG_URL, postgres_schema
from tests.web.test_api_support import API, is_problem
from web.auth import load_user, session_for

PG_SKIP = "TEST_DATABASE_URL is not set: PostgreSQL tests skipped"

#: Past PostgreSQL's integer, past SQLite's, and past both by far.
TOO_LARGE = (2**31, 2**63, 10**30)


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason=PG_SKIP)),
    ],
)
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("ids")
    if request.param == "sqlite":
        yield with_staff(make_app(folder))
        return
    with postgres_schema("phananh_ids") as url:
        app = make_app(folder, DATABASE_URL=url)
        yield with_staff(app)
        app.extensions["phananh.lifecycle"].uow.engine.dispose()


def with_staff(app: Flask) -> Flask:
    with app.extensions["phananh.lifecycle"].uow.begin() as session:
        user = create_user(session, "quantri", "mat-khau-dai-du-12", Role.OPERATOR_ADMIN)
        session.flush()
        app.config["TEST_ADMIN_ID"] = user.id
    return app


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    with app.app_context():
        marks = session_for(load_user(app.config["TEST_ADMIN_ID"]))
    with client.session_transaction() as session:
        session.update(marks)
    return client


@pytest.mark.parametrize("row_id", TOO_LARGE)
@pytest.mark.parametrize("path", ["/photos/{}", "/photos/{}/thumbnail"])
def test_the_api_answers_an_id_too_large_with_a_404_problem(
    app: Flask, path: str, row_id: int
) -> None:
    response = app.test_client().get(API + path.format(row_id))
    assert is_problem(response, 404)["title"] == "Không tìm thấy"


@pytest.mark.parametrize("row_id", TOO_LARGE)
@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/anh/{}"),
        ("GET", "/anh/{}/nho"),
        ("GET", "/ban-xu-ly/tep/{}"),
        ("GET", "/ban-xu-ly/tep/{}/nho"),
        ("GET", "/admin/nguoi-dung/{}/"),
        ("POST", "/admin/nguoi-dung/{}/mo-khoa"),
        ("POST", "/admin/phien-ban/{}/khoi-phuc"),
        ("POST", "/admin/phien-ban/{}/huy-lich"),
    ],
)
def test_pages_answer_an_id_too_large_with_not_found(
    app: Flask, method: str, path: str, row_id: int
) -> None:
    """Even for a signed-in administrator, who passes every role check on the way."""
    response = signed_in(app).open(path.format(row_id), method=method)
    assert response.status_code == 404


def test_an_id_within_range_still_reaches_the_page(app: Flask) -> None:
    """The largest id both databases hold is an ordinary id that names no row."""
    assert app.test_client().get(f"{API}/photos/{2**31 - 1}").status_code == 404
    own = signed_in(app).get(f"/admin/nguoi-dung/{app.config['TEST_ADMIN_ID']}/")
    assert own.status_code == 200


@pytest.mark.parametrize("page", [str(2**63), "9" * 30])
@pytest.mark.parametrize("path", ["/ket-qua", "/ban-xu-ly/cong-bo-thong-tin", "/ban-xu-ly/nhat-ky"])
def test_a_page_number_too_large_shows_a_page(app: Flask, path: str, page: str) -> None:
    """A page past the end is the last page (or an empty one), not an offset the database
    cannot hold."""
    response = signed_in(app).get(path, query_string={"trang": page})
    assert response.status_code == 200
