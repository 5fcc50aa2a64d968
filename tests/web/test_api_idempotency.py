"""``Idempotency-Key``: a retried POST gets its first answer and never makes a second report."""

from __future__ import annotations

import io
import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.pool import NullPool
from werkzeug.test import TestResponse

from engine.services.lifecycle import Lifecycle
from engine.store.models import IdempotentRequest, Rating, Reply, Report
from engine.worker import housekeeping
from tests.web.test_api_support import (
    API,
    OpenApi,
    drive,
    is_problem,
    jpeg,
    make_app,
    new_key,
    road_report,
    submit,
)
from tests.web.test_api_support import openapi as openapi  # noqa: F401  (fixture)
from web.api import idempotency

PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_app(tmp_path_factory.mktemp("idempotency"), RATELIMIT_PUBLIC_POST="1000 per minute")


def count(life: Lifecycle, model: type, **where: object) -> int:
    with life.uow.read() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.scalar(query) or 0


def post(client: FlaskClient, key: str, **changes: object) -> TestResponse:
    return client.post(
        f"{API}/reports", json=road_report(**changes), headers={"Idempotency-Key": key}
    )


def test_a_retry_with_the_same_key_gets_the_first_answer(
    client: FlaskClient, life: Lifecycle, openapi: OpenApi
) -> None:
    key, before = new_key(), count(life, Report)
    first = post(client, key)
    again = post(client, key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()  # the same code and tracking token
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    openapi.check(again, "/reports", "post")
    assert count(life, Report) == before + 1


def test_the_same_key_for_another_request_is_refused(
    client: FlaskClient, life: Lifecycle, openapi: OpenApi
) -> None:
    key = new_key()
    assert post(client, key).status_code == 201
    before = count(life, Report)
    other = post(client, key, content="Đèn đường hỏng trước chợ.")
    body = is_problem(other, 422, "Idempotency-Key")
    assert body["detail"].startswith("Idempotency-Key đã dùng cho một yêu cầu khác")
    openapi.check(other, "/reports", "post")
    assert count(life, Report) == before
    # The key belongs to its route: the same key elsewhere is another request altogether.
    created = submit(client)
    drive(life, created["code"])
    rated = client.post(
        f"{API}/reports/{created['code']}/rating",
        json={"rating": "hai_long"},
        headers={"Idempotency-Key": key, "X-Tracking-Token": created["tracking_token"]},
    )
    assert rated.status_code == 200


def test_a_multipart_retry_with_another_boundary_is_the_same_request(
    client: FlaskClient, life: Lifecycle
) -> None:
    key, before = new_key(), count(life, Report)
    photo = jpeg()

    def send() -> TestResponse:
        return client.post(
            f"{API}/reports",
            data={**road_report(), "media": [(io.BytesIO(photo), "a.jpg", "image/jpeg")]},
            content_type="multipart/form-data",
            headers={"Idempotency-Key": key},
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 201
    assert again.get_json()["code"] == first.get_json()["code"]
    assert count(life, Report) == before + 1


def test_a_refused_request_frees_its_key(client: FlaskClient, life: Lifecycle) -> None:
    key, before = new_key(), count(life, Report)
    is_problem(post(client, key, phone="+1 415 555 0100"), 422, "phone")
    assert count(life, IdempotentRequest, status=0) == 0  # no claim left behind
    fixed = post(client, key)  # the client corrects the phone and retries with the same key
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers
    assert count(life, Report) == before + 1


def test_concurrent_first_requests_with_one_key_make_one_report(
    app: Flask, life: Lifecycle
) -> None:
    race_for_one_key(app, life)


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
def test_concurrent_first_requests_make_one_report_on_postgresql(tmp_path: Path) -> None:
    """PostgreSQL makes the later inserts wait for the first to commit, then refuses them."""
    with postgres_app(tmp_path) as app:
        race_for_one_key(app, app.extensions["phananh.lifecycle"])


@contextmanager
def postgres_app(folder: Path) -> Iterator[Flask]:
    """An application on a schema of its own in ``TEST_DATABASE_URL``, dropped afterwards."""
    assert PG_URL is not None
    schema = f"phananh_api_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        app = make_app(
            folder,
            DATABASE_URL=url.render_as_string(hide_password=False),
            RATELIMIT_PUBLIC_POST="1000 per minute",
        )
        yield app
        app.extensions["phananh.lifecycle"].uow.engine.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def race_for_one_key(app: Flask, life: Lifecycle, threads: int = 8, key: str | None = None) -> None:
    key, before = key or new_key(), count(life, Report)
    answers: list[TestResponse] = []
    start = threading.Barrier(threads)

    def send() -> None:
        client = app.test_client()
        start.wait()
        answers.append(post(client, key))

    running = [threading.Thread(target=send) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert [a.status_code for a in answers] == [201] * threads
    assert len({a.get_json()["code"] for a in answers}) == 1
    assert len({a.get_json()["tracking_token"] for a in answers}) == 1
    assert sum("Idempotent-Replayed" not in a.headers for a in answers) == 1
    assert count(life, Report) == before + 1


def test_a_request_still_in_progress_is_answered_409_after_waiting(
    app: Flask, client: FlaskClient, life: Lifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key()
    claimed, release = threading.Event(), threading.Event()

    def owner() -> None:
        """Another request holds the key: its transaction is open, its work not done."""
        with life.uow.begin() as session:
            session.add(claim_row(app, life, key))
            session.flush()
            claimed.set()
            release.wait(timeout=30)
            raise RuntimeError("the owner fails: its claim is rolled back")

    holder = threading.Thread(target=lambda: pytest.raises(RuntimeError, owner))
    holder.start()
    assert claimed.wait(timeout=30)
    monkeypatch.setitem(app.config, "API_IDEMPOTENCY_WAIT", 0.2)
    before = count(life, Report)
    try:
        busy = post(client, key)
    finally:
        release.set()
        holder.join()
    is_problem(busy, 409)
    assert int(busy.headers["Retry-After"]) >= 1
    assert count(life, Report) == before
    retried = post(client, key)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert count(life, Report) == before + 1


def claim_row(
    app: Flask, life: Lifecycle, key: str, at: datetime | None = None
) -> IdempotentRequest:
    """The "in progress" claim of ``key`` for the report POST of :func:`post`."""
    from web.api import idempotency

    route = f"{API}/reports"
    with app.test_request_context(route, method="POST", json=road_report()):
        fingerprint = idempotency.request_fingerprint()
    return IdempotentRequest(
        key=idempotency._derive(b"id", key, "").hex(),
        route=route,
        request_hash=fingerprint,
        status=idempotency.IN_PROGRESS,
        body={},
        headers={},
        created_at=at or life.now(),
    )


def test_a_claim_left_in_progress_by_a_crash_does_not_block_its_key(
    app: Flask, client: FlaskClient, life: Lifecycle
) -> None:
    """Before claims shared the report's transaction, a crash left one "in progress" for good."""
    key = new_key()
    claim_in_progress(app, life, key, life.now())
    before = count(life, Report)
    answer = post(client, key)
    assert answer.status_code == 201
    assert count(life, Report) == before + 1
    assert post(client, key).headers["Idempotent-Replayed"] == "true"


class Died(BaseException):
    """The process dies here: nothing after this point runs, no handler sees it."""


def test_a_process_dying_before_its_answer_is_stored_leaves_nothing(
    client: FlaskClient, life: Lifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report is never committed without its stored answer, so the retry does the work once."""
    from web.api import idempotency

    key = new_key()
    before, claims = count(life, Report), count(life, IdempotentRequest)

    def die(*args: object) -> None:
        raise Died

    with monkeypatch.context() as patched:
        patched.setattr(idempotency, "_complete", die)
        with pytest.raises(Died):
            post(client, key)
    assert count(life, Report) == before
    assert count(life, IdempotentRequest) == claims
    retried = post(client, key)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert count(life, Report) == before + 1
    assert post(client, key).get_json()["code"] == retried.get_json()["code"]


def test_replies_and_ratings_are_idempotent_too(client: FlaskClient, life: Lifecycle) -> None:
    created = submit(client)
    code = created["code"]
    drive(life, code)
    headers = {"Idempotency-Key": new_key(), "X-Tracking-Token": created["tracking_token"]}
    url = f"{API}/reports/{code}/replies"
    first = client.post(url, json={"text": "Vì sao chưa sơn vạch?"}, headers=headers)
    again = client.post(url, json={"text": "Vì sao chưa sơn vạch?"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    report_id = _report_id(life, code)
    assert count(life, Reply, report_id=report_id) == 1
    # The same key with another token is another request.
    other = client.post(
        url,
        json={"text": "Vì sao chưa sơn vạch?"},
        headers={**headers, "X-Tracking-Token": "khac"},
    )
    is_problem(other, 422, "Idempotency-Key")
    rating = {"Idempotency-Key": new_key(), "X-Tracking-Token": created["tracking_token"]}
    for _ in range(3):
        answer = client.post(
            f"{API}/reports/{code}/rating", json={"rating": "hai_long"}, headers=rating
        )
        assert answer.status_code == 200
    assert count(life, Rating, report_id=report_id) == 1


def test_what_is_stored_keeps_no_secret_in_clear(client: FlaskClient, life: Lifecycle) -> None:
    key = new_key()
    body = post(client, key).get_json()
    with life.uow.read() as session:
        row = session.scalars(
            select(IdempotentRequest).where(
                IdempotentRequest.key == idempotency._derive(b"id", key, "").hex()
            )
        ).one()
        stored = (row.key, json.dumps(row.body), json.dumps(row.headers), row.status, row.route)
    assert stored[3] == 201 and stored[4] == f"{API}/reports"
    assert key not in stored[0]
    assert body["tracking_token"] not in stored[1] + stored[2]
    assert body["code"] not in stored[1]  # the whole answer is sealed
    # Only the key opens it.
    assert (
        json.loads(idempotency._open(json.loads(stored[1])["sealed"], key, stored[4]))["body"]
        == body
    )
    with pytest.raises(RuntimeError):
        idempotency._open(json.loads(stored[1])["sealed"], new_key(), stored[4])


@pytest.mark.parametrize(
    "key", ["ngan", "x" * 201, "khóa-có-dấu-tiếng-việt-dài", "two words and more spaces"]
)
def test_a_malformed_key_is_refused(client: FlaskClient, life: Lifecycle, key: str) -> None:
    before = count(life, Report)
    response = client.post(
        f"{API}/reports",
        json=road_report(),
        headers={"Idempotency-Key": key.encode().decode("latin-1")},
    )
    is_problem(response, 400, "Idempotency-Key")
    assert count(life, Report) == before


def test_the_key_may_be_required(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "API_IDEMPOTENCY_REQUIRED", True)
    is_problem(client.post(f"{API}/reports", json=road_report()), 400, "Idempotency-Key")
    assert post(client, new_key()).status_code == 201


def _report_id(life: Lifecycle, code: str) -> int:
    with life.uow.read() as session:
        return session.scalars(select(Report.id).where(Report.code == code)).one()


def test_old_answers_can_be_purged(client: FlaskClient, life: Lifecycle) -> None:
    key = new_key()
    first = post(client, key)
    assert housekeeping.purge_idempotency(life.uow, life.now(), timedelta(days=1)) == 0
    assert post(client, key).headers["Idempotent-Replayed"] == "true"
    later = life.now() + timedelta(days=2)
    assert housekeeping.purge_idempotency(life.uow, later, timedelta(days=1)) >= 1
    assert count(life, IdempotentRequest) == 0
    # Once forgotten, the key is new again (clients keep a key for one logical request only).
    assert post(client, key).json["code"] != first.json["code"]


# -- a claim whose owner died --------------------------------------------------------------------


def claim_in_progress(app: Flask, life: Lifecycle, key: str, at: datetime) -> None:
    """The row an earlier version left, committed "in progress", when its process died."""
    with life.uow.begin() as session:
        session.add(claim_row(app, life, key, at))


def test_concurrent_retries_of_an_abandoned_claim_make_one_report(
    app: Flask, life: Lifecycle
) -> None:
    race_for_an_abandoned_claim(app, life)


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
def test_concurrent_retries_of_an_abandoned_claim_make_one_report_on_postgresql(
    tmp_path: Path,
) -> None:
    """Each retry deletes the abandoned row; the unique index then lets one new claim win."""
    with postgres_app(tmp_path) as app:
        race_for_an_abandoned_claim(app, app.extensions["phananh.lifecycle"])


def race_for_an_abandoned_claim(app: Flask, life: Lifecycle) -> None:
    key = new_key()
    claim_in_progress(app, life, key, life.now())
    race_for_one_key(app, life, key=key)
