"""Sector suggestion from the sectors' keywords (Đ6: classify by sector, R9)."""

from __future__ import annotations

import json

import pytest

from engine.rules import SECTOR_SUGGESTION, RulesEngine


def sectors(rules: RulesEngine, text: str, **kw: object) -> list[tuple[str, int]]:
    return [(d.value["sector"], d.value["score"]) for d in rules.suggest_sectors(text, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["Rác thải bốc mùi", "rac thai boc mui", "RÁC THẢI BỐC MÙI", "Đống rác thải"],
)
def test_matching_ignores_diacritics_and_case(rules: RulesEngine, text: str) -> None:
    assert sectors(rules, text) == [("moi-truong", 2)]


def test_a_decision_explains_itself(rules: RulesEngine) -> None:
    [decision] = rules.suggest_sectors("Ô NHIỄM nước thải")
    assert decision.pack == SECTOR_SUGGESTION and decision.kind == "suggest"
    assert decision.rule == "moi-truong"
    assert decision.value["matched"] == ("nước thải", "ô nhiễm")
    assert decision.value["rules"] == ("moi-truong/nuoc thai", "moi-truong/o nhiem")
    assert decision.value["score"] == 4 and decision.priority == 4
    assert json.loads(json.dumps(decision.as_dict()))["value"]["matched"] == [
        "nước thải",
        "ô nhiễm",
    ]


def test_whole_words_only(rules: RulesEngine) -> None:
    assert sectors(rules, "Dịch vụ internet") == [("thong-tin", 1)]
    assert sectors(rules, "internetwork, điệnnăng, gà") == []


def test_a_keyword_inside_a_longer_match_does_not_count(rules: RulesEngine) -> None:
    assert sectors(rules, "Điện thoại bị hỏng") == [("thong-tin", 2)]
    assert sectors(rules, "Cột điện nghiêng") == [("dien-luc", 2)]
    # "điện" alone still counts elsewhere in the text.
    assert sectors(rules, "Điện thoại hỏng. Điện chập chờn") == [("thong-tin", 2), ("dien-luc", 1)]


def test_partly_overlapping_matches_both_count(rules: RulesEngine) -> None:
    assert sectors(rules, "mất điện thoại") == [("dien-luc", 2), ("thong-tin", 2)]


def test_a_phrase_does_not_span_punctuation(rules: RulesEngine) -> None:
    assert sectors(rules, "Rác, thải") == []


def test_longer_keywords_weigh_more_and_results_are_ordered(rules: RulesEngine) -> None:
    text = "Đèn giao thông hỏng gây ùn tắc giao thông; đường có ổ gà. Mất điện."
    # đèn giao thông 3 + giao thông 2 (the second one, standing alone) + ổ gà 2 + đường 1
    assert sectors(rules, text) == [("giao-thong", 8), ("dien-luc", 2)]
    [first, _] = rules.suggest_sectors(text)
    assert first.value["matched"] == ("đèn giao thông", "giao thông", "ổ gà", "đường")


def test_two_spellings_of_one_keyword_are_one_rule(rules: RulesEngine) -> None:
    rule_ids = [r.id for r in rules.spec(SECTOR_SUGGESTION).pack.rules]
    assert rule_ids.count("moi-truong/rac thai") == 1


def test_nothing_matches_nothing(rules: RulesEngine) -> None:
    assert rules.suggest_sectors("") == []
    assert rules.suggest_sectors("Xin chào") == []


def test_sectors_out_of_effect_are_not_suggested(rules: RulesEngine) -> None:
    assert sectors(rules, "lấn chiếm vỉa hè", on="2025-01-01") == [("do-thi", 4)]
    assert sectors(rules, "lấn chiếm vỉa hè", on="2025-07-01") == []


def test_title_and_content_are_both_read(rules: RulesEngine) -> None:
    decisions = rules.evaluate(SECTOR_SUGGESTION, {"title": "Ổ gà", "content": "rác thải"})
    assert [d.rule for d in decisions] == ["giao-thong", "moi-truong"]


def test_the_keyword_index_suggests_what_the_pack_decides(rules: RulesEngine) -> None:
    """``suggest_sectors`` finds the rules by keyword (issue 13); the pack itself, on the engine's
    backend, decides the same for every keyword of the configuration, alone, in pairs, across
    punctuation, and on days inside and outside the sectors' periods."""
    keywords = sorted({k for s in rules.snapshot.sectors.values() for k in s.keywords})
    pairs = zip(keywords, keywords[1:], strict=False)
    texts = [*keywords, *(f"{a} {b}, {b}. {a}-x" for a, b in pairs)]
    texts += ["", "không có gì", " ".join(keywords)]
    for text in texts:
        for on in (None, "2000-01-01", "2026-04-22", "2100-12-31"):
            fact = {"text": text, "on": on}
            assert rules.suggest_sectors(text, on=on) == rules.evaluate(SECTOR_SUGGESTION, fact)
