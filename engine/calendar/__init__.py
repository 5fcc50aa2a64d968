"""Working time of the province's calendar: deadlines and elapsed time, exact to the minute."""

from __future__ import annotations

from engine.calendar.days import DayPlan, plan_days
from engine.calendar.working_time import WorkingCalendar

__all__ = ["DayPlan", "WorkingCalendar", "plan_days"]
