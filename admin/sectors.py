"""The sectors of Phụ lục 1 (Đ13.8): their names, what they cover, keywords and effective dates.

A sector lives in ``sectors.yaml``'s ``sectors`` list. The list shows where the routing sends each
one and how many reports refer to it; the editor changes one entry and keeps every other byte of
the file (:mod:`engine.configstore.documents`); a new sector may come with its routing rule (without
one the cross-checks refuse it: every sector must be routed).

The sector's extra form ``fields`` (docs/configuration.md, "Extra fields of a sector") are edited
on the same page, one block of inputs per field in file order plus :data:`NEW_ROWS` empty blocks
for new ones; a block left empty is ignored, one ticked "xóa trường này" is dropped. The list is
written without the keys left at their defaults and checked by the same cross-checks as any save
(choices exactly for the choice types, codes unique); their refusals are shown next to the block's
input (:class:`FieldsTarget`). A post without any block (a script's) keeps the fields as they were.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, request, url_for
from flask_admin import BaseView, expose
from ruamel.yaml.scalarstring import LiteralScalarString
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from admin import entries, saving
from admin.views import _Guarded
from engine.config.errors import ConfigError
from engine.config.snapshot import Route, Snapshot
from web import runtime

FILE = "sectors.yaml"
KEY = "sectors"
ROUTING = "routing"
COMMITTEE = "__ubnd_dia_ban__"
COMMITTEE_LABEL = "UBND xã, phường nơi xảy ra sự việc"
#: A refusal about the period goes next to "hiệu lực đến".
ALIASES = {"effective": "effective_until"}


#: Empty blocks offered for new extra fields (save, then open the page again for more).
NEW_ROWS = 2
#: The kinds of extra field, as the select shows them (docs/configuration.md).
FIELD_TYPES = {
    "text": "Văn bản ngắn",
    "textarea": "Văn bản dài",
    "number": "Số",
    "integer": "Số nguyên",
    "date": "Ngày",
    "choice": "Chọn một",
    "multichoice": "Chọn nhiều",
    "boolean": "Có/Không",
}
#: Who answers an extra field, and when.
FIELD_STAGES = {
    "report": "Người dân khai khi gửi phản ánh",
    "result": "Cán bộ khai khi đề xuất kết quả",
}
#: The text inputs of a block: all empty, the block is an unused new one.
ROW_TEXTS = ("code", "label", "label_en", "help", "help_en", "choices")
#: The keys of a field that have an input in its block (a refusal about another goes to ``code``).
ROW_KEYS = (*ROW_TEXTS, "type", "stage", "required", "public")
CHOICE_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
CHOICE_EXAMPLE = "rac-thai: Rác thải"


class ExtraFieldForm(Form):
    """One extra field of the sector (``sectors[].fields[]``), a block of the editor."""

    code = StringField(
        "Mã trường",
        validators=[
            Optional(),
            Length(max=40, message="Mã dài tối đa 40 ký tự."),
            Regexp(
                r"^[a-z][a-z0-9_]*$",
                message="Mã bắt đầu bằng chữ thường không dấu, chỉ gồm chữ thường, số và "
                "dấu _, ví dụ loai_o_nhiem.",
            ),
        ],
        description="Câu trả lời được lưu theo mã này: đừng đổi mã của trường đã dùng.",
    )
    label = StringField(
        "Nhãn (tiếng Việt)", validators=[Length(max=200, message="Tối đa 200 ký tự.")]
    )
    label_en = StringField(
        "Nhãn tiếng Anh (không bắt buộc)",
        validators=[Length(max=200, message="Tối đa 200 ký tự.")],
    )
    type = SelectField(
        "Kiểu ô nhập", choices=[SelectChoice(k, v) for k, v in FIELD_TYPES.items()], default="text"
    )
    stage = SelectField(
        "Ai khai", choices=[SelectChoice(k, v) for k, v in FIELD_STAGES.items()], default="report"
    )
    required = BooleanField("Bắt buộc phải điền")
    public = BooleanField(
        "Hiện công khai (bỏ chọn: chỉ cán bộ và người phản ánh thấy)", default=True
    )
    help = StringField(
        "Hướng dẫn dưới ô nhập (không bắt buộc)",
        validators=[Length(max=500, message="Tối đa 500 ký tự.")],
    )
    help_en = StringField(
        "Hướng dẫn tiếng Anh (không bắt buộc)",
        validators=[Length(max=500, message="Tối đa 500 ký tự.")],
    )
    choices = TextAreaField(
        "Các lựa chọn (chỉ cho kiểu Chọn một, Chọn nhiều)",
        render_kw={"rows": 4},
        description=f"Mỗi dòng một lựa chọn, viết mã: Nhãn, ví dụ {CHOICE_EXAMPLE}; "
        "thêm | và nhãn tiếng Anh nếu cần (rac-thai: Rác thải | Waste).",
    )
    remove = BooleanField("Xóa trường này")

    def unused(self) -> bool:
        """Ticked for removal, or a block where nothing was typed."""
        return bool(self.remove.data) or not any(
            (getattr(self, key).data or "").strip() for key in ROW_TEXTS
        )

    def validate(self, extra_validators: Any = None) -> bool:
        if self.unused():
            return True
        valid = super().validate(extra_validators)
        for key, message in (("code", "Cần mã trường."), ("label", "Cần nhãn của trường.")):
            field = getattr(self, key)
            if not (field.data or "").strip() and not field.errors:
                field.errors = [*field.errors, message]
                valid = False
        problems = choices_of(self.choices.data)[1]
        if problems:
            self.choices.errors = [*self.choices.errors, *problems]
            valid = False
        return valid


class SectorForm(entries.Effective):
    code = StringField(
        "Mã lĩnh vực",
        validators=[
            DataRequired("Cần mã lĩnh vực."),
            Length(max=60, message="Mã dài tối đa 60 ký tự."),
            Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                message="Mã chỉ gồm chữ thường không dấu, số và dấu gạch nối, "
                "ví dụ trat-tu-do-thi.",
            ),
        ],
        description="Không đổi được sau khi tạo: các phản ánh ghi lĩnh vực theo mã này.",
    )
    name = StringField(
        "Tên lĩnh vực",
        validators=[
            InputRequired("Cần tên lĩnh vực."),
            Length(max=200, message="Tên dài tối đa 200 ký tự."),
        ],
    )
    description = TextAreaField(
        "Nội dung chi tiết (lĩnh vực này gồm những gì)",
        validators=[InputRequired("Cần ghi lĩnh vực này gồm những gì.")],
        render_kw={"rows": 6},
        description="Nguyên văn cột “Nội dung chi tiết” của Phụ lục 1; "
        "người dân đọc ở trang công khai.",
    )
    keywords = TextAreaField(
        "Từ khóa gợi ý lĩnh vực",
        render_kw={"rows": 5},
        description="Mỗi dòng một từ khóa, hoặc cách nhau bằng dấu phẩy; viết có dấu "
        "(so khớp cả khi người dân gõ không dấu).",
    )
    route_to = SelectField(
        "Chuyển phản ánh của lĩnh vực này đến",
        description="Thêm một quy tắc phân công cùng mã; mỗi lĩnh vực phải có ít nhất một quy tắc.",
    )
    fields = FieldList(FormField(ExtraFieldForm), "Trường bổ sung của biểu mẫu")


def keywords_of(value: str | None) -> list[str]:
    """One keyword a line, or separated by commas; blanks and repeats dropped, order kept."""
    out: list[str] = []
    for word in re.split(r"[,\n]", (value or "").replace("\r", "")):
        word = " ".join(word.split())
        if word and word not in out:
            out.append(word)
    return out


def description_of(value: str | None) -> LiteralScalarString | None:
    """The text as a ``|`` block, each line without trailing spaces, ending with one newline."""
    lines = [line.rstrip() for line in (value or "").replace("\r\n", "\n").split("\n")]
    body = "\n".join(lines).strip("\n")
    return LiteralScalarString(body + "\n") if body.strip() else None


def choices_of(value: str | None) -> tuple[list[dict[str, str]], list[str]]:
    """The choices typed one a line (``code: Nhãn`` or ``code: Nhãn | English``), and the
    problems of the lines that are not so written (blank lines are skipped)."""
    out: list[dict[str, str]] = []
    problems: list[str] = []
    for n, raw in enumerate((value or "").replace("\r", "").split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        code, colon, rest = line.partition(":")
        code = code.strip()
        label, _, label_en = (" ".join(part.split()) for part in rest.partition("|"))
        if not colon:
            problems.append(
                f"Dòng {n} “{line}” thiếu dấu hai chấm: viết mã: Nhãn, ví dụ {CHOICE_EXAMPLE}."
            )
        elif not CHOICE_CODE.match(code) or len(code) > 40:
            problems.append(
                f"Dòng {n}: mã lựa chọn “{code}” chỉ gồm chữ thường không dấu, số, dấu _ và "
                "dấu -, tối đa 40 ký tự, ví dụ rac-thai."
            )
        elif not label:
            problems.append(f"Dòng {n}: cần nhãn sau dấu hai chấm, ví dụ {CHOICE_EXAMPLE}.")
        elif len(label) > 200 or len(label_en) > 200:
            problems.append(f"Dòng {n}: nhãn dài tối đa 200 ký tự.")
        else:
            out.append(
                {"code": code, "label": label, **({"label_en": label_en} if label_en else {})}
            )
    return out, problems


def _choice_line(choice: Mapping[str, Any]) -> str:
    line = f"{choice.get('code', '')}: {choice.get('label', '')}"
    return line + (f" | {choice['label_en']}" if choice.get("label_en") else "")


def _row_of(item: Mapping[str, Any]) -> dict[str, Any]:
    """An extra field of the file as its block's values."""
    return {
        "code": item.get("code") or "",
        "label": item.get("label") or "",
        "label_en": item.get("label_en") or "",
        "type": item.get("type") or "text",
        "stage": item.get("stage") or "report",
        "required": bool(item.get("required")),
        "public": item.get("public") is not False,
        "help": item.get("help") or "",
        "help_en": item.get("help_en") or "",
        "choices": "\n".join(_choice_line(c) for c in item.get("choices") or ()),
        "remove": False,
    }


def _fill_rows(form: SectorForm, entry: Mapping[str, Any] | None) -> None:
    """One block per extra field of ``entry``, then the empty blocks for new ones."""
    for item in (entry or {}).get("fields") or ():
        form.fields.append_entry(_row_of(item))
    for _ in range(NEW_ROWS):
        form.fields.append_entry()


def _has_rows(formdata: Mapping[str, Any]) -> bool:
    return any(key.startswith("fields-") for key in formdata)


def _field_of(row: ExtraFieldForm) -> dict[str, Any]:
    """A block as the file's entry, without the keys left at their defaults."""
    item: dict[str, Any] = {
        "code": row.code.data.strip(),
        "label": entries.text(row.label.data),
        "label_en": entries.text(row.label_en.data),
        "type": row.type.data,
        "required": True if row.required.data else None,
        "stage": row.stage.data if row.stage.data != "report" else None,
        "help": entries.text(row.help.data),
        "help_en": entries.text(row.help_en.data),
        "public": None if row.public.data else False,
        "choices": choices_of(row.choices.data)[0] or None,
    }
    return {k: v for k, v in item.items() if v is not None}


def fields_of(form: SectorForm) -> tuple[list[dict[str, Any]], tuple[int, ...]]:
    """The extra fields in block order (unused blocks skipped), and the block of each."""
    out: list[dict[str, Any]] = []
    rows: list[int] = []
    for n, slot in enumerate(form.fields.entries):
        if not slot.form.unused():
            out.append(_field_of(slot.form))
            rows.append(n)
    return out, tuple(rows)


@dataclass(frozen=True)
class FieldsTarget(saving.Target):
    """The sector being edited; a refusal about its ``fields[j].key`` goes to that block's input.

    ``rows`` is the block of each field written, in file order (unused blocks are skipped).
    """

    rows: tuple[int, ...] = ()

    def field_of(self, error: ConfigError) -> str | None:
        name = super().field_of(error)
        if name != "fields":
            return name
        rest = error.path.removeprefix(f"{self.path}.fields")
        found = re.match(r"\[(\d+)\](?:\.(\w+))?", rest)
        if found is None or int(found.group(1)) >= len(self.rows):
            return name
        key = found.group(2) if found.group(2) in ROW_KEYS else "code"
        return f"fields-{self.rows[int(found.group(1))]}-{key}"


def _fill(form: SectorForm, entry: Mapping[str, Any]) -> None:
    form.code.data = entry.get("code", "")
    form.name.data = entry.get("name", "")
    form.description.data = (entry.get("description") or "").rstrip("\n")
    form.keywords.data = "\n".join(entry.get("keywords") or [])
    entries.fill_effective(form, entry)


def _entry(form: SectorForm, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The whole entry as the file will have it (a key the form has no input for is kept)."""
    entry: dict[str, Any] = dict(previous or {})
    entry["code"] = form.code.data.strip()
    entry["name"] = entries.text(form.name.data)
    entry["description"] = description_of(form.description.data)
    entry["keywords"] = keywords_of(form.keywords.data) or None
    entry["effective"] = entries.effective_of(form)
    entry["fields"] = fields_of(form)[0] or None
    return entry


def _route_choices(form: SectorForm, snapshot: Snapshot) -> None:
    agencies = sorted(
        (a for a in snapshot.agencies.values() if a.area is None), key=lambda a: a.name
    )
    form.route_to.choices = [
        SelectChoice("", "— không thêm quy tắc —"),
        SelectChoice(COMMITTEE, COMMITTEE_LABEL),
        *(SelectChoice(a.code, f"{a.name} ({a.code})") for a in agencies),
    ]


def handlers(snapshot: Snapshot, code: str) -> list[str]:
    """Where the routing sends a sector's reports, in words, the highest priority first."""
    out = []
    for route in sorted(snapshot.routes, key=lambda r: -r.priority):
        if route.sector == code:
            out.append(_target(route, snapshot) + _scope(route, snapshot))
    return out


def _target(route: Route, snapshot: Snapshot) -> str:
    if route.area_committee:
        return COMMITTEE_LABEL
    agency = snapshot.agencies.get(route.agency or "")
    return agency.name if agency else str(route.agency)


def _scope(route: Route, snapshot: Snapshot) -> str:
    if route.areas:
        names = [snapshot.areas[a].name if a in snapshot.areas else a for a in route.areas]
        return " (chỉ " + ", ".join(names) + ")"
    if route.area_kinds:
        return " (chỉ loại địa bàn: " + ", ".join(route.area_kinds) + ")"
    return ""


class SectorsView(_Guarded, BaseView):
    """The list of sectors, one sector's editor (new, change), and deletion."""

    @expose("/")
    def index(self) -> Any:
        snapshot = runtime.snapshot()
        counts = entries.sector_counts()
        rows = [
            (sector, handlers(snapshot, code), counts.get(code, (0, 0)))
            for code, sector in snapshot.sectors.items()
        ]
        return self.render("admin/phananh_sectors.html", rows=rows)

    @expose("/moi", methods=("GET", "POST"))
    def create(self) -> Any:
        return self._edit(None)

    @expose("/<code>", methods=("GET", "POST"))
    def edit(self, code: str) -> Any:
        return self._edit(code)

    def _edit(self, code: str | None) -> Any:
        base_id, documents = saving.in_force()
        document = documents[FILE]
        position, previous = _locate(document, code)
        form = SectorForm(request.form if request.method == "POST" else None)
        if not _has_rows(request.form):
            _fill_rows(form, previous)  # the page's blocks; a post without them keeps the fields
        page = _page(self, form, code, previous)
        if request.method == "GET":
            if previous is not None:
                _fill(form, previous)
                entries.prefilled_until(form, request.args.get("hieu_luc_den"))
            return page(common={"base_id": base_id})
        values = entries.common(base_id)
        page.common = values
        if not form.validate():
            return page(status=422)
        entry = _entry(form, previous)
        if position is None:
            if document.index(KEY, lambda s: s.get("code") == entry["code"]) is not None:
                form.code.errors = [f"Đã có lĩnh vực mã '{entry['code']}'."]
                return page(status=422)
            route = form.route_to.data
            if (
                route
                and document.index(ROUTING, lambda r: r.get("id") == entry["code"]) is not None
            ):
                form.route_to.errors = [f"Đã có quy tắc phân công mã '{entry['code']}'."]
                return page(status=422)
            document.append_item(KEY, entry)
            position = len(document.items(KEY)) - 1
            if route:
                document.append_item(ROUTING, _route(entry["code"], route))
        else:
            document.replace_item(KEY, position, entry)
        target = FieldsTarget(FILE, f"{KEY}[{position}]", rows=fields_of(form)[1])
        return saving.submit(documents, target, values, page, url_for(".index"))

    @expose("/<code>/xoa", methods=("POST",))
    def delete(self, code: str) -> Any:
        base_id, documents = saving.in_force()
        document = documents[FILE]
        position, previous = _locate(document, code)
        assert position is not None and previous is not None
        form = SectorForm()
        _fill_rows(form, previous)
        page = _page(self, form, code, previous)
        _fill(form, previous)
        page.common = entries.common(base_id)

        def remove() -> None:
            if request.form.get("xoa_tuyen"):
                routes = document.items(ROUTING)
                for i in reversed(range(len(routes))):
                    if routes[i].get("sector") == code:
                        document.remove_item(ROUTING, i)
            document.remove_item(KEY, position)

        way_out = entries.way_out(".edit", code=code)
        return entries.delete(
            page,
            documents,
            "sector",
            [code],
            remove,
            way_out,
            url_for(".index"),
            f"lĩnh vực {code}",
        )


def _locate(document: Any, code: str | None) -> tuple[int | None, dict[str, Any] | None]:
    """The position and entry of sector ``code`` (``None, None`` for a new one; 404: unknown)."""
    if code is None:
        return None, None
    position = document.index(KEY, lambda s: s.get("code") == code)
    if position is None:
        abort(404)
    return position, document.items(KEY)[position]


def _page(
    view: BaseView, form: SectorForm, code: str | None, previous: dict[str, Any] | None
) -> entries.Page:
    snapshot = runtime.snapshot()
    _route_choices(form, snapshot)
    if code is not None:
        form.code.data = code  # the reports' records name it: it stays
        form.route_to.data = ""
    return entries.Page(
        view,
        "admin/phananh_sector_edit.html",
        form,
        ALIASES,
        hidden=("code", "route_to") if code is not None else (),
        code=code,
        handlers=handlers(snapshot, code) if code else [],
        routes=sum(1 for r in snapshot.routes if r.sector == code),
        existing=len((previous or {}).get("fields") or ()),
    )


def _route(code: str, target: str) -> dict[str, Any]:
    if target == COMMITTEE:
        return {"id": code, "sector": code, "area_committee": True}
    return {"id": code, "sector": code, "agency": target}
