"""The figures of the oversight faces: one definition for the API, the CLI, the dashboards and
the periodic report (R2, R30).

``figures(session, snapshot, actor, Query(...), now)`` returns a :class:`Figures`; every number
is explained in :data:`EXPLAINED`. See :mod:`engine.stats.figures` for what each one counts and
:mod:`engine.stats.compute` for how (SQL aggregates over the stored clocks, ratings and events).
"""

from __future__ import annotations

from engine.stats.compute import TOP_MAX, check, commune_points, figures, parse_day
from engine.stats.figures import (
    AGENCY_STEPS,
    CHANNELS,
    EXPLAINED,
    GRAINS,
    RATING_VALUES,
    STEPS,
    Bucket,
    Commune,
    CommunePoint,
    Counts,
    Figures,
    Query,
    Ranked,
    Rating,
    Step,
)

__all__ = [
    "AGENCY_STEPS",
    "CHANNELS",
    "EXPLAINED",
    "GRAINS",
    "RATING_VALUES",
    "STEPS",
    "TOP_MAX",
    "Bucket",
    "Commune",
    "CommunePoint",
    "Counts",
    "Figures",
    "Query",
    "Ranked",
    "Rating",
    "Step",
    "check",
    "commune_points",
    "figures",
    "parse_day",
]
