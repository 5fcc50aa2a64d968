"""Business rules of the field-report service, on durable-rules or a built-in evaluator.

Use :class:`RulesEngine`::

    rules = RulesEngine(snapshot)                 # backend="auto" | "durable" | "builtin"
    rules.route("moi-truong", "29641")            # Decision(rule="moi-truong", value={agency…})
    rules.check_completeness(report)              # [] when complete (Đ5.1–5.3)
    rules.suggest_sectors("Rác thải ùn ứ")        # best sector first
    rules.visibility(confidential=True)           # Đ5.4, Đ10.2–10.3
    rules.reload(new_snapshot)                    # atomic swap

This package is the only place that imports durable-rules.
"""

from __future__ import annotations

from .backend import available_backends, select_backend
from .engine import RulesEngine
from .errors import (
    BackendUnavailableError,
    FactError,
    RuleActionError,
    RulesError,
    StalePackError,
    UnknownPackError,
)
from .facts import check_phone, fold, is_valid_email
from .model import AnyOf, Condition, Decision, Outcome, Rule, RulePack, sort_decisions
from .packs import (
    COMPLETENESS,
    ROUTING,
    SECTOR_SUGGESTION,
    VISIBILITY,
    PackSpec,
    build_packs,
)

__all__ = [
    "COMPLETENESS",
    "ROUTING",
    "SECTOR_SUGGESTION",
    "VISIBILITY",
    "AnyOf",
    "BackendUnavailableError",
    "Condition",
    "Decision",
    "FactError",
    "Outcome",
    "PackSpec",
    "Rule",
    "RuleActionError",
    "RulePack",
    "RulesEngine",
    "RulesError",
    "StalePackError",
    "UnknownPackError",
    "available_backends",
    "build_packs",
    "check_phone",
    "fold",
    "is_valid_email",
    "select_backend",
    "sort_decisions",
]
