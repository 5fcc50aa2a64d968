"""Editing one entry of a configuration file: every other byte, comment included, stays."""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path

from engine.config.loader import config_files, load_files
from engine.configstore.documents import Documents

ROOT = Path(__file__).resolve().parents[2]
FILES = config_files(ROOT / "config")


def _changed(before: str, after: str) -> list[str]:
    """The lines removed (``-``) and added (``+``), without diff headers."""
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_untouched_files_come_back_byte_for_byte() -> None:
    documents = Documents(FILES)
    documents["sectors.yaml"].items("agencies")  # opened, read, not changed
    assert documents.files() == FILES


def test_changing_one_agency_rewrites_only_its_changed_lines_and_keeps_comments() -> None:
    documents = Documents(FILES)
    sectors = documents["sectors.yaml"]
    position = sectors.index("agencies", lambda a: a["code"] == "SXD")
    entry = sectors.items("agencies")[position]
    entry["handling_limit"] = "5d"
    sectors.replace_item("agencies", position, entry)
    after = documents.files()["sectors.yaml"]
    assert _changed(FILES["sectors.yaml"], after) == [
        "-    handling_limit: 6d",
        "+    handling_limit: 5d",
    ]
    assert "# webhook_url: https://hethong.sxd.example.vn/phananh/webhook" in after
    assert load_files(documents.files()).agencies["SXD"].handling_limit.amount == 5


def test_a_new_entry_follows_its_siblings_style_and_validates() -> None:
    documents = Documents(FILES)
    areas = documents["areas.yaml"]
    position = areas.index("areas", lambda a: a["code"] == "28777")
    entry = areas.items("areas")[position]
    entry["name"] = "Phường An Hội (thử)"
    areas.replace_item("areas", position, entry)
    sectors = documents["sectors.yaml"]
    sectors.append_item(
        "routing",
        {"id": "moi-truong-an-hoi", "sector": "moi-truong", "areas": ["28777"], "agency": "SNNMT"},
    )
    files = documents.files()
    assert _changed(FILES["areas.yaml"], files["areas.yaml"]) == [
        '-  - {code: "28777", name: Phường An Hội, kind: phuong, effective: {from: 2025-07-01}}',
        '+  - {code: "28777", name: Phường An Hội (thử), kind: phuong, effective: {from: 2025-07-01}}',
    ]
    assert _changed(FILES["sectors.yaml"], files["sectors.yaml"]) == [
        "+  - id: moi-truong-an-hoi",
        "+    sector: moi-truong",
        '+    areas: ["28777"]',
        "+    agency: SNNMT",
    ]
    snapshot = load_files(files)
    assert snapshot.areas["28777"].name == "Phường An Hội (thử)"
    assert [r.id for r in snapshot.routes][-1] == "moi-truong-an-hoi"


def test_removing_an_entry_keeps_the_comments_of_the_next_one() -> None:
    documents = Documents(FILES)
    sectors = documents["sectors.yaml"]
    position = sectors.index("agencies", lambda a: a["code"] == "SVHTTDL")
    sectors.remove_item("agencies", position)
    after = documents.files()["sectors.yaml"]
    removed = _changed(FILES["sectors.yaml"], after)
    assert all(line.startswith("-") for line in removed) and len(removed) == 5
    assert "# Sở GTVT sáp nhập vào Sở Xây dựng từ 1/3/2025" in after


def test_a_year_added_to_the_calendar_leaves_the_other_years_as_written() -> None:
    documents = Documents(FILES)
    sla = documents["sla.yaml"]
    calendar = sla.get("calendar")
    calendar["years"][2027] = {"days_off": [{"date": date(2027, 2, 3), "reason": "Tết"}]}
    sla.replace_key("calendar", calendar)
    after = documents.files()["sla.yaml"]
    assert _changed(FILES["sla.yaml"], after) == [
        "+    2027:",
        "+      days_off:",
        "+        - {date: 2027-02-03, reason: Tết}",
    ]
    assert date(2027, 2, 3) in load_files(documents.files()).calendar.days_off


def test_keys_added_after_a_commented_last_key_leave_the_following_comments_once() -> None:
    """SXD's last key has an end-of-line comment and is followed by commented-out keys and the
    comment that introduces SCT: adding a key writes none of those lines twice."""
    documents = Documents(FILES)
    sectors = documents["sectors.yaml"]
    position = sectors.index("agencies", lambda a: a["code"] == "SXD")
    entry = sectors.items("agencies")[position]
    entry["leader"] = {"name": "Nguyễn Văn Lãnh", "title": "Phó Giám đốc"}
    sectors.replace_item("agencies", position, entry)
    after = documents.files()["sectors.yaml"]
    for line in (
        "# webhook_url: https://hethong.sxd.example.vn/phananh/webhook",
        "# Thời hạn riêng của Sở (Đ8 Bước 3",
    ):
        assert after.count(line) == FILES["sectors.yaml"].count(line) == 1
    assert "email: phananh.sxd@example.vn            # ví dụ / placeholder" in after
    assert load_files(documents.files()).agencies["SXD"].leader.name == "Nguyễn Văn Lãnh"


def test_one_step_of_sla_yaml_is_rewritten_alone_with_its_comment() -> None:
    documents = Documents(FILES)
    sla = documents["sla.yaml"]
    step = sla.get("steps")["verify"]
    sla.replace_in(("steps", "verify"), {**step, "duration": "6h"})
    after = documents.files()["sla.yaml"]
    changed = _changed(FILES["sla.yaml"], after)
    assert len(changed) == 2 and changed[0].startswith("-  verify:")
    assert changed[1].startswith('+  verify: {duration: 6h, from: forwarded, article: "Đ8.B2"}')
    assert changed[1].endswith("# xác minh thuộc phạm vi xử lý")
    assert load_files(documents.files()).sla.steps["verify"].duration.amount == 6


def test_an_edited_list_keeps_the_quotes_of_its_strings() -> None:
    documents = Documents(FILES)
    sla = documents["sla.yaml"]
    calendar = sla.get("calendar")
    calendar["working_hours"]["friday"] = ["07:00-11:00", "13:00-16:30"]
    sla.replace_in(("calendar", "working_hours", "friday"), calendar["working_hours"]["friday"])
    changed = _changed(FILES["sla.yaml"], documents.files()["sla.yaml"])
    assert changed == [
        '-    friday: ["07:00-11:00", "13:00-17:00"]',
        '+    friday: ["07:00-11:00", "13:00-16:30"]',
    ]


def test_a_keyword_added_changes_the_last_line_of_the_list_only() -> None:
    """A long list of words stays wrapped as it was written: the diff is the line it ends on."""
    documents = Documents(FILES)
    sectors = documents["sectors.yaml"]
    position = sectors.index("sectors", lambda s: s["code"] == "du-lich")
    entry = sectors.items("sectors")[position]
    entry["keywords"] = [*entry["keywords"], "khách sạn mini"]
    sectors.replace_item("sectors", position, entry)
    after = documents.files()["sectors.yaml"]
    assert _changed(FILES["sectors.yaml"], after) == [
        "-               cơ sở lưu trú, hạng sao, chất lượng dịch vụ du lịch, an ninh khách du lịch]",
        "+               cơ sở lưu trú, hạng sao, chất lượng dịch vụ du lịch, an ninh khách du lịch,",
        "+               khách sạn mini]",
    ]
    assert load_files(documents.files()).sectors["du-lich"].keywords[-1] == "khách sạn mini"
