"""Deadlines per step with overrides per sector or agency, never beyond the regulation's maxima.

What the regulation and the province expect (QĐ 2408/QĐ-UBND, Đ6–Đ10; R9–R16):

- each step has a maximum the province may shorten but never lengthen — Đ8.B3 says so of the
  handling time ("theo quy định của từng cơ quan xử lý nhưng tối đa không quá 06 ngày làm việc"),
  and the other steps' times are the regulation's own;
- a deadline of one sector or one agency is data an administrator writes (R29, Đ13.8), so a wrong
  one is refused with the file and line where it stands, in Vietnamese and English;
- for any report, one answer says how long a step allows, and why.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from engine.config.errors import ConfigError, ConfigInvalid
from engine.config.loader import load
from engine.config.regulation import STEP_MAXIMA
from engine.config.snapshot import Duration, Snapshot, StepOverride, Unit
from engine.sla.allowance import Basis, allowance

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "config"
PILOT = DEFAULT / "examples" / "pilot-2020"
ANCHOR = "overrides:\n"


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(DEFAULT, target, ignore=shutil.ignore_patterns("examples"))
    return target


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return load(DEFAULT)


def with_overrides(conf: Path, entries: str) -> int:
    """Put ``entries`` (YAML list items) first in ``overrides`` of ``sla.yaml``; their first line."""
    path = conf / "sla.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(ANCHOR) == 1, "sla.yaml no longer has one 'overrides:' list"
    index = text.index(ANCHOR) + len(ANCHOR)
    path.write_text(text[:index] + entries + text[index:], encoding="utf-8")
    return text.count("\n", 0, index) + 1


def errors_of(directory: Path) -> list[ConfigError]:
    with pytest.raises(ConfigInvalid) as caught:
        load(directory)
    return caught.value.errors


def only(errors: list[ConfigError], fragment: str) -> ConfigError:
    found = [e for e in errors if fragment in e.message_en or fragment in e.message_vi]
    assert len(found) == 1, f"expected one error with {fragment!r}, got {[str(e) for e in errors]}"
    return found[0]


def overridden(snapshot: Snapshot, *overrides: StepOverride) -> Snapshot:
    """``snapshot`` with exactly ``overrides`` (built by hand: the checks do not run)."""
    sla = dataclasses.replace(snapshot.sla, overrides=overrides)
    return dataclasses.replace(snapshot, sla=sla)


def hours(n: int) -> Duration:
    return Duration(n, Unit.HOUR)


def days(n: int) -> Duration:
    return Duration(n, Unit.DAY)


# -- the configuration ------------------------------------------------------------------------------


def test_default_has_an_illustrative_override_and_the_pilot_none() -> None:
    today, pilot = load(DEFAULT), load(PILOT)
    assert today.sla.overrides == (
        StepOverride(
            "verify",
            hours(4),
            sector="dien",
            reason="Sự cố điện cần xác minh nhanh (giá trị minh họa)",
        ),
    )
    assert pilot.sla.overrides == ()


def test_an_override_beyond_the_maximum_is_refused_at_its_line(conf: Path) -> None:
    # Đ8.B2: verification takes at most 1 working day (8 h); 9 working hours is beyond it.
    line = with_overrides(conf, "  - {step: verify, sector: moi-truong, duration: 9h}\n")
    error = only(errors_of(conf), "override of step 'verify'")
    assert error.file.endswith("sla.yaml") and error.line == line
    assert error.path == "overrides[0].duration"
    assert error.message_en.endswith("beyond the regulation's maximum of 1d (Đ8.B2)")
    assert error.format("vi").endswith(
        "thời hạn riêng của bước 'verify' là 9h, vượt mức tối đa 1d của Quy chế (Đ8.B2)"
    )


def test_a_handling_time_beyond_six_working_days_is_refused(conf: Path) -> None:
    # Đ8.B3: "tối đa không quá 06 ngày làm việc", whatever an agency decides.
    line = with_overrides(conf, "  - step: handle\n    agency: SXD\n    duration: 7d\n")
    error = only(errors_of(conf), "override of step 'handle'")
    assert (error.line, error.path) == (line + 2, "overrides[0].duration")
    assert "6d" in error.message_vi and "Đ8.B3" in error.message_vi


def test_exactly_the_maximum_is_allowed_in_any_unit(conf: Path) -> None:
    # 8 working hours are the 1 working day of Đ9.2: not beyond it.
    with_overrides(conf, "  - {step: approve, agency: SYT, duration: 8h}\n")
    assert load(conf).sla.overrides[0] == StepOverride("approve", hours(8), agency="SYT")


def test_unknown_sector_and_agency_are_refused(conf: Path) -> None:
    line = with_overrides(
        conf,
        "  - {step: verify, sector: dien-luc, duration: 4h}\n"
        "  - {step: publish, agency: EVN, duration: 2h}\n",
    )
    errors = errors_of(conf)
    sector = only(errors, "unknown sector 'dien-luc'")
    agency = only(errors, "unknown agency 'EVN'")
    assert (sector.line, sector.path) == (line, "overrides[0].sector")
    assert (agency.line, agency.path) == (line + 1, "overrides[1].agency")
    assert sector.message_vi == "lĩnh vực 'dien-luc' không tồn tại"
    assert agency.message_vi == "cơ quan 'EVN' không tồn tại"


def test_a_commune_committee_of_areas_yaml_is_a_known_agency(conf: Path) -> None:
    # Environment reports go to the commune's People's Committee, declared in areas.yaml.
    with_overrides(conf, "  - {step: handle, agency: UBND-29557, duration: 3d}\n")
    assert load(conf).sla.overrides[0].agency == "UBND-29557"


def test_the_same_step_sector_and_agency_twice_is_refused(conf: Path) -> None:
    line = with_overrides(
        conf,
        "  - {step: verify, sector: suc-khoe, agency: SYT, duration: 4h}\n"
        "  - {step: verify, sector: suc-khoe, duration: 6h}\n"  # another scope: allowed
        "  - {step: verify, sector: suc-khoe, agency: SYT, duration: 2h}\n",
    )
    error = only(errors_of(conf), "duplicate override")
    assert (error.line, error.path) == (line + 2, "overrides[2].step")
    assert f"sla.yaml:{line}" in error.message_en and f"sla.yaml:{line}" in error.message_vi


def test_the_illustrative_override_declared_again_is_a_duplicate(conf: Path) -> None:
    with_overrides(conf, "  - {step: verify, sector: dien, duration: 2h}\n")
    assert only(errors_of(conf), "duplicate override").path == "overrides[1].step"


def test_an_override_names_a_sector_or_an_agency(conf: Path) -> None:
    line = with_overrides(conf, "  - {step: publish, duration: 2h}\n")
    error = only(errors_of(conf), "names 'sector: CODE'")
    assert (error.line, error.path) == (line, "overrides[0]")
    assert "'steps'" in error.message_vi


@pytest.mark.parametrize("step", ["intake", "forward"])
def test_the_iocs_steps_have_no_overrides(conf: Path, step: str) -> None:
    # Đ6, Đ7: their clocks start when the report arrives, before it has a sector or an agency.
    line = with_overrides(conf, f"  - {{step: {step}, sector: dien, duration: 1h}}\n")
    error = only(errors_of(conf), "cannot have overrides")
    assert (error.line, error.path) == (line, "overrides[0].step")


def test_an_unknown_step_is_refused_by_the_schema(conf: Path) -> None:
    line = with_overrides(conf, "  - {step: xu-ly, sector: dien, duration: 1d}\n")
    error = only(errors_of(conf), "'xu-ly'")
    assert (error.line, error.path) == (line, "overrides[0].step")
    assert "handle" in error.message_vi


def test_a_handle_override_longer_than_the_agencys_own_limit_is_refused(conf: Path) -> None:
    # Sở Công Thương decided 5 days (handling_limit in sectors.yaml), which caps its handle step:
    # a 6-day override for it could never apply.
    with_overrides(conf, "  - {step: handle, sector: dien, agency: SCT, duration: 6d}\n")
    error = only(errors_of(conf), "own handling limit 5d")
    assert error.path == "overrides[0].duration"


def test_every_error_of_the_list_is_reported_at_once(conf: Path) -> None:
    with_overrides(
        conf,
        "  - {step: publish, sector: khong-co, duration: 5h}\n  - {step: approve, duration: 2d}\n",
    )
    paths = {e.path for e in errors_of(conf)}
    assert {"overrides[0].sector", "overrides[0].duration", "overrides[1]"} <= paths
    assert "overrides[1].duration" in paths


@pytest.mark.parametrize("step", sorted(STEP_MAXIMA))
def test_no_base_step_may_exceed_its_maximum_by_a_minute(conf: Path, step: str) -> None:
    # Every step of Đ6–Đ10, not only the ones already tested elsewhere.
    maximum, article = STEP_MAXIMA[step]
    minutes = maximum.minutes(480) + 1
    path = conf / "sla.yaml"
    text = path.read_text(encoding="utf-8")
    old = f"{step}:".ljust(9) + f"{{duration: {maximum},"
    assert old in text
    path.write_text(text.replace(old, old.replace(str(maximum), f"{minutes}m")), encoding="utf-8")
    error = only(errors_of(conf), f"step '{step}' takes {minutes}m")
    assert error.path == f"steps.{step}.duration" and article in error.message_vi


# -- the allowance: one answer, and its reason ------------------------------------------------------

THREE = (
    StepOverride("verify", hours(6), sector="giao-thong-van-tai"),
    StepOverride("verify", hours(5), agency="SXD", reason="Quyết định của Sở Xây dựng"),
    StepOverride("verify", hours(3), sector="giao-thong-van-tai", agency="SXD"),
)


@pytest.mark.parametrize(
    ("sector", "agency", "expected", "rank"),
    [
        ("giao-thong-van-tai", "SXD", hours(3), 3),  # sector and agency
        ("suc-khoe", "SXD", hours(5), 2),  # the agency's
        ("giao-thong-van-tai", "SNNMT", hours(6), 1),  # the sector's, at another agency
        ("suc-khoe", "SYT", days(1), None),  # none fits: the step's 1 day (Đ8.B2)
        (None, None, days(1), None),  # nothing known: the step's
    ],
)
def test_the_most_specific_override_wins(
    snapshot: Snapshot, sector: str | None, agency: str | None, expected: Duration, rank: int | None
) -> None:
    found = allowance(overridden(snapshot, *THREE), "verify", sector=sector, agency=agency)
    assert found.duration == expected and found.minutes == expected.minutes(480)
    assert (found.override.rank if found.override else None) == rank
    assert found.basis is (Basis.OVERRIDE if rank else Basis.STEP)


def test_the_more_specific_wins_even_when_longer(snapshot: Snapshot) -> None:
    # Precedence is by scope, not by length: an agency's decision for its reports replaces the
    # province's shorter sector-wide time; both are within the regulation.
    sector_short = StepOverride("approve", hours(2), sector="giao-thong-van-tai")
    agency_long = StepOverride("approve", hours(6), agency="SXD")
    found = allowance(
        overridden(snapshot, sector_short, agency_long),
        "approve",
        sector="giao-thong-van-tai",
        agency="SXD",
    )
    assert (found.duration, found.override) == (hours(6), agency_long)


def test_an_override_of_another_step_does_not_apply(snapshot: Snapshot) -> None:
    found = allowance(overridden(snapshot, *THREE), "publish", sector="giao-thong-van-tai")
    assert (found.duration, found.basis) == (hours(4), Basis.STEP)


def test_the_agencys_handling_limit_caps_handle(snapshot: Snapshot) -> None:
    # Đ8.B3: Sở Công Thương's own limit is 5 days; a sector-wide 6 days does not lengthen it, and
    # the answer says that the agency's limit decided.
    sector_wide = StepOverride("handle", days(6), sector="dien")
    found = allowance(overridden(snapshot, sector_wide), "handle", sector="dien", agency="SCT")
    assert (found.duration, found.basis, found.override) == (
        days(5),
        Basis.HANDLING_LIMIT,
        sector_wide,
    )
    # A shorter override is below the limit and applies.
    shorter = StepOverride("handle", days(3), sector="dien")
    found = allowance(overridden(snapshot, shorter), "handle", sector="dien", agency="SCT")
    assert (found.duration, found.basis) == (days(3), Basis.OVERRIDE)
    # Without an override, the agency's limit still applies (as before overrides existed).
    assert allowance(snapshot, "handle", agency="SCT").duration == days(5)
    assert allowance(snapshot, "handle", agency="SXD").duration == days(6)


def test_never_beyond_the_regulation_even_past_the_checks(snapshot: Snapshot) -> None:
    # A snapshot built by hand skips the checks; a clock must still not allow more than Đ8.B2.
    too_long = StepOverride("verify", days(2), sector="dien")
    found = allowance(overridden(snapshot, too_long), "verify", sector="dien")
    assert (found.duration, found.basis, found.minutes) == (days(1), Basis.REGULATION, 480)


def test_the_day_is_the_calendars(snapshot: Snapshot) -> None:
    # "1 working day" is a full day of the calendar's working time, never 24 hours.
    assert allowance(snapshot, "handle", day_minutes=420).minutes == 6 * 420
    assert allowance(snapshot, "verify", sector="dien", day_minutes=420).minutes == 240


def test_the_answer_explains_itself(snapshot: Snapshot) -> None:
    found = allowance(overridden(snapshot, *THREE), "verify", sector="suc-khoe", agency="SXD")
    assert found.explain("en") == (
        "Deadline for step verify, sector suc-khoe, agency SXD = 5h "
        "(override: agency SXD, reason: Quyết định của Sở Xây dựng)."
    )
    assert found.explain() == (
        "Thời hạn bước Xác minh phạm vi xử lý (verify), lĩnh vực suc-khoe, cơ quan SXD: "
        "05 giờ làm việc — thời hạn riêng của cơ quan SXD, lý do: Quyết định của Sở Xây dựng."
    )
    base = allowance(snapshot, "handle", agency="SCT")
    assert base.explain().endswith(
        "05 ngày làm việc — thời hạn xử lý riêng của cơ quan SCT (Đ8.B3)."
    )
    assert allowance(snapshot, "publish").explain("en") == (
        "Deadline for step publish = 4h (the step's deadline, Đ10.1)."
    )
