"""The routing decision table (Đ6, Đ7, Đ13.8): which agency a report of a sector in a commune goes to.

Each rule of ``sectors.yaml``'s ``routing`` is a row: a sector; the communes or kinds of commune
it is limited to (none: everywhere); where it sends the report (an agency, or the People's
Committee of the commune where the report is); its priority. When several rules match, the
rules engine takes the highest priority, then the most specific (communes named before kinds of
commune before everywhere), then the rule id — the "which rule wins" box asks the engine itself,
so what it shows is what ``forward`` will do.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from wtforms import Form, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp

from admin import saving
from admin.views import _Guarded, _staff
from engine.config.snapshot import Route, Snapshot
from engine.rules import RulesEngine
from engine.rules.model import Decision
from engine.rules.packs import ROUTING
from web import runtime

FILE = "sectors.yaml"
KEY = "routing"
#: The kinds of commune a rule may be limited to, as people say them.
AREA_KINDS = {
    "xa": "Xã",
    "phuong": "Phường",
    "dac_khu": "Đặc khu",
    "huyen": "Huyện (trước 1/7/2025)",
    "thi_xa": "Thị xã (trước 1/7/2025)",
    "thanh_pho": "Thành phố (trước 1/7/2025)",
}
COMMITTEE = "__ubnd_dia_ban__"
COMMITTEE_LABEL = "UBND xã, phường nơi xảy ra sự việc"


class RouteForm(Form):
    id = StringField(
        "Mã quy tắc",
        validators=[
            InputRequired("Cần mã quy tắc."),
            Regexp(
                r"^[a-z0-9][a-z0-9@.:_-]*$",
                message="Mã chỉ gồm chữ thường không dấu, số, - _ . : @",
            ),
        ],
        description="Ví dụ: moi-truong-phu-khuong. Không đổi được sau khi tạo.",
    )
    sector = SelectField("Lĩnh vực", validators=[InputRequired("Cần chọn lĩnh vực.")])
    areas = SelectMultipleField(
        "Chỉ áp dụng cho các xã, phường",
        validators=[Optional()],
        description="Để trống: mọi xã, phường. Giữ Ctrl (⌘) để chọn nhiều.",
    )
    area_kinds = SelectMultipleField(
        "Chỉ áp dụng cho loại địa bàn",
        choices=[SelectChoice(k, v) for k, v in AREA_KINDS.items()],
        validators=[Optional()],
    )
    target = SelectField("Chuyển đến", validators=[InputRequired("Cần chọn nơi nhận.")])
    priority = IntegerField(
        "Độ ưu tiên",
        default=0,
        validators=[
            Optional(),
            NumberRange(-1000, 1000, "Độ ưu tiên từ -1000 đến 1000."),
        ],
        description="Khi nhiều quy tắc cùng khớp, quy tắc có độ ưu tiên cao hơn thắng.",
    )


class WinnerForm(Form):
    sector = SelectField("Lĩnh vực")
    area = SelectField("Xã, phường")


def _choices(form: RouteForm, snapshot: Snapshot) -> None:
    form.sector.choices = [SelectChoice(code, s.name) for code, s in snapshot.sectors.items()]
    form.areas.choices = _area_choices(snapshot)
    agencies = sorted(
        (a for a in snapshot.agencies.values() if a.area is None),
        key=lambda a: a.name,
    )
    form.target.choices = [SelectChoice(COMMITTEE, COMMITTEE_LABEL)] + [
        SelectChoice(a.code, f"{a.name} ({a.code})") for a in agencies
    ]


def _area_choices(snapshot: Snapshot) -> list[SelectChoice]:
    by_name = sorted(snapshot.areas.items(), key=lambda item: item[1].name)
    return [SelectChoice(code, area.name) for code, area in by_name]


def _entry(form: RouteForm, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The rule as ``sectors.yaml`` writes it, keeping keys order of the entry it replaces."""
    entry: dict[str, Any] = dict(previous or {})
    entry["id"] = form.id.data.strip()
    entry["sector"] = form.sector.data
    entry["areas"] = list(form.areas.data) or None
    entry["area_kinds"] = list(form.area_kinds.data) or None
    committee = form.target.data == COMMITTEE
    entry["agency"] = None if committee else form.target.data
    entry["area_committee"] = True if committee else None
    entry["priority"] = form.priority.data or None
    return entry


def _fill(form: RouteForm, entry: dict[str, Any]) -> None:
    form.id.data = entry.get("id", "")
    form.sector.data = entry.get("sector")
    form.areas.data = [str(a) for a in entry.get("areas") or []]
    form.area_kinds.data = list(entry.get("area_kinds") or [])
    form.target.data = COMMITTEE if entry.get("area_committee") else entry.get("agency")
    form.priority.data = entry.get("priority") or 0


def _suggested_id(sector: str, areas: list[str]) -> str:
    return "-".join([sector, *areas[:1]]) if sector else ""


def scope_vi(route: Route, snapshot: Snapshot) -> str:
    """Where a rule applies, in words."""
    parts = []
    if route.areas:
        parts.append(
            ", ".join(snapshot.areas[a].name if a in snapshot.areas else a for a in route.areas)
        )
    if route.area_kinds:
        parts.append("loại: " + ", ".join(AREA_KINDS.get(k, k) for k in route.area_kinds))
    return "; ".join(parts) or "mọi xã, phường"


def target_vi(route: Route, snapshot: Snapshot) -> str:
    if route.area_committee:
        return COMMITTEE_LABEL
    agency = snapshot.agencies.get(route.agency or "")
    return f"{agency.name} ({agency.code})" if agency else (route.agency or "")


def winners(snapshot: Snapshot, sector: str, area: str, on: date) -> list[Decision]:
    """Every rule that matches, the winner first — asked of a rules engine on ``snapshot``."""
    live = runtime.lifecycle()
    if live.snapshot is snapshot:
        return live.rules.evaluate(ROUTING, {"sector": sector, "area": area, "on": on})
    with RulesEngine(snapshot, backend="builtin") as engine:
        return engine.evaluate(ROUTING, {"sector": sector, "area": area, "on": on})


def decision_vi(decision: Decision, snapshot: Snapshot) -> str:
    agency = decision.value.get("agency")
    name = snapshot.agencies[agency].name if agency in snapshot.agencies else agency
    return f"{name} ({agency})" if agency else "—"


class RoutingView(_Guarded, BaseView):
    """The decision table, "which rule wins", and one rule's editor (new, change, delete)."""

    @expose("/")
    def index(self) -> Any:
        snapshot = runtime.snapshot()
        rows = sorted(
            snapshot.routes,
            key=lambda r: (r.sector, -r.priority, -(2 * bool(r.areas) + bool(r.area_kinds)), r.id),
        )
        winner = WinnerForm(request.args)
        winner.sector.choices = [SelectChoice(c, s.name) for c, s in snapshot.sectors.items()]
        winner.area.choices = _area_choices(snapshot)
        decisions: list[Decision] | None = None
        if request.args.get("sector") and request.args.get("area"):
            today = datetime.now(saving.zone()).date()
            decisions = winners(snapshot, winner.sector.data, winner.area.data, today)
        return self.render(
            "admin/phananh_routing.html",
            rows=rows,
            snapshot=snapshot,
            scope_vi=scope_vi,
            target_vi=target_vi,
            winner=winner,
            decisions=decisions,
            decision_vi=decision_vi,
        )

    @expose("/moi", methods=("GET", "POST"))
    def create(self) -> Any:
        return self._edit(None)

    @expose("/<rule>", methods=("GET", "POST"))
    def edit(self, rule: str) -> Any:
        return self._edit(rule)

    @expose("/<rule>/xoa", methods=("POST",))
    def delete(self, rule: str) -> Any:
        base_id, documents = saving.in_force()
        routing = documents[FILE]
        position = routing.index(KEY, lambda r: r.get("id") == rule)
        if position is None:
            abort(404)
        routing.remove_item(KEY, position)
        common = saving.form_common()
        try:
            new_id = saving.save(
                documents,
                staff=_staff(),
                reason=common["reason"],
                base_id=common["base_id"] or base_id,
                when=common["when"],
            )
        except saving.Refused as refused:
            for message in refused.messages:
                flash(f"Không xóa được quy tắc {rule}: {message}", "error")
            return redirect(url_for(".edit", rule=rule))
        flash(f"Đã xóa quy tắc {rule}. " + saving.saved_message(new_id, common["when"]), "success")
        return redirect(url_for(".index"))

    def _edit(self, rule: str | None) -> Any:
        base_id, documents = saving.in_force()
        snapshot = runtime.snapshot()
        routing = documents[FILE]
        position = None
        previous = None
        if rule is not None:
            position = routing.index(KEY, lambda r: r.get("id") == rule)
            if position is None:
                abort(404)
            previous = routing.items(KEY)[position]
        form = RouteForm(request.form if request.method == "POST" else None)
        _choices(form, snapshot)
        if request.method == "GET":
            if previous is not None:
                _fill(form, previous)
            else:
                form.sector.data = request.args.get("sector") or form.sector.data
                area = request.args.get("area")
                form.areas.data = [area] if area else []
                form.id.data = _suggested_id(form.sector.data or "", form.areas.data)
            common = {"base_id": base_id}
            return self._page(form, rule, common)
        common = saving.form_common()
        common["base_id"] = common["base_id"] or base_id
        if rule is not None:
            form.id.data = rule  # the id names the rule in reports' records: it stays
        elif not (form.id.data or "").strip():
            form.id.data = _suggested_id(form.sector.data, list(form.areas.data or []))
        if not form.validate():
            return self._page(form, rule, common, status=422)
        entry = _entry(form, previous)
        if position is None:
            if routing.index(KEY, lambda r: r.get("id") == entry["id"]) is not None:
                form.id.errors = [f"Đã có quy tắc mã '{entry['id']}'."]
                return self._page(form, rule, common, status=422)
            routing.append_item(KEY, entry)
            position = len(routing.items(KEY)) - 1
        else:
            routing.replace_item(KEY, position, entry)
        return saving.submit(
            documents,
            saving.Target(FILE, f"{KEY}[{position}]"),
            common,
            lambda **shown: self._page(form, rule, common, **shown),
            url_for(".index", sector=entry["sector"], area=(entry.get("areas") or [""])[0]),
        )

    def _page(
        self,
        form: RouteForm,
        rule: str | None,
        common: dict[str, Any],
        *,
        refused: saving.Refused | None = None,
        status: int = 200,
        whatif: Any = None,
        since: date | None = None,
    ) -> Any:
        refused = refused or saving.Refused()
        errors = {_FIELD.get(k, k): v for k, v in refused.by_field.items()}
        page = self.render(
            "admin/phananh_route_edit.html",
            form=form,
            rule=rule,
            common=common,
            errors=errors,
            general=refused.general,
            whatif=whatif,
            since=since,
        )
        return page, status


#: Configuration keys whose names differ from the form's fields.
_FIELD = {"agency": "target", "area_committee": "target", "": "id"}
