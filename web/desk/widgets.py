"""One form per action allowed now, generated from the workflow table.

A form is: the row's note (required when the row says ``note_required``), then one widget per
field the row ``requires`` or ``accepts``, from :data:`WIDGETS` (field → how it is shown, what it
starts with, how the posted text becomes the use case's input). Nothing is written per action:
a new row of the table gets its form from the fields it names. Fields that get no widget here are
in :data:`NOT_ON_DESK`; a staff row that *requires* one of them fails at import. ``extra`` is one
of them: the sector's extra fields of stage ``result`` are generated from the configuration as
WTForms fields (:mod:`web.sector_forms`) and added to the form as ``ActionForm.sector_fields``.

Defaults explain themselves: the sector picker preselects the rules' suggestion and names the rule
and the words it matched; the agency picker preselects the routing rules' choice and names the
route in words (``Phụ lục 1 — phân công lĩnh vực Giao thông vận tải``), never its internal id. Times are typed in the province's zone
(``datetime-local``) and become aware datetimes here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from engine.config.snapshot import Snapshot
from engine.media.model import human_size
from engine.rules import RulesEngine
from engine.rules.facts import fold
from engine.rules.wording import describe
from engine.services.assignment import Targets
from engine.services.public import NOTES_FOR_REPORTER
from engine.services.queues import STAFF_ROLES, ReportView
from engine.uploads import result_limits_of
from engine.workflow import TABLE, State, Transition
from engine.workflow.table import FIELDS
from web.formatting import when_vi

NOTE_MAX = 2000
TEXT_MAX = 5000
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M")
AGENCY_GROUPS = (
    ("so", "Sở, ban, ngành"),
    ("ubnd_tinh", "UBND tỉnh"),
    ("ubnd_phuong", "UBND phường"),
    ("ubnd_xa", "UBND xã"),
)

#: Fields of the table that get no widget of their own on the desk, and why.
NOT_ON_DESK: Mapping[str, str] = MappingProxyType(
    {
        "rating": "chỉ người phản ánh đánh giá kết quả (Đ11.2)",
        "text": "chỉ người phản ánh gửi phản hồi, bổ sung (Đ5.3, Đ11.1)",
        "extra": "các trường riêng của lĩnh vực, sinh từ cấu hình (sectors[].fields) thành từng ô",
    }
)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    group: str | None = None


@dataclass(frozen=True)
class Widget:
    """One field of an action's form as the page shows it."""

    name: str
    kind: str  # textarea | select | text | datetime | checkbox
    label: str
    required: bool = False
    value: str = ""
    options: tuple[Option, ...] = ()
    hint: str | None = None
    #: The rule behind the preselected value (``giao-thong-van-tai``), shown beside it.
    rule: str | None = None
    rule_text: str | None = None
    #: What that rule is, in words and with its article (:func:`engine.rules.wording.describe`).
    rule_words: str | None = None
    #: The option the rule chose; it keeps its mark even when the form returns another value.
    rule_value: str | None = None
    #: A text shown beside the field, read-only (the officer's proposal when a leader edits it).
    beside: str | None = None
    beside_label: str | None = None
    error: str | None = None
    maxlength: int | None = None
    placeholder: str | None = None
    #: The file types a ``files`` input offers to choose (its ``accept`` attribute).
    accept: str = ""

    @property
    def groups(self) -> list[tuple[str | None, list[Option]]]:
        grouped: dict[str | None, list[Option]] = {}
        for option in self.options:
            grouped.setdefault(option.group, []).append(option)
        return list(grouped.items())


@dataclass(frozen=True)
class ActionForm:
    row: Transition
    widgets: tuple[Widget, ...]
    version: int
    opened: bool = False
    problem: str | None = None
    #: The sector's extra fields the row takes (``extra``), as generated WTForms fields.
    sector_fields: Any = None

    @property
    def action(self) -> str:
        return self.row.action

    @property
    def takes_files(self) -> bool:
        return any(w.kind == "files" for w in self.widgets)


@dataclass(frozen=True)
class Context:
    """What the defaults are computed from: the report as its reader sees it, and the rules."""

    view: ReportView
    snapshot: Snapshot
    rules: RulesEngine
    zone: ZoneInfo
    #: Whom the reader, a unit's leader, may give the report to (for ``assign``, Đ14.3).
    targets: Targets | None = None


Builder = Callable[[Context, Transition, bool], Widget]


# -- one builder per field of the table ------------------------------------------------------------


def _note(ctx: Context, row: Transition, required: bool) -> Widget:
    hints = []
    if row.action in NOTES_FOR_REPORTER:
        hints.append("Ghi chú này được gửi cho người phản ánh.")
    hints.append(
        f"Bắt buộc ({row.article})." if required else "Không bắt buộc; được ghi vào hồ sơ."
    )
    return Widget("note", "textarea", "Ghi chú", required, hint=" ".join(hints), maxlength=NOTE_MAX)


def _sector(ctx: Context, row: Transition, required: bool) -> Widget:
    snap, view = ctx.snapshot, ctx.view
    options = tuple(Option(s.code, s.name) for s in snap.sectors.values())
    suggestions = [
        d
        for d in ctx.rules.suggest_sectors(view.story["content"])
        if d.value["sector"] in snap.sectors
    ]
    hints = []
    value, rule, rule_text = view.suggested_sector or view.row.sector or "", None, None
    if suggestions:
        best = suggestions[0]
        value, rule = best.value["sector"], best.rule
        words = ", ".join(best.value.get("matched", ()))
        rule_text = f"Quy tắc gợi ý: {snap.sectors[value].name}" + (
            f" (từ khóa: {words})" if words else ""
        )
        others = [snap.sectors[d.value["sector"]].name for d in suggestions[1:3]]
        if others:
            hints.append("Gợi ý khác: " + ", ".join(others) + ".")
    else:
        hints.append("Quy tắc không gợi ý được lĩnh vực từ nội dung; hãy chọn.")
    chosen = view.suggested_sector
    if chosen and chosen in snap.sectors and chosen != value:
        hints.append(f"Khi tiếp nhận đã ghi: {snap.sectors[chosen].name}.")
    if view.row.sector and view.row.state is State.RETURNED:
        hints.append(f"Lĩnh vực trước khi bị trả lại: {view.row.sector_name}.")
    return Widget(
        "sector",
        "select",
        "Lĩnh vực",
        required,
        value=value,
        options=options,
        hint=" ".join(hints) or None,
        rule=rule,
        rule_text=rule_text,
        rule_words=describe(snap, rule, suggestion=True) if rule else None,
        rule_value=value if rule else None,
    )


def agency_options(snap: Snapshot) -> tuple[Option, ...]:
    names = dict(AGENCY_GROUPS)
    ordered = sorted(
        snap.agencies.values(),
        key=lambda a: (
            [k for k, _ in AGENCY_GROUPS].index(a.kind) if a.kind in names else len(names),
            fold(a.name),
        ),
    )
    return tuple(Option(a.code, a.name, names.get(a.kind, "Đơn vị khác")) for a in ordered)


def _agency(ctx: Context, row: Transition, required: bool) -> Widget:
    snap, view = ctx.snapshot, ctx.view
    decision = ctx.rules.route(view.row.sector, view.row.area) if view.row.sector else None
    hints = []
    value, rule, rule_text = "", None, None
    if decision is not None and decision.value.get("agency") in snap.agencies:
        value, rule = decision.value["agency"], decision.rule
        rule_text = f"Theo quy tắc phân công: {snap.agencies[value].name}"
        hints.append("Chọn cơ quan khác quy tắc thì phải ghi lý do ở ô Ghi chú.")
    else:
        hints.append(
            "Quy tắc phân công không chọn được cơ quan (chưa có lĩnh vực hoặc địa bàn): hãy chọn "
            "cơ quan và ghi lý do."
        )
    if view.row.returned_by:
        names = [snap.agencies[c].name if c in snap.agencies else c for c in view.row.returned_by]
        hints.append("Đã trả lại: " + ", ".join(names) + ".")
    return Widget(
        "agency",
        "select",
        "Cơ quan xử lý",
        required,
        value=value,
        options=agency_options(snap),
        hint=" ".join(hints),
        rule=rule,
        rule_text=rule_text,
        rule_words=describe(snap, rule) if rule else None,
        rule_value=value if rule else None,
    )


def _reason(ctx: Context, row: Transition, required: bool) -> Widget:
    return Widget("reason", "textarea", "Lý do", required, maxlength=NOTE_MAX)


def _duplicate_of(ctx: Context, row: Transition, required: bool) -> Widget:
    return Widget(
        "duplicate_of",
        "text",
        "Trùng với phản ánh (mã)",
        required,
        hint="Nếu từ chối vì trùng: mã phản ánh gốc.",
        placeholder="PA-2026-000123",
        maxlength=20,
    )


def _officer(ctx: Context, row: Transition, required: bool) -> Widget:
    targets, view = ctx.targets, ctx.view
    people = targets.officers if targets else ()
    hints = [f"Cán bộ của {targets.unit_name}." if targets else "Cán bộ của đơn vị."]
    if view.row.officer:
        hints.append(f"Đang giao: {view.row.officer}.")
    if not people:
        hints.append("Đơn vị chưa có tài khoản cán bộ xử lý đang làm việc.")
    return Widget(
        "officer",
        "select",
        "Giao cho cán bộ",
        required,
        options=(Option("", "— Không chọn —"), *(Option(o.account, o.name) for o in people)),
        hint=" ".join(hints),
    )


def _unit(ctx: Context, row: Transition, required: bool) -> Widget:
    targets, view = ctx.targets, ctx.view
    units = targets.sub_units if targets else ()
    hints = ["Hoặc giao cho đơn vị trực thuộc: lãnh đạo đơn vị đó giao tiếp cho cán bộ của đơn vị."]
    if view.row.unit_name and view.row.unit:
        hints.append(f"Đang giao: {view.row.unit_name}.")
    if not units:
        name = targets.unit_name if targets else "Cơ quan"
        hints = [f"{name} chưa có đơn vị trực thuộc trong cấu hình."]
    return Widget(
        "unit",
        "select",
        "Giao cho đơn vị trực thuộc",
        required,
        options=(Option("", "— Không chọn —"), *(Option(u.code, u.name) for u in units)),
        hint=" ".join(hints),
    )


def _due(ctx: Context, row: Transition, required: bool) -> Widget:
    view, hints, value = ctx.view, [], ""
    running = next(
        (c for c in view.story["clocks"] if c["step"] == "handle" and c["stopped_at"] is None),
        None,
    )
    if running is not None:
        current = datetime.fromisoformat(running["due_at"])
        hints.append(f"Thời hạn xử lý hiện tại: {when_vi(current)}.")
    pending = view.pending_extension
    if (
        pending is not None
        and pending.requested_due is not None
        and row.action != "request_extension"
    ):
        value = local_value(pending.requested_due, ctx.zone)
        hints.append(
            f"Cán bộ {pending.requested_by or ''} đề nghị đến {when_vi(pending.requested_due)}"
            + (f": {pending.reason}" if pending.reason else "")
            + "."
        )
    hints.append("Giờ Việt Nam (Asia/Ho_Chi_Minh).")
    return Widget("due", "datetime", "Thời hạn mới", required, value=value, hint=" ".join(hints))


def _result(ctx: Context, row: Transition, required: bool) -> Widget:
    view = ctx.view
    proposed = view.proposed_result or ""
    leader_edits = view.row.state is State.PENDING_APPROVAL and bool(proposed)
    return Widget(
        "result",
        "textarea",
        "Kết quả xử lý" if not leader_edits else "Kết quả phê duyệt (đã sửa)",
        required,
        value=proposed,
        maxlength=TEXT_MAX,
        beside=proposed if leader_edits else None,
        beside_label="Kết quả cán bộ đề xuất (giữ nguyên trong hồ sơ)" if leader_edits else None,
        hint="Nội dung trả lời đưa vào mẫu Phụ lục 2 khi công khai.",
    )


def _attachments(ctx: Context, row: Transition, required: bool) -> Widget:
    """The result's files (Đ8.B4): photos after the work and the signed answer in PDF."""
    limits = result_limits_of(ctx.snapshot.portal)
    photos = human_size(limits.max_photo_bytes, "vi")
    documents = human_size(limits.max_document_bytes, "vi")
    kept = [m for m in ctx.view.media if m.stage == "result"]
    hints = [
        f"Ảnh sau xử lý (JPEG, PNG, WebP; mỗi ảnh tối đa {photos}, được xóa thông tin ẩn như ảnh "
        f"của người dân) và văn bản PDF (mỗi tệp tối đa {documents}); tối đa {limits.max_files} "
        "tệp. Tên tệp được ghi vào mẫu Phụ lục 2; kết quả công khai thì tệp cũng công khai."
    ]
    if kept:
        hints.append(f"Đã đính kèm {len(kept)} tệp; tệp chọn thêm được đính kèm cùng.")
    return Widget(
        "attachments",
        "files",
        "Tệp đính kèm kết quả",
        required,
        hint=" ".join(hints),
        accept=",".join((*limits.photo_types, *limits.document_types)),
    )


def _committee(ctx: Context, row: Transition, required: bool) -> Widget:
    return Widget(
        "committee",
        "checkbox",
        "Đã báo cáo UBND tỉnh xem xét, quyết định (Đ3.8)",
        required,
        hint="Đánh dấu khi vụ việc được tổng hợp báo cáo UBND tỉnh; vẫn chỉ định cơ quan xử lý.",
    )


WIDGETS: Mapping[str, Builder] = MappingProxyType(
    {
        "sector": _sector,
        "agency": _agency,
        "reason": _reason,
        "duplicate_of": _duplicate_of,
        "officer": _officer,
        "unit": _unit,
        "due": _due,
        "result": _result,
        "attachments": _attachments,
        "committee": _committee,
    }
)


def desk_rows() -> tuple[Transition, ...]:
    """The rows of the table staff perform (not the reporter's, not the creating one)."""
    return tuple(
        row for row in TABLE if not row.creates and any(r in STAFF_ROLES for r in row.roles)
    )


def _check_widgets() -> None:
    uncovered = FIELDS - set(WIDGETS) - set(NOT_ON_DESK)
    if uncovered:
        raise RuntimeError(f"The desk has no widget for the table's field(s) {sorted(uncovered)}.")
    for row in desk_rows():
        hidden = row.requires & set(NOT_ON_DESK)
        if hidden:
            raise RuntimeError(
                f"The desk cannot perform '{row.action}': it requires {sorted(hidden)}."
            )


_check_widgets()


def fields_of(row: Transition) -> list[tuple[str, bool]]:
    """The fields of ``row``'s form, in a stable order: required first, then optional."""
    names = sorted(row.requires, key=list(WIDGETS).index) + sorted(
        row.accepts - set(NOT_ON_DESK), key=list(WIDGETS).index
    )
    return [(name, name in row.requires) for name in names]


def build(
    ctx: Context,
    row: Transition,
    *,
    posted: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    problem: str | None = None,
) -> ActionForm:
    """The form of ``row`` for this report; with ``posted``, what the user typed is kept."""
    widgets = [
        *[WIDGETS[name](ctx, row, required) for name, required in fields_of(row)],
        _note(ctx, row, row.note_required),
    ]
    if posted is not None:
        widgets = [replace(w, value=posted.get(w.name, "")) for w in widgets]
    if errors:
        widgets = [replace(w, error=errors.get(w.name)) for w in widgets]
    return ActionForm(
        row,
        tuple(widgets),
        ctx.view.row.version,
        opened=bool(errors or problem),
        problem=problem,
    )


# -- reading a posted form ----------------------------------------------------------------------


@dataclass
class Parsed:
    note: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    posted: dict[str, str] = field(default_factory=dict)


LABELS = {
    "note": "ghi chú",
    "sector": "lĩnh vực",
    "agency": "cơ quan xử lý",
    "reason": "lý do",
    "duplicate_of": "mã phản ánh gốc",
    "officer": "cán bộ xử lý",
    "unit": "đơn vị trực thuộc",
    "due": "thời hạn mới",
    "result": "kết quả xử lý",
    "committee": "báo cáo UBND tỉnh",
    "attachments": "tệp đính kèm",
}


def parse(row: Transition, form: Mapping[str, str], zone: ZoneInfo) -> Parsed:
    """The note and inputs of ``row`` from a posted form; only the row's own fields are read."""
    parsed = Parsed()
    raw_note = (form.get("note") or "").strip()
    parsed.posted["note"] = raw_note
    if len(raw_note) > NOTE_MAX:
        parsed.errors["note"] = f"Ghi chú dài quá {NOTE_MAX} ký tự."
    elif row.note_required and not raw_note:
        parsed.errors["note"] = (
            f"Cần ghi chú cho thao tác «{row.label_vi}» ({row.article}); chưa có gì được ghi."
        )
    parsed.note = raw_note or None
    for name, required in fields_of(row):
        raw = (form.get(name) or "").strip()
        parsed.posted[name] = raw
        if name == "committee":
            parsed.inputs[name] = True if raw in ("y", "on", "1", "true") else None
            continue
        if name == "attachments":  # files: read, checked and stored by the view
            continue
        if not raw:
            if required:
                parsed.errors[name] = f"Cần nhập {LABELS[name]} ({row.article})."
            continue
        limit = TEXT_MAX if name == "result" else NOTE_MAX
        if len(raw) > limit:
            parsed.errors[name] = f"Nội dung {LABELS[name]} dài quá {limit} ký tự."
            continue
        if name == "due":
            when = parse_local(raw, zone)
            if when is None:
                parsed.errors[name] = (
                    "Thời hạn không hợp lệ: chọn ngày và giờ (dd/mm/yyyy HH:MM, giờ Việt Nam)."
                )
                continue
            parsed.inputs[name] = when
            continue
        parsed.inputs[name] = raw
    return parsed


def parse_local(raw: str, zone: ZoneInfo) -> datetime | None:
    """``2026-05-08T17:00`` typed in the province's zone → an aware datetime (``None``: invalid)."""
    for pattern in LOCAL_FORMATS:
        try:
            return datetime.strptime(raw, pattern).replace(tzinfo=zone)
        except ValueError:
            continue
    return None


def local_value(value: datetime, zone: ZoneInfo) -> str:
    """An aware datetime as a ``datetime-local`` input's value in the province's zone."""
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
