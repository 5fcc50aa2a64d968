"""What may be shown of a report (Đ5.4, Đ10.2–10.3; R8, R17, R18)."""

from __future__ import annotations

import pytest

from engine.rules import VISIBILITY, FactError, RulesEngine


@pytest.mark.parametrize(
    ("confidential", "state_secret", "rule", "level"),
    [
        (False, False, "public", "public"),
        (True, False, "confidential", "private"),
        (False, True, "state-secret", "restricted"),
        (True, True, "state-secret", "restricted"),
    ],
)
def test_levels(
    rules: RulesEngine, confidential: bool, state_secret: bool, rule: str, level: str
) -> None:
    decision = rules.visibility(confidential, state_secret)
    assert (decision.pack, decision.kind, decision.rule) == (VISIBILITY, "visibility", rule)
    assert decision.value["level"] == level
    # exactly one decision whatever the combination
    fact = {"confidential": confidential, "state_secret": state_secret}
    assert len(rules.evaluate(VISIBILITY, fact)) == 1


def test_what_each_level_shows(rules: RulesEngine) -> None:
    public = rules.visibility().value
    assert public["show_name"] and public["show_address"] and public["publish_result"]
    private = rules.visibility(confidential=True).value
    assert private["show_report"] and not private["show_name"] and not private["show_address"]
    assert not private["publish_result"]  # Đ10.2: the result goes to the reporter alone
    restricted = rules.visibility(state_secret=True).value
    assert not restricted["publish_result"] and not restricted["show_report"]


def test_flags_given_as_text(rules: RulesEngine) -> None:
    assert rules.evaluate(VISIBILITY, {"confidential": "có"})[0].value["level"] == "private"
    assert rules.evaluate(VISIBILITY, {})[0].value["level"] == "public"
    with pytest.raises(FactError):
        rules.evaluate(VISIBILITY, {"confidential": "perhaps"})
