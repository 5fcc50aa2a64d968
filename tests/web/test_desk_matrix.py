"""The desk's authorization matrix, generated from the workflow table (nothing hand-listed).

For every state and every staff role, on a report of the staff member's own agency (Sở Xây dựng)
and on another agency's (Sở Y tế): the report page opens exactly when the reader's scope allows
and shows exactly the forms the table allows. For every staff action, every role, both reports:
the POST succeeds exactly when allowed — and a refusal is a 403 page in Vietnamese with nothing
written.
"""

from __future__ import annotations

import pytest

from engine.services.queues import AGENCY_ROLES, STAFF_ROLES
from engine.workflow import ACTIONS, TABLE, Role, State, Transition
from tests.web.test_desk_support import (
    AGENCY_STAFF,
    FORM_INPUTS,
    HEALTH,
    INPUTS,
    MORNING,
    OF_ROLE,
    STAFF,
    TRANSPORT,
    Desk,
    actor,
    build_desk,
    counts,
    forms_on,
    perform,
    report_in,
    state_of,
    tags,
    text_of,
    version_of,
)
from web.desk.widgets import NOT_ON_DESK, desk_rows

OWN, OTHER = "SXD", "SYT"  # the agency of the officer's and leader's accounts, and another one
#: States a report reaches before any agency holds it.
UNROUTED = {State.RECEIVED, State.NEEDS_INFO, State.REJECTED, State.CLASSIFIED}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    return build_desk(tmp_path_factory.mktemp("desk-matrix"))


@pytest.fixture(autouse=True)
def morning(desk: Desk) -> None:
    desk.clock.value = MORNING


def agency_of_account(role: Role) -> str | None:
    return STAFF[OF_ROLE[role]][1]


def may_open(role: Role, state: State, agency: str) -> bool:
    """Whether the account of ``role`` (Sở Xây dựng's, for an agency role) reads the report."""
    if role not in AGENCY_ROLES:
        return True
    return state not in UNROUTED and agency == agency_of_account(role)


def allowed_here(row: Transition, role: Role, state: State, agency: str) -> bool:
    return role in row.roles and state in row.sources and may_open(role, state, agency)


@pytest.mark.parametrize("state", list(State), ids=str)
def test_each_role_sees_the_forms_the_table_allows_and_no_other(desk: Desk, state: State) -> None:
    reports = {
        agency: report_in(desk.life, state, agency, feedback=True) for agency in (OWN, OTHER)
    }
    for role in STAFF_ROLES:
        client = desk.client(OF_ROLE[role])
        for agency, code in reports.items():
            response = client.get(f"/ban-xu-ly/phan-anh/{code}")
            html = response.get_data(as_text=True)
            if not may_open(role, state, agency):
                assert response.status_code == 403, (role, state, agency)
                assert "không thuộc phạm vi" in text_of(html)
                assert forms_on(html) == set()
                continue
            assert response.status_code == 200, (role, state, agency)
            expected = {row.action for row in TABLE if allowed_here(row, role, state, agency)}
            assert forms_on(html) == expected, (role, state, agency)
            for action in expected:
                assert_fields_follow_the_table(html, ACTIONS[action])
            read_only = tags(html, data_testid="read-only")
            assert bool(read_only) is (role in (Role.PROVINCE_VIEWER, Role.AUDITOR))


def assert_fields_follow_the_table(html: str, row: Transition) -> None:
    """The form of ``row`` has the note and one widget per field the row names, required as the
    row says; never a field the desk does not show (the rating, the reporter's text)."""
    prefix = f"field-{row.action}-"
    shown = {
        t["data-field"]: t for t in tags(html, data_testid="field") if t["id"].startswith(prefix)
    }
    assert set(shown) == (row.requires | row.accepts | {"note"}) - set(NOT_ON_DESK), row.action
    for name in shown:
        control = next(t for t in tags(html, id=f"{row.action}-{name}") if "name" in t)
        required = row.note_required if name == "note" else name in row.requires
        assert (control.get("aria-required") == "true") is required, (row.action, name)
    assert tags(html, "input", name="version", id=f"{row.action}-version")


def _source(row: Transition) -> State:
    """A state the row starts from, reachable by the test paths (the first in table order)."""
    return next(s for s in State if s in row.sources)


def _form(row: Transition, agency: str, version: int) -> dict[str, str]:
    data = {"version": str(version), **FORM_INPUTS[row.action]}
    if row.action == "classify":
        data["sector"] = TRANSPORT if agency == OWN else HEALTH
    if row.action == "assign":  # an officer account of the leader's own agency (Đ14.3)
        data["officer"] = AGENCY_STAFF[agency][0]
    return data


@pytest.mark.parametrize("row", desk_rows(), ids=lambda r: r.action)
def test_every_action_by_every_role_on_its_own_and_anothers_report(
    desk: Desk, row: Transition
) -> None:
    state = _source(row)
    refused_on = {
        agency: report_in(desk.life, state, agency, feedback=True) for agency in (OWN, OTHER)
    }
    done = 0
    for role in STAFF_ROLES:
        client = desk.client(OF_ROLE[role])
        for agency in (OWN, OTHER):
            if allowed_here(row, role, state, agency):
                code = report_in(desk.life, state, agency, feedback=True)
                if row.action == "refuse_extension":  # a request to answer
                    officer = actor(AGENCY_STAFF[agency][0])
                    perform(
                        desk.life, officer, code, "request_extension", **INPUTS["request_extension"]
                    )
                response = client.post(
                    f"/ban-xu-ly/phan-anh/{code}/{row.action}",
                    data=_form(row, agency, version_of(desk.life, code)),
                )
                assert response.status_code == 303, (
                    row.action,
                    role,
                    agency,
                    text_of(response.get_data(as_text=True))[:600],
                )
                assert response.headers["Location"].endswith(f"/ban-xu-ly/phan-anh/{code}")
                assert state_of(desk.life, code) in row.targets(), (row.action, role, agency)
                done += 1
                continue
            code = refused_on[agency]
            before = counts(desk.life)
            response = client.post(
                f"/ban-xu-ly/phan-anh/{code}/{row.action}",
                data=_form(row, agency, version_of(desk.life, code)),
            )
            assert response.status_code == 403, (row.action, role, agency)
            page = text_of(response.get_data(as_text=True))
            assert "Không có quyền" in page or "không thuộc phạm vi" in page or "không được" in page
            assert tags(response.get_data(as_text=True), data_testid="desk-error")
            assert counts(desk.life) == before, f"{row.action} by {role} on {agency} wrote"
            assert state_of(desk.life, code) is state
    assert done >= len(row.roles), f"{row.action}: every role of the row succeeded somewhere"


def test_the_matrix_covers_every_staff_row_of_the_table() -> None:
    staff_rows = {r.action for r in TABLE if not r.creates and r.roles & set(STAFF_ROLES)}
    assert {r.action for r in desk_rows()} == staff_rows
    reporters = {r.action for r in TABLE if r.roles == {Role.REPORTER}}
    assert not reporters & staff_rows  # the reporter's own actions are never on the desk
