"""Thời hạn: each step's deadline, the warning threshold, overrides per sector or agency (issue 6).

``/admin/thoi-han/`` edits ``sla.yaml``'s ``steps`` and ``warning_threshold`` (the regulation's
maximum shown beside each step; the cross-checks refuse anything beyond it, next to the field),
lists the ``overrides`` and explains, for a step, a sector and an agency, which deadline applies
and why (:func:`engine.sla.allowance.allowance`, the one answer the clocks use).
``/admin/thoi-han/rieng/moi`` and ``/admin/thoi-han/rieng/<n>`` add, change and remove one
override. Every save goes through :mod:`admin.saving`; a what-if shows the on-time rates of past
reports under the edited deadlines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, request, url_for
from flask_admin import BaseView, expose
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from admin import saving
from admin.views import _Guarded
from engine.config.checks import IOC_STEPS
from engine.config.regulation import STEP_MAXIMA, STEP_NAMES_VI
from engine.config.snapshot import Duration, Snapshot, Unit
from engine.configstore.documents import Documents
from engine.sla.allowance import UNIT_WORDS_VI, Allowance, allowance
from web import runtime
from web.public import STARTS_VI

SLA = "sla.yaml"
#: The steps in the regulation's order.
STEPS = tuple(STEP_MAXIMA)
#: The steps an override may change: the agency's (the IOC's start before a report has either).
AGENCY_STEPS = tuple(step for step in STEPS if step not in IOC_STEPS)


def duration_vi(duration: Duration | str) -> str:
    """``4h`` → ``4h (04 giờ làm việc)``."""
    value = duration if isinstance(duration, Duration) else Duration.parse(duration)
    return f"{value} ({value.amount:02d} {UNIT_WORDS_VI[Unit(value.unit)]})"


def _duration_valid(form: Form, field: StringField) -> None:
    text = (field.data or "").strip()
    try:
        Duration.parse(text)
    except ValueError:
        raise ValidationError(
            f"'{text}' không phải thời hạn: viết số nguyên kèm m (phút), h (giờ) hoặc d (ngày làm "
            "việc), ví dụ 90m, 2h, 1d."
        ) from None


def _step_label(step: str, article: str) -> str:
    return f"{STEP_NAMES_VI[step]} ({article})"


def _percent_valid(form: Form, field: StringField) -> None:
    text = (field.data or "").strip().removesuffix("%").strip()
    if not text.isdigit() or not 1 <= int(text) <= 99:
        raise ValidationError("Ngưỡng cảnh báo là một số nguyên từ 1 đến 99 (phần trăm).")


def steps_form(steps: Mapping[str, Any], data: Mapping[str, Any] | None = None) -> Form:
    """A form with one duration per step (labelled with its Vietnamese name and article) and
    the warning threshold in percent."""

    class StepsForm(Form):
        warning_threshold = StringField(
            "Cảnh báo khi đã dùng (% thời hạn của bước)",
            validators=[_percent_valid],
            description="Ví dụ 75: cảnh báo khi đã dùng 75% thời hạn.",
        )

    for step in STEPS:
        article = (steps.get(step) or {}).get("article") or STEP_MAXIMA[step][1]
        setattr(
            StepsForm,
            step,
            StringField(
                _step_label(step, article),
                validators=[InputRequired("Cần ghi thời hạn."), _duration_valid],
                render_kw={"size": 6},
            ),
        )
    if data is not None:
        return StepsForm(data=data)
    return StepsForm(request.form)


class OverrideForm(Form):
    """One entry of ``overrides``: a step's own deadline for a sector, an agency, or both."""

    # The choices are checked below, in Vietnamese (WTForms' own message is English).
    step = SelectField("Bước", validate_choice=False)
    sector = SelectField(
        "Lĩnh vực",
        validate_choice=False,
        description="Để trống: mọi lĩnh vực của cơ quan đã chọn.",
    )
    agency = SelectField(
        "Cơ quan xử lý",
        validate_choice=False,
        description="Để trống: mọi cơ quan, với lĩnh vực đã chọn.",
    )
    duration = StringField(
        "Thời hạn riêng",
        validators=[InputRequired("Cần ghi thời hạn."), _duration_valid],
        description="Ví dụ 4h (04 giờ làm việc), 2d (02 ngày làm việc); không vượt mức tối đa.",
    )
    reason = StringField(
        "Lý do (văn bản, quyết định)",
        validators=[
            InputRequired("Cần ghi lý do của thời hạn riêng."),
            Length(max=500, message="Lý do dài tối đa 500 ký tự."),
        ],
    )

    def validate_step(self, field: SelectField) -> None:
        _known_choice(field, "Chọn một bước của cơ quan xử lý trong danh sách.")

    def validate_sector(self, field: SelectField) -> None:
        _known_choice(field, "Lĩnh vực không có trong danh sách.")

    def validate_agency(self, field: SelectField) -> None:
        _known_choice(field, "Cơ quan không có trong danh sách.")
        if not field.data and not self.sector.data:
            raise ValidationError("Chọn lĩnh vực, cơ quan, hoặc cả hai.")


def _known_choice(field: SelectField, message: str) -> None:
    if field.data and field.data not in {choice.value for choice in field.choices or []}:
        raise ValidationError(message)


class ExplainForm(Form):
    """Which deadline a step has for a sector and an agency, and why."""

    buoc = SelectField("Bước")
    linh_vuc = SelectField("Lĩnh vực")
    co_quan = SelectField("Cơ quan xử lý")


def _sector_choices(snapshot: Snapshot, empty: str) -> list[SelectChoice]:
    return [SelectChoice("", empty)] + [
        SelectChoice(code, f"{s.name} ({code})") for code, s in snapshot.sectors.items()
    ]


def _agency_choices(snapshot: Snapshot, empty: str) -> list[SelectChoice]:
    agencies = sorted(snapshot.agencies.values(), key=lambda a: (a.area is not None, a.name))
    return [SelectChoice("", empty)] + [
        SelectChoice(a.code, f"{a.name} ({a.code})") for a in agencies
    ]


def _step_choices(steps: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(step, f"{STEP_NAMES_VI[step]} ({step})") for step in steps]


def _override_choices(form: OverrideForm, snapshot: Snapshot) -> None:
    form.step.choices = _step_choices(AGENCY_STEPS)
    form.sector.choices = _sector_choices(snapshot, "— mọi lĩnh vực —")
    form.agency.choices = _agency_choices(snapshot, "— mọi cơ quan —")


def explain(snapshot: Snapshot, args: Mapping[str, str]) -> tuple[ExplainForm, Allowance | None]:
    """The explain box's form (from the query string) and its answer once a step is chosen."""
    form = ExplainForm(args)
    form.buoc.choices = _step_choices(STEPS)
    form.linh_vuc.choices = _sector_choices(snapshot, "— không chọn —")
    form.co_quan.choices = _agency_choices(snapshot, "— không chọn —")
    step = args.get("buoc")
    if step not in STEP_MAXIMA:
        return form, None
    sector = args.get("linh_vuc") or None
    agency = args.get("co_quan") or None
    return form, allowance(snapshot, step, sector=sector, agency=agency)


def _percent(threshold: float) -> str:
    return str(round(threshold * 100))


class DeadlinesView(_Guarded, BaseView):
    """Step deadlines, the warning threshold and the overrides of ``sla.yaml``."""

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        active_id, documents = saving.in_force()
        sla = documents[SLA]
        steps = sla.get("steps") or {}
        if request.method == "GET":
            data: dict[str, Any] = {s: (steps.get(s) or {}).get("duration", "") for s in STEPS}
            data["warning_threshold"] = _percent(float(sla.get("warning_threshold", 0.75)))
            return self._index_page(documents, steps_form(steps, data), _common(active_id))
        form = steps_form(steps)
        common = saving.form_common()
        common["base_id"] = common["base_id"] or active_id
        if not form.validate():
            refused = saving.Refused(by_field=dict(form.errors))
            return self._index_page(documents, form, common, refused=refused, status=422)
        edited = {
            step: {**(steps.get(step) or {}), "duration": getattr(form, step).data.strip()}
            for step in STEPS
        }
        for step in STEPS:
            if edited[step] != steps.get(step):
                sla.replace_in(("steps", step), edited[step])  # that step's line alone
        threshold = int(form.warning_threshold.data.strip().removesuffix("%").strip()) / 100
        if threshold != float(sla.get("warning_threshold", 0.75)):
            sla.replace_key("warning_threshold", threshold)
        target = saving.Target(SLA, "steps")
        return saving.submit(
            documents,
            target,
            common,
            lambda **kw: self._index_page(documents, form, common, original=steps, **kw),
            url_for(".index"),
        )

    def _index_page(
        self,
        documents: Documents,
        form: Form,
        common: dict[str, Any],
        *,
        refused: saving.Refused | None = None,
        status: int = 200,
        original: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> Any:
        snapshot = runtime.lifecycle().snapshot
        steps = original if original is not None else documents[SLA].get("steps") or {}
        rows = [
            {
                "step": step,
                "name": STEP_NAMES_VI[step],
                "field": form[step],
                "starts": STARTS_VI.get((steps.get(step) or {}).get("from", ""), ""),
                "maximum": duration_vi(STEP_MAXIMA[step][0]),
                "article": STEP_MAXIMA[step][1],
            }
            for step in STEPS
        ]
        explain_form, answer = explain(snapshot, request.args)
        page = self.render(
            "admin/phananh_deadlines.html",
            form=form,
            rows=rows,
            common=common,
            refused=refused or saving.Refused(),
            overrides=_overrides(documents, snapshot),
            explain_form=explain_form,
            answer=answer,
            duration_vi=duration_vi,
            whatif=extra.pop("whatif", None),
            since=extra.pop("since", None),
        )
        return page, status

    # -- overrides -------------------------------------------------------------------------

    @expose("/rieng/moi", methods=("GET", "POST"))
    def create(self) -> Any:
        return self._override(None)

    @expose("/rieng/<int:position>", methods=("GET", "POST"))
    def edit(self, position: int) -> Any:
        return self._override(position)

    def _override(self, position: int | None) -> Any:
        active_id, documents = saving.in_force()
        sla = documents[SLA]
        existing = sla.items("overrides")
        if position is not None and not 0 <= position < len(existing):
            abort(404)
        snapshot = runtime.lifecycle().snapshot
        if request.method == "GET":
            form = OverrideForm(data=existing[position] if position is not None else {})
            _override_choices(form, snapshot)
            return self._override_page(form, position, _common(active_id))
        form = OverrideForm(request.form)
        _override_choices(form, snapshot)
        common = saving.form_common()
        common["base_id"] = common["base_id"] or active_id
        action = request.form.get("thao_tac", "luu")
        if action == "xoa" and position is not None:
            sla.remove_item("overrides", position)
            target = saving.Target(SLA, "overrides")
        else:
            if not form.validate():
                refused = saving.Refused(by_field=dict(form.errors))
                return self._override_page(form, position, common, refused=refused, status=422)
            entry = {
                "step": form.step.data,
                "sector": form.sector.data or None,
                "agency": form.agency.data or None,
                "duration": form.duration.data.strip(),
                "reason": form.reason.data.strip(),
            }
            if position is None:
                sla.append_item("overrides", {k: v for k, v in entry.items() if v is not None})
                target = saving.Target(SLA, f"overrides[{len(existing)}]")
            else:
                sla.replace_item("overrides", position, entry)
                target = saving.Target(SLA, f"overrides[{position}]")
        return saving.submit(
            documents,
            target,
            common,
            lambda **kw: self._override_page(form, position, common, **kw),
            url_for(".index"),
        )

    def _override_page(
        self,
        form: OverrideForm,
        position: int | None,
        common: dict[str, Any],
        *,
        refused: saving.Refused | None = None,
        status: int = 200,
        **extra: Any,
    ) -> Any:
        maxima = [
            (STEP_NAMES_VI[s], duration_vi(STEP_MAXIMA[s][0]), STEP_MAXIMA[s][1])
            for s in AGENCY_STEPS
        ]
        page = self.render(
            "admin/phananh_deadline_override.html",
            form=form,
            position=position,
            common=common,
            refused=refused or saving.Refused(),
            maxima=maxima,
            whatif=extra.pop("whatif", None),
            since=extra.pop("since", None),
        )
        return page, status


def _overrides(documents: Documents, snapshot: Snapshot) -> list[dict[str, Any]]:
    """The overrides of the version in force, with names to show."""
    out = []
    for n, item in enumerate(documents[SLA].items("overrides")):
        sector = snapshot.sectors.get(item.get("sector") or "")
        agency = snapshot.agencies.get(item.get("agency") or "")
        out.append(
            {
                "position": n,
                "step": item.get("step", ""),
                "step_vi": STEP_NAMES_VI.get(item.get("step", ""), item.get("step", "")),
                "sector": f"{sector.name} ({sector.code})" if sector else item.get("sector") or "",
                "agency": f"{agency.name} ({agency.code})" if agency else item.get("agency") or "",
                "duration": _safe_duration(item.get("duration", "")),
                "reason": item.get("reason") or "",
            }
        )
    return out


def _safe_duration(text: str) -> str:
    try:
        return duration_vi(text)
    except ValueError:
        return str(text)


def _common(active_id: int) -> dict[str, Any]:
    """The save box's values on a page just opened."""
    return {"reason": "", "when": "", "since": "", "base_id": active_id}
