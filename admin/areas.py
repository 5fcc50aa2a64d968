"""The communes where reports are located (xã, phường, đặc khu) and their re-import.

``areas.yaml`` is generated from the ``vietnam-provinces`` package
(:mod:`engine.config.areas_import`, the same code as ``scripts/generate_areas.py``). Here an area's
name, kind and effective dates can be corrected in the version in force, an unused area deleted
(with its People's Committee), and the whole file generated again from the package: the page shows
the difference with the version in force, and saving makes it a new version.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request, url_for
from flask_admin import BaseView, expose
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from admin import entries, saving
from admin.views import _Guarded
from engine import configstore
from engine.config import areas_import
from engine.configstore.documents import Documents
from engine.rules.facts import fold
from web import runtime

FILE = "areas.yaml"
KEY = "areas"
AGENCIES = "agencies"
#: The kinds of area, as people say them.
KINDS = {
    "xa": "Xã",
    "phuong": "Phường",
    "dac_khu": "Đặc khu",
    "huyen": "Huyện (trước 1/7/2025)",
    "thi_xa": "Thị xã (trước 1/7/2025)",
    "thanh_pho": "Thành phố (trước 1/7/2025)",
}
ALIASES = {"effective": "effective_until"}


class AreaForm(entries.Effective):
    name = StringField(
        "Tên địa bàn",
        validators=[
            InputRequired("Cần tên địa bàn."),
            Length(max=200, message="Tối đa 200 ký tự."),
        ],
    )
    kind = SelectField(
        "Loại địa bàn",
        choices=[SelectChoice(k, v) for k, v in KINDS.items()],
        validators=[InputRequired("Cần chọn loại địa bàn.")],
    )


def _locate(documents: Documents, code: str) -> tuple[int, dict[str, Any]]:
    position = documents[FILE].index(KEY, lambda a: str(a.get("code")) == code)
    if position is None:
        abort(404)
    return position, documents[FILE].items(KEY)[position]


def _committee(documents: Documents, code: str) -> int | None:
    """The position of the People's Committee of area ``code`` in ``areas.yaml``, if any."""
    return documents[FILE].index(AGENCIES, lambda a: str(a.get("area") or "") == code)


def regenerated(documents: Documents) -> tuple[str, str]:
    """The version in force's ``areas.yaml`` and the same file generated again from the package.

    Raises :class:`~engine.config.areas_import.ImportFailed`.
    """
    current = documents.files().get(FILE, "")
    province = documents[FILE].get("province") or {}
    return current, areas_import.generate(int(province.get("code") or 0))


class AreasView(_Guarded, BaseView):
    """The list of communes (search), one commune's editor, deletion, and the re-import."""

    @expose("/")
    def index(self) -> Any:
        snapshot = runtime.snapshot()
        chosen = {"q": request.args.get("q", "").strip(), "loai": request.args.get("loai", "")}
        words = fold(chosen["q"])
        rows = [
            (area, snapshot.committee_of(code))
            for code, area in snapshot.areas.items()
            if (not words or words in fold(f"{area.code} {area.name}"))
            and (not chosen["loai"] or area.kind == chosen["loai"])
        ]
        return self.render(
            "admin/phananh_areas.html",
            rows=rows,
            total=len(snapshot.areas),
            province=snapshot.province,
            kinds=KINDS,
            chosen=chosen,
            counts=entries.counts("area"),
        )

    @expose("/<code>", methods=("GET", "POST"))
    def edit(self, code: str) -> Any:
        base_id, documents = saving.in_force()
        position, previous = _locate(documents, code)
        form = AreaForm(request.form if request.method == "POST" else None)
        page = _page(self, form, code, documents)
        if request.method == "GET":
            form.name.data = previous.get("name", "")
            form.kind.data = previous.get("kind", "")
            entries.fill_effective(form, previous)
            entries.prefilled_until(form, request.args.get("hieu_luc_den"))
            return page(common={"base_id": base_id})
        values = entries.common(base_id)
        page.common = values
        if not form.validate():
            return page(status=422)
        entry = dict(previous)
        entry["name"] = entries.text(form.name.data)
        entry["kind"] = form.kind.data
        entry["effective"] = entries.effective_of(form)
        documents[FILE].replace_item(KEY, position, entry)
        target = saving.Target(FILE, f"{KEY}[{position}]")
        return saving.submit(documents, target, values, page, url_for(".index"))

    @expose("/<code>/xoa", methods=("POST",))
    def delete(self, code: str) -> Any:
        base_id, documents = saving.in_force()
        position, previous = _locate(documents, code)
        form = AreaForm()
        page = _page(self, form, code, documents)
        form.name.data, form.kind.data = previous.get("name", ""), previous.get("kind", "")
        entries.fill_effective(form, previous)
        page.common = entries.common(base_id)
        document = documents[FILE]
        committee = _committee(documents, code)
        way_out = entries.way_out(".edit", code=code)
        if committee is not None:
            held_by = document.items(AGENCIES)[committee]
            held = entries.referenced("agency", [str(held_by["code"])])
            if held:
                whom = f"thuộc {held_by.get('name') or held_by['code']} của địa bàn này"
                page.in_use = (entries.in_use_message("agency", held, whom), way_out)
                return page(status=409)

        def remove() -> None:
            if committee is not None:  # its committee goes with it: it governs nothing else
                document.remove_item(AGENCIES, committee)
            document.remove_item(KEY, position)

        done = url_for(".index")
        return entries.delete(
            page, documents, "area", [code], remove, way_out, done, f"địa bàn {code}"
        )

    @expose("/nhap-lai", methods=("GET", "POST"))
    def reimport(self) -> Any:
        base_id, documents = saving.in_force()
        values = entries.common(base_id) if request.method == "POST" else {"base_id": base_id}
        try:
            current, generated = regenerated(documents)
        except areas_import.ImportFailed as failed:
            page = entries.Page(self, "admin/phananh_areas_import.html", AreaForm(), changes=[])
            page.common = values
            return page(refused=saving.Refused(general=[failed.message_vi]), status=422)
        changes = configstore.changes({FILE: current}, {FILE: generated})
        page = entries.Page(
            self,
            "admin/phananh_areas_import.html",
            AreaForm(),
            changes=changes,
            package=areas_import.PACKAGE,
            package_version=areas_import.package_version(),
        )
        if request.method == "GET":
            return page(common=values)
        page.common = values
        documents.set_text(FILE, generated)
        return saving.submit(documents, saving.Target(FILE), values, page, url_for(".index"))


def _page(view: BaseView, form: AreaForm, code: str, documents: Documents) -> entries.Page:
    snapshot = runtime.snapshot()
    committee = snapshot.committee_of(code)
    return entries.Page(
        view,
        "admin/phananh_area_edit.html",
        form,
        ALIASES,
        code=code,
        committee=committee,
        reports=entries.referenced("area", [code]),
    )
