"""The staff's API: bearer tokens on ``GET /reports``, ``GET /reports/{code}`` and
``POST /reports/{code}/actions/{action}`` — the whole path from the IOC to publication, the desk's
filters and scope, and the refusals as problem details (403, 409, 422, 401)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from engine.services import keyset
from engine.services.lifecycle import Lifecycle
from engine.store.models import Event, Report
from engine.workflow import STATE_LABELS_VI, State
from tests.web.test_api_support import API, OpenApi, is_problem, new_key, road_report
from tests.web.test_api_support import openapi as openapi  # noqa: F401  (fixture)
from tests.web.test_desk_support import (
    HEALTH,
    MORNING,
    PASSWORD,
    TRANSPORT,
    Desk,
    build_desk,
    counts,
    report_in,
    state_of,
    submit,
    version_of,
)
from web.api import staff

LIST, ONE, ACT = "/reports", "/reports/{code}", "/reports/{code}/actions/{action}"
OTHER_AREA = "28756"  # Phường Phú Khương


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    built = build_desk(Path(tmp_path_factory.mktemp("api-staff")))
    built.app.config.update(
        RATELIMIT_SIGN_IN="1000 per minute",
        RATELIMIT_PUBLIC_POST="1000 per minute",
        AUTH_TOKEN_HOURS=24 * 365,  # the tests move the clock by days
    )
    return built


@pytest.fixture(scope="module")
def app(desk: Desk) -> Flask:
    return desk.app


@pytest.fixture(scope="module")
def life(desk: Desk) -> Lifecycle:
    return desk.life


@pytest.fixture(autouse=True)
def morning(desk: Desk) -> None:
    desk.clock.value = MORNING


@pytest.fixture(scope="module")
def tokens(desk: Desk) -> dict[str, str]:
    """A bearer token for each account of the desk, from ``POST /auth/token``."""
    client, found = desk.app.test_client(), {}
    for username in ("ioc", "canbo.sxd", "lanhdao.sxd", "canbo.syt", "tinh", "kiemtra"):
        answer = client.post(f"{API}/auth/token", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 201, answer.get_json()
        found[username] = answer.get_json()["token"]
    return found


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def listed(client: FlaskClient, token: str, openapi: OpenApi, **query: Any) -> dict[str, Any]:
    response = client.get(f"{API}/reports", headers=bearer(token), query_string=query)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    assert "Authorization" in response.headers["Vary"]
    return openapi.check(response, LIST, "get")


def codes(page: dict[str, Any]) -> list[str]:
    return [item["code"] for item in page["items"]]


def opened(client: FlaskClient, token: str, code: str, openapi: OpenApi) -> dict[str, Any]:
    response = client.get(f"{API}/reports/{code}", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    body = openapi.check(response, ONE, "get")
    assert body["view"] == "staff"
    return body


def act(
    client: FlaskClient, token: str, code: str, action: str, key: str | None = None, **body: Any
) -> TestResponse:
    headers = {**bearer(token), **({"Idempotency-Key": key} if key else {})}
    return client.post(f"{API}/reports/{code}/actions/{action}", json=body, headers=headers)


def events_of(life: Lifecycle, code: str) -> int:
    with life.uow.read() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Event).join(Report).where(Report.code == code)
            )
            or 0
        )


# -- the whole path --------------------------------------------------------------------------------


def test_the_whole_path_from_the_ioc_to_publication_through_the_api(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    created = client.post(f"{API}/reports", json=road_report())
    assert created.status_code == 201
    code = created.get_json()["code"]
    before = opened(client, tokens["ioc"], code, openapi)
    assert before["state"] == "received" and before["state_label"] == "Đã tiếp nhận, chờ phân loại"
    assert {c["step"] for c in before["clocks"]} == {"intake", "forward"}
    assert [e["action"] for e in before["events"]] == ["submit"]
    assert before["clock"]["step"] in {"intake", "forward"}  # both 2 working hours
    assert before["clock"]["standing"] == "on_time"
    assert before["reporter"]["phone"] == "0909 123 456"
    classify = next(a for a in before["allowed_actions"] if a["action"] == "classify")
    assert classify["requires"] == ["sector"]
    assert classify["href"] == f"{API}/reports/{code}/actions/classify"

    version = before["version"]
    steps = (
        ("ioc", "classify", {"sector": TRANSPORT}, "classified"),
        ("ioc", "forward", {}, "forwarded"),
        ("canbo.sxd", "accept", {}, "in_progress"),
        (
            "canbo.sxd",
            "propose_result",
            {"result": "Đã vá ổ gà ngày 23/4/2026."},
            "pending_approval",
        ),
        ("lanhdao.sxd", "approve", {}, "approved"),
        ("canbo.sxd", "publish", {}, "published"),
    )
    for seq, (who, action, values, state) in enumerate(steps, start=2):
        answer = act(client, tokens[who], code, action, new_key(), version=version, **values)
        assert answer.status_code == 200, answer.get_json()
        body = openapi.check(answer, ACT, "post")
        assert body["code"] == code and body["state"] == state, action
        assert body["state_label"] == STATE_LABELS_VI[State(state)]
        assert body["version"] > version and body["event_seq"] == seq
        version = body["version"]
        assert version == version_of(life, code)

    seen = opened(client, tokens["canbo.sxd"], code, openapi)
    assert seen["state"] == "published" and seen["version"] == version
    assert [e["action"] for e in seen["events"]] == ["submit", *(s[1] for s in steps)]
    assert seen["events"][3]["actor"] == "Phạm Minh Đức" and seen["events"][3]["role"] == "officer"
    assert seen["agency"] == "SXD" and seen["officer"] == "Phạm Minh Đức"
    assert all(c["stopped_at"] for c in seen["clocks"] if c["step"] != "handle")
    assert seen["approved_result"] == "Đã vá ổ gà ngày 23/4/2026."
    assert "Đã vá ổ gà" in seen["published_text"]
    assert seen["allowed_actions"] == []  # the reporter's turn now; reopening is the IOC's

    public = client.get(f"{API}/reports", query_string={"size": 100})
    page = openapi.check(public, LIST, "get")
    assert "view" not in page and code in codes(page)
    shown = openapi.check(client.get(f"{API}/reports/{code}"), ONE, "get")
    assert shown["view"] == "public" and "phone" not in shown
    staff_page = listed(client, tokens["ioc"], openapi, state="published")
    assert staff_page["view"] == "staff" and code in codes(staff_page)


# -- reading ---------------------------------------------------------------------------------------


def test_the_staff_view_has_the_clocks_events_and_actions_of_the_role(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    code = report_in(life, State.FORWARDED)
    officer = opened(client, tokens["canbo.sxd"], code, openapi)
    assert {a["action"] for a in officer["allowed_actions"]} == {"accept", "return_to_ioc"}
    assert officer["reporter"] == {
        "name": "Nguyễn Văn An",
        "phone": "0909 123 456",
        "email": "an.nguyen@example.vn",
        "address": None,
    }
    verify = next(c for c in officer["clocks"] if c["step"] == "verify")
    assert verify["due_at"].endswith("+07:00") and verify["standing"] == "on_time"
    assert officer["clock"]["step"] == "verify" and officer["clock"]["remaining_minutes"] > 0
    assert [e["action"] for e in officer["events"]] == ["submit", "classify", "forward"]
    leader = opened(client, tokens["lanhdao.sxd"], code, openapi)
    assert {a["action"] for a in leader["allowed_actions"]} == {
        "assign",
        "mark_secret_before_publication",
    }
    ioc = opened(client, tokens["ioc"], code, openapi)
    assert ioc["allowed_actions"] == [] and ioc["reporter"]["name"] == "Nguyễn Văn An"
    for reader in ("tinh", "kiemtra"):  # they read reports, not who sent them (Đ5.4)
        seen = opened(client, tokens[reader], code, openapi)
        assert seen["reporter"] is None and seen["allowed_actions"] == []
    is_problem(client.get(f"{API}/reports/PA-1999-999999", headers=bearer(tokens["ioc"])), 404)


def test_the_list_filters_by_state_agency_sector_and_area(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    received = submit(life)
    elsewhere = submit(life, area=OTHER_AREA, address="12 Nguyễn Huệ")
    forwarded = report_in(life, State.FORWARDED)
    health = report_in(life, State.IN_PROGRESS, agency="SYT")
    ioc = tokens["ioc"]

    everything = codes(listed(client, ioc, openapi, size=100))
    assert {received, elsewhere, forwarded, health} <= set(everything)
    assert everything.index(health) < everything.index(received)  # newest first

    by_state = listed(client, ioc, openapi, state="forwarded", size=100)
    assert forwarded in codes(by_state) and received not in codes(by_state)
    assert {item["state"] for item in by_state["items"]} == {"forwarded"}
    by_agency = codes(listed(client, ioc, openapi, agency="SYT", size=100))
    assert health in by_agency and forwarded not in by_agency
    by_sector = codes(listed(client, ioc, openapi, sector=HEALTH, size=100))
    assert health in by_sector and forwarded not in by_sector
    by_area = codes(listed(client, ioc, openapi, area=OTHER_AREA, size=100))
    assert by_area == [elsewhere]
    searched = codes(listed(client, ioc, openapi, q="thuc pham", size=100))
    assert health in searched and received not in searched

    [row] = listed(client, ioc, openapi, state="in_progress", agency="SYT")["items"]
    assert row["code"] == health and row["agency"] == "SYT" and row["sector"] == HEALTH
    assert row["state_label"] == "Đang xử lý" and row["version"] == version_of(life, health)
    assert row["submitted_at"].endswith("+07:00") and row["area"] == "29557"
    assert row["clock"]["step"] == "handle" and row["clock"]["standing"] == "on_time"

    first = listed(client, ioc, openapi, size=1)
    assert len(first["items"]) == 1 and first["pages"] == first["total"] >= 4
    second = listed(client, ioc, openapi, size=1, page=2)
    assert second["page"] == 2 and codes(second) != codes(first)


def test_the_overdue_filter_follows_the_clock(
    client: FlaskClient, desk: Desk, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    waiting = submit(life)  # intake: 2 working hours from 08:00
    assert waiting not in codes(listed(client, tokens["ioc"], openapi, overdue="true", size=100))
    desk.clock.value = MORNING + timedelta(days=1)  # Thursday 08:00: the intake is late
    fresh = submit(life)
    late = listed(client, tokens["ioc"], openapi, overdue="true", size=100)
    assert waiting in codes(late) and fresh not in codes(late)
    assert {item["clock"]["standing"] for item in late["items"]} == {"late"}
    [row] = [item for item in late["items"] if item["code"] == waiting]
    assert row["clock"]["remaining_minutes"] < 0 and row["clock"]["standing_label"] == "Quá hạn"
    both = codes(listed(client, tokens["ioc"], openapi, overdue="false", size=100))
    assert waiting in both and fresh in both


def test_the_list_refuses_unknown_filters(
    client: FlaskClient, tokens: dict[str, str], openapi: OpenApi
) -> None:
    response = client.get(
        f"{API}/reports",
        headers=bearer(tokens["ioc"]),
        query_string={
            "state": "done",
            "agency": "SXX",
            "overdue": "maybe",
            "since": "2026-04-01",
            "size": "500",
        },
    )
    body = is_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"state", "agency", "overdue", "since", "size"}
    openapi.check(response, LIST, "get")


# -- scope -----------------------------------------------------------------------------------------


def test_an_agency_sees_and_acts_on_its_own_reports_only(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    ours = report_in(life, State.FORWARDED)  # Sở Xây dựng's
    theirs = report_in(life, State.FORWARDED, agency="SYT")
    syt = tokens["canbo.syt"]
    seen = listed(client, syt, openapi, size=100)
    assert theirs in codes(seen) and ours not in codes(seen)
    assert {item["agency"] for item in seen["items"]} == {"SYT"}
    assert ours not in codes(listed(client, syt, openapi, agency="SXD", size=100))

    refused = client.get(f"{API}/reports/{ours}", headers=bearer(syt))
    is_problem(refused, 403)
    openapi.check(refused, ONE, "get")
    before = counts(life)
    answer = act(client, syt, ours, "accept", new_key(), version=version_of(life, ours))
    is_problem(answer, 403)
    openapi.check(answer, ACT, "post")
    assert counts(life) == before and state_of(life, ours) is State.FORWARDED

    accepted = act(client, syt, theirs, "accept", version=version_of(life, theirs))
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "in_progress"


def test_a_role_the_table_does_not_name_is_refused(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    code = report_in(life, State.PENDING_APPROVAL)
    before = counts(life)
    for who in ("ioc", "canbo.sxd", "tinh", "kiemtra"):
        answer = act(client, tokens[who], code, "approve", version=version_of(life, code))
        is_problem(answer, 403)
        openapi.check(answer, ACT, "post")
    unknown = act(client, tokens["ioc"], code, "submit", version=version_of(life, code))
    is_problem(unknown, 404)
    openapi.check(unknown, ACT, "post")
    is_problem(act(client, tokens["ioc"], code, "rate", version=1), 404)  # the reporter's
    assert counts(life) == before


# -- refusals --------------------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    code = submit(life)
    read = version_of(life, code)
    first = act(client, tokens["ioc"], code, "classify", version=read, sector=TRANSPORT)
    assert first.status_code == 200
    before = counts(life)
    again = act(client, tokens["ioc"], code, "forward", new_key(), version=read)
    body = is_problem(again, 409)
    assert str(read) in body["detail_en"]
    openapi.check(again, ACT, "post")
    assert counts(life) == before and state_of(life, code) is State.CLASSIFIED


def test_a_wrong_state_is_refused(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    code, handled = submit(life), report_in(life, State.IN_PROGRESS)
    before = counts(life)
    answer = act(client, tokens["ioc"], code, "forward", version=version_of(life, code))
    body = is_problem(answer, 422)
    assert body["type"].endswith("/wrong_state")
    openapi.check(answer, ACT, "post")
    leader = tokens["lanhdao.sxd"]
    early = act(client, leader, handled, "approve", version=version_of(life, handled))
    is_problem(early, 422)
    assert counts(life) == before


def test_missing_and_unknown_fields_are_named(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    code = submit(life)
    version, ioc, before = version_of(life, code), tokens["ioc"], counts(life)
    for action, body, fields in (
        ("classify", {"version": version}, {"sector"}),
        ("request_info", {"version": version}, {"note"}),
        ("request_info", {"version": version, "note": "   "}, {"note"}),
        ("classify", {"sector": TRANSPORT}, {"version"}),
        ("classify", {"version": "1", "sector": TRANSPORT}, {"version"}),
        (
            "classify",
            {"version": version, "sector": TRANSPORT, "result": "x", "foo": 1},
            {"result", "foo"},
        ),
        ("reject", {"version": version, "reason": 42}, {"reason"}),
        ("classify", {"version": version, "sector": "khong-co"}, {"sector"}),
    ):
        answer = act(client, ioc, code, action, **body)
        problem = is_problem(answer, 422)
        assert {e["field"] for e in problem["errors"]} == fields, (action, body)
        openapi.check(answer, ACT, "post")
    not_json = client.post(
        f"{API}/reports/{code}/actions/classify", data="version=1", headers=bearer(ioc)
    )
    is_problem(not_json, 415)
    assert counts(life) == before and state_of(life, code) is State.RECEIVED


def test_a_due_time_needs_its_offset(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    code = report_in(life, State.IN_PROGRESS)
    officer = tokens["canbo.sxd"]
    reason = "Cần khảo sát hiện trường."
    for due in ("29/05/2026 17:00", "2026-05-29T17:00"):
        answer = act(
            client,
            officer,
            code,
            "request_extension",
            version=version_of(life, code),
            reason=reason,
            due=due,
        )
        is_problem(answer, 422, "due")
    asked = act(
        client,
        officer,
        code,
        "request_extension",
        version=version_of(life, code),
        reason=reason,
        due="2026-05-29T17:00+07:00",
    )
    assert asked.status_code == 200 and asked.get_json()["state"] == "in_progress"
    seen = opened(client, tokens["lanhdao.sxd"], code, openapi)
    assert seen["pending_extension"] == {
        "requested_by": "Phạm Minh Đức",
        "requested_due": "2026-05-29T17:00:00+07:00",
        "reason": reason,
    }
    assert {"grant_extension", "assign"} <= {a["action"] for a in seen["allowed_actions"]}


# -- tokens ----------------------------------------------------------------------------------------


def test_without_a_valid_token_the_staff_routes_answer_401(
    client: FlaskClient, life: Lifecycle, openapi: OpenApi
) -> None:
    code = submit(life)
    for headers in ({}, bearer("doan-bua"), {"Authorization": "Bearer "}):
        answer = client.post(
            f"{API}/reports/{code}/actions/classify",
            json={"version": 1, "sector": TRANSPORT},
            headers=headers,
        )
        is_problem(answer, 401)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        openapi.check(answer, ACT, "post")
    for path, spec in ((f"{API}/reports", LIST), (f"{API}/reports/{code}", ONE)):
        wrong = client.get(path, headers=bearer("doan-bua"))
        body = is_problem(wrong, 401)  # never the public answer in its place
        assert body["type"].endswith("/invalid_token")
        openapi.check(wrong, spec, "get")
    public = client.get(f"{API}/reports")
    assert public.status_code == 200 and "view" not in public.get_json()
    assert "Authorization" in public.headers["Vary"]
    is_problem(client.get(f"{API}/reports/{code}"), 404)  # not published: not public
    assert state_of(life, code) is State.RECEIVED


def test_a_retried_action_gets_the_first_answer_and_makes_one_event(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    code = submit(life)
    version, key = version_of(life, code), new_key()
    note = "Xin bổ sung ảnh chụp hiện trường."
    first = act(client, tokens["ioc"], code, "request_info", key, version=version, note=note)
    assert first.status_code == 200
    events = events_of(life, code)
    again = act(client, tokens["ioc"], code, "request_info", key, version=version, note=note)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    openapi.check(again, ACT, "post")
    assert events_of(life, code) == events and state_of(life, code) is State.NEEDS_INFO
    stranger = act(
        client, tokens["canbo.syt"], code, "request_info", key, version=version, note=note
    )
    is_problem(stranger, 403)  # the role is checked before any stored answer is replayed
    other = act(client, tokens["ioc"], code, "request_info", key, version=version, note="Khác.")
    is_problem(other, 422, "Idempotency-Key")
    fresh = act(client, tokens["ioc"], code, "request_info", new_key(), version=version, note=note)
    is_problem(fresh, 409)  # a new key is a new request: the version is stale now


# -- the document ------------------------------------------------------------------------------


def test_the_document_describes_the_staff_api(openapi: OpenApi) -> None:
    document = openapi.document
    validate(document)
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    operation = document["paths"][ACT]["post"]
    assert operation["security"] == [{"bearerToken": []}]
    [action] = [p for p in operation["parameters"] if p.get("name") == "action"]
    assert action["schema"]["enum"] == list(staff.STAFF_ACTIONS)
    assert "rate" not in staff.STAFF_ACTIONS and "submit" not in staff.STAFF_ACTIONS
    assert {"401", "403", "409", "422"} <= set(operation["responses"])
    body = document["components"]["schemas"]["StaffAction"]
    assert set(body["properties"]) == {"version", "note", *staff.ACTION_FIELDS}
    assert set(staff.LABELS_VI) == {"version", "note", *staff.ACTION_FIELDS}
    listing = {p["name"] for p in document["paths"][LIST]["get"]["parameters"]}
    assert {"state", "agency", "sector", "area", "overdue", "page", "size"} <= listing
    assert {"bearerToken": []} in document["paths"][ONE]["get"]["security"]


def test_assign_takes_an_officer_account_of_the_leaders_agency_only(
    client: FlaskClient, life: Lifecycle, tokens: dict[str, str], openapi: OpenApi
) -> None:
    """The staff API's ``assign`` makes the desk's checks (Đ14.3), refusals as problem details."""
    code = report_in(life, State.FORWARDED)
    leader = tokens["lanhdao.sxd"]
    before = counts(life)
    for officer in ("Phạm Minh Đức", "canbo.syt"):  # a typed name; another agency's account
        answer = act(
            client, leader, code, "assign", version=version_of(life, code), officer=officer
        )
        body = is_problem(answer, 422)
        openapi.check(answer, ACT, "post")
        assert [e["field"] for e in body["errors"]] == ["officer"]
        assert "không phải tài khoản cán bộ" in body["errors"][0]["message"]
    assert counts(life) == before
    done = act(client, leader, code, "assign", version=version_of(life, code), officer="canbo.sxd")
    assert done.status_code == 200, done.get_json()
    seen = opened(client, leader, code, openapi)
    assert (seen["officer"], seen["officer_account"]) == ("Phạm Minh Đức", "canbo.sxd")


def test_a_search_counted_past_its_cap_says_so(
    client: FlaskClient,
    life: Lifecycle,
    tokens: dict[str, str],
    openapi: OpenApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A text search counts no further than its cap: ``total`` is the cap and ``total_capped``
    says that more match; a list without a text is counted exactly."""
    for n in range(3):
        submit(life, content=f"Ổ gà lớn trước số {n + 1} đường Lê Lợi, xe máy dễ té ngã.")
    monkeypatch.setattr(keyset, "COUNT_CAP", 2)
    searched = listed(client, tokens["ioc"], openapi, q="ổ gà", size=1)
    assert (searched["total"], searched["total_capped"], searched["pages"]) == (2, True, 2)
    plain = listed(client, tokens["ioc"], openapi, size=1)
    assert plain["total_capped"] is False and plain["total"] == plain["pages"] >= 3
