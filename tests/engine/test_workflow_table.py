"""The workflow table is consistent, complete, and the one source everything else reads."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from engine.services.effects import EFFECTS
from engine.workflow import (
    ACTIONS,
    FEEDBACK_FOLLOW_UPS,
    STATE_SECRET_MARKS,
    TABLE,
    Role,
    State,
    Transition,
    WorkflowTableError,
    allowed,
)
from engine.workflow.table import check, reachable_states

ROOT = Path(__file__).resolve().parents[2]
ANSWERED = {State.PUBLISHED, State.ANSWERED_PRIVATELY, State.RESTRICTED}


def test_every_state_is_reached_and_every_action_has_an_effect() -> None:
    assert reachable_states() == set(State)
    assert set(EFFECTS) == {a for a, row in ACTIONS.items() if not row.creates}


def test_the_issue_contract_of_actions_and_roles() -> None:
    assert ACTIONS["publish"].outcomes == {
        State.PUBLISHED,
        State.ANSWERED_PRIVATELY,
        State.RESTRICTED,
    }
    assert ACTIONS["designate"].roles == {Role.OPERATOR_ADMIN}
    assert ACTIONS["publish"].roles == {Role.OFFICER, Role.LEADER}
    notes = {a for a, row in ACTIONS.items() if row.note_required}
    assert notes == {
        "request_info",
        "escalate",
        "designate",
        "return_to_officer",
        "reopen",
        "close_feedback",
    }
    # Đ10.3: the IOC marks a state secret at classification, the agency's leader before
    # publication; nobody else, and never with no reason given.
    marks = {a: row for a, row in ACTIONS.items() if a in STATE_SECRET_MARKS}
    assert {a: row.roles for a, row in marks.items()} == {
        "mark_secret_at_classification": {Role.IOC_OPERATOR},
        "mark_secret_before_publication": {Role.LEADER},
    }
    assert all(row.requires == {"reason"} and row.target is None for row in marks.values())
    assert State.APPROVED in marks["mark_secret_before_publication"].sources
    assert not any(s in ANSWERED for row in marks.values() for s in row.sources)
    assert ACTIONS["close_feedback"].roles == {Role.IOC_OPERATOR}
    assert {"reopen", "close_feedback"} == FEEDBACK_FOLLOW_UPS
    assert {r.action for r in allowed(State.PENDING_APPROVAL, Role.LEADER)} == {
        "approve",
        "edit_and_approve",
        "return_to_officer",
        "mark_secret_before_publication",
    }
    # Readers and auditors change nothing.
    assert not any(Role.PROVINCE_VIEWER in r.roles or Role.AUDITOR in r.roles for r in TABLE)


def test_a_bad_row_fails_when_the_table_loads() -> None:
    bad = Transition(
        "classify_twice",
        frozenset({State.RECEIVED}),
        State.CLASSIFIED,
        frozenset(),
        "Đ6",
        "x",
        requires=frozenset({"colour"}),
    )
    with pytest.raises(WorkflowTableError, match="no role may do it; unknown field"):
        check([bad])
    with pytest.raises(WorkflowTableError, match="appears twice"):
        check([TABLE[1], TABLE[1]])
    silent = replace(ACTIONS["reply"], citizen=None)
    with pytest.raises(WorkflowTableError, match="no citizen wording"):
        check([silent])


def test_the_reporter_reads_every_step_that_concerns_them_in_their_own_words() -> None:
    """The tracking page shows ``citizen``, never the desk's label; internal steps have none."""
    internal = {a for a, row in ACTIONS.items() if row.citizen is None}
    # The state-secret marks show to the reporter only as the restricted outcome, never the reason.
    assert internal == {
        "assign",
        "request_extension",
        "refuse_extension",
        "mark_secret_at_classification",
        "mark_secret_before_publication",
    }
    for row in TABLE:
        assert row.citizen != row.label_vi, row.action
    assert ACTIONS["refuse_extension"].roles == {Role.LEADER}
    assert ACTIONS["refuse_extension"].requires == {"reason"}
    assert ACTIONS["refuse_extension"].target is None  # the report stays, the clock too


def test_the_diagram_in_the_docs_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "workflow_doc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
