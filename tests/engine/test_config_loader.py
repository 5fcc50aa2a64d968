"""The configuration loader: every kind of error is reported, all at once, as FILE:LINE: PATH: message.

Each test copies the default configuration, breaks one thing the way an administrator might, and
checks that the error names the right file, the line where the broken text stands, and the path.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from engine.config.errors import ConfigError, ConfigInvalid
from engine.config.loader import load
from engine.config.snapshot import Duration, Unit

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "config"
PILOT = ROOT / "config" / "examples" / "pilot-2020"


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(DEFAULT, target, ignore=shutil.ignore_patterns("examples"))
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace ``old`` by ``new`` in ``path``; return the 1-based line where the change stands."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path.name}: the test data moved"
    index = text.index(old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return text.count("\n", 0, index) + 1


def errors_of(directory: Path) -> list[ConfigError]:
    with pytest.raises(ConfigInvalid) as caught:
        load(directory)
    return caught.value.errors


def only(errors: list[ConfigError], fragment: str) -> ConfigError:
    found = [e for e in errors if fragment in e.message_en or fragment in e.message_vi]
    assert len(found) == 1, f"expected one error with {fragment!r}, got {[str(e) for e in errors]}"
    return found[0]


def test_default_and_pilot_configurations_load() -> None:
    today = load(DEFAULT)
    pilot = load(PILOT)
    assert len(today.sectors) == len(pilot.sectors) == 9
    assert len(today.areas) == 124
    assert today.province == "Vĩnh Long"
    # The two lists differ only in data: today's environment reports go to a commune, 2020's to a
    # district, through the same route definition.
    assert today.routes[-1].area_committee and pilot.routes[-1].area_committee
    assert {today.committee_of(a).kind for a in today.areas} <= {"ubnd_xa", "ubnd_phuong"}
    assert {pilot.committee_of(a).kind for a in pilot.areas} == {"ubnd_huyen"}


def test_snapshot_is_immutable() -> None:
    snapshot = load(DEFAULT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.routes = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        snapshot.sectors["moi-truong"] = None  # type: ignore[index]
    assert snapshot.calendar.day_minutes == 480
    assert snapshot.sla.steps["verify"].duration == Duration(1, Unit.DAY)


def test_yaml_syntax_error_names_its_line(conf: Path) -> None:
    line = edit(conf / "sla.yaml", "warning_threshold: 0.75", "warning_threshold: [0.75")
    error = errors_of(conf)[0]
    assert error.file.endswith("sla.yaml")
    assert error.line >= line


def test_unknown_agency_in_routing(conf: Path) -> None:
    line = edit(conf / "sectors.yaml", "agency: SYT", "agency: SYTE")
    error = only(errors_of(conf), "unknown agency 'SYTE'")
    assert error.file.endswith("sectors.yaml")
    assert error.line == line
    assert error.path.startswith("routing[") and error.path.endswith("].agency")
    assert error.format("vi").endswith("cơ quan 'SYTE' không tồn tại")


def test_missing_required_field_and_unknown_field(conf: Path) -> None:
    edit(conf / "sectors.yaml", "name: Sức khỏe", "ten: Sức khỏe")
    errors = errors_of(conf)
    assert only(errors, "missing required field 'name'").path.startswith("sectors[")
    assert only(errors, "'ten'").message_vi.startswith("trường không được phép")


def test_bad_code_kind_date_and_duration_formats(conf: Path) -> None:
    sectors = conf / "sectors.yaml"
    edit(sectors, "code: SYT", "code: syt")
    edit(sectors, "kind: so", "kind: bo")
    edit(sectors, "{from: 2020-09-11}", "{from: 2020-13-11}")
    edit(sectors, "handling_limit: 6d", "handling_limit: six days")
    messages = [e.format("en") for e in errors_of(conf)]
    assert any("'syt'" in m and "code" in m for m in messages)
    assert any("'bo'" in m for m in messages)
    assert any("2020-13-11" in m for m in messages)
    assert any("six days" in m and "handling_limit" in m for m in messages)


def test_duplicate_codes_across_files(conf: Path) -> None:
    # A department given the code of a commune's People's Committee, which lives in areas.yaml.
    areas_text = (conf / "areas.yaml").read_text(encoding="utf-8")
    committee = next(w for w in areas_text.split() if w.startswith("UBND-")).strip(",")
    line = edit(conf / "sectors.yaml", "code: SYT", f"code: {committee}")
    error = only(errors_of(conf), f"duplicate agency code '{committee}'")
    assert error.file.endswith("areas.yaml") or error.line == line


def test_handling_limit_above_six_working_days(conf: Path) -> None:
    line = edit(conf / "sectors.yaml", "handling_limit: 6d", "handling_limit: 7d")
    error = only(errors_of(conf), "handling limit 7d")
    assert error.line == line and "Đ8.B3" in error.message_vi
    # The same limit written in hours: 49 working hours is more than 6 working days of 8 h.
    edit(conf / "sectors.yaml", "handling_limit: 7d", "handling_limit: 49h")
    assert only(errors_of(conf), "handling limit 49h")


def test_step_beyond_the_regulation(conf: Path) -> None:
    line = edit(conf / "sla.yaml", "verify:  {duration: 1d", "verify:  {duration: 2d")
    error = only(errors_of(conf), "step 'verify'")
    assert (error.file.endswith("sla.yaml"), error.line, error.path) == (
        True,
        line,
        "steps.verify.duration",
    )


def test_overlapping_and_inverted_working_hours(conf: Path) -> None:
    edit(
        conf / "sla.yaml",
        'monday: ["07:00-11:00", "13:00-17:00"]',
        'monday: ["07:00-11:00", "10:30-17:00"]',
    )
    edit(
        conf / "sla.yaml",
        'friday: ["07:00-11:00", "13:00-17:00"]',
        'friday: ["07:00-11:00", "17:00-13:00"]',
    )
    errors = errors_of(conf)
    assert only(errors, "overlaps 07:00-11:00").path == "calendar.working_hours.monday"
    assert only(errors, "17:00-13:00 ends before it starts").path == "calendar.working_hours.friday"


def test_unknown_time_zone(conf: Path) -> None:
    edit(conf / "sla.yaml", "timezone: Asia/Ho_Chi_Minh", "timezone: Asia/Saigon_City")
    assert only(errors_of(conf), "unknown time zone").path == "calendar.timezone"


def test_sector_without_route(conf: Path) -> None:
    text = (conf / "sectors.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: dien")
    end = text.index("  - id:", start + 1)
    (conf / "sectors.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    error = only(errors_of(conf), "sector 'dien' has no route")
    assert error.path.startswith("sectors[") and error.path.endswith("].code")


def test_area_committee_route_with_a_commune_that_has_no_committee(conf: Path) -> None:
    areas = conf / "areas.yaml"
    text = areas.read_text(encoding="utf-8")
    first_committee = (
        text.index("  - code: UBND-") if "  - code: UBND-" in text else text.index("- {code: UBND-")
    )
    end = text.index("\n", first_committee)
    # Remove one commune's People's Committee: environment reports there would have nowhere to go.
    block_end = text.find("\n  - ", end)
    removed = text[first_committee : block_end if block_end != -1 else len(text)]
    areas.write_text(text.replace(removed, "", 1), encoding="utf-8")
    errors = errors_of(conf)
    assert any("has no People's Committee to route to" in e.message_en for e in errors)
    assert any("has no route for 1 area(s)" in e.message_en for e in errors)


def test_unknown_area_of_a_committee_and_unknown_parent(conf: Path) -> None:
    edit(conf / "areas.yaml", 'area: "', 'area: "9')
    edit(conf / "sectors.yaml", "parent: SKHCN", "parent: SKHCNN")
    errors = errors_of(conf)
    assert any(e.message_en.startswith("unknown area '9") for e in errors)
    assert only(errors, "unknown parent agency 'SKHCNN'").path.endswith(".parent")


def test_ambiguous_routes(conf: Path) -> None:
    sectors = conf / "sectors.yaml"
    with sectors.open("a", encoding="utf-8") as out:
        out.write("  - id: dien-2\n    sector: dien\n    agency: SYT\n")
    assert only(errors_of(conf), "ambiguous").path.endswith(".priority")


def test_year_overrides_checked(conf: Path) -> None:
    edit(conf / "sla.yaml", "{date: 2025-04-26", "{date: 2024-04-26")
    edit(conf / "sla.yaml", "{date: 2026-08-22", "{date: 2026-08-31")
    errors = errors_of(conf)
    assert only(errors, "not in year 2025").path == "calendar.years.2025.working_days[0].date"
    assert only(errors, "both a day off and a make-up working day")


def test_template_that_does_not_compile_names_its_line(conf: Path) -> None:
    template = conf / "templates" / "ket-qua.txt.j2"
    line = edit(template, "Trân trọng!", "{% if %}Trân trọng!")
    error = only(errors_of(conf), "template syntax error")
    assert error.file.endswith("ket-qua.txt.j2") and error.line == line


def test_template_reaching_python_internals_is_refused(conf: Path) -> None:
    edit(conf / "templates" / "ket-qua.txt.j2", "Trân trọng!", "{{ ''.__class__.__mro__ }}")
    assert only(errors_of(conf), "sandbox forbids")


def test_missing_result_template_and_missing_file(conf: Path) -> None:
    (conf / "templates" / "ket-qua.txt.j2").unlink()
    (conf / "sla.yaml").unlink()
    errors = errors_of(conf)
    assert only(errors, "result template of Phụ lục 2 is missing")
    assert only(errors, "sla.yaml is missing")


def test_every_error_is_reported_not_only_the_first(conf: Path) -> None:
    edit(conf / "sectors.yaml", "agency: SYT", "agency: SYTE")
    edit(conf / "sectors.yaml", "handling_limit: 6d", "handling_limit: 8d")
    edit(conf / "sla.yaml", "publish: {duration: 4h", "publish: {duration: 5h")
    edit(conf / "templates" / "ket-qua.txt.j2", "Trân trọng!", "{% endif %}")
    errors = errors_of(conf)
    files = {Path(e.file).name for e in errors}
    assert {"sectors.yaml", "sla.yaml", "ket-qua.txt.j2"} <= files
    assert len(errors) >= 4
    assert errors == sorted(errors, key=lambda e: (e.file, e.line, e.path, e.message_en))


def test_missing_directory() -> None:
    assert only(errors_of(Path("/nonexistent/phananh")), "does not exist")


def test_portal_file_is_optional_and_checked_when_present(conf: Path) -> None:
    assert load(conf).portal.bounds.contains(10.2537, 105.9722)  # Vĩnh Long city
    line = edit(conf / "portal.yaml", "south: 9.45", "south: 11.5")
    error = only(errors_of(conf), "bounds are inverted")
    assert (error.path, error.line) == ("bounds", line)
    (conf / "portal.yaml").unlink()
    defaults = load(conf).portal
    assert defaults.bounds is None and defaults.max_files == 6


def test_portal_map_centre_must_be_inside_the_province(conf: Path) -> None:
    edit(conf / "portal.yaml", "center: [10.05, 106.25]", "center: [21.03, 105.85]")
    assert only(errors_of(conf), "outside the province's bounds").path == "map.center"
