"""The processing desk's pages and its one generic action route.

Every page is for signed-in staff (:func:`web.auth.staff_required`); what a reader sees is decided
by :mod:`engine.services.queues` (scope) and :mod:`engine.services.disclosure` (the reporter's
identity); what they may do is the workflow table (:func:`engine.workflow.allowed`), and every
change goes through :meth:`Lifecycle.perform` — or :func:`disclosure.disclose` for Đ13.7.

A refusal is a page in Vietnamese: another agency's report or a role the table does not name →
403; a stale version → the report page again (409) with "Phản ánh vừa được người khác cập nhật…"
and the fresh story; a missing note or input → the report page (422) with the message beside the
field and the form kept open with what was typed. Nothing is written in any of these cases.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from engine import periodic, stats
from engine.accounts import ADMINISTRATION_READERS
from engine.export import EXPORTERS
from engine.rules.facts import fold
from engine.rules.wording import describe
from engine.sector_fields import Detail, InvalidExtra, details
from engine.services import assignment, disclosure, keyset, queues, recovery
from engine.services.errors import Conflict, DomainError, Forbidden, InvalidInput, WrongState
from engine.uploads import (
    IncomingFile,
    MediaRefused,
    MediaStore,
    StoredFile,
    accept,
    result_limits_of,
    size_text,
)
from engine.workflow import ACTIONS, RATINGS, STATE_LABELS_VI, Role, State
from web.auth import current_staff, staff_required
from web.desk import widgets
from web.errors import TITLES_VI
from web.formatting import when_vi
from web.media import send_stored
from web.routing import page_number
from web.runtime import lifecycle, snapshot
from web.sector_forms import SectorFieldsForm, fields_form
from web.security import page_headers

desk = Blueprint("desk", __name__, url_prefix="/ban-xu-ly")

#: Rows of each queue on the desk's first page; ``?hang=<key>`` pages through one queue
#: (``&sau=<position>`` for the page after a position, keyset-paged in SQL).
QUEUE_PREVIEW = 20
QUEUE_PAGE = 50
BAD_POSITION = (
    "Địa chỉ trang không hợp lệ (có thể đã bị sửa), nên đây là trang đầu. "
    "The page position is not valid; this is the first page."
)
SEARCH_PAGE = 50
#: Who reads the oversight faces (/thong-ke, web.desk.dashboard): a leader its agency tree, the rest
#: the province.
FIGURE_READERS = frozenset(
    {Role.LEADER, Role.IOC_OPERATOR, Role.PROVINCE_VIEWER, Role.OPERATOR_ADMIN, Role.AUDITOR}
)
RECORD_PAGE = 100
TEXT_FILTER_MAX = 200
MEDIA_MAX_AGE = 600
CONFLICT = (
    "Phản ánh vừa được người khác cập nhật; trang đã tải lại thông tin mới nhất. Hãy xem lại "
    "rồi thực hiện lại — chưa có gì được ghi."
)
#: How the record's data reads on the timeline: key → label (unknown keys are not shown).
DATA_LABELS = {
    "sector": "Lĩnh vực",
    "suggested_sector": "Lĩnh vực gợi ý",
    "agency": "Cơ quan",
    "suggested_agency": "Cơ quan theo quy tắc",
    "rules_choice": "Cơ quan theo quy tắc",
    "rule": "Quy tắc",
    "reason": "Lý do",
    "duplicate_of": "Trùng với",
    "officer": "Cán bộ",
    "unit": "Đơn vị",
    "due": "Thời hạn",
    "requested_due": "Thời hạn đề nghị",
    "due_kept": "Thời hạn giữ nguyên",
    "result": "Kết quả",
    "proposed": "Cán bộ đề xuất",
    "visibility": "Hình thức",
    "returned_by": "Đã trả lại",
    "committee": "Báo cáo UBND tỉnh",
    "authority": "Cơ quan đề nghị",
    "missing": "Cần bổ sung",
    "text": "Nội dung",
    "rating": "Đánh giá",
    "previous": "Đánh giá trước",
    "files": "Tệp đính kèm",
    "attachments": "Tệp đính kèm (tên)",
    "replies": "Số phản hồi đã xử lý",
}
VISIBILITY_WORDS = {
    "public": "công khai",
    "private": "trả lời riêng",
    "restricted": "không công khai",
}


# -- the frame of every page ----------------------------------------------------------------------


@desk.after_request
def _headers(response: Response) -> Response:
    """Staff pages carry people's details: never cached, never framed, scripts from here only."""
    return page_headers(response, snapshot().portal.tile_url, private=True)


def optional_url(endpoint: str, **values: Any) -> str | None:
    """A link to a page another part of the app may or may not provide (sign-out)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@desk.context_processor
def _frame() -> dict[str, Any]:
    staff = current_staff()
    snap = snapshot()
    agency = snap.agencies.get(staff.agency or "") if staff else None
    return {
        "staff": staff,
        "role_label": queues.ROLE_LABELS.get(staff.role, "") if staff else "",
        "agency_name": agency.name if agency else (staff.agency if staff else None),
        "logout_url": optional_url("auth.logout"),
        "admin_url": (
            optional_url("admin.index") if staff and staff.role in ADMINISTRATION_READERS else None
        ),
        "reads_register": bool(staff and staff.role in disclosure.REGISTER_READERS),
        "exports_reports": bool(staff and staff.role in EXPORTERS),
        "reads_figures": bool(staff and staff.role in FIGURE_READERS),
        "reads_periodic": bool(staff and staff.role in periodic.READERS),
        "snapshot": snap,
        "state_labels": STATE_LABELS_VI,
        "at_vi": at_vi,
        "action_label": action_label,
        "actor_label": actor_label,
        "event_facts": event_facts,
        "step_name": lambda step: queues.STEP_NAMES_VI.get(step, step),
        "span": lambda minutes: queues.span_vi(minutes, lifecycle().calendar.day_minutes),
        "standing_label": lambda s: queues.STANDING_LABELS.get(queues.Standing(s), s),
        "rating_label": lambda r: RATINGS.get(r or "", r),
        "sector_details": sector_details,
        "size_text": size_text,
        "rule_words": lambda rule: describe(snap, rule),
    }


def page(template: str, http_status: int = 200, **context: Any) -> Response:
    return make_response(render_template(template, **context), http_status)


@desk.errorhandler(DomainError)
def _refused(error: DomainError) -> Response:
    return page("desk/error.html", error.status, status=error.status, message=error.message_vi)


@desk.errorhandler(CSRFError)
def _stale_form(error: CSRFError) -> Response:
    message = (
        "Biểu mẫu đã hết hạn hoặc thiếu mã bảo mật, nên chưa được xử lý — chưa có gì được ghi. "
        "Hãy tải lại trang và thực hiện lại."
    )
    return page("desk/error.html", 400, status=400, message=message)


@desk.errorhandler(HTTPException)
def _http(error: HTTPException) -> Response:
    status = error.code or 500
    return page("desk/error.html", status, status=status, message=TITLES_VI.get(status, error.name))


# -- helpers for the templates --------------------------------------------------------------------


def at_vi(value: str | datetime | None) -> str:
    """An ISO string (as the story gives them) or a datetime → ``dd/mm/yyyy HH:MM``."""
    if value is None:
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when_vi(when)


def action_label(action: str) -> str:
    if action in ACTIONS:
        return ACTIONS[action].label_vi
    if action == disclosure.DISCLOSE.action:
        return disclosure.DISCLOSE.label_vi
    if action == recovery.REISSUE.action:
        return recovery.REISSUE.label_vi
    return action


def actor_label(actor: str, role: str) -> str:
    """Who did a step, saying each thing once.

    The reporter is recorded as "người phản ánh" (Đ5.4), which is the role itself: the role alone.
    Staff: the name and the role; a name that already names the role is left as it is, and a
    name that already has its own parenthesis (``Trần Thị Bình (Trung tâm IOC)``) gets the role
    after a dot rather than a second parenthesis.
    """
    label = queues.ROLE_LABELS.get(role, role)
    if role == Role.REPORTER or fold(actor) == fold(label):
        return label
    if fold(label) in fold(actor):
        return actor
    return f"{actor} · {label}" if "(" in actor else f"{actor} ({label})"


def event_facts(data: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The event's data as (label, text) pairs, codes turned into names."""
    snap, facts = snapshot(), []
    for key, value in (data or {}).items():
        if key not in DATA_LABELS or value in (None, "", [], {}, False):
            continue
        if key in ("sector", "suggested_sector") and value in snap.sectors:
            text = snap.sectors[value].name
        elif key in ("agency", "suggested_agency", "rules_choice", "unit"):
            text = snap.agencies[value].name if value in snap.agencies else str(value)
        elif key == "returned_by":
            text = ", ".join(snap.agencies[c].name if c in snap.agencies else c for c in value)
        elif key in ("due", "requested_due", "due_kept"):
            text = at_vi(value)
        elif key == "committee":
            text = "Có"
        elif key == "visibility":
            text = VISIBILITY_WORDS.get(value, value)
        elif key == "rule":
            text = describe(snap, value)
        elif key in ("rating", "previous"):
            text = RATINGS.get(value, value)
        elif key == "files":
            text = ", ".join(f"{f['filename']} ({size_text(f['size'])})" for f in value)
        elif key == "attachments":
            text = ", ".join(map(str, value))
        else:
            text = str(value)
        facts.append((DATA_LABELS[key], text))
    return facts


def sector_details(story: dict[str, Any]) -> list[Detail]:
    """The answers to the sector's extra fields: the reporter's, then the officer's with the result.

    The reporter's belong to the sector chosen when reporting (``suggested_sector``), the
    result's to the report's sector; a value whose field left the configuration keeps its code.
    """
    snap = snapshot()
    asked = details(snap.sectors.get(story.get("suggested_sector") or ""), story["extra"], "report")
    found = details(snap.sectors.get(story.get("sector") or ""), story["result_extra"], "result")
    return [*asked, *found]


def result_fields(
    sector: str | None, *, formdata: Any = None, values: dict[str, Any] | None = None
) -> SectorFieldsForm | None:
    """The sector's extra fields of stage ``result`` in the officer's result form (``extra-…``)."""
    found = snapshot().sectors.get(sector or "")
    return fields_form(found, "result", prefix="extra", formdata=formdata, values=values)


def _filters() -> tuple[queues.Filters, dict[str, str]]:
    snap, args, problems = snapshot(), request.args, {}

    def pick(key: str, known: Any, message: str) -> str | None:
        value = (args.get(key) or "").strip() or None
        if value is not None and value not in known:
            problems[key] = message
            return None
        return value

    state = pick("trang-thai", {s.value for s in State}, "Tình trạng này không có.")
    filters = queues.Filters(
        state=State(state) if state else None,
        sector=pick("linh-vuc", snap.sectors, "Lĩnh vực này không có trong danh sách."),
        area=pick("xa", snap.areas, "Xã, phường này không có trong danh sách."),
        agency=pick("co-quan", snap.agencies, "Cơ quan này không có trong danh sách."),
        overdue=args.get("qua-han") in ("1", "on", "y"),
        text=(args.get("q") or "").strip()[:TEXT_FILTER_MAX] or None,
        since=_day_start(args.get("tu"), "tu", problems),
        until=_day_start(args.get("den"), "den", problems, after=True),
    )
    return filters, problems


def _day_start(
    raw: str | None, key: str, problems: dict[str, str], *, after: bool = False
) -> datetime | None:
    """00:00 of a local day (``after``: of the day after), in UTC: a period's end as the figures
    count it (:mod:`engine.stats`), so a dashboard's drill-down lists the same reports."""
    if not (raw or "").strip():
        return None
    try:
        day = stats.parse_day(raw or "", key)
    except InvalidInput as exc:
        problems[key] = exc.message_vi
        return None
    zone = ZoneInfo(snapshot().calendar.timezone)
    return datetime.combine(day + timedelta(days=int(after)), time(0), zone).astimezone(UTC)


def _filter_context() -> dict[str, Any]:
    snap = snapshot()
    return {
        "areas": sorted(snap.areas.values(), key=lambda a: fold(a.name.split(" ", 1)[-1])),
        "agencies": [(o.value, o.label, o.group) for o in widgets.agency_options(snap)],
        "kept": {k: v for k, v in request.args.items() if k not in ("trang", "sau") and v},
    }


# -- my queues -------------------------------------------------------------------------------------


@desk.get("")
@desk.get("/")
@staff_required()
def home() -> Response:
    staff, life = current_staff(), lifecycle()
    assert staff is not None
    now = life.now()
    filters, problems = _filters()
    key = request.args.get("hang")
    record: list[queues.RecordLine] = []
    register: list[disclosure.DisclosureRecord] = []
    with life.uow.read() as db:
        if key:
            chosen = queues.find_queue(staff.role, key)
            after = request.args.get("sau") or None
            try:
                one = queues.queue_rows(
                    db, life, staff.actor, chosen, now, filters, QUEUE_PAGE, after
                )
            except keyset.BadCursor:
                problems["sau"] = BAD_POSITION
                one = queues.queue_rows(db, life, staff.actor, chosen, now, filters, QUEUE_PAGE)
            views = [one]
        else:
            views = queues.my_queues(db, life, staff.actor, now, filters, QUEUE_PREVIEW)
        if staff.role is Role.AUDITOR:
            record = queues.recent_events(db, life, staff.actor, limit=20, count=False).lines
            register = disclosure.disclosures(db, limit=10)[1]
    return page(
        "desk/home.html",
        views=views,
        one=key,
        later=bool(key and request.args.get("sau") and "sau" not in problems),
        filters=filters,
        problems=problems,
        record=record,
        register=register,
        now=now,
        **_filter_context(),
    )


# -- one report ------------------------------------------------------------------------------------


def _report_page(
    code: str,
    status: int = 200,
    *,
    failed: tuple[str, dict[str, str], dict[str, str], str | None] | None = None,
    problem: str | None = None,
    disclose_form: dict[str, Any] | None = None,
    extra_form: SectorFieldsForm | None = None,
) -> Response:
    staff, life, snap = current_staff(), lifecycle(), snapshot()
    assert staff is not None
    with life.uow.read() as db:
        view = queues.report_view(db, life, staff.actor, code, life.now())
        assigns = any(a.action == "assign" for a in view.actions)
        targets = assignment.targets(db, snap, staff.agency) if assigns else None
    ctx = widgets.Context(view, snap, life.rules, life.zone, targets)
    forms = []
    for row in view.actions:
        if failed is not None and failed[0] == row.action:
            _, posted, errors, form_problem = failed
            forms.append(
                widgets.build(ctx, row, posted=posted, errors=errors, problem=form_problem)
            )
        else:
            forms.append(widgets.build(ctx, row))
        if "extra" in row.accepts:  # the sector's extra fields of the result (Đ8.B4)
            posted_here = failed is not None and failed[0] == row.action
            group = extra_form if posted_here else None
            group = group or result_fields(view.row.sector, values=view.story["result_extra"])
            opened = forms[-1].opened or bool(group is not None and group.with_errors)
            forms[-1] = replace(forms[-1], sector_fields=group, opened=opened)
    return page(
        "desk/report.html",
        status,
        view=view,
        forms=forms,
        problem=problem,
        disclose_form=disclose_form or {"posted": {}, "errors": {}},
        portal_config=snap.portal,
    )


@desk.get("/phan-anh/<code>")
@staff_required()
def report(code: str) -> Response:
    return _report_page(code)


@desk.post("/phan-anh/<code>/<action>")
@staff_required()
def act(code: str, action: str) -> Response:
    """Do ``action`` on report ``code``: one route for every row of the table."""
    staff, life = current_staff(), lifecycle()
    assert staff is not None
    row = ACTIONS.get(action)
    if row is None or row not in widgets.desk_rows():
        abort(404)
    if staff.role not in row.roles:
        raise Forbidden(
            f"Vai trò «{queues.ROLE_LABELS[staff.role]}» không được thực hiện «{row.label_vi}» "
            f"({row.article}). Chưa có gì được ghi.",
            f"The role '{staff.role}' may not '{row.action}'.",
        )
    with life.uow.read() as db:
        # another agency's report: 403 here
        sector = queues.load_visible(db, life, staff.actor, code).sector
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        return _report_page(code, 400, problem="Trang thiếu phiên bản; hãy tải lại trang.")
    parsed = widgets.parse(row, request.form, life.zone)
    extra = result_fields(sector, formdata=request.form) if "extra" in row.accepts else None
    extra_valid = extra.validate() if extra is not None else True
    if parsed.errors or not extra_valid:
        failed = (action, parsed.posted, parsed.errors, None)
        return _report_page(code, 422, failed=failed, extra_form=extra)
    if extra is not None:
        parsed.inputs["extra"] = extra.values()
    if "attachments" in row.accepts:
        try:
            stored = _result_files()
        except MediaRefused as refused:
            errors = {"attachments": refused.message_vi + " Chưa có gì được ghi."}
            return _report_page(code, 422, failed=(action, parsed.posted, errors, None))
        if stored:
            parsed.inputs["attachments"] = stored
    try:
        outcome = life.perform(
            staff.actor, code, action, version=version, note=parsed.note, **parsed.inputs
        )
    except Conflict:
        return _report_page(
            code,
            409,
            failed=(action, parsed.posted, {}, CONFLICT),
            problem=CONFLICT,
            extra_form=extra,
        )
    except InvalidExtra as refused:
        if extra is not None:
            extra.add_problems(refused.problems)
        failed = (action, parsed.posted, {}, None if extra is not None else refused.message_vi)
        return _report_page(code, 422, failed=failed, extra_form=extra)
    except InvalidInput as refused:
        where = refused.field if refused.field in parsed.posted else None
        errors = {where: refused.message_vi} if where else {}
        return _report_page(
            code, 422, failed=(action, parsed.posted, errors, None if where else refused.message_vi)
        )
    except WrongState:
        with life.uow.read() as db:
            now = State(queues.load_visible(db, life, staff.actor, code).state)
        return _report_page(
            code,
            422,
            problem=f"Không thể «{row.label_vi}» khi phản ánh đang ở tình trạng "
            f"«{STATE_LABELS_VI[now]}». Chưa có gì được ghi.",
        )
    flash(f"Đã thực hiện: {row.label_vi}. Tình trạng: {STATE_LABELS_VI[outcome.state]}.", "ok")
    return redirect(url_for(".report", code=code), 303)


def _result_files() -> tuple[StoredFile, ...]:
    """The result's files posted with the form: all checked and cleaned first, then stored.

    A refusal (a type not taken, too large, damaged, too many) stores none of them.
    """
    posted = [f for f in request.files.getlist("attachments") if f.filename]
    if not posted:
        return ()
    incoming = [IncomingFile(f.read(), f.filename or "", f.mimetype) for f in posted]
    portal = snapshot().portal
    store = MediaStore(current_app.config["MEDIA_ROOT"])
    return tuple(accept(incoming, portal, store, result_limits_of(portal)))


@desk.post("/phan-anh/<code>/cong-bo-thong-tin")
@staff_required(Role.OPERATOR_ADMIN)
def disclose(code: str) -> Response:
    """Hand the reporter's details to a competent authority, on the record (Đ13.7)."""
    staff, life = current_staff(), lifecycle()
    assert staff is not None
    posted = {k: (request.form.get(k) or "").strip() for k in ("authority", "reason")}
    try:
        details = disclosure.disclose(
            life, staff.actor, code, authority=posted["authority"], reason=posted["reason"]
        )
    except InvalidInput as refused:
        errors = {refused.field or "authority": refused.message_vi}
        return _report_page(code, 422, disclose_form={"posted": posted, "errors": errors})
    except Conflict:
        return _report_page(
            code, 409, problem=CONFLICT, disclose_form={"posted": posted, "errors": {}}
        )
    return page(
        "desk/disclosed.html",
        details=details,
        authority=posted["authority"],
        reason=posted["reason"],
        at=life.now(),
    )


# -- search, the register, the record --------------------------------------------------------------


@desk.get("/tim-kiem")
@staff_required()
def search() -> Response:
    staff, life = current_staff(), lifecycle()
    assert staff is not None
    filters, problems = _filters()
    number = page_number(request.args)
    with life.uow.read() as db:
        found = queues.search(db, life, staff.actor, filters, life.now(), number, SEARCH_PAGE)
    return page(
        "desk/search.html", found=found, filters=filters, problems=problems, **_filter_context()
    )


@desk.get("/cong-bo-thong-tin")
@staff_required(*disclosure.REGISTER_READERS)
def register() -> Response:
    number = page_number(request.args)
    with lifecycle().uow.read() as db:
        total, rows = disclosure.disclosures(
            db, limit=RECORD_PAGE, offset=(number - 1) * RECORD_PAGE
        )
    pages = max(1, -(-total // RECORD_PAGE))
    return page("desk/register.html", rows=rows, total=total, number=number, pages=pages)


@desk.get("/nhat-ky")
@staff_required(*disclosure.REGISTER_READERS)
def record() -> Response:
    """The record, newest first, a page at a time by position (``?sau=``)."""
    staff, life = current_staff(), lifecycle()
    assert staff is not None
    after, problem = request.args.get("sau") or None, None
    with life.uow.read() as db:
        try:
            found = queues.recent_events(db, life, staff.actor, RECORD_PAGE, after)
        except keyset.BadCursor:
            after, problem = None, BAD_POSITION
            found = queues.recent_events(db, life, staff.actor, RECORD_PAGE)
    return page("desk/record.html", found=found, later=bool(after), problem=problem)


# -- pictures --------------------------------------------------------------------------------------


@desk.get("/tep/<id:attachment_id>")
@staff_required()
def media(attachment_id: int) -> Response:
    return _media(attachment_id, thumbnail=False)


@desk.get("/tep/<id:attachment_id>/nho")
@staff_required()
def thumbnail(attachment_id: int) -> Response:
    return _media(attachment_id, thumbnail=True)


def _media(attachment_id: int, *, thumbnail: bool) -> Response:
    staff, life = current_staff(), lifecycle()
    assert staff is not None
    with life.uow.read() as db:
        found = queues.media_of(db, life, staff.actor, attachment_id)
        relative = found.thumbnail_path if thumbnail else found.path
        content_type = "image/jpeg" if thumbnail else found.content_type
        filename = found.filename
    return send_stored(
        relative, content_type, max_age=MEDIA_MAX_AGE, private=True, filename=filename
    )
