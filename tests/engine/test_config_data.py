"""The shipped configuration data: config/ (Vĩnh Long today) and config/examples/pilot-2020/.

These tests read the YAML with ``yaml.safe_load`` only, so they check the data itself (Phụ lục 1,
the 2025 reorganisation, the generated communes) independently of the configuration loader.
"""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "config"
PILOT = ROOT / "config" / "examples" / "pilot-2020"
REGULATION = Path("/work/shared/regulation/QD-2408-QD-UBND-2020-vinh-long.txt")

SECTOR_CODES = [
    "thong-tin-truyen-thong",
    "nong-nghiep-nong-thon",
    "khoa-hoc-cong-nghe",
    "suc-khoe",
    "du-lich",
    "giao-thong-van-tai",
    "dien",
    "tai-nguyen-nuoc",
    "moi-truong",
]

#: Departments that no longer exist since 1/3/2025 and must not appear in the default config.
DEFUNCT = ("Sở Giao thông Vận tải", "Sở Thông tin và Truyền thông", "Sở Tài nguyên và Môi trường")

#: Keyword pairs (sector, keyword) ⊂ (sector, keyword) allowed to overlap across sectors. Phụ lục 1
#: itself overlaps here: Môi trường covers "ô nhiễm" in general, Tài nguyên nước the "sự cố ô nhiễm
#: nguồn nước". A classifier must prefer the longer, more specific phrase.
CONTAINMENT_EXCEPTIONS = {
    (("moi-truong", "ô nhiễm"), ("tai-nguyen-nuoc", "ô nhiễm nguồn nước")),
    (("moi-truong", "ô nhiễm"), ("tai-nguyen-nuoc", "sự cố ô nhiễm")),
}

AGENCY_CODE = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)*$")


def load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def fold(text: str) -> str:
    """Lower case without diacritics (``đ`` -> ``d``), as keywords are matched."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@pytest.fixture(scope="module", params=["default", "pilot"])
def config(request: pytest.FixtureRequest) -> dict:
    """Both configurations, sectors.yaml and areas.yaml read side by side."""
    folder = DEFAULT if request.param == "default" else PILOT
    return {
        "name": request.param,
        "sectors": load(folder / "sectors.yaml"),
        "areas": load(folder / "areas.yaml"),
    }


@pytest.fixture(scope="module")
def default_sectors() -> dict:
    return load(DEFAULT / "sectors.yaml")


@pytest.fixture(scope="module")
def default_areas() -> dict:
    return load(DEFAULT / "areas.yaml")


def all_agencies(config: dict) -> list[dict]:
    return config["sectors"]["agencies"] + config["areas"].get("agencies", [])


# --- sectors (Phụ lục 1, R33) -------------------------------------------------------------------


def test_nine_sectors_in_the_order_of_phu_luc_1(config: dict) -> None:
    sectors = config["sectors"]["sectors"]
    assert [s["code"] for s in sectors] == SECTOR_CODES
    for sector in sectors:
        assert sector["name"].strip(), sector["code"]
        assert sector["description"].strip(), sector["code"]
        assert 8 <= len(sector["keywords"]) <= 20, sector["code"]
        assert all(isinstance(k, str) and k.strip() for k in sector["keywords"]), sector["code"]


def test_pilot_and_default_share_the_sector_texts(default_sectors: dict) -> None:
    pilot = load(PILOT / "sectors.yaml")["sectors"]
    for today, then in zip(default_sectors["sectors"], pilot, strict=True):
        assert (today["name"], today["description"]) == (then["name"], then["description"])


def test_descriptions_are_the_text_of_phu_luc_1(default_sectors: dict) -> None:
    if not REGULATION.exists():
        pytest.skip(f"{REGULATION} is not available here.")
    text = REGULATION.read_text(encoding="utf-8")
    annex = text[text.index("PHỤ LỤC 1") : text.index("PHỤ LỤC 2")]
    # The one correction made: "phản ảnh" -> "phản ánh" (an obvious typo in the source).
    source = " ".join(annex.replace("phản ảnh", "phản ánh").split())
    for sector in default_sectors["sectors"]:
        assert " ".join(sector["description"].split()) in source, sector["code"]
        assert " ".join(sector["name"].split()) in source, sector["code"]


def test_text_is_unicode_nfc(config: dict) -> None:
    """Vietnamese text in one normal form, or 'ô nhiễm' typed by a citizen would not match."""
    for document in (config["sectors"], config["areas"]):
        dumped = yaml.safe_dump(document, allow_unicode=True)
        assert unicodedata.is_normalized("NFC", dumped)


def test_every_keyword_belongs_to_one_sector(default_sectors: dict) -> None:
    owners: dict[str, set[str]] = {}
    for sector in default_sectors["sectors"]:
        for keyword in sector["keywords"]:
            owners.setdefault(fold(keyword), set()).add(sector["code"])
    shared = {k: v for k, v in owners.items() if len(v) > 1}
    assert not shared, f"keywords in several sectors (with or without diacritics): {shared}"


def test_no_keyword_is_a_phrase_inside_another_sectors_keyword(default_sectors: dict) -> None:
    pairs = [(s["code"], k) for s in default_sectors["sectors"] for k in s["keywords"]]
    found = set()
    for a, b in combinations(pairs, 2):
        if a[0] == b[0]:
            continue
        for short, long in ((a, b), (b, a)):
            if f" {fold(short[1])} " in f" {fold(long[1])} ":
                found.add((short, long))
    assert found <= CONTAINMENT_EXCEPTIONS, found - CONTAINMENT_EXCEPTIONS


# --- agencies and routing ------------------------------------------------------------------------


def test_agency_codes_are_well_formed_and_unique(config: dict) -> None:
    codes = [a["code"] for a in all_agencies(config)]
    assert all(AGENCY_CODE.match(code) for code in codes)
    assert not [c for c, n in Counter(codes).items() if n > 1]


def test_handling_limits_are_at_most_six_working_days(config: dict) -> None:
    """Đ8.B3: each agency sets its own limit, at most 06 working days."""
    for agency in all_agencies(config):
        match = re.fullmatch(r"([1-9][0-9]*)([mhd])", agency.get("handling_limit", "6d"))
        assert match, agency["code"]
        amount, unit = int(match[1]), match[2]
        assert unit != "d" or amount <= 6, agency["code"]


def test_parents_exist(config: dict) -> None:
    codes = {a["code"] for a in all_agencies(config)}
    for agency in all_agencies(config):
        if agency.get("parent"):
            assert agency["parent"] in codes, agency["code"]


def test_one_route_per_sector_to_an_existing_agency(config: dict) -> None:
    agencies = {a["code"]: a for a in all_agencies(config)}
    routes = config["sectors"]["routing"]
    assert [r["sector"] for r in routes] == SECTOR_CODES
    assert [r["id"] for r in routes] == SECTOR_CODES
    for route in routes:
        if route.get("area_committee"):
            assert "agency" not in route, route["id"]
        else:
            assert agencies[route["agency"]]["kind"] == "so", route["id"]


def test_environment_goes_to_the_committee_of_the_area(config: dict) -> None:
    (route,) = [r for r in config["sectors"]["routing"] if r["sector"] == "moi-truong"]
    assert route == {"id": "moi-truong", "sector": "moi-truong", "area_committee": True}


def test_no_defunct_department_in_the_default_config(default_sectors: dict) -> None:
    names = [a["name"] for a in default_sectors["agencies"]]
    assert not [n for n in names if n.startswith(DEFUNCT)]


def test_default_routes_follow_the_2025_mergers(default_sectors: dict) -> None:
    routed = {r["sector"]: r.get("agency") for r in default_sectors["routing"]}
    assert routed == {
        "thong-tin-truyen-thong": "SKHCN",
        "nong-nghiep-nong-thon": "SNNMT",
        "khoa-hoc-cong-nghe": "SKHCN",
        "suc-khoe": "SYT",
        "du-lich": "SVHTTDL",
        "giao-thong-van-tai": "SXD",
        "dien": "SCT",
        "tai-nguyen-nuoc": "SNNMT",
        "moi-truong": None,
    }


def test_ioc_receives_and_is_not_routed_to(config: dict) -> None:
    agencies = {a["code"]: a for a in config["sectors"]["agencies"]}
    assert agencies["IOC"]["kind"] == "trung_tam"
    assert "IOC" not in {r.get("agency") for r in config["sectors"]["routing"]}


# --- areas ---------------------------------------------------------------------------------------


def test_vinh_long_has_124_communes(default_areas: dict) -> None:
    assert default_areas["province"] == {"code": "86", "name": "Vĩnh Long"}
    areas = default_areas["areas"]
    assert len(areas) == 124
    assert Counter(a["kind"] for a in areas) == {"xa": 105, "phuong": 19}
    codes = [a["code"] for a in areas]
    assert all(isinstance(c, str) and c.isdigit() for c in codes)
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes, key=int)


def test_one_committee_per_area(config: dict) -> None:
    areas = {a["code"]: a for a in config["areas"]["areas"]}
    committees = [a for a in config["areas"]["agencies"] if a.get("area")]
    assert sorted(c["area"] for c in committees) == sorted(areas)
    for committee in committees:
        area = areas[committee["area"]]
        assert committee["code"] == f"UBND-{area['code']}"
        assert committee["name"].startswith("Ủy ban nhân dân ")
        assert committee["name"].lower().endswith(area["name"].lower())


def test_commune_committees_match_their_kind(default_areas: dict) -> None:
    areas = {a["code"]: a for a in default_areas["areas"]}
    for committee in default_areas["agencies"]:
        area = areas[committee["area"]]
        assert committee["kind"] == f"ubnd_{area['kind']}"
        assert committee["effective"]["from"].isoformat() == "2025-07-01"


def test_the_generated_file_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_areas.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "areas.yaml"
    stale.write_text((DEFAULT / "areas.yaml").read_text(encoding="utf-8") + "# edited\n")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "generate_areas.py"),
            "--check",
            "--output",
            str(stale),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "out of date" in result.stderr


def test_pilot_has_eight_districts_each_with_a_committee() -> None:
    data = load(PILOT / "areas.yaml")
    districts = {a["code"]: a["kind"] for a in data["areas"]}
    assert districts == {
        "855": "thanh_pho",
        "857": "huyen",
        "858": "huyen",
        "859": "huyen",
        "860": "huyen",
        "861": "thi_xa",
        "862": "huyen",
        "863": "huyen",
    }
    committees = {a["area"]: a for a in data["agencies"]}
    assert set(committees) == set(districts)
    assert {a["kind"] for a in committees.values()} == {"ubnd_huyen"}
    assert committees["855"]["name"] == "Ủy ban nhân dân thành phố Vĩnh Long"
