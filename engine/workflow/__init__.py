"""The report's workflow: the one table of states and transitions, and what reads it."""

from engine.workflow.table import (
    ACTIONS,
    FEEDBACK_FOLLOW_UPS,
    FINAL_STATES,
    RATINGS,
    STATE_LABELS_VI,
    STATE_SECRET_MARKS,
    TABLE,
    Clock,
    Role,
    State,
    Transition,
    WorkflowTableError,
    allowed,
)

__all__ = [
    "ACTIONS",
    "FEEDBACK_FOLLOW_UPS",
    "FINAL_STATES",
    "RATINGS",
    "STATE_LABELS_VI",
    "STATE_SECRET_MARKS",
    "TABLE",
    "Clock",
    "Role",
    "State",
    "Transition",
    "WorkflowTableError",
    "allowed",
]
