"""What-if replay: past reports through a proposed configuration — routing and deadlines.

Nothing is written: the reports, their events and clocks are read in a read-only session
(``uow.read()``, rolled back at the end), and the clocks replayed here are never added to it.

**Routing.** The reports considered are those sent since ``since`` that a ``forward`` event sent
to an agency. The last forward is where the report went (a report returned by an agency is
classified again and forwarded again: the last forward used the report's final sector). A report
back with the IOC since its last forward (returned, perhaps classified again, not yet forwarded)
is left out, its routing and its clocks: the sector it holds now may not be the one it was
routed and timed with, and where it goes next is not known yet. A
forward that the IOC made by hand (rule ``manual``: another agency than the rules chose, with a
note) is counted apart, not compared — the proposal would have been overridden the same way.
Every other report is routed again with the proposed rules (its sector and area, as ``forward``
does); when the proposal names another agency — or none (``None``: no route, an unknown
sector) — it counts as a move ``from → to``.

**Deadlines.** Every *stopped* clock of the reports considered (running ones have no outcome
yet) is replayed exactly with :mod:`engine.sla.clocks`: started at its recorded start with the
proposed step time — the one answer of :func:`engine.sla.allowance.allowance`, as a live clock
gets it: ``sla.yaml``'s step, the most specific override for the report's sector and agency, for
``handle`` the agency's own limit when shorter; the agency is the one the proposal routes the
report to, else the one that held it — on the proposed calendar,
paused and resumed at its recorded pauses, stopped at its recorded stop. On time means "not late
against the step's own limit" (``Clock.late``; an extension granted case by case does not make a
step on time, and the proposal cannot know which extensions would have been asked). The current
rate is what was recorded; the proposed one is the replay's. A clock the proposed calendar cannot
place (a year outside its range) is counted as skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engine.config.snapshot import Snapshot
from engine.services.lifecycle import Lifecycle
from engine.sla import clocks
from engine.store.db import UnitOfWork
from engine.store.models import Clock, Event, Report
from engine.workflow import Clock as Step
from engine.workflow import State

#: The steps in the order of the regulation, for the table.
STEP_ORDER = tuple(step.value for step in Step)
NONE_LABEL = "—"

#: States of a report the IOC holds again after forwarding it (Đ8.B2: returned to the IOC).
BACK_WITH_IOC = frozenset({State.RETURNED, State.CLASSIFIED, State.RECEIVED, State.NEEDS_INFO})


@dataclass(frozen=True)
class StepRate:
    """One step's stopped clocks: how many were on time, as recorded and as replayed."""

    step: str
    n: int
    current_on_time: int
    proposed_on_time: int

    @property
    def current_rate(self) -> float | None:
        return self.current_on_time / self.n if self.n else None

    @property
    def proposed_rate(self) -> float | None:
        return self.proposed_on_time / self.n if self.n else None

    @property
    def change(self) -> float | None:
        """Proposed minus current rate (−0.25: a quarter fewer on time)."""
        if not self.n:
            return None
        return (self.proposed_on_time - self.current_on_time) / self.n


@dataclass(frozen=True)
class WhatIf:
    """The replay's figures. ``moves`` maps ``(from agency, to agency)`` to a count of reports;
    ``to`` is ``None`` when the proposal has no route for the report."""

    since: date | None
    reports: int  # reports sent since ``since``
    routed: int  # of them, forwarded by the rules: compared
    manual: int  # forwarded by hand: not compared
    moves: Mapping[tuple[str, str | None], int]
    steps: Mapping[str, StepRate]
    skipped_clocks: int = 0
    agency_names: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def moved(self) -> int:
        return sum(self.moves.values())

    @property
    def unchanged(self) -> int:
        return self.routed - self.moved

    def as_json(self) -> dict[str, Any]:
        moves = sorted(
            self.moves.items(), key=lambda item: (-item[1], item[0][0], item[0][1] or "")
        )
        return {
            "since": self.since.isoformat() if self.since else None,
            "reports": self.reports,
            "routing": {
                "compared": self.routed,
                "unchanged": self.unchanged,
                "moved": self.moved,
                "manual": self.manual,
                "moves": [
                    {"from": source, "to": target, "count": count}
                    for (source, target), count in moves
                ],
            },
            "deadlines": {
                "steps": [
                    {
                        "step": rate.step,
                        "n": rate.n,
                        "current_on_time": rate.current_on_time,
                        "proposed_on_time": rate.proposed_on_time,
                        "current_rate": _round(rate.current_rate),
                        "proposed_rate": _round(rate.proposed_rate),
                        "change": _round(rate.change),
                    }
                    for rate in self.ordered_steps()
                ],
                "skipped_clocks": self.skipped_clocks,
            },
        }

    def ordered_steps(self) -> list[StepRate]:
        order = {step: i for i, step in enumerate(STEP_ORDER)}
        return sorted(self.steps.values(), key=lambda r: (order.get(r.step, len(order)), r.step))

    def table(self) -> str:
        """The figures as a text table, in Vietnamese."""
        since = f" gửi từ {self.since:%d/%m/%Y}" if self.since else ""
        lines = [
            f"Phát lại {self.reports} phản ánh{since} qua cấu hình đề xuất (không ghi gì).",
            "",
            f"Phân công: {self.routed} phản ánh chuyển theo quy tắc, {self.moved} sẽ đến cơ quan "
            f"khác, {self.unchanged} giữ nguyên; {self.manual} chuyển tay không so sánh.",
        ]
        if self.moves:
            rows = [
                (self._agency(source), self._agency(target), str(count))
                for (source, target), count in sorted(
                    self.moves.items(), key=lambda item: (-item[1], item[0][0], item[0][1] or "")
                )
            ]
            lines += _grid(("Từ", "Đến", "Số"), rows, right=(2,))
        lines += ["", "Thời hạn (tỉ lệ đúng hạn theo thời hạn của bước, các bước đã kết thúc):"]
        rows = [
            (
                rate.step,
                str(rate.n),
                _percent(rate.current_rate),
                _percent(rate.proposed_rate),
                _points(rate.change),
            )
            for rate in self.ordered_steps()
        ]
        lines += _grid(("Bước", "Số", "Hiện tại", "Đề xuất", "Chênh"), rows, right=(1, 2, 3, 4))
        if self.skipped_clocks:
            lines.append(f"({self.skipped_clocks} bước không tính được theo lịch đề xuất.)")
        return "\n".join(lines)

    def _agency(self, code: str | None) -> str:
        if code is None:
            return f"{NONE_LABEL} (không có tuyến)"
        name = self.agency_names.get(code)
        return f"{code} ({name})" if name else code


def replay(uow: UnitOfWork, proposed: Snapshot, *, since: date | datetime | None = None) -> WhatIf:
    """Replay the reports sent since ``since`` (a local date, or an instant) through ``proposed``.

    Read-only; see the module's docstring for the method.
    """
    life = Lifecycle(uow, proposed)
    zone = ZoneInfo(proposed.calendar.timezone)
    start = _instant(since, zone)
    try:
        with uow.read() as session:
            query = select(Report).options(selectinload(Report.clocks)).order_by(Report.id)
            if start is not None:
                query = query.where(Report.submitted_at >= start)
            reports = list(session.scalars(query))
            forwards = _last_forwards(session, start)
            figures = _replay(life, reports, forwards)
    finally:
        life.rules.close()
    return WhatIf(
        since=since.date() if isinstance(since, datetime) else since,
        agency_names={code: agency.name for code, agency in proposed.agencies.items()},
        **figures,
    )


def _replay(
    life: Lifecycle, reports: list[Report], forwards: Mapping[int, Mapping[str, Any]]
) -> dict[str, Any]:
    moves: Counter[tuple[str, str | None]] = Counter()
    routed = manual = skipped = 0
    tallies: dict[str, list[int]] = {}
    for report in reports:
        forward = forwards.get(report.id) or {}
        went_to, proposed_agency = forward.get("agency"), None
        if went_to and report.state in BACK_WITH_IOC:
            continue  # routed and timed under a sector it may no longer hold: see the docstring
        if went_to and forward.get("rule") == "manual":
            manual += 1
        elif went_to and report.sector:
            routed += 1
            decision = life.rules.route(report.sector, report.area)
            proposed_agency = decision.value["agency"] if decision else None
            if proposed_agency != went_to:
                moves[(went_to, proposed_agency)] += 1
        for clock in report.clocks:
            if clock.stopped_at is None or clock.late is None:
                continue
            agency = proposed_agency or report.agency
            try:
                late = _late(life, clock, agency, report.sector)
            except ValueError:
                skipped += 1
                continue
            tally = tallies.setdefault(clock.step, [0, 0, 0])
            tally[0] += 1
            tally[1] += not clock.late
            tally[2] += not late
    steps = {step: StepRate(step, n, now, then) for step, (n, now, then) in tallies.items()}
    return {
        "reports": len(reports),
        "routed": routed,
        "manual": manual,
        "moves": dict(moves),
        "steps": steps,
        "skipped_clocks": skipped,
    }


def _late(life: Lifecycle, recorded: Clock, agency: str | None, sector: str | None) -> bool:
    """Whether ``recorded`` would have been late under ``life``'s configuration (a replay)."""
    calendar = life.calendar
    minutes = life.step_minutes(Step(recorded.step), agency, sector=sector)
    clock = clocks.start(recorded.step, minutes, recorded.started_at, calendar)
    for pause in recorded.pauses or []:
        clocks.pause(clock, datetime.fromisoformat(pause["from"]), calendar)
        if pause.get("to"):
            clocks.resume(clock, datetime.fromisoformat(pause["to"]), calendar)
    assert recorded.stopped_at is not None
    clocks.stop(clock, recorded.stopped_at, calendar)
    return bool(clock.late)


def _last_forwards(session: Any, start: datetime | None) -> dict[int, Mapping[str, Any]]:
    """Each report's last ``forward`` event's data (agency, rule), by report id."""
    query = (
        select(Event.report_id, Event.data)
        .where(Event.action == "forward")
        .order_by(Event.report_id, Event.seq)
    )
    if start is not None:
        query = query.join(Report, Report.id == Event.report_id).where(Report.submitted_at >= start)
    found: dict[int, Mapping[str, Any]] = {}
    for report_id, data in session.execute(query):
        found[report_id] = data or {}
    return found


def _instant(since: date | datetime | None, zone: ZoneInfo) -> datetime | None:
    if since is None:
        return None
    if isinstance(since, datetime):
        if since.tzinfo is None:
            raise ValueError("since: an instant needs a time zone")
        return since
    return datetime.combine(since, time(0, 0), tzinfo=zone)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _percent(value: float | None) -> str:
    return NONE_LABEL if value is None else f"{100 * value:.1f}%"


def _points(value: float | None) -> str:
    return NONE_LABEL if value is None else f"{100 * value:+.1f} điểm"


def _grid(
    header: tuple[str, ...], rows: list[tuple[str, ...]], right: tuple[int, ...] = ()
) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return (
            "  "
            + "  ".join(
                cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                for i, cell in enumerate(cells)
            ).rstrip()
        )

    return [line(header), "  " + "  ".join("-" * w for w in widths), *(line(r) for r in rows)]
