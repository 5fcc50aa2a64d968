"""The citizens' portal: submit a report, follow it, read published results (Vietnamese first).

Pages (Vietnamese slugs):

``/``                         what the service is, the button to report, the latest results
``/gui-phan-anh``             the report form (GET) and its submission (POST, rate-limited)
``/da-gui/<code>``            after submitting: the code and the private tracking link
``/theo-doi/<code>?t=…``      the reporter's own view; its reply, rating and addition forms POST
                              to ``/theo-doi/<code>/phan-hoi``, ``/danh-gia`` and ``/bo-sung``
``/tra-cuu``                  a lost link: the report's code and phone give a new one (POST,
                              rate-limited per client and per code)
``/ket-qua``                  published results, filtered (``linh-vuc``, ``xa``, ``tu``, ``den``,
                              ``q``) and paged: ``trang`` numbers the pages of the first
                              1 000 results, ``sau`` (a position) pages beyond, by keyset
``/ket-qua/<code>``           one published result
``/anh/<id>``, ``/anh/<id>/nho``  a published report's picture or video, and its thumbnail
``/goi-y-linh-vuc?text=…``    sector suggestions (JSON) while the citizen types
``/leaflet/<path>``           Leaflet's files, from the ``xstatic-leaflet`` package

Everything public is built by :mod:`engine.services.public`, which never selects a confidential
reporter's identity; the templates escape every value (no ``|safe`` on anything a person typed).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import xstatic.pkg.leaflet
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from engine.rules.facts import fold
from engine.sector_fields import InvalidExtra
from engine.services.errors import Conflict, DomainError, InvalidInput, NotFound, WrongState
from engine.services.keyset import BadCursor
from engine.services.lifecycle import Actor, NewReport, Submitted
from engine.services.public import (
    Filters,
    Tracking,
    public_photo,
    public_result_file,
    published_page,
    published_report,
    reporter_result_file,
    tracking,
)
from engine.services.recovery import recover
from engine.uploads import IncomingFile, MediaRefused, MediaStore, accept, proposed_place
from engine.workflow import RATINGS, Role
from web import i18n
from web.limits import LOOKUP_PER_CODE, PUBLIC_POST, limiter
from web.media import send_stored
from web.portal_forms import AdditionForm, LookupForm, RatingForm, ReplyForm, ReportForm
from web.routing import page_number
from web.runtime import lifecycle, snapshot
from web.security import page_headers

portal = Blueprint("portal", __name__)

LEAFLET_DIR = xstatic.pkg.leaflet.BASE_DIR
LEAFLET_VERSION = xstatic.pkg.leaflet.VERSION
#: How the record names whoever holds a report's tracking link.
REPORTER = Actor("người phản ánh", Role.REPORTER)
#: How many just-sent reports a browser's session remembers, to show their private links again.
REMEMBERED = 3
LATEST = 5
MEDIA_MAX_AGE = 3600
TEXT_FILTER_MAX = 200
CODE = re.compile(r"[A-Z]{1,5}-\d{4}-\d{1,9}")


@portal.record_once
def _set_up(state: BlueprintSetupState) -> None:
    """The portal's pages are translated: make sure Flask-Babel is there (once per app)."""
    i18n.init_app(state.app)


@portal.after_request
def _headers(response: Response) -> Response:
    return page_headers(response, snapshot().portal.tile_url)


def page(template: str, http_status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, snapshot=snapshot(), **context), http_status


def private(response: Response) -> Response:
    """A page that carries a tracking token: never cached, never sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def message_of(error: DomainError | MediaRefused) -> str:
    return i18n.in_language(error.message_vi, error.message_en)


# -- home ------------------------------------------------------------------------------------------


@portal.get("/")
def home() -> tuple[str, int]:
    snap, life = snapshot(), lifecycle()
    with life.uow.read() as db:
        latest = published_page(db, snap, Filters(), LATEST)
    return page("portal/home.html", latest=latest)


# -- submitting a report -----------------------------------------------------------------------


@portal.route("/gui-phan-anh", methods=["GET", "POST"])
@limiter.limit(PUBLIC_POST, methods=["POST"])
def submit() -> Any:
    snap, life = snapshot(), lifecycle()
    form = ReportForm(snap, life.rules)
    if form.validate_on_submit():
        sent = _submit(form)
        if sent is not None:
            submitted, from_photo = sent
            remembered = dict(session.get("sent", {}))
            remembered[submitted.code] = {"t": submitted.tracking_token, "photo": from_photo}
            session["sent"] = dict(list(remembered.items())[-REMEMBERED:])
            return redirect(url_for(".sent", code=submitted.code), 303)
    return page("portal/submit.html", form=form, **_form_context())


def _form_context() -> dict[str, Any]:
    snap = snapshot()
    return {
        "portal_config": snap.portal,
        "leaflet_version": LEAFLET_VERSION,
        "media_mb": {
            "photo": snap.portal.max_photo_bytes // (1024 * 1024),
            "video": snap.portal.max_video_bytes // (1024 * 1024),
        },
    }


def _submit(form: ReportForm) -> tuple[Submitted, bool] | None:
    """Store the files, then the report; on a refusal, put its message next to its field."""
    snap, life = snapshot(), lifecycle()
    incoming = [IncomingFile(f.read(), f.filename or "", f.mimetype) for f in form.uploads()]
    try:
        stored = (
            accept(incoming, snap.portal, MediaStore(current_app.config["MEDIA_ROOT"]))
            if incoming
            else []
        )
    except MediaRefused as refused:
        form.add_error("files", message_of(refused))
        return None
    place, from_photo = form.place, False
    if place is None:
        place = proposed_place(stored, snap.portal.bounds)
        from_photo = place is not None
    if place is None and not form.area.data and not form.address.data:
        form.add_error(
            "place",
            _(
                "Chưa có địa điểm phản ánh: chọn xã, phường, ghi địa chỉ hoặc chọn vị trí "
                "trên bản đồ (ảnh đã gửi không có vị trí trong tỉnh)."
            ),
        )
        return None
    new = NewReport(
        name=form.name.data,
        phone=form.phone.data,
        content=form.content.data,
        channel="web",
        email=form.email.data or None,
        area=form.area.data or None,
        address=form.address.data or None,
        latitude=place[0] if place else None,
        longitude=place[1] if place else None,
        sector=form.sector.data or None,
        confidential=bool(form.confidential.data),
        attachments=tuple(stored),
        extra=form.extra_values,
    )
    try:
        return life.submit(new), from_photo
    except InvalidExtra as refused:
        group = form.chosen_group
        if group is None:
            form.add_error("sector", message_of(refused))
        else:
            group.add_problems(refused.problems)
        return None
    except InvalidInput as refused:
        form.add_error(refused.field, message_of(refused))
        return None


@portal.get("/da-gui/<code>")
def sent(code: str) -> Response:
    remembered = session.get("sent", {}).get(code)
    link = None
    if remembered:
        link = url_for(".track", code=code, t=remembered["t"], _external=True)
    html, status = page(
        "portal/sent.html",
        code=code,
        link=link,
        from_photo=bool(remembered and remembered.get("photo")),
    )
    return private(current_app.make_response((html, status)))


# -- the reporter's own view -------------------------------------------------------------------


def _tracking(code: str, token: str) -> Tracking:
    with lifecycle().uow.read() as db:
        return tracking(db, snapshot(), code, token)


def _tracking_page(
    view: Tracking,
    token: str,
    status: int = 200,
    *,
    reply: ReplyForm | None = None,
    rating: RatingForm | None = None,
    addition: AdditionForm | None = None,
    problem: str | None = None,
) -> Response:
    hidden = {"t": token, "version": view.version}
    reply = reply or ReplyForm(formdata=None, data=hidden)
    rating = rating or RatingForm(formdata=None, data={**hidden, "rating": view.rating})
    addition = addition or AdditionForm(formdata=None, data=hidden)
    for form in (reply, rating, addition):  # always the current version, whatever was posted
        form.t.data, form.version.data = token, view.version
    html, status = page(
        "portal/tracking.html",
        status,
        view=view,
        token=token,
        reply_form=reply,
        rating_form=rating,
        addition_form=addition,
        ratings=RATINGS,
        problem=problem,
    )
    return private(current_app.make_response((html, status)))


@portal.get("/theo-doi/<code>")
def track(code: str) -> Response:
    token = request.args.get("t", "")
    return _tracking_page(_tracking(code, token), token)


def _act(code: str, action: str, form: Any, field: str, **inputs: Any) -> Response:
    token = (request.form.get("t") or "")[:200]
    view = _tracking(code, token)  # a wrong token is refused here (403), before anything else
    kinds = {"reply": "reply", "rate": "rating", "provide_info": "addition"}
    if form.validate():
        try:
            lifecycle().perform(
                REPORTER, code, action, version=form.version.data, token=token, **inputs
            )
        except (InvalidInput, WrongState, Conflict) as refused:
            if isinstance(refused, InvalidInput) and refused.field == field:
                getattr(form, field).errors = [message_of(refused)]
                return _tracking_page(view, token, refused.status, **{kinds[action]: form})
            return _tracking_page(
                _tracking(code, token), token, refused.status, problem=message_of(refused)
            )
        flash(
            {
                "reply": _("Đã gửi phản hồi của bạn. Trung tâm sẽ theo dõi và trả lời."),
                "rate": _("Cảm ơn bạn đã đánh giá kết quả xử lý."),
                "provide_info": _("Đã gửi thông tin bổ sung. Phản ánh được xem xét tiếp."),
            }[action],
            "ok",
        )
        return redirect(url_for(".track", code=code, t=token), 303)
    return _tracking_page(view, token, 422, **{kinds[action]: form})


@portal.post("/theo-doi/<code>/phan-hoi")
@limiter.limit(PUBLIC_POST)
def reply(code: str) -> Response:
    form = ReplyForm()
    return _act(code, "reply", form, "text", text=form.text.data)


@portal.post("/theo-doi/<code>/danh-gia")
@limiter.limit(PUBLIC_POST)
def rate(code: str) -> Response:
    form = RatingForm()
    return _act(code, "rate", form, "rating", rating=form.rating.data)


@portal.post("/theo-doi/<code>/bo-sung")
@limiter.limit(PUBLIC_POST)
def provide_info(code: str) -> Response:
    form = AdditionForm()
    return _act(code, "provide_info", form, "text", text=form.text.data)


# -- a lost link -------------------------------------------------------------------------------


def _lookup_key() -> str:
    """Attempts on one report's code, from any address: guessing a phone number from many
    addresses at once meets this limit too."""
    return "tra-cuu:" + (request.form.get("code") or "").strip().upper()[:30]


@portal.route("/tra-cuu", methods=["GET", "POST"])
@limiter.limit(PUBLIC_POST, methods=["POST"])
@limiter.limit(LOOKUP_PER_CODE, methods=["POST"], key_func=_lookup_key)
def lookup() -> Response:
    """Find one's report by its code and phone (:mod:`engine.services.recovery`).

    A wrong pair and a code that does not exist get the same page, the same status and the same
    words. A match opens the tracking page with a new link, or — when the report gave an e-mail
    address — says the new link was mailed there.
    """
    form = LookupForm()
    status, problem, mailed = 200, None, None
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                found = recover(lifecycle(), form.code.data, form.phone.data)
            except NotFound as missing:
                status, problem = 404, message_of(missing)
            else:
                if found.token is not None:
                    target = url_for(".track", code=found.code, t=found.token)
                    return private(redirect(target, 303))
                status, mailed = 200, found.code
    html, status = page("portal/lookup.html", status, form=form, problem=problem, mailed=mailed)
    return private(current_app.make_response((html, status)))


# -- published results -------------------------------------------------------------------------


def parse_day(raw: str | None) -> date | None:
    """``2026-04-22`` (a date input) or ``22/04/2026`` (typed); ``ValueError`` otherwise."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", raw):
        return datetime.strptime(raw, "%d/%m/%Y").date()
    return date.fromisoformat(raw)


def _filters() -> tuple[Filters, dict[str, str]]:
    snap, args, problems = snapshot(), request.args, {}
    days: dict[str, date | None] = {}
    for key in ("tu", "den"):
        try:
            days[key] = parse_day(args.get(key))
        except ValueError:
            days[key] = None
            problems[key] = _("Ngày không hợp lệ; ghi theo dạng dd/mm/yyyy.")
    sector = args.get("linh-vuc") or None
    area = args.get("xa") or None
    if sector is not None and sector not in snap.sectors:
        problems["linh-vuc"] = _("Lĩnh vực này không có trong danh sách.")
        sector = None
    if area is not None and area not in snap.areas:
        problems["xa"] = _("Xã, phường này không có trong danh sách.")
        area = None
    text = (args.get("q") or "").strip()[:TEXT_FILTER_MAX] or None
    return Filters(sector, area, days["tu"], days["den"], text), problems


@portal.get("/ket-qua")
def results() -> tuple[str, int]:
    snap, life = snapshot(), lifecycle()
    filters, problems = _filters()
    number = page_number(request.args)
    after = request.args.get("sau") or None
    size = snap.portal.page_size
    with life.uow.read() as db:
        try:
            found = published_page(db, snap, filters, size, page=number, after=after)
        except BadCursor:
            problems["sau"] = _("Địa chỉ trang không hợp lệ; đây là trang đầu.")
            found = published_page(db, snap, filters, size)
    kept = {k: v for k, v in request.args.items() if k not in ("trang", "sau", "lang") and v}
    areas = sorted(snap.areas.values(), key=lambda a: fold(a.name.split(" ", 1)[-1]))
    return page(
        "portal/results.html",
        found=found,
        filters=filters,
        problems=problems,
        args=request.args,
        kept=kept,
        areas=areas,
    )


@portal.get("/ket-qua/<code>")
def result(code: str) -> tuple[str, int]:
    if not CODE.fullmatch(code):
        abort(404)
    with lifecycle().uow.read() as db:
        report = published_report(db, snapshot(), code)
    return page("portal/result.html", report=report, ratings=RATINGS)


@portal.get("/anh/<id:attachment_id>")
def photo(attachment_id: int) -> Response:
    return _media(attachment_id, thumbnail=False)


@portal.get("/anh/<id:attachment_id>/nho")
def thumbnail(attachment_id: int) -> Response:
    return _media(attachment_id, thumbnail=True)


def _media(attachment_id: int, *, thumbnail: bool) -> Response:
    with lifecycle().uow.read() as db:
        found = public_photo(db, attachment_id)
        relative = found.thumbnail_path if thumbnail else found.path
        content_type = "image/jpeg" if thumbnail else found.content_type
    return send_stored(relative, content_type, max_age=MEDIA_MAX_AGE)


@portal.get("/tep-ket-qua/<id:attachment_id>")
def result_file(attachment_id: int) -> Response:
    """A published result's file: a photo shown, a PDF downloaded (never run in the page)."""
    return _result_file(attachment_id, thumbnail=False)


@portal.get("/tep-ket-qua/<id:attachment_id>/nho")
def result_thumbnail(attachment_id: int) -> Response:
    return _result_file(attachment_id, thumbnail=True)


def _result_file(attachment_id: int, *, thumbnail: bool) -> Response:
    with lifecycle().uow.read() as db:
        found = public_result_file(db, attachment_id)
        return _send_attachment(found, thumbnail=thumbnail)


def _send_attachment(found: Any, *, thumbnail: bool, private: bool = False) -> Response:
    if thumbnail and not found.thumbnail_path:
        abort(404)
    relative = found.thumbnail_path if thumbnail else found.path
    content_type = "image/jpeg" if thumbnail else found.content_type
    return send_stored(
        relative, content_type, max_age=MEDIA_MAX_AGE, private=private, filename=found.filename
    )


@portal.get("/theo-doi/<code>/tep/<id:attachment_id>")
def tracked_file(code: str, attachment_id: int) -> Response:
    """A result's file for the reporter (a private answer's too, Đ10.2), with the tracking token."""
    return _tracked_file(code, attachment_id, thumbnail=False)


@portal.get("/theo-doi/<code>/tep/<id:attachment_id>/nho")
def tracked_thumbnail(code: str, attachment_id: int) -> Response:
    return _tracked_file(code, attachment_id, thumbnail=True)


def _tracked_file(code: str, attachment_id: int, *, thumbnail: bool) -> Response:
    token = request.args.get("t", "")
    with lifecycle().uow.read() as db:
        found = reporter_result_file(db, code, token, attachment_id)
        response = _send_attachment(found, thumbnail=thumbnail, private=True)
    return private(response)


# -- helpers for the page's script -------------------------------------------------------------


@portal.get("/goi-y-linh-vuc")
def suggest() -> Response:
    snap = snapshot()
    text = (request.args.get("text") or "")[: snap.portal.content_max_chars]
    suggestions = []
    for decision in lifecycle().rules.suggest_sectors(text)[:3] if text.strip() else []:
        code = decision.value["sector"]
        sector = snap.sectors.get(code)
        if sector is None:
            continue
        suggestions.append(
            {
                "sector": code,
                "name": sector.name,
                "score": decision.value["score"],
                "matched": list(decision.value["matched"]),
            }
        )
    response = jsonify({"suggestions": suggestions})
    response.headers["Cache-Control"] = "no-store"
    return response


@portal.get("/leaflet/<path:filename>")
def leaflet(filename: str) -> Response:
    return send_from_directory(LEAFLET_DIR, filename, max_age=7 * 24 * 3600)


# -- errors on the portal's forms --------------------------------------------------------------


@portal.errorhandler(CSRFError)
def _csrf(error: CSRFError) -> Any:
    """A form without its security token is refused; the report form keeps what was typed."""
    if request.endpoint != "portal.submit":
        return page("error.html", 400, status=400, message=_("Phiên làm việc đã hết hạn."))
    snap, life = snapshot(), lifecycle()
    form = ReportForm(snap, life.rules)  # not validated: it would only repeat the token's refusal
    return page(
        "portal/submit.html",
        400,
        form=form,
        problem=_(
            "Phiên làm việc đã hết hạn hoặc trang đã được mở quá lâu; phản ánh chưa được gửi. "
            "Thông tin bạn nhập vẫn còn: hãy chọn lại ảnh, video (nếu có) và bấm Gửi lại."
        ),
        **_form_context(),
    )
