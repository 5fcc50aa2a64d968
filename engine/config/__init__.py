"""Configuration: YAML files validated by JSON Schema and cross-checks into one typed snapshot."""

from engine.config.snapshot import (
    Agency,
    Area,
    CalendarConfig,
    Duration,
    Effective,
    Route,
    Sector,
    SlaConfig,
    Snapshot,
    StepDeadline,
    Template,
    Unit,
    WorkPeriod,
)

__all__ = [
    "Agency",
    "Area",
    "CalendarConfig",
    "Duration",
    "Effective",
    "Route",
    "Sector",
    "SlaConfig",
    "Snapshot",
    "StepDeadline",
    "Template",
    "Unit",
    "WorkPeriod",
]
