"""Lịch làm việc: working hours, extra days off and make-up days, and a month view (issue 6).

Two pages, each one form and one save box: ``/admin/lich-lam-viec/`` (the days of each year: add
one, remove some; the month view; the public-holiday source, read-only) and
``/admin/lich-lam-viec/gio-lam-viec`` (the hours of each weekday and of a make-up day). A save
edits ``sla.yaml``'s ``calendar`` in place (:mod:`engine.configstore.documents`: only the lines
that change) and goes through :mod:`admin.saving` like every structured editor. The month view is
computed by :func:`engine.calendar.month.month_grid` from the calendar in force, or — after a
what-if or a refused save — from the proposed one when it validates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import request, url_for
from flask_admin import BaseView, expose
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from admin import saving
from admin.views import _Guarded
from engine.calendar.month import KIND_VI, DayKind, month_grid
from engine.config.errors import ConfigInvalid
from engine.config.loader import load_files
from engine.config.snapshot import CalendarConfig
from engine.configstore.documents import Documents
from web import runtime

SLA = "sla.yaml"

#: The weekdays as ``sla.yaml`` names them, with their Vietnamese names, Monday first.
WEEKDAYS: tuple[tuple[str, str], ...] = (
    ("monday", "Thứ Hai"),
    ("tuesday", "Thứ Ba"),
    ("wednesday", "Thứ Tư"),
    ("thursday", "Thứ Năm"),
    ("friday", "Thứ Sáu"),
    ("saturday", "Thứ Bảy"),
    ("sunday", "Chủ nhật"),
)
#: The two per-year lists and what they are called.
KINDS: tuple[tuple[str, str], ...] = (
    ("days_off", "Ngày nghỉ thêm"),
    ("working_days", "Ngày làm bù"),
)
KIND_NAMES = dict(KINDS)
#: CSS classes of the month view's cells (the kind is always written in the cell too).
KIND_CLASS: Mapping[DayKind, str] = {
    DayKind.WORKING: "",
    DayKind.WEEKEND: "table-secondary",
    DayKind.HOLIDAY: "table-danger",
    DayKind.DAY_OFF: "table-warning",
    DayKind.MAKEUP: "table-info",
}

_PERIOD = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})$")


# -- working hours ---------------------------------------------------------------------------


def parse_periods(text: str) -> list[str]:
    """``"7:00-11:00, 13:00–17:00"`` → ``["07:00-11:00", "13:00-17:00"]``.

    Raises ``ValueError`` with a Vietnamese sentence for a period that is not ``HH:MM-HH:MM``,
    ends before it starts, or overlaps another.
    """
    out: list[tuple[int, int, str]] = []
    for part in re.split(r"[,;]", text):
        part = part.strip()
        if not part:
            continue
        match = _PERIOD.match(part)
        if match is None:
            raise ValueError(
                f"'{part}' không phải khoảng giờ: viết giờ:phút-giờ:phút, ví dụ 07:00-11:00."
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"'{part}' có giờ hoặc phút không hợp lệ.")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise ValueError(f"Khoảng giờ {part} kết thúc trước khi bắt đầu.")
        out.append((start, end, f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"))
    out.sort()
    for before, after in zip(out, out[1:], strict=False):
        if after[0] < before[1]:
            raise ValueError(f"Khoảng giờ {after[2]} chồng lên {before[2]}.")
    return [text for _, _, text in out]


def _quoted(periods: list[str]) -> list[str]:
    """Periods written as the file writes them, ``["07:00-11:00", "13:00-17:00"]``."""
    return [DoubleQuotedScalarString(p) for p in periods]


def _periods_valid(form: Form, field: StringField) -> None:
    try:
        parse_periods(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class HoursForm(Form):
    """The hours of each weekday (empty: not a working day) and of a make-up working day."""

    monday = StringField("Thứ Hai", validators=[_periods_valid])
    tuesday = StringField("Thứ Ba", validators=[_periods_valid])
    wednesday = StringField("Thứ Tư", validators=[_periods_valid])
    thursday = StringField("Thứ Năm", validators=[_periods_valid])
    friday = StringField("Thứ Sáu", validators=[_periods_valid])
    saturday = StringField("Thứ Bảy", validators=[_periods_valid])
    sunday = StringField("Chủ nhật", validators=[_periods_valid])
    makeup_day_hours = StringField(
        "Giờ làm việc của ngày làm bù",
        validators=[_periods_valid],
        description="Để trống: dùng giờ của ngày làm việc đầu tiên trong tuần.",
    )


def _hours_text(periods: list[str] | None) -> str:
    return ", ".join(periods or [])


# -- days off and make-up days ---------------------------------------------------------------


def parse_day(text: str) -> date:
    """A date typed as ``2027-02-03`` (the date picker) or ``03/02/2027``."""
    text = text.strip()
    try:
        if "/" in text:
            return datetime.strptime(text, "%d/%m/%Y").date()
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"'{text}' không phải ngày hợp lệ: chọn ngày, hoặc viết ngày/tháng/năm (03/02/2027)."
        ) from None


class DayForm(Form):
    """One day to add to a year's list (the removals are check boxes named ``xoa``)."""

    kind = SelectField(
        "Loại ngày",
        choices=[SelectChoice(k, v) for k, v in KINDS],
        default="days_off",
        validate_choice=False,  # checked below, in Vietnamese
    )
    date = StringField(
        "Ngày", render_kw={"type": "date"}, description="Để trống nếu chỉ xóa ngày đã có."
    )
    reason = StringField(
        "Lý do (bắt buộc khi thêm ngày)",
        validators=[Length(max=500, message="Lý do dài tối đa 500 ký tự.")],
        description="Ví dụ: Nghỉ thứ Hai 31/8/2026 liền kề Quốc khánh, hoán đổi với thứ Bảy 22/8/2026.",
    )

    def validate_kind(self, field: SelectField) -> None:
        if field.data not in KIND_NAMES:
            raise ValidationError("Chọn ngày nghỉ thêm hoặc ngày làm bù.")


@dataclass(frozen=True)
class Entry:
    """One configured extra day off or make-up day, as the page lists it."""

    year: int
    kind: str
    day: str
    reason: str

    @property
    def key(self) -> str:
        """The value of its removal check box: ``days_off|2026-08-31``."""
        return f"{self.kind}|{self.day}"

    @property
    def kind_vi(self) -> str:
        return KIND_NAMES[self.kind]

    @property
    def shown(self) -> str:
        try:
            return date.fromisoformat(self.day).strftime("%d/%m/%Y")
        except ValueError:
            return self.day


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def entries(calendar: Mapping[str, Any]) -> list[Entry]:
    """Every configured day of every year, by date."""
    out = []
    for year, lists in (calendar.get("years") or {}).items():
        for kind, _ in KINDS:
            for item in (lists or {}).get(kind) or []:
                out.append(Entry(int(year), kind, _iso(item.get("date")), item.get("reason") or ""))
    return sorted(out, key=lambda e: (e.day, e.kind))


def reasons(calendar: Mapping[str, Any]) -> dict[date, str]:
    """The reason of each configured day, for the month view."""
    out = {}
    for entry in entries(calendar):
        try:
            out[date.fromisoformat(entry.day)] = entry.reason
        except ValueError:
            continue
    return out


# -- the month view --------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthView:
    """What the month view's template needs."""

    year: int
    month: int
    grid: list[list[Any]]
    proposed: bool
    note: str = ""

    @property
    def title(self) -> str:
        return f"Tháng {self.month}/{self.year}"

    @property
    def previous(self) -> str:
        return f"{self.year - 1}-12" if self.month == 1 else f"{self.year}-{self.month - 1:02d}"

    @property
    def next(self) -> str:
        return f"{self.year + 1}-01" if self.month == 12 else f"{self.year}-{self.month + 1:02d}"


def _month_asked(value: str | None, zone: ZoneInfo) -> tuple[int, int]:
    """``?thang=2026-02`` (also ``02/2026``); by default the current month of the province."""
    value = (value or "").strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", value) or re.fullmatch(r"(\d{1,2})/(\d{4})", value)
    if match:
        a, b = match.groups()
        year, month = (int(a), int(b)) if len(a) == 4 else (int(b), int(a))
        if 1 <= month <= 12 and 1900 < year < 2200:
            return year, month
    now = datetime.now(zone)
    return now.year, now.month


def month_view(
    cfg: CalendarConfig,
    calendar: Mapping[str, Any],
    year: int,
    month: int,
    *,
    proposed: bool = False,
    note: str = "",
) -> MonthView:
    if not cfg.first_year <= year <= cfg.last_year:
        note = (
            f"Tháng {month}/{year} nằm ngoài phạm vi của lịch ({cfg.first_year}–{cfg.last_year}): "
            "thời hạn không tính được trong tháng này. " + note
        ).strip()
    grid = month_grid(cfg, year, month, reasons(calendar))
    return MonthView(year, month, grid, proposed, note)


def _in_force_month(files: Documents, year: int, month: int, note: str = "") -> MonthView:
    cfg = runtime.lifecycle().snapshot.calendar
    return month_view(cfg, files[SLA].get("calendar") or {}, year, month, note=note)


def _proposed_month(documents: Documents, year: int, month: int) -> MonthView:
    """The month under the edited files; under the calendar in force when they do not validate."""
    try:
        cfg = load_files(documents.files()).calendar
    except ConfigInvalid:
        _, current = saving.in_force()
        return _in_force_month(
            current,
            year,
            month,
            note="Bản sửa chưa hợp lệ nên lịch dưới đây là lịch đang áp dụng.",
        )
    return month_view(cfg, documents[SLA].get("calendar") or {}, year, month, proposed=True)


# -- the view --------------------------------------------------------------------------------


class CalendarView(_Guarded, BaseView):
    """The working calendar of ``sla.yaml``: days of each year, weekly hours, the month view."""

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        active_id, documents = saving.in_force()
        year, month = _month_asked(
            request.values.get("thang"), ZoneInfo(runtime.lifecycle().snapshot.calendar.timezone)
        )
        if request.method == "GET":
            return self._days_page(
                documents,
                DayForm(),
                _in_force_month(documents, year, month),
                common=_common(active_id),
            )
        form = DayForm(request.form)
        common = saving.form_common()
        common["base_id"] = common["base_id"] or active_id
        removed = set(request.form.getlist("xoa"))
        current = documents[SLA].get("calendar") or {}
        try:
            added, target = self._edit_days(documents, form, removed, current)
        except saving.Refused as refused:
            return self._days_page(
                documents,
                form,
                _in_force_month(documents, year, month),
                common=common,
                refused=refused,
                removed=removed,
                status=422,
            )
        if added is not None:
            year, month = added.year, added.month
        return saving.submit(
            documents,
            target,
            common,
            lambda **shown: self._days_page(
                documents,
                form,
                _proposed_month(documents, year, month),
                common=common,
                removed=removed,
                original=current,
                **shown,
            ),
            url_for(".index", thang=f"{year}-{month:02d}"),
        )

    def _edit_days(
        self, documents: Documents, form: DayForm, removed: set[str], current: Mapping[str, Any]
    ) -> tuple[date | None, saving.Target]:
        """Apply the form to ``documents``: the day added (if any) and where errors belong."""
        refused = saving.Refused()
        form.validate()
        for name, problems in form.errors.items():
            refused.by_field.setdefault(name, []).extend(problems)
        known = entries(current)
        keys = {e.key for e in known}
        stale = removed - keys
        if stale:
            refused.general.append(
                "Ngày chọn để xóa không còn trong lịch (có người vừa sửa?): "
                + ", ".join(sorted(stale))
            )
        typed = (form.date.data or "").strip()
        reason = (form.reason.data or "").strip()
        added: date | None = None
        kind = form.kind.data
        if typed:
            try:
                added = parse_day(typed)
            except ValueError as exc:
                refused.by_field.setdefault("date", []).append(str(exc))
            if not reason:
                refused.by_field.setdefault("reason", []).append("Cần ghi lý do của ngày này.")
        elif reason:
            refused.by_field.setdefault("date", []).append("Cần chọn ngày để thêm.")
        elif not removed:
            refused.general.append(
                "Chưa có thay đổi: thêm một ngày, hoặc đánh dấu những ngày cần xóa."
            )
        if added is not None:
            cfg = runtime.lifecycle().snapshot.calendar
            span = current.get("range") or {"from": cfg.first_year, "to": cfg.last_year}
            if not span["from"] <= added.year <= span["to"]:
                refused.by_field.setdefault("date", []).append(
                    f"Ngày {added:%d/%m/%Y} nằm ngoài phạm vi của lịch "
                    f"({span['from']}–{span['to']})."
                )
            for entry in known:
                if entry.day != added.isoformat() or entry.key in removed:
                    continue
                if entry.kind == kind:
                    message = (
                        f"Ngày {added:%d/%m/%Y} đã có trong danh sách {entry.kind_vi.lower()}."
                    )
                else:
                    message = (
                        f"Ngày {added:%d/%m/%Y} đang là {entry.kind_vi.lower()}; "
                        "một ngày chỉ thuộc một danh sách — xóa ở đó trước."
                    )
                refused.by_field.setdefault("date", []).append(message)
        if refused.messages:
            raise refused

        years: dict[Any, dict[str, list[dict[str, Any]]]] = {}
        for key, lists in (current.get("years") or {}).items():
            kept = {
                k: [
                    i
                    for i in (lists or {}).get(k) or []
                    if f"{k}|{_iso(i.get('date'))}" not in removed
                ]
                for k, _ in KINDS
            }
            years[key] = {k: v for k, v in kept.items() if v}
        target = saving.Target(SLA, "calendar.years")
        if added is not None:
            key = next((k for k in years if int(k) == added.year), added.year)
            days = years.setdefault(key, {}).setdefault(kind, [])
            position = sum(1 for i in days if _iso(i.get("date")) <= added.isoformat())
            days.insert(position, {"date": added, "reason": reason})
            target = saving.Target(SLA, f"calendar.years.{added.year}.{kind}[{position}]")
        calendar = dict(current)
        years = {k: v for k, v in years.items() if v}
        if years:
            calendar["years"] = years
        else:
            calendar.pop("years", None)
        documents[SLA].replace_key("calendar", calendar)
        return added, target

    def _days_page(
        self,
        documents: Documents,
        form: DayForm,
        month: MonthView,
        *,
        common: dict[str, Any],
        refused: saving.Refused | None = None,
        removed: set[str] | frozenset[str] = frozenset(),
        status: int = 200,
        original: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> Any:
        calendar = original if original is not None else documents[SLA].get("calendar") or {}
        page = self.render(
            "admin/phananh_calendar.html",
            form=form,
            common=common,
            refused=refused or saving.Refused(),
            entries=entries(calendar),
            removed=removed,
            calendar=calendar,
            weekdays=WEEKDAYS,
            month=month,
            kind_vi=KIND_VI,
            kind_class=KIND_CLASS,
            thang=f"{month.year}-{month.month:02d}",
            whatif=extra.pop("whatif", None),
            since=extra.pop("since", None),
        )
        return page, status

    @expose("/gio-lam-viec", methods=("GET", "POST"))
    def hours(self) -> Any:
        active_id, documents = saving.in_force()
        current = documents[SLA].get("calendar") or {}
        year, month = _month_asked(
            request.values.get("thang"), ZoneInfo(runtime.lifecycle().snapshot.calendar.timezone)
        )
        if request.method == "GET":
            values = {day: _hours_text(current["working_hours"].get(day)) for day, _ in WEEKDAYS}
            values["makeup_day_hours"] = _hours_text(current.get("makeup_day_hours"))
            return self._hours_page(
                HoursForm(data=values),
                _in_force_month(documents, year, month),
                common=_common(active_id),
            )
        form = HoursForm(request.form)
        common = saving.form_common()
        common["base_id"] = common["base_id"] or active_id
        if not form.validate():
            return self._hours_page(
                form,
                _in_force_month(documents, year, month),
                common=common,
                refused=saving.Refused(by_field=dict(form.errors)),
                status=422,
            )
        weekly = {
            day: parse_periods(getattr(form, day).data or "")
            for day, _ in WEEKDAYS
            if parse_periods(getattr(form, day).data or "")
        }
        if not weekly:
            refused = saving.Refused(
                general=["Cần ít nhất một ngày làm việc trong tuần (ghi giờ làm việc của ngày đó)."]
            )
            return self._hours_page(
                form,
                _in_force_month(documents, year, month),
                common=common,
                refused=refused,
                status=422,
            )
        makeup = parse_periods(form.makeup_day_hours.data or "")
        calendar = dict(current)
        if weekly != current.get("working_hours"):
            calendar["working_hours"] = {day: _quoted(p) for day, p in weekly.items()}
        if makeup != (current.get("makeup_day_hours") or []):
            if makeup:
                calendar["makeup_day_hours"] = _quoted(makeup)
            else:
                calendar.pop("makeup_day_hours", None)
        if calendar != current:
            documents[SLA].replace_key("calendar", calendar)
        return saving.submit(
            documents,
            saving.Target(SLA, "calendar.working_hours"),
            common,
            lambda **shown: self._hours_page(
                form, _proposed_month(documents, year, month), common=common, **shown
            ),
            url_for(".index", thang=f"{year}-{month:02d}"),
        )

    def _hours_page(
        self,
        form: HoursForm,
        month: MonthView,
        *,
        common: dict[str, Any],
        refused: saving.Refused | None = None,
        status: int = 200,
        **extra: Any,
    ) -> Any:
        page = self.render(
            "admin/phananh_calendar_hours.html",
            form=form,
            common=common,
            refused=refused or saving.Refused(),
            weekdays=WEEKDAYS,
            month=month,
            kind_vi=KIND_VI,
            kind_class=KIND_CLASS,
            thang=f"{month.year}-{month.month:02d}",
            whatif=extra.pop("whatif", None),
            since=extra.pop("since", None),
        )
        return page, status


def _common(active_id: int) -> dict[str, Any]:
    """The save box's values on a page just opened."""
    return {"reason": "", "when": "", "since": "", "base_id": active_id}
