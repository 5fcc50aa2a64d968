"""The staff's side of the API: their reports, one report's whole story, and every action of the
workflow table, with a bearer token from ``/api/v1/auth/token``.

* ``GET /reports`` and ``GET /reports/{code}`` are the public routes of :mod:`web.api.reports`;
  when the request carries ``Authorization: Bearer …`` they answer with :func:`report_list` and
  :func:`report_detail` instead. A token that is wrong, expired or revoked is a 401, never the
  public answer.
* ``POST /reports/{code}/actions/{action}`` does one staff row of the table
  (:data:`STAFF_ACTIONS`) with a JSON body ``{"version", "note"?, …the row's own fields}`` and
  answers 200 ``{code, state, state_label, version, event_seq}``. It takes an ``Idempotency-Key``
  like every other POST.

Who sees what is :mod:`engine.services.queues` (the desk's own reads: scope, filters, the running
clock's standing); the reporter's identity is in the answer only for the roles the desk shows it to
(:data:`engine.services.disclosure.SEES_REPORTER`). Every change goes through
:meth:`Lifecycle.perform`, whose refusals are problem details (``web.errors``): 403 for a role or
an agency that may not, 409 for a stale ``version``, 422 for a wrong state or a missing field.
Refusals are checked in the desk's order: the action (404), the role (403), the report's scope
(404/403) — all three before the ``Idempotency-Key``, so a stored answer is replayed only to
someone who may do that action on that report —, then the body (422, every field at once), then
the use case (403, 409, 422).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from types import MappingProxyType
from typing import Any

from flask import Response, jsonify, request, url_for

from engine.config.regulation import STEP_NAMES_VI
from engine.sector_fields import Detail, details
from engine.services import disclosure, queues, recovery
from engine.services.errors import Forbidden, NotFound
from engine.sla.clocks import Standing
from engine.workflow import RATINGS, STATE_LABELS_VI, TABLE, State, Transition
from web.api import api, inputs, views
from web.api.idempotency import idempotent
from web.api.inputs import ApiProblem, FieldError, bounded_int
from web.api.views import instant
from web.auth import Staff, bearer_staff, token_required
from web.runtime import lifecycle, snapshot

#: The rows of the table staff perform: every row but the creating one and the reporter's.
STAFF_ACTIONS: Mapping[str, Transition] = MappingProxyType(
    {
        row.action: row
        for row in TABLE
        if not row.creates and any(role in queues.STAFF_ROLES for role in row.roles)
    }
)
#: The inputs of the table a staff row may take (``text`` and ``rating`` are the reporter's).
ACTION_FIELDS = frozenset().union(*(row.requires | row.accepts for row in STAFF_ACTIONS.values()))
NOTE_MAX = 2000
#: Longest value of each text input (the database column's size, or the desk's limit).
TEXT_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "sector": 60,
        "agency": 40,
        "unit": 40,
        "officer": 60,
        "duplicate_of": 20,
        "reason": 2000,
        "result": 5000,
        "due": 40,
    }
)
ATTACHMENTS_MAX = 20
ATTACHMENT_CHARS = 500
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
QUERY_MAX = 200
#: Filters of the public list the staff list does not have.
PUBLIC_ONLY = ("since", "until")
#: Filters of the staff list the public list does not have.
STAFF_ONLY = ("state", "agency", "overdue")
LABELS_VI: Mapping[str, str] = MappingProxyType(
    {
        "version": "Phiên bản",
        "note": "Ghi chú",
        "sector": "Lĩnh vực",
        "agency": "Cơ quan xử lý",
        "unit": "Đơn vị trực thuộc",
        "officer": "Cán bộ xử lý",
        "duplicate_of": "Mã phản ánh gốc (trùng)",
        "reason": "Lý do",
        "result": "Kết quả xử lý",
        "due": "Thời hạn",
        "committee": "Báo cáo UBND tỉnh",
        "attachments": "Tệp kết quả",
        "extra": "Thông tin riêng của lĩnh vực",
    }
)


def _staff() -> Staff:
    staff = bearer_staff()
    assert staff is not None  # guarded by ``token_required``
    return staff


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Authorization")
    return response


# -- the list --------------------------------------------------------------------------------------


@token_required()
def report_list() -> Response:
    """The reports the token's owner sees, newest first, with the desk's filters, one page."""
    life = lifecycle()
    filters, number, size = _filters(request.args)
    with life.uow.read() as session:
        found = queues.search(session, life, _staff().actor, filters, life.now(), number, size)
    return _private(
        jsonify(
            {
                "view": "staff",
                "items": [_row(row, life.zone) for row in found.rows],
                "total": min(found.total, found.cap) if found.capped else found.total,
                "total_capped": found.capped,
                "page": found.page,
                "size": found.size,
                "pages": found.pages,
            }
        )
    )


def _filters(args: Any) -> tuple[queues.Filters, int, int]:
    snap, errors = lifecycle().snapshot, []

    def pick(name: str, known: Any) -> str | None:
        value = (args.get(name) or "").strip() or None
        if value is not None and value not in known:
            errors.append(
                FieldError(
                    name,
                    f"Giá trị '{value}' của '{name}' không có trong danh sách.",
                    f"The value '{value}' of '{name}' is not known.",
                )
            )
            return None
        return value

    def whole(name: str, default: int, high: int) -> int:
        return bounded_int(args, name, default, high, errors)

    for name in PUBLIC_ONLY:
        if args.get(name):
            errors.append(
                FieldError(
                    name,
                    f"Bộ lọc '{name}' chỉ dùng cho danh sách công khai.",
                    f"The filter '{name}' is for the public list only.",
                )
            )
    overdue = (args.get("overdue") or "").strip().lower()
    if overdue not in inputs.TRUE_WORDS | inputs.FALSE_WORDS | {""}:
        errors.append(
            FieldError(
                "overdue",
                "'overdue' phải là true hoặc false.",
                "'overdue' must be true or false.",
            )
        )
    text = (args.get("q") or "").strip() or None
    if text is not None and len(text) > QUERY_MAX:
        errors.append(
            FieldError(
                "q",
                f"Từ khóa tìm kiếm dài quá {QUERY_MAX} ký tự.",
                f"The search text is longer than {QUERY_MAX} characters.",
            )
        )
    state = pick("state", {s.value for s in State})
    filters = queues.Filters(
        state=State(state) if state else None,
        sector=pick("sector", snap.sectors),
        area=pick("area", snap.areas),
        agency=pick("agency", snap.agencies),
        overdue=overdue in inputs.TRUE_WORDS,
        text=text,
    )
    number = whole("page", 1, MAX_PAGE)
    size = whole("size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if errors:
        raise inputs.invalid(errors)
    return filters, number, size


def _row(row: queues.Row, zone: tzinfo) -> dict[str, Any]:
    return {
        "code": row.code,
        "state": str(row.state),
        "state_label": row.state_label,
        "version": row.version,
        "summary": row.summary,
        "sector": row.sector,
        "sector_name": row.sector_name,
        "area": row.area,
        "area_name": row.area_name,
        "address": row.address,
        "agency": row.agency,
        "agency_name": row.agency_name,
        "unit": row.unit,
        "unit_name": row.unit_name,
        "officer": row.officer,
        "officer_account": row.officer_account,
        "confidential": row.confidential,
        "state_secret": row.state_secret,
        "submitted_at": instant(row.submitted_at, zone),
        "updated_at": instant(row.updated_at, zone),
        "clock": _deadline(row.deadline, zone),
    }


def _deadline(deadline: queues.Deadline | None, zone: tzinfo) -> dict[str, Any] | None:
    """The most urgent running clock: its step, due time, standing and working minutes left."""
    if deadline is None:
        return None
    return {
        "step": deadline.step,
        "step_name": deadline.step_name,
        "due_at": instant(deadline.due_at, zone),
        "standing": deadline.standing.value,
        "standing_label": deadline.label,
        "remaining_minutes": deadline.remaining_minutes,
        "extended": deadline.extended,
    }


# -- one report ------------------------------------------------------------------------------------


@token_required()
def report_detail(code: str) -> Response:
    """The report as the desk shows it to the token's owner; 403/404 outside their scope."""
    life = lifecycle()
    with life.uow.read() as session:
        view = queues.report_view(session, life, _staff().actor, code, life.now())
    return _private(jsonify(_report(view, life.zone)))


def _report(view: queues.ReportView, zone: tzinfo) -> dict[str, Any]:
    told, row = view.story, view.row
    latitude, longitude = told["coordinates"] or (None, None)
    return {
        "view": "staff",
        **{k: v for k, v in _row(row, zone).items() if k != "summary"},
        "channel": told["channel"],
        "content": told["content"],
        "suggested_sector": told["suggested_sector"],
        "latitude": latitude,
        "longitude": longitude,
        "routing_rule": told["routing_rule"],
        "proposed_result": view.proposed_result,
        "approved_result": view.approved_result,
        "published_text": told["published_text"],
        "rating": told["rating"],
        "rating_label": RATINGS.get(told["rating"] or ""),
        "details": [views.detail(d) for d in _details(told)],
        "clocks": [_clock(c, zone) for c in told["clocks"]],
        "events": [_event(e, zone) for e in told["events"]],
        "extensions": [
            {
                key: _zoned(value, zone) if key.endswith(("_due", "_at")) else value
                for key, value in e.items()
            }
            for e in told["extensions"]
        ],
        "pending_extension": (
            {
                "requested_by": view.pending_extension.requested_by,
                "requested_due": instant(view.pending_extension.requested_due, zone),
                "reason": view.pending_extension.reason,
            }
            if view.pending_extension
            else None
        ),
        "replies": [{"at": _zoned(r["at"], zone), "text": r["text"]} for r in told["replies"]],
        "ratings": [{"at": _zoned(r["at"], zone), "value": r["value"]} for r in told["ratings"]],
        "media": [
            {"id": m.id, "stage": m.stage, "kind": m.kind, "filename": m.filename}
            for m in view.media
        ],
        "reporter": (
            {
                "name": view.reporter.name,
                "phone": view.reporter.phone,
                "email": view.reporter.email,
                "address": view.reporter.address,
            }
            if view.reporter
            else None
        ),
        "allowed_actions": [_allowed(action, row.code) for action in view.actions],
        "publication": (
            {"level": view.preview.level, "label": view.preview.label, "text": view.preview.text}
            if view.preview
            else None
        ),
        "disclosures": [
            {
                "id": d.id,
                "disclosed_at": instant(d.disclosed_at, zone),
                "disclosed_by": d.disclosed_by,
                "authority": d.authority,
                "reason": d.reason,
            }
            for d in view.disclosures
        ],
    }


def _details(told: Mapping[str, Any]) -> list[Detail]:
    """The answers to the sector's extra fields, as the desk shows them."""
    sectors = snapshot().sectors
    asked = details(sectors.get(told["suggested_sector"] or ""), told["extra"], "report")
    found = details(sectors.get(told["sector"] or ""), told["result_extra"], "result")
    return [*asked, *found]


def _zoned(value: str | None, zone: tzinfo) -> str | None:
    """An ISO instant of the story, in the province's zone."""
    return instant(datetime.fromisoformat(value), zone) if value else None


def _clock(clock: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    instants = ("started_at", "due_at", "base_due_at", "stopped_at")
    return {
        **{key: _zoned(value, zone) if key in instants else value for key, value in clock.items()},
        "step_name": STEP_NAMES_VI.get(clock["step"], clock["step"]),
        "standing_label": queues.STANDING_LABELS[Standing(clock["standing"])],
    }


def _event(event: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    row = STAFF_ACTIONS.get(event["action"])
    return {
        "seq": event["seq"],
        "at": _zoned(event["at"], zone),
        "actor": event["actor"],
        "role": event["role"],
        "action": event["action"],
        "action_label": row.label_vi if row else _OTHER_LABELS.get(event["action"]),
        "from": event["from"],
        "to": event["to"],
        "note": event["note"],
        "data": event["data"] or {},
        "hash": event["hash"],
    }


_OTHER_LABELS = {row.action: row.label_vi for row in TABLE if row.action not in STAFF_ACTIONS} | {
    disclosure.DISCLOSE.action: disclosure.DISCLOSE.label_vi,
    recovery.REISSUE.action: recovery.REISSUE.label_vi,
}


def _allowed(row: Transition, code: str) -> dict[str, Any]:
    return {
        "action": row.action,
        "label": row.label_vi,
        "article": row.article,
        "note_required": row.note_required,
        "requires": sorted(row.requires),
        "accepts": sorted(row.accepts),
        "href": url_for("api.perform_action", code=code, action=row.action),
    }


# -- actions ---------------------------------------------------------------------------------------


def _may_act(view: Callable[..., Response]) -> Callable[..., Response]:
    """The action exists (404), the role may do it (403), the report is in scope (404/403).

    Checked before the ``Idempotency-Key`` is looked at: a stored answer is only ever replayed to
    someone who may do this action on this report.
    """

    @functools.wraps(view)
    def guarded(code: str, action: str) -> Response:
        staff, life = _staff(), lifecycle()
        row = STAFF_ACTIONS.get(action)
        if row is None:
            known = ", ".join(STAFF_ACTIONS)
            raise NotFound(
                f"Không có thao tác '{action}' cho cán bộ; các thao tác: {known}.",
                f"There is no staff action '{action}'; the actions are: {known}.",
            )
        if staff.role not in row.roles:
            allowed = ", ".join(sorted(row.roles))
            raise Forbidden(
                f"Vai trò '{staff.role}' không được thực hiện '{row.action}' (chỉ: {allowed}).",
                f"The role '{staff.role}' may not '{row.action}' (only: {allowed}).",
            )
        with life.uow.read() as session:
            queues.load_visible(session, life, staff.actor, code)  # another agency's: 403
        return view(code=code, action=action)

    return guarded


@api.post("/reports/<code>/actions/<action>")
@token_required()
@_may_act
@idempotent
def perform_action(code: str, action: str) -> Response:
    """Do ``action`` on report ``code`` as the token's owner, on the ``version`` they read."""
    staff, life = _staff(), lifecycle()
    version, note, values = action_input(STAFF_ACTIONS[action], _json_body())
    outcome = life.perform(staff.actor, code, action, version=version, note=note, **values)
    return _private(
        jsonify(
            {
                "code": outcome.code,
                "state": str(outcome.state),
                "state_label": STATE_LABELS_VI[outcome.state],
                "version": outcome.version,
                "event_seq": outcome.event_seq,
            }
        )
    )


def _json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiProblem(
            415,
            f"Kiểu dữ liệu '{request.mimetype or 'không rõ'}' không được hỗ trợ; "
            "chỉ nhận application/json.",
            f"The content type '{request.mimetype}' is not supported; send application/json.",
            code="unsupported_media_type",
        )
    return inputs.json_object(request.get_json(silent=True))


def action_input(
    row: Transition, data: Mapping[str, Any]
) -> tuple[int, str | None, dict[str, Any]]:
    """The version, the note and the row's own inputs from a JSON body; every wrong field at once.

    Only the fields the row requires or accepts are passed on; any other is refused by name.
    """
    errors: list[FieldError] = []
    taken = row.requires | row.accepts
    for name in data:
        if name in ("version", "note") or name in taken:
            continue
        if name in ACTION_FIELDS:
            errors.append(
                FieldError(
                    name,
                    f"Thao tác '{row.action}' ({row.label_vi}) không nhận trường '{name}'.",
                    f"The action '{row.action}' does not take '{name}'.",
                )
            )
        else:
            errors.append(
                FieldError(name, f"Trường '{name}' không được hỗ trợ.", f"Unknown field '{name}'.")
            )
    version = _version(data.get("version"), errors)
    note = (inputs._text(data.get("note"), "note", NOTE_MAX, errors) or "").strip() or None
    if row.note_required and note is None and "note" not in _named(errors):
        errors.append(_missing(row, "note"))
    values: dict[str, Any] = {}
    for name in sorted(taken):
        value = _value(name, data.get(name), errors)
        if value is not None:
            values[name] = value
        elif name in row.requires and name not in _named(errors):
            errors.append(_missing(row, name))
    if errors:
        raise inputs.invalid(errors)
    assert version is not None
    return version, note, values


def _named(errors: list[FieldError]) -> set[str]:
    return {e.field for e in errors}


def _missing(row: Transition, name: str) -> FieldError:
    return FieldError(
        name,
        f"Thao tác '{row.action}' ({row.label_vi}) cần {LABELS_VI[name].lower()} ('{name}').",
        f"The action '{row.action}' requires '{name}'.",
    )


def _version(raw: Any, errors: list[FieldError]) -> int | None:
    if raw is None:
        errors.append(
            FieldError(
                "version",
                "Cần gửi phiên bản ('version') của phản ánh đã đọc, để không ghi đè thay đổi của "
                "người khác.",
                "The version of the report you read is required ('version').",
            )
        )
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        errors.append(
            FieldError(
                "version",
                "Phiên bản ('version') phải là số nguyên không âm.",
                "The version must be a non-negative whole number.",
            )
        )
        return None
    return raw


def _value(name: str, raw: Any, errors: list[FieldError]) -> Any:
    """One input of the row, of the right type; ``None`` when absent (or wrong, with an error)."""
    if raw is None or raw == "":
        return None
    if name == "committee":
        if not isinstance(raw, bool):
            errors.append(
                FieldError(
                    name,
                    f"{LABELS_VI[name]} phải là true hoặc false.",
                    f"'{name}' must be a boolean.",
                )
            )
            return None
        return True if raw else None
    if name == "extra":
        if not isinstance(raw, dict):
            errors.append(
                FieldError(
                    name,
                    f"{LABELS_VI[name]} (extra) phải là một đối tượng JSON {{mã trường: giá trị}}.",
                    "'extra' must be a JSON object {field code: value}.",
                )
            )
            return None
        return raw  # checked against the report's sector by the use case
    if name == "attachments":
        if (
            not isinstance(raw, list)
            or len(raw) > ATTACHMENTS_MAX
            or not all(
                isinstance(v, str) and 0 < len(v) <= ATTACHMENT_CHARS and inputs._storable(v)
                for v in raw
            )
        ):
            errors.append(
                FieldError(
                    name,
                    f"{LABELS_VI[name]} phải là danh sách tối đa {ATTACHMENTS_MAX} chuỗi, mỗi "
                    f"chuỗi tối đa {ATTACHMENT_CHARS} ký tự.",
                    f"'{name}' must be a list of at most {ATTACHMENTS_MAX} strings of at most "
                    f"{ATTACHMENT_CHARS} characters.",
                )
            )
            return None
        return list(raw) or None
    text = inputs._text(raw, name, TEXT_LIMITS[name], errors)
    text = (text or "").strip() or None
    if name != "due" or text is None:
        return text
    try:
        when: datetime | None = datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        errors.append(
            FieldError(
                name,
                "Thời hạn phải là thời điểm ISO 8601 có múi giờ, ví dụ 2026-05-08T17:00+07:00.",
                "The due time must be an ISO 8601 instant with an offset, e.g. "
                "2026-05-08T17:00+07:00.",
            )
        )
        return None
    return when
