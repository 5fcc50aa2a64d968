"""The report's workflow: the one table of states and transitions, and what reads it."""

from engine.workflow.table import (
    ACTIONS,
    FINAL_STATES,
    RATINGS,
    STATE_LABELS_VI,
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
    "FINAL_STATES",
    "RATINGS",
    "STATE_LABELS_VI",
    "TABLE",
    "Clock",
    "Role",
    "State",
    "Transition",
    "WorkflowTableError",
    "allowed",
]
