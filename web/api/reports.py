"""The reports resource: send a report, read it (public or the reporter's view), reply, rate.

Each route parses its input (``web.api.inputs``), calls one use case or one public view, and turns
the answer into JSON (``web.api.views``). Refusals of the use cases are ``DomainError`` and become
problem details in ``web.errors``; refusals of the input are ``ApiProblem`` (``web.api.handlers``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from flask import Response, current_app, jsonify, request, send_file, url_for

from engine import sector_fields
from engine.services.errors import NotFound
from engine.services.lifecycle import REPORTER_IN_RECORD, Actor, NewReport
from engine.services.public import (
    Filters,
    Tracking,
    public_photo,
    published_report,
    published_reports,
    tracking,
)
from engine.uploads import IncomingFile, MediaRefused, MediaStore, StoredFile, accept
from engine.uploads import proposed_place as photo_place
from engine.workflow import STATE_LABELS_VI, Role
from web.api import api, inputs, staff, views
from web.api.idempotency import TOKEN_HEADER, idempotent, not_replayed
from web.api.inputs import ApiProblem, FieldError, bounded_int
from web.auth import bearer_token
from web.limits import give_back, limiter, public_post_limit
from web.runtime import lifecycle, snapshot

REPORTER = Actor(REPORTER_IN_RECORD, Role.REPORTER)
MAX_PAGE_SIZE = 100


def rate_limited(view: Callable[..., Response]) -> Callable[..., Response]:
    """``RATELIMIT_PUBLIC_POST`` per client, counted when the request arrives (so that parallel
    requests are limited too) and given back when the answer is an idempotent replay."""

    @wraps(view)
    def counted(**kwargs: Any) -> Response:
        response = view(**kwargs)
        if not not_replayed(response):
            give_back()
        return response

    return limiter.limit(public_post_limit)(counted)


# -- sending a report ----------------------------------------------------------------------------


@api.post("/reports")
@rate_limited
@idempotent
def create_report() -> Response:
    """A new report, as JSON or as a multipart form with its photos and videos (``media``)."""
    life, snap = lifecycle(), snapshot()
    form = request.mimetype == "multipart/form-data"
    if form:
        fields = inputs.form_fields(request.form, request.files)
    elif request.is_json:
        fields = inputs.json_object(request.get_json(silent=True))
    else:
        raise _unsupported("application/json, multipart/form-data")
    given = inputs.report_input(fields, form=form, content_max=snap.portal.content_max_chars)
    files = inputs.media_files(request.files) if form else []
    _check_completeness(given, photos_may_place=bool(files))
    _check_extra(given)
    stored = _store(files)
    latitude, longitude = given.latitude, given.longitude
    if latitude is None and longitude is None:
        latitude, longitude = photo_place(stored, snap.portal.bounds) or (None, None)
    submitted = life.submit(
        NewReport(
            name=given.name,
            phone=given.phone,
            content=given.content,
            channel=given.channel,
            email=given.email,
            reporter_address=given.reporter_address,
            area=given.area,
            address=given.address,
            latitude=latitude,
            longitude=longitude,
            sector=given.sector,
            confidential=given.confidential,
            attachments=tuple(stored),
            extra=given.extra,
        ),
        ask_for_missing=False,
    )
    response = jsonify(
        {
            "code": submitted.code,
            "tracking_token": submitted.tracking_token,
            "status": str(submitted.state),
            "status_label": STATE_LABELS_VI[submitted.state],
            "tracking_url": url_for(
                "api.get_report",
                code=submitted.code,
                token=submitted.tracking_token,
                _external=True,
            ),
        }
    )
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_report", code=submitted.code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_completeness(given: inputs.ReportInput, *, photos_may_place: bool) -> None:
    """Every field the completeness rules (Đ5.1–5.3) find wrong, named at once.

    The use case asks the same rules again and refuses at the first problem; asking here first
    lets the answer list all of them. A photo's location may still give the place, so a missing
    place is left to the use case when photos came.
    """
    fact = {
        "name": given.name,
        "phone": given.phone,
        "email": given.email,
        "content": given.content,
        "area": given.area,
        "address": given.address,
        "lat": given.latitude,
        "lon": given.longitude,
    }
    problems = [d.value for d in lifecycle().rules.check_completeness(fact)]
    if photos_may_place:
        problems = [p for p in problems if p["field"] != "place"]
    if problems:
        raise inputs.invalid(
            [FieldError(p["field"], p["message_vi"], p["message_en"]) for p in problems]
        )


def _check_extra(given: inputs.ReportInput) -> None:
    """Every extra field of the chosen sector that is wrong or missing, named at once
    (``extra.<code>``), by the check the use case makes again (:mod:`engine.sector_fields`).

    An unknown sector is left to the use case, which names it.
    """
    sectors = snapshot().sectors
    if given.sector is not None and given.sector not in sectors:
        return
    checked = sector_fields.check(sectors.get(given.sector or ""), given.extra, "report")
    if checked.problems:
        raise inputs.invalid(
            [FieldError(p.field, p.message_vi, p.message_en) for p in checked.problems]
        )


def _store(files: list[IncomingFile]) -> list[StoredFile]:
    if not files:
        return []
    try:
        return accept(files, snapshot().portal, MediaStore(current_app.config["MEDIA_ROOT"]))
    except MediaRefused as refused:
        raise inputs.invalid(
            [FieldError(inputs.MEDIA_FIELD, refused.message_vi, refused.message_en)]
        ) from None


# -- reading -------------------------------------------------------------------------------------


@api.get("/reports")
def list_reports() -> Response:
    """Published results, newest first, with the public portal's filters.

    With a staff bearer token, the staff's list instead (:mod:`web.api.staff`).
    """
    if bearer_token() is not None:
        return staff.report_list()
    life, snap = lifecycle(), snapshot()
    filters, number, size = _listing(request.args, snap.portal.page_size)
    with life.uow.read() as session:
        found = published_reports(session, snap, filters, number, size)
    return _varies(jsonify(views.page(found, life.zone)))


@api.get("/reports/<code>")
def get_report(code: str) -> Response:
    """The public view of a published report; with the tracking token, the reporter's view.

    With a staff bearer token, the staff's view instead (:mod:`web.api.staff`).
    """
    if bearer_token() is not None:
        return staff.report_detail(code)
    life, snap = lifecycle(), snapshot()
    token = _token()
    with life.uow.read() as session:
        if token is None:
            return _varies(
                jsonify(views.public_report(published_report(session, snap, code), life.zone))
            )
        view = tracking(session, snap, code, token)
    return _varies(_reporter_answer(view, 200))


def _varies(response: Response) -> Response:
    """The same address answers staff with a bearer token: a cache must not mix the two."""
    response.vary.add("Authorization")
    return response


@api.get("/photos/<id:photo_id>")
def photo(photo_id: int) -> Response:
    """A photo of a published report, as stored: re-encoded, with no metadata."""
    return _send_photo(photo_id, thumbnail=False)


@api.get("/photos/<id:photo_id>/thumbnail")
def photo_thumbnail(photo_id: int) -> Response:
    return _send_photo(photo_id, thumbnail=True)


def _send_photo(photo_id: int, *, thumbnail: bool) -> Response:
    with lifecycle().uow.read() as session:
        found = public_photo(session, photo_id)
        kind, content_type, digest = found.kind, found.content_type, found.sha256
        relative = found.thumbnail_path if thumbnail else found.path
    # Videos are kept as sent, metadata included, so they are not served to the public.
    if kind != "photo" or relative is None:
        raise NotFound("Không có ảnh này.", "There is no such picture.")
    path = MediaStore(current_app.config["MEDIA_ROOT"]).path(relative)
    if not path.is_file():
        raise NotFound("Không có ảnh này.", "There is no such picture.")
    return send_file(
        path,
        mimetype="image/jpeg" if thumbnail else content_type,
        etag=digest + ("-thumbnail" if thumbnail else ""),
        conditional=True,
        max_age=86400,
    )


def _listing(args: Any, default_size: int) -> tuple[Filters, int, int]:
    errors: list[FieldError] = []

    def day(name: str) -> date | None:
        raw = args.get(name)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(
                FieldError(
                    name,
                    f"Ngày '{raw}' không hợp lệ: viết theo dạng YYYY-MM-DD.",
                    f"The date '{raw}' is not valid: write it as YYYY-MM-DD.",
                )
            )
            return None

    def whole(name: str, default: int, high: int) -> int:
        return bounded_int(args, name, default, high, errors)

    for name in staff.STAFF_ONLY:
        if name in args:
            errors.append(
                FieldError(
                    name,
                    f"Bộ lọc '{name}' chỉ dùng cho cán bộ (cần mã truy cập).",
                    f"The filter '{name}' is for staff only (a bearer token is needed).",
                )
            )

    def known(name: str, codes: Any) -> str | None:
        value = args.get(name) or None
        if value is not None and value not in codes:
            errors.append(
                FieldError(
                    name,
                    f"Không có mã '{value}' cho '{name}'.",
                    f"There is no code '{value}' for '{name}'.",
                )
            )
            return None
        return value

    snap = snapshot()
    filters = Filters(
        sector=known("sector", snap.sectors),
        area=known("area", snap.areas),
        since=day("since"),
        until=day("until"),
        text=args.get("q") or None,
    )
    number = whole("page", 1, staff.MAX_PAGE)
    size = whole("size", default_size, MAX_PAGE_SIZE)
    if errors:
        raise inputs.invalid(errors)
    return filters, number, size


# -- the reporter's answer to the result (Đ11) ---------------------------------------------------


@api.post("/reports/<code>/replies")
@rate_limited
@idempotent
def reply(code: str) -> Response:
    """The reporter asks for clarification of the result (Đ11.1)."""
    token = _required_token()
    text = inputs.reply_text(_json_body(), snapshot().portal.content_max_chars)
    return _reporter_answer(_act(code, token, "reply", text=text), 201)


@api.post("/reports/<code>/rating")
@rate_limited
@idempotent
def rate(code: str) -> Response:
    """The reporter rates the result: hài lòng, chấp nhận được, không hài lòng (Đ11.2)."""
    token = _required_token()
    value = inputs.rating_value(_json_body())
    return _reporter_answer(_act(code, token, "rate", rating=value), 200)


def _act(code: str, token: str, action: str, **values: Any) -> Tracking:
    """Do ``action`` as the reporter on the version just read; a change in between is a 409."""
    life, snap = lifecycle(), snapshot()
    with life.uow.read() as session:
        before = tracking(session, snap, code, token)
    life.perform(REPORTER, code, action, version=before.version, token=token, **values)
    with life.uow.read() as session:
        return tracking(session, snap, code, token)


def _reporter_answer(view: Tracking, status: int) -> Response:
    response = jsonify(views.reporter_view(view, lifecycle().zone))
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _token() -> str | None:
    return request.headers.get(TOKEN_HEADER) or request.args.get("token") or None


def _required_token() -> str:
    token = _token()
    if token is None:
        detail = "Cần mã theo dõi (tiêu đề X-Tracking-Token) được cấp khi gửi phản ánh."
        detail_en = "The tracking token given with the report is required (X-Tracking-Token)."
        raise ApiProblem(
            401,
            detail,
            detail_en,
            code="tracking_token_required",
            errors=[FieldError(TOKEN_HEADER, detail, detail_en)],
        )
    return token


def _json_body() -> dict[str, Any]:
    if not request.is_json:
        raise _unsupported("application/json")
    return inputs.json_object(request.get_json(silent=True))


def _unsupported(accepted: str) -> ApiProblem:
    return ApiProblem(
        415,
        f"Kiểu dữ liệu '{request.mimetype or 'không rõ'}' không được hỗ trợ; chỉ nhận {accepted}.",
        f"The content type '{request.mimetype}' is not supported; send {accepted}.",
        code="unsupported_media_type",
    )
