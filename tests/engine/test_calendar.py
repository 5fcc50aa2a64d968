"""The working calendar: deadlines in working time, exact to the minute.

Every expected date below was checked against the real calendar (weekday and the ``holidays``
package, version 0.109) and against a naive minute-by-minute count; the comment on each test says
what the regulation or the user expects.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import WorkingCalendar
from engine.config.snapshot import CalendarConfig, Duration, Unit, WorkPeriod

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HOURS = (WorkPeriod(time(7), time(11)), WorkPeriod(time(13), time(17)))


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    """A local time in Vietnam."""
    return datetime(y, mo, d, h, mi, s, us, tzinfo=VN)


def make_config(**overrides: object) -> CalendarConfig:
    values: dict[str, object] = {
        "timezone": "Asia/Ho_Chi_Minh",
        "weekly_hours": {day: HOURS for day in range(1, 6)},
        "makeup_hours": HOURS,
        "holidays_country": "VN",
        "working_days": frozenset({date(2025, 4, 26)}),
        "days_off": frozenset({date(2025, 5, 2)}),
        "first_year": 2020,
        "last_year": 2035,
    }
    values.update(overrides)
    return CalendarConfig(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.from_config(make_config())


# --- the working week ----------------------------------------------------------------------------


def test_fixture_dates_have_the_weekdays_the_tests_assume() -> None:
    # Guard against a mistaken date in the tests themselves (isoweekday: 1 = Monday).
    assert date(2026, 3, 4).isoweekday() == 3  # Wednesday
    assert date(2026, 3, 6).isoweekday() == 5  # Friday
    assert date(2026, 3, 7).isoweekday() == 6  # Saturday
    assert date(2026, 2, 13).isoweekday() == 5
    assert date(2026, 2, 23).isoweekday() == 1
    assert date(2025, 12, 31).isoweekday() == 3
    assert date(2026, 1, 2).isoweekday() == 5
    assert date(2025, 4, 26).isoweekday() == 6
    assert date(2026, 8, 22).isoweekday() == 6
    assert date(2026, 4, 26).isoweekday() == 7


def test_two_hours_from_late_afternoon_continue_next_morning(cal: WorkingCalendar) -> None:
    # Đ6/Đ7: 2 working hours from Wednesday 16:00 = 1 h today + 1 h from 07:00 on Thursday.
    assert cal.add(at(2026, 3, 4, 16), "2h") == at(2026, 3, 5, 8)


def test_lunch_break_is_not_working_time(cal: WorkingCalendar) -> None:
    # 10:00 + 2h: 10:00–11:00, lunch 11:00–13:00 skipped, 13:00–14:00.
    assert cal.add(at(2026, 3, 4, 10), "2h") == at(2026, 3, 4, 14)
    # One hour from 10:00 ends at the start of lunch, not after it.
    assert cal.add(at(2026, 3, 4, 10), "1h") == at(2026, 3, 4, 11)
    assert cal.add(at(2026, 3, 4, 10), 61) == at(2026, 3, 4, 13, 1)


def test_four_hours_from_nine_straddle_lunch(cal: WorkingCalendar) -> None:
    # Đ10.1 publishes within 4 working hours: 09:00–11:00 + 13:00–15:00.
    assert cal.add(at(2026, 3, 4, 9), "4h") == at(2026, 3, 4, 15)


def test_one_working_day_is_eight_working_hours(cal: WorkingCalendar) -> None:
    # Đ8.B2: 1 working day from Wednesday 16:00 = Thursday 16:00.
    assert cal.day_minutes == 480
    assert cal.add(at(2026, 3, 4, 16), "1d") == at(2026, 3, 5, 16)
    assert cal.add(at(2026, 3, 4, 16), Duration(1, Unit.DAY)) == at(2026, 3, 5, 16)


def test_one_working_day_is_never_24_hours(cal: WorkingCalendar) -> None:
    # Friday 10:00 + 1d: 5 h on Friday, the weekend is not worked, 3 h on Monday → Monday 10:00
    # (24 h would give Saturday 10:00).
    assert cal.add(at(2026, 3, 6, 10), "1d") == at(2026, 3, 9, 10)


def test_a_report_on_saturday_night_counts_from_monday_morning(cal: WorkingCalendar) -> None:
    # Received 22:00 Saturday: the clock starts at 07:00 Monday, 2 h → 09:00.
    assert cal.add(at(2026, 3, 7, 22), "2h") == at(2026, 3, 9, 9)
    assert cal.next_working_minute(at(2026, 3, 7, 22)) == at(2026, 3, 9, 7)


def test_a_deadline_at_the_end_of_a_period_is_that_end(cal: WorkingCalendar) -> None:
    # Users read "by 17:00 today", not "by 07:00 tomorrow" (nor "13:00" after lunch).
    assert cal.add(at(2026, 3, 4, 15), "2h") == at(2026, 3, 4, 17)
    assert cal.add(at(2026, 3, 4, 9), "2h") == at(2026, 3, 4, 11)
    assert cal.add(at(2026, 3, 4, 7), "1d") == at(2026, 3, 4, 17)


def test_six_days_from_a_friday(cal: WorkingCalendar) -> None:
    # Đ8.B3: 6 working days (2880 min) from Friday 6/3/2026 10:00: 300 min on Friday, Monday 9 to
    # Friday 13 March (2400), then 180 min on Monday 16/3 → 10:00.
    assert cal.add(at(2026, 3, 6, 10), "6d") == at(2026, 3, 16, 10)
    # From Friday 24/4/2026 the holidays of Hùng Vương (27/4 observed), 30/4 and 1/5 push it on:
    # Fri 300 + Tue 28, Wed 29, Mon 4/5, Tue 5/5, Wed 6/5 (2400) + 180 on Thursday 7/5.
    assert cal.add(at(2026, 4, 24, 10), "6d") == at(2026, 5, 7, 10)


def test_seconds_are_truncated_to_the_minute(cal: WorkingCalendar) -> None:
    # A report received at 09:00:59.9 has its deadline counted from 09:00.
    assert cal.add(at(2026, 3, 4, 9, 0, 59, 900_000), "2h") == at(2026, 3, 4, 11)
    assert cal.next_working_minute(at(2026, 3, 4, 9, 30, 45)) == at(2026, 3, 4, 9, 30)
    assert cal.elapsed(at(2026, 3, 4, 9, 0, 30), at(2026, 3, 4, 9, 1, 10)) == 1


def test_durations_accept_text_duration_and_minutes(cal: WorkingCalendar) -> None:
    start = at(2026, 3, 4, 8)
    assert cal.add(start, "90m") == cal.add(start, 90) == cal.add(start, Duration(90, Unit.MINUTE))
    assert cal.add(start, 90) == at(2026, 3, 4, 9, 30)
    assert cal.minutes_of("6d") == 2880


def test_zero_minutes_returns_the_start_in_the_calendar_zone(cal: WorkingCalendar) -> None:
    # Documented: 0 does not move the start to the next working minute.
    utc_start = datetime(2026, 3, 7, 15, 0, 30, tzinfo=UTC)  # Sunday 22:00:30 in Vietnam
    result = cal.add(utc_start, 0)
    assert result == at(2026, 3, 7, 22)
    assert result.tzinfo is VN


def test_bad_durations_are_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        cal.add(at(2026, 3, 4, 9), "2 hours")
    with pytest.raises(ValueError, match="negative"):
        cal.add(at(2026, 3, 4, 9), -5)
    with pytest.raises(TypeError):
        cal.add(at(2026, 3, 4, 9), 2.5)  # type: ignore[arg-type]


# --- public holidays and the yearly exchanges ----------------------------------------------------


def test_tet_2026_is_not_worked(cal: WorkingCalendar) -> None:
    # Tết Bính Ngọ: Lunar New Year's Eve Monday 16/2 to Friday 20/2/2026 are public holidays.
    for day in range(16, 21):
        assert not cal.is_working_day(date(2026, 2, day))
    assert cal.holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"
    # Friday 13/2 16:00 + 2h: 1 h on Friday, the holidays and weekend, 1 h on Monday 23/2.
    assert cal.add(at(2026, 2, 13, 16), "2h") == at(2026, 2, 23, 8)


def test_reunification_and_labour_day_2026(cal: WorkingCalendar) -> None:
    # 30/4 (Thursday) and 1/5 (Friday) 2026: Wednesday 16:00 + 2h lands Monday 4/5 08:00.
    assert not cal.is_working_day(date(2026, 4, 30))
    assert not cal.is_working_day(date(2026, 5, 1))
    assert cal.add(at(2026, 4, 29, 16), "2h") == at(2026, 5, 4, 8)


def test_national_day_2026_with_its_exchange(cal: WorkingCalendar) -> None:
    # 2/9/2026 is a Wednesday: 31/8 (Mon, swapped), 1/9 and 2/9 are off; Saturday 22/8 is worked
    # in exchange (the package's make-up Saturday).
    assert cal.is_working_day(date(2026, 8, 22))
    assert cal.add(at(2026, 8, 21, 16), "2h") == at(2026, 8, 22, 8)
    for day in (date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)):
        assert not cal.is_working_day(day)
    assert cal.add(at(2026, 8, 28, 16), "2h") == at(2026, 9, 3, 8)


def test_hung_kings_2026_falls_on_sunday_and_is_observed_monday(cal: WorkingCalendar) -> None:
    # 10/3 lunar = Sunday 26/4/2026, observed Monday 27/4: Friday 16:00 + 2h → Tuesday 28/4 08:00.
    assert not cal.is_working_day(date(2026, 4, 27))
    assert cal.holiday_name(date(2026, 4, 26)) == "Ngày Giỗ Tổ Hùng Vương"
    assert cal.add(at(2026, 4, 24, 16), "2h") == at(2026, 4, 28, 8)


def test_2025_exchange_saturday_worked_and_friday_off(cal: WorkingCalendar) -> None:
    # 2025: Saturday 26/4 is worked so that Friday 2/5 bridges 30/4–1/5 and the weekend.
    assert cal.is_working_day(date(2025, 4, 26))
    assert cal.is_working_time(at(2025, 4, 26, 9))
    assert not cal.is_working_day(date(2025, 5, 2))
    assert cal.add(at(2025, 4, 25, 16), "2h") == at(2025, 4, 26, 8)
    # Tuesday 29/4 16:00 + 2h: 30/4, 1/5, 2/5 and the weekend are off → Monday 5/5 08:00.
    assert cal.add(at(2025, 4, 29, 16), "2h") == at(2025, 5, 5, 8)


def test_year_end_skips_new_year_day(cal: WorkingCalendar) -> None:
    # 31/12/2025 is a Wednesday, 1/1/2026 (Thursday) is a holiday, 2/1 is a Friday and worked.
    assert cal.add(at(2025, 12, 31, 16), "2h") == at(2026, 1, 2, 8)


def test_explicit_days_override_the_package() -> None:
    # The province may announce its own exchanges: an explicit working day beats a holiday and an
    # explicit day off beats the weekly template.
    cfg = make_config(
        working_days=frozenset({date(2026, 1, 1), date(2026, 3, 7)}),
        days_off=frozenset({date(2026, 3, 6)}),
    )
    cal = WorkingCalendar.from_config(cfg)
    assert cal.is_working_day(date(2026, 1, 1))
    assert cal.holiday_name(date(2026, 1, 1)) == "Tết Dương lịch"
    assert cal.is_working_day(date(2026, 3, 7))  # a Saturday, with the make-up hours
    assert not cal.is_working_day(date(2026, 3, 6))
    assert cal.add(at(2026, 3, 5, 16), "2h") == at(2026, 3, 7, 8)


def test_a_day_both_off_and_worked_is_refused() -> None:
    both = frozenset({date(2026, 3, 6)})
    with pytest.raises(ValueError, match="both as a day off and as a working day"):
        WorkingCalendar.from_config(make_config(working_days=both, days_off=both))


def test_holidays_agree_with_the_package(cal: WorkingCalendar) -> None:
    # Every holiday the package lists for 2024–2027 is off (none is an explicit working day here).
    for day in holidays.country_holidays("VN", years=range(2024, 2028)):
        assert not cal.is_working_day(day), day


def test_without_a_country_only_the_week_and_overrides_count() -> None:
    cal = WorkingCalendar.from_config(make_config(holidays_country=None))
    assert cal.is_working_day(date(2026, 1, 1))
    assert cal.holiday_name(date(2026, 1, 1)) is None
    assert not cal.is_working_day(date(2026, 8, 22))  # no package, no make-up Saturday


# --- time zones and refusals ---------------------------------------------------------------------


def test_other_utc_offsets_are_converted(cal: WorkingCalendar) -> None:
    # A client sending UTC: 02:00Z on Wednesday 29/4/2026 is 09:00 in Vietnam.
    utc = datetime(2026, 4, 29, 2, 0, tzinfo=UTC)
    assert cal.is_working_time(utc)
    assert cal.next_working_minute(utc) == at(2026, 4, 29, 9)
    result = cal.add(utc, "2h")
    assert result == at(2026, 4, 29, 11)
    assert result.utcoffset() == timedelta(hours=7)
    # 23:30 on Tuesday in Paris (+02:00 in summer) is 04:30 Wednesday in Vietnam: before 07:00.
    paris = datetime(2026, 4, 28, 23, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert cal.add(paris, "1h") == at(2026, 4, 29, 8)


def test_a_naive_datetime_is_refused_not_guessed(cal: WorkingCalendar) -> None:
    naive = datetime(2026, 4, 29, 9, 0)
    for call in (
        lambda: cal.add(naive, "2h"),
        lambda: cal.elapsed(naive, at(2026, 4, 30, 9)),
        lambda: cal.elapsed(at(2026, 4, 28, 9), naive),
        lambda: cal.is_working_time(naive),
        lambda: cal.next_working_minute(naive),
    ):
        with pytest.raises(ValueError, match="has no time zone.*attach one"):
            call()


def test_outside_the_configured_years_is_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="outside the calendar's range 2020–2035"):
        cal.add(at(2019, 12, 31, 9), "2h")
    with pytest.raises(ValueError, match="outside the calendar's range 2020–2035"):
        cal.is_working_day(date(2036, 1, 2))
    with pytest.raises(ValueError, match="after the end of the calendar's range 2020–2035"):
        cal.add(at(2035, 12, 31, 16), "2h")


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="not a known time zone"):
        WorkingCalendar.from_config(make_config(timezone="Asia/Saigon-Typo"))


# --- elapsed working time ------------------------------------------------------------------------


def test_elapsed_skips_the_weekend_and_lunch(cal: WorkingCalendar) -> None:
    # Friday 6/3/2026 15:00 → Monday 9/3 08:00: 2 h on Friday + 1 h on Monday.
    assert cal.elapsed(at(2026, 3, 6, 15), at(2026, 3, 9, 8)) == 180
    # 10:30 → 13:30 the same day: 30 min before lunch, 30 min after.
    assert cal.elapsed(at(2026, 3, 4, 10, 30), at(2026, 3, 4, 13, 30)) == 60
    assert cal.elapsed(at(2026, 3, 9, 8), at(2026, 3, 6, 15)) == 0
    assert cal.elapsed(at(2026, 3, 7, 9), at(2026, 3, 8, 17)) == 0  # a weekend


def test_elapsed_counts_across_tet(cal: WorkingCalendar) -> None:
    # From Friday 13/2/2026 16:00 to Monday 23/2 08:00 only 2 working hours pass.
    assert cal.elapsed(at(2026, 2, 13, 16), at(2026, 2, 23, 8)) == 120


# --- properties ----------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31, 23, 59, 59)
).map(lambda d: d.replace(tzinfo=VN))
other_zone_starts = st.datetimes(
    min_value=datetime(2024, 1, 2),
    max_value=datetime(2027, 12, 30),
    timezones=st.sampled_from([UTC, ZoneInfo("Europe/Paris"), timezone(timedelta(hours=-5))]),
)


@settings(max_examples=300, deadline=None)
@given(start=st.one_of(starts, other_zone_starts), n=st.integers(1, 10_000))
def test_add_and_elapsed_agree(cal: WorkingCalendar, start: datetime, n: int) -> None:
    # Whatever the start, exactly n working minutes pass between the first counted minute and the
    # deadline, and a longer duration never gives an earlier deadline.
    end = cal.add(start, n)
    assert cal.elapsed(cal.next_working_minute(start), end) == n
    assert cal.elapsed(start, end) == n
    assert cal.add(start, n + 1) > end
    assert end.tzinfo is VN and end.second == 0 and end.microsecond == 0


@settings(max_examples=300, deadline=None)
@given(points=st.lists(starts, min_size=3, max_size=3))
def test_elapsed_is_additive(cal: WorkingCalendar, points: list[datetime]) -> None:
    s, m, e = sorted(points)
    assert cal.elapsed(s, e) == cal.elapsed(s, m) + cal.elapsed(m, e)


@settings(max_examples=200, deadline=None)
@given(start=starts, n=st.integers(1, 3_000))
def test_add_matches_minute_by_minute_counting(
    cal: WorkingCalendar, start: datetime, n: int
) -> None:
    # The reference: step one minute at a time, counting the minutes that are working time.
    t = start.replace(second=0, microsecond=0)
    counted = 0
    while counted < n:
        if cal.is_working_time(t):
            counted += 1
        t += timedelta(minutes=1)
    assert cal.add(start, n) == t
