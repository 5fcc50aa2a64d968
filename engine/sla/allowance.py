"""How long a step allows for one report: the one answer the clocks, the what-if and the pages use.

``allowance(snapshot, step, sector=…, agency=…)`` decides, in this order:

1. **The step's deadline** of ``sla.yaml`` (``steps``) is the starting point.
2. **The most specific override** (``overrides``) that fits the report replaces it:
   sector *and* agency > agency alone > sector alone. An override fits when every code it names is
   the report's (an override for ``SCT`` fits every report held by Sở Công Thương, whatever its
   sector). Overrides exist only for the agency's steps (verify, handle, approve, publish): the
   IOC's two start before a report has a sector or an agency (the checks refuse the others).
3. **For handle, the agency's own handling limit** (``handling_limit`` in ``sectors.yaml``, Đ8.B3)
   caps the result: an agency may decide a shorter time than the province, never a longer one.
4. **The regulation's maximum** for the step (:data:`engine.config.regulation.STEP_MAXIMA`) caps
   everything. A configuration that passed the checks never reaches this cap; a snapshot built by
   hand might, and a clock must still never allow more than the regulation.

The answer says which of these gave the value (``basis``, ``override``) and can say it in a
sentence (:meth:`Allowance.explain`), for a page that shows why a report's step has the deadline it
has. The module needs only the configuration snapshot: no database, no web framework.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engine.config.regulation import STEP_MAXIMA, STEP_NAMES_VI
from engine.config.snapshot import Duration, Snapshot, StepOverride, Unit

UNIT_WORDS_VI = {Unit.MINUTE: "phút làm việc", Unit.HOUR: "giờ làm việc", Unit.DAY: "ngày làm việc"}


class Basis(StrEnum):
    """Which rule gave a step's allowance."""

    #: The step's deadline in ``sla.yaml`` ``steps``.
    STEP = "step"
    #: An entry of ``sla.yaml`` ``overrides`` (see ``Allowance.override``).
    OVERRIDE = "override"
    #: The agency's own ``handling_limit`` (``handle`` only), shorter than the rest.
    HANDLING_LIMIT = "handling_limit"
    #: The regulation's maximum, because everything else was longer (a snapshot built by hand).
    REGULATION = "regulation"


@dataclass(frozen=True)
class Allowance:
    """The working time step ``step`` allows for a report of ``sector`` held by ``agency``.

    ``duration`` is the deciding value as configured (``4h``, ``1d``); ``minutes`` the same in
    working minutes of the calendar's day. ``override`` is the override that fitted the report, if
    any — kept even when the handling limit or the maximum then cut it shorter (``basis`` says
    which rule gave the value). ``maximum`` and ``article`` are the regulation's.
    """

    step: str
    sector: str | None
    agency: str | None
    duration: Duration
    minutes: int
    basis: Basis
    maximum: Duration
    article: str
    override: StepOverride | None = None

    def explain(self, lang: str = "vi") -> str:
        """One sentence: the step, the report's sector and agency, the value and why.

        ``Thời hạn bước Xác minh phạm vi xử lý (verify), lĩnh vực dien, cơ quan SCT: 04 giờ làm
        việc — thời hạn riêng của lĩnh vực dien, lý do: Sự cố điện cần xác minh nhanh.``;
        in English (``lang="en"``): ``Deadline for step verify, sector dien, agency SCT = 4h
        (override: sector dien, reason: Sự cố điện cần xác minh nhanh).``
        """
        if lang == "en":
            scope = "".join(
                f", {what} {code}"
                for what, code in (("sector", self.sector), ("agency", self.agency))
                if code
            )
            return f"Deadline for step {self.step}{scope} = {self.duration} ({self._why_en()})."
        scope = "".join(
            f", {what} {code}"
            for what, code in (("lĩnh vực", self.sector), ("cơ quan", self.agency))
            if code
        )
        name = STEP_NAMES_VI.get(self.step, self.step)
        return (
            f"Thời hạn bước {name} ({self.step}){scope}: {_vi(self.duration)} — {self._why_vi()}."
        )

    def _why_vi(self) -> str:
        if self.basis is Basis.STEP:
            return f"thời hạn chung của bước, theo {self.article}"
        if self.basis is Basis.OVERRIDE:
            assert self.override is not None
            reason = f", lý do: {self.override.reason}" if self.override.reason else ""
            return "thời hạn riêng của " + _scope_vi(self.override) + reason
        if self.basis is Basis.HANDLING_LIMIT:
            return f"thời hạn xử lý riêng của cơ quan {self.agency} ({self.article})"
        return f"mức tối đa của Quy chế ({self.article})"

    def _why_en(self) -> str:
        if self.basis is Basis.STEP:
            return f"the step's deadline, {self.article}"
        if self.basis is Basis.OVERRIDE:
            assert self.override is not None
            reason = f", reason: {self.override.reason}" if self.override.reason else ""
            return "override: " + _scope_en(self.override) + reason
        if self.basis is Basis.HANDLING_LIMIT:
            return f"agency {self.agency}'s own handling limit, {self.article}"
        return f"the regulation's maximum, {self.article}"


def allowance(
    snapshot: Snapshot,
    step: str,
    *,
    sector: str | None = None,
    agency: str | None = None,
    day_minutes: int | None = None,
) -> Allowance:
    """How long ``step`` allows for a report of ``sector`` held by ``agency`` (see the module).

    ``day_minutes`` is the length of a working day (the calendar's, by default). ``step`` is one
    of the regulation's steps (``KeyError`` otherwise); unknown codes simply fit no override.
    """
    day = snapshot.calendar.day_minutes if day_minutes is None else day_minutes
    maximum, article = STEP_MAXIMA[step]
    fitting = [o for o in snapshot.sla.overrides if o.applies(step, sector, agency)]
    # The most specific; between two equally specific (only a snapshot built past the checks can
    # hold them), the shorter.
    chosen = min(fitting, key=lambda o: (-o.rank, o.duration.minutes(day)), default=None)
    if chosen is not None:
        duration, basis = chosen.duration, Basis.OVERRIDE
    else:
        duration, basis = snapshot.sla.steps[step].duration, Basis.STEP
    known = snapshot.agencies.get(agency) if agency is not None else None
    if step == "handle" and known is not None:
        limit = known.handling_limit
        if limit.minutes(day) < duration.minutes(day):
            duration, basis = limit, Basis.HANDLING_LIMIT
    if duration.minutes(day) > maximum.minutes(day):
        duration, basis = maximum, Basis.REGULATION
    return Allowance(
        step=str(step),
        sector=sector,
        agency=agency,
        duration=duration,
        minutes=duration.minutes(day),
        basis=basis,
        maximum=maximum,
        article=article,
        override=chosen,
    )


def _vi(duration: Duration) -> str:
    """``4h`` → ``04 giờ làm việc``, as the regulation writes it."""
    return f"{duration.amount:02d} {UNIT_WORDS_VI[duration.unit]}"


def _scope_vi(override: StepOverride) -> str:
    parts = []
    if override.agency:
        parts.append(f"cơ quan {override.agency}")
    if override.sector:
        parts.append(f"lĩnh vực {override.sector}")
    return ", ".join(parts)


def _scope_en(override: StepOverride) -> str:
    parts = []
    if override.agency:
        parts.append(f"agency {override.agency}")
    if override.sector:
        parts.append(f"sector {override.sector}")
    return ", ".join(parts)
