"""The handling agencies (Đ2.3, Đ14): their tree, deadlines, notices and the people they name.

Province-level agencies live in ``sectors.yaml``'s ``agencies`` list; the People's Committee of
each commune lives in ``areas.yaml``'s (generated from ``vietnam-provinces``). Each is edited where
it lives. The list is the tree of agencies by ``parent`` (sub-units under the agency that directs
them, Đ14.3), filtered by kind; for each agency the routing sends reports to, it shows whether the
leader and a focal officer of Đ14.1 are named — a warning, never a refusal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from flask import abort, request, url_for
from flask_admin import BaseView, expose
from wtforms import FieldList, Form, FormField, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from admin import entries, saving
from admin.views import _Guarded
from engine.config import contacts
from engine.config.snapshot import Agency, Snapshot
from engine.rules.facts import fold
from web import runtime

FILES = ("sectors.yaml", "areas.yaml")
KEY = "agencies"
#: The kinds of agency, as people say them.
KINDS = {
    "so": "Sở",
    "ubnd_tinh": "UBND tỉnh",
    "ubnd_xa": "UBND xã",
    "ubnd_phuong": "UBND phường",
    "ubnd_dac_khu": "UBND đặc khu",
    "ubnd_huyen": "UBND huyện (trước 1/7/2025)",
    "doanh_nghiep": "Doanh nghiệp",
    "don_vi_su_nghiep": "Đơn vị sự nghiệp",
    "trung_tam": "Trung tâm",
    "phong": "Phòng",
}
#: Filters of the list that group several kinds.
GROUPS = {"cap_xa": ("UBND xã, phường, đặc khu", ("ubnd_xa", "ubnd_phuong", "ubnd_dac_khu"))}
FOCAL_SLOTS = 3
#: A refusal about a key of the file goes next to this field of the form.
ALIASES = {
    "effective": "effective_until",
    "leader": "leader-name",
    "focal_officers": "focal_officers-0-name",
}
EMAIL = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"
PHONE = r"^\+?[0-9][0-9 .()-]{4,28}[0-9]$"


class ContactForm(Form):
    """A person the agency names (Đ14.1)."""

    name = StringField("Họ và tên", validators=[Length(max=200, message="Tối đa 200 ký tự.")])
    title = StringField("Chức vụ", validators=[Length(max=200, message="Tối đa 200 ký tự.")])
    phone = StringField(
        "Điện thoại",
        validators=[
            Optional(),
            Regexp(PHONE, message="Số điện thoại chỉ gồm chữ số, dấu cách, + . ( ) -."),
        ],
    )
    email = StringField(
        "Thư điện tử",
        validators=[
            Optional(),
            Regexp(EMAIL, message="Địa chỉ thư không hợp lệ (ví dụ ten@so.vinhlong.gov.vn)."),
        ],
    )

    def validate_name(self, field: StringField) -> None:
        others = (self.title.data, self.phone.data, self.email.data)
        if not (field.data or "").strip() and any((v or "").strip() for v in others):
            raise ValidationError("Cần họ và tên của người này.")


class AgencyForm(entries.Effective):
    code = StringField(
        "Mã cơ quan",
        validators=[
            DataRequired("Cần mã cơ quan."),
            Length(max=40, message="Mã dài tối đa 40 ký tự."),
            Regexp(
                r"^[A-Z0-9]+(-[A-Z0-9]+)*$",
                message="Mã gồm chữ in hoa không dấu, số và dấu gạch nối, ví dụ SGDDT.",
            ),
        ],
        description="Không đổi được sau khi tạo: "
        "các phản ánh và tài khoản ghi cơ quan theo mã này.",
    )
    name = StringField(
        "Tên cơ quan",
        validators=[
            InputRequired("Cần tên cơ quan."),
            Length(max=200, message="Tối đa 200 ký tự."),
        ],
    )
    kind = SelectField(
        "Loại cơ quan",
        choices=[SelectChoice(k, v) for k, v in KINDS.items()],
        validators=[InputRequired("Cần chọn loại cơ quan.")],
    )
    parent = SelectField(
        "Cơ quan cấp trên",
        description="Đơn vị trực thuộc được cơ quan cấp trên chỉ đạo, giao việc (Điều 14 khoản 3).",
    )
    area = SelectField(
        "Địa bàn (chỉ cho UBND xã, phường)",
        description="UBND nhận phản ánh xảy ra trên địa bàn này.",
    )
    handling_limit = StringField(
        "Thời hạn xử lý",
        validators=[
            Optional(),
            Regexp(
                r"^[1-9][0-9]*[mhd]$",
                message="Viết số kèm d (ngày làm việc), h (giờ) hoặc m (phút), ví dụ 5d.",
            ),
        ],
        description="Để trống: 6d. Tối đa 06 ngày làm việc (Điều 8, Bước 3).",
    )
    email = StringField(
        "Thư điện tử nhận thông báo",
        validators=[
            Optional(),
            Regexp(EMAIL, message="Địa chỉ thư không hợp lệ (ví dụ ten@so.vinhlong.gov.vn)."),
        ],
    )
    webhook_url = StringField(
        "Địa chỉ webhook của hệ thống cơ quan",
        validators=[
            Optional(),
            Regexp(
                r"^https?://[^\s/]+(/\S*)?$",
                message="Địa chỉ phải bắt đầu bằng https:// hoặc http://.",
            ),
        ],
    )
    webhook_secret_env = StringField(
        "Tên biến môi trường chứa khóa ký webhook",
        validators=[
            Optional(),
            Regexp(
                r"^PHANANH_WEBHOOK_[A-Z0-9_]+$",
                message="Tên bắt đầu bằng PHANANH_WEBHOOK_, chữ in hoa, số và dấu _, ví dụ "
                "PHANANH_WEBHOOK_SECRET_SXD.",
            ),
        ],
        description="Chỉ ghi TÊN biến môi trường (bắt đầu bằng PHANANH_WEBHOOK_), không ghi khóa.",
    )
    leader = FormField(ContactForm, "Lãnh đạo phụ trách")
    focal_officers = FieldList(
        FormField(ContactForm), "Cán bộ đầu mối", min_entries=FOCAL_SLOTS, max_entries=FOCAL_SLOTS
    )


def _choices(form: AgencyForm, snapshot: Snapshot, code: str | None) -> None:
    others = sorted((a for a in snapshot.agencies.values() if a.code != code), key=_tree_key)
    form.parent.choices = [SelectChoice("", "— không có —")] + [
        SelectChoice(a.code, f"{a.name} ({a.code})") for a in others
    ]
    areas = sorted(snapshot.areas.values(), key=lambda a: a.name)
    form.area.choices = [SelectChoice("", "— không gắn địa bàn —")] + [
        SelectChoice(a.code, f"{a.name} ({a.code})") for a in areas
    ]


def _tree_key(agency: Agency) -> tuple[bool, str]:
    return agency.area is not None, agency.name


def _contact_of(data: Mapping[str, Any]) -> dict[str, Any] | None:
    values = {k: entries.text(data.get(k)) for k in ("name", "title", "phone", "email")}
    return values if values["name"] else None


def _fill_contact(form: Any, data: Mapping[str, Any] | None) -> None:
    for key in ("name", "title", "phone", "email"):
        getattr(form, key).data = (data or {}).get(key) or ""


def _fill(form: AgencyForm, entry: Mapping[str, Any]) -> None:
    for key in ("code", "name", "kind", "email", "webhook_url", "webhook_secret_env"):
        getattr(form, key).data = entry.get(key) or ""
    form.parent.data = entry.get("parent") or ""
    form.area.data = str(entry.get("area") or "")
    form.handling_limit.data = entry.get("handling_limit") or ""
    entries.fill_effective(form, entry)
    _fill_contact(form.leader.form, entry.get("leader"))
    focal = list(entry.get("focal_officers") or [])
    for n, slot in enumerate(form.focal_officers.entries):
        _fill_contact(slot.form, focal[n] if n < len(focal) else None)


def _entry(form: AgencyForm, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The whole entry as the file will have it; focal officers beyond the form's slots stay."""
    entry: dict[str, Any] = dict(previous or {})
    entry["code"] = form.code.data.strip()
    entry["name"] = entries.text(form.name.data)
    entry["kind"] = form.kind.data
    entry["parent"] = form.parent.data or None
    entry["area"] = form.area.data or None
    entry["handling_limit"] = entries.text(form.handling_limit.data)
    entry["effective"] = entries.effective_of(form)
    for key in ("email", "webhook_url", "webhook_secret_env"):
        entry[key] = entries.text(getattr(form, key).data)
    entry["leader"] = _contact_of(form.leader.data)
    focal = [_contact_of(slot.data) for slot in form.focal_officers.entries]
    kept = list((previous or {}).get("focal_officers") or [])[FOCAL_SLOTS:]
    entry["focal_officers"] = [c for c in focal if c] + kept or None
    return entry


def tree(agencies: Iterable[Agency]) -> list[tuple[Agency, int]]:
    """The agencies in file order, each sub-unit right under its parent, with its depth."""
    chosen = list(agencies)
    codes = {a.code for a in chosen}
    children: dict[str | None, list[Agency]] = defaultdict(list)
    for agency in chosen:
        children[agency.parent if agency.parent in codes else None].append(agency)
    out: list[tuple[Agency, int]] = []
    seen: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for agency in children.get(parent, []):
            if agency.code not in seen:
                seen.add(agency.code)
                out.append((agency, depth))
                walk(agency.code, depth + 1)

    walk(None, 0)
    return out


def _kinds_of(filter_value: str) -> tuple[str, ...] | None:
    if filter_value in GROUPS:
        return GROUPS[filter_value][1]
    if filter_value in KINDS:
        return (filter_value,)
    return None


class AgenciesView(_Guarded, BaseView):
    """The tree of agencies, one agency's editor (new, change), and deletion."""

    @expose("/")
    def index(self) -> Any:
        snapshot = runtime.snapshot()
        chosen = {"loai": request.args.get("loai", ""), "q": request.args.get("q", "").strip()}
        kinds = _kinds_of(chosen["loai"])
        words = fold(chosen["q"])
        shown = [
            a
            for a in snapshot.agencies.values()
            if (kinds is None or a.kind in kinds)
            and (not words or words in fold(f"{a.code} {a.name}"))
        ]
        receiving = contacts.receiving(snapshot)
        warnings = contacts.warnings(snapshot)
        filters = [(k, label) for k, (label, _) in GROUPS.items()] + list(KINDS.items())
        return self.render(
            "admin/phananh_agencies.html",
            rows=tree(shown),
            total=len(snapshot.agencies),
            kinds=KINDS,
            filters=filters,
            chosen=chosen,
            receiving=receiving,
            warnings=warnings,
            counts=entries.counts("agency"),
        )

    @expose("/moi", methods=("GET", "POST"))
    def create(self) -> Any:
        return self._edit(None)

    @expose("/<code>", methods=("GET", "POST"))
    def edit(self, code: str) -> Any:
        return self._edit(code)

    def _edit(self, code: str | None) -> Any:
        base_id, documents = saving.in_force()
        where = _locate(documents, code)
        if code is not None and where is None:
            abort(404)
        file, position = where if where else (FILES[0], None)
        document = documents[file]
        previous = None if position is None else document.items(KEY)[position]
        form = AgencyForm(request.form if request.method == "POST" else None)
        page = _page(self, form, code, file)
        if request.method == "GET":
            if previous is not None:
                _fill(form, previous)
                entries.prefilled_until(form, request.args.get("hieu_luc_den"))
            return page(common={"base_id": base_id})
        values = entries.common(base_id)
        page.common = values
        if code is not None:
            form.code.data = code
        if not form.validate():
            return page(status=422)
        entry = _entry(form, previous)
        if position is None:
            if _locate(documents, entry["code"]) is not None:
                form.code.errors = [f"Đã có cơ quan mã '{entry['code']}'."]
                return page(status=422)
            document.append_item(KEY, entry)
            position = len(document.items(KEY)) - 1
        else:
            document.replace_item(KEY, position, entry)
        target = saving.Target(file, f"{KEY}[{position}]")
        return saving.submit(documents, target, values, page, url_for(".index"))

    @expose("/<code>/xoa", methods=("POST",))
    def delete(self, code: str) -> Any:
        base_id, documents = saving.in_force()
        where = _locate(documents, code)
        if where is None:
            abort(404)
        file, position = where
        document = documents[file]
        form = AgencyForm()
        page = _page(self, form, code, file)
        _fill(form, document.items(KEY)[position])
        page.common = entries.common(base_id)
        return entries.delete(
            page,
            documents,
            "agency",
            [code],
            lambda: document.remove_item(KEY, position),
            entries.way_out(".edit", code=code),
            url_for(".index"),
            f"cơ quan {code}",
        )


def _locate(documents: Any, code: str | None) -> tuple[str, int] | None:
    """Where agency ``code`` lives (``None`` for a new one; 404 for an unknown code)."""
    if code is None:
        return None
    return entries.find(documents, FILES, KEY, code)


def _page(view: BaseView, form: AgencyForm, code: str | None, file: str) -> entries.Page:
    snapshot = runtime.snapshot()
    _choices(form, snapshot, code)
    agency = snapshot.agencies.get(code or "")
    if code is not None:
        form.code.data = code  # the reports' and accounts' records name it: it stays
    receives = code in contacts.receiving(snapshot)
    lacking = contacts.missing(agency) if agency is not None and receives else []
    return entries.Page(
        view,
        "admin/phananh_agency_edit.html",
        form,
        ALIASES,
        hidden=("code",) if code is not None else (),
        code=code,
        file=file,
        kinds=KINDS,
        receives=receives,
        lacking=lacking,
        reports=entries.referenced("agency", [code]) if code else 0,
    )
