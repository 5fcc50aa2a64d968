"""Open311 GeoReport v2 (``/open311/v2``): the standard interface for other cities' tools.

Routes (each answers JSON with ``.json`` or no suffix, XML with ``.xml``):

* ``GET discovery`` — where the endpoint is, its formats, how to get a key.
* ``GET services`` — one service per sector in force (``service_code`` = the sector's code);
  ``GET services/{service_code}`` — its definition: the sector's extra fields asked with a report
  (``sectors[].fields``, stage ``report``) as ``attributes`` (see
  :func:`web.open311_records.attributes`); a service with any has ``metadata: true``.
* ``POST requests`` — a new report, form-encoded as the standard says, with the key made by
  ``phananh apikey create`` (missing, unknown or revoked: 403) in the ``X-Api-Key`` header, or
  as GeoReport's ``api_key`` field (in the body, or the query string, which access logs keep:
  the value is blanked there, :class:`RedactKeys`). ``first_name`` and
  ``last_name`` make the reporter's name in Vietnamese order (family name first:
  ``last_name first_name``), ``phone`` and ``email`` are theirs, ``description`` is the content,
  ``lat``/``long`` the point, ``address_string`` the address, ``address_id`` the code of a commune
  or ward (our address register is the list of areas), ``service_code`` the sector, which the
  centre still confirms when it classifies. ``media_url`` is kept as a line at the end of the
  content, for the centre to open (nothing is downloaded). ``attribute[code]`` answers the
  service's attribute ``code`` (a ``multivaluelist`` as ``attribute[code][]``, once per value, or
  comma-separated), checked by :mod:`engine.sector_fields` like every channel's: a wrong value, a
  missing required attribute or an attribute the service does not have is a 400 naming it.
  ``device_id``, ``account_id`` and ``jurisdiction_id`` are ignored: this endpoint serves one
  jurisdiction. The channel is ``open311``. A name and a valid Vietnamese phone number are required (Đ5.3).
  GeoReport has no field for confidentiality, so a report sent here is never confidential (a
  partner whose users need it sends through ``/api/v1``); nor is the key that sent it recorded.
  The answer is ``[{service_request_id, service_notice}]``: the id is our report code
  (``PA-2026-000123``), given at once — no ``token`` is issued, and the reporter's secret tracking
  token stays out of the answer (it lets its bearer act for the reporter).
* ``GET requests`` — published results only (status ``closed``; ``status_notes`` is the published
  answer, ``media_url`` the first photo on the portal), newest first, at most 1000, with
  the standard filters: ``service_request_id`` (comma list; overrides every other filter),
  ``service_code``, ``start_date``/``end_date`` (RFC 3339, or a date; on the submission time; at
  most 90 days apart, the last 90 days by default), ``status`` (``open`` finds nothing here).
  There is no ``page`` parameter (GeoReport v2 has none; the 1000 newest are the answer): they
  are read newest first in batches by position over the published results' index, never by
  ``OFFSET`` and never counted.
* ``GET requests/{id}`` — one request, as a list of one (as GeoReport v2 answers): a published
  result in full, or — for a report sent through Open311 — its status alone while it is handled.
  See :mod:`web.open311_records` for exactly what is shown of which report; a confidential report
  is never shown in any form, and "hidden" answers the same 404 as "does not exist".
* ``GET tokens/{token}`` — always 404 (a GeoReport error): we never issue tokens, since the id is
  known at once.

Errors are GeoReport errors (an array of ``{code, description}``, Vietnamese descriptions) in the
format of the request, not problem+json: this blueprint handles its own domain and HTTP errors,
and an unknown path under the prefix is answered here too. Input that the use cases find invalid
(422 elsewhere) is a 400 here, as in GeoReport v2. ``POST requests`` is rate limited: with a valid
key, per key (``RATELIMIT_API_KEY``, whatever address it comes from: a partner sends for many
citizens); otherwise per client address like the portal's forms (``RATELIMIT_PUBLIC_POST``).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from engine import apikeys, sector_fields
from engine.config.snapshot import Sector
from engine.services.errors import DomainError, Forbidden, joined
from engine.services.lifecycle import NewReport
from web import open311_output as output
from web import open311_records as records
from web.errors import TITLES_VI
from web.limits import api_key_limit, limiter, public_post_limit
from web.runtime import lifecycle, snapshot

open311 = Blueprint("open311", __name__, url_prefix="/open311/v2")

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this interface last changed (GeoReport discovery's ``changeset``).
CHANGESET = "2026-11-29T00:00:00+07:00"
#: The most requests one list answers (GeoReport v2's default limit).
LIST_LIMIT = 1000
#: The most ids one ``service_request_id`` filter may name.
IDS_LIMIT = 100
MEDIA_URL_MAX = 500
#: A service attribute's answer in a POST: ``attribute[code]`` or ``attribute[code][]``.
ATTRIBUTE = re.compile(r"attribute\[(?P<code>[^\[\]]{1,60})\](?P<many>\[\])?")
FMT = "<any(json, xml):fmt>"
#: Where a request keeps the name of its valid API key (``None``: none), once looked up.
PARTNER = "phananh.open311.partner"
#: Where a partner should send its key: a header never lands in an access log.
KEY_HEADER = "X-Api-Key"
KEY_IN_QUERY = re.compile(r"((?:^|[?&\s])api_key=)[^&\s\"]*")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")
View = Callable[..., Response]

SERVICE_NOTICE = (
    "Đã tiếp nhận phản ánh. Trung tâm sẽ kiểm tra, phân loại và chuyển cơ quan có thẩm quyền xử "
    "lý theo Quy chế; kết quả được công khai khi xử lý xong."
)
HTTP_DESCRIPTIONS = {
    404: "Không có tài nguyên Open311 này; xem /open311/v2/discovery.json.",
    405: "Phương thức không được hỗ trợ cho đường dẫn này.",
    429: "Gửi quá nhiều yêu cầu; vui lòng thử lại sau.",
}


class GeoReportError(Exception):
    """A refusal with one or more reasons, answered as a GeoReport error list."""

    def __init__(self, status: int, descriptions: list[str]) -> None:
        super().__init__(joined(descriptions, "vi", "; "))
        self.status = status
        self.descriptions = descriptions


def _fmt() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in output.FORMATS:
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def _routes(path: str, methods: list[str], endpoint: str | None = None) -> Callable[[View], View]:
    """``path`` with ``.json``/``.xml`` and without a suffix (JSON)."""

    def register(view: View) -> View:
        name = endpoint or view.__name__
        open311.add_url_rule(f"{path}.{FMT}", name, view, methods=methods)
        # An endpoint of its own: under the same one, werkzeug would redirect .json to this rule.
        open311.add_url_rule(path, f"{name}_plain", view, methods=methods, defaults={"fmt": "json"})
        return view

    return register


# -- discovery and services ----------------------------------------------------------------------


@open311.get("/", endpoint="root", defaults={"fmt": "json"})
@_routes("/discovery", methods=["GET"])
def discovery(fmt: str) -> Response:
    base = request.url_root.rstrip("/") + (open311.url_prefix or "")
    province = snapshot().province
    body = {
        "changeset": CHANGESET,
        "contact": f"Đơn vị vận hành dịch vụ phản ánh hiện trường tỉnh {province}.",
        "key_service": (
            "Khóa API do đơn vị vận hành cấp bằng lệnh 'phananh apikey create TÊN'; chỉ cần "
            "khi gửi phản ánh (POST requests), nên gửi trong tiêu đề X-Api-Key (hoặc trường "
            "api_key theo chuẩn)."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": [output.MIMETYPES["json"], output.MIMETYPES["xml"]],
            }
        ],
    }
    return output.render(body, fmt, "discovery")


@_routes("/services", methods=["GET"])
def services(fmt: str) -> Response:
    body = [records.service(s) for s in records.offered(snapshot(), _today())]
    return output.render(body, fmt, "services")


@_routes("/services/<service_code>", methods=["GET"])
def service_definition(service_code: str, fmt: str) -> Response:
    return output.render(
        records.service_definition(_sector(service_code)), fmt, "service_definition"
    )


def _sector(code: str) -> Sector:
    found = {s.code: s for s in records.offered(snapshot(), _today())}.get(code)
    if found is None:
        raise GeoReportError(
            404, [f"Không có dịch vụ (lĩnh vực) mã '{code}'; xem /open311/v2/services.json."]
        )
    return found


# -- service requests ----------------------------------------------------------------------------


@_routes("/requests", methods=["GET"])
def list_requests(fmt: str) -> Response:
    config = snapshot()
    ids = _ids(request.args)
    with lifecycle().uow.read() as session:
        if ids is not None:  # "overrides all other arguments"
            body = records.requests_by_id(session, config, ids)
        else:
            statuses, window = _statuses(request.args), _window(request.args)
            if statuses and "closed" not in statuses:
                body = []  # only published results are listed, and they are all closed
            else:
                body = records.published_requests(session, config, window, LIST_LIMIT)
    return output.render(body, fmt, "service_requests")


@_routes("/requests/<service_request_id>", methods=["GET"])
def one_request(service_request_id: str, fmt: str) -> Response:
    with lifecycle().uow.read() as session:
        body = [records.request_by_id(session, snapshot(), service_request_id)]
    return output.render(body, fmt, "service_requests")


def _partner() -> str | None:
    """The name of the valid ``api_key`` the request carries, if any; looked up once, for the
    limits, which are counted before the view checks the key again."""
    environ = request.environ
    if PARTNER not in environ:
        with lifecycle().uow.read() as session:
            key = apikeys.check(session, request.values.get("api_key", "").strip())
            environ[PARTNER] = key.name if key is not None else None
    return environ[PARTNER]


def _by_partner() -> str:
    return f"api-key:{_partner()}"


# Shared limits: one count for .json, .xml and no suffix.
@_routes("/requests", methods=["POST"], endpoint="create_request")
@limiter.shared_limit(
    public_post_limit, scope="open311-post-requests", exempt_when=lambda: _partner() is not None
)
@limiter.shared_limit(
    api_key_limit,
    scope="open311-api-key",
    key_func=_by_partner,
    exempt_when=lambda: _partner() is None,
)
def create_request(fmt: str) -> Response:
    values = request.values
    life = lifecycle()
    with life.uow.read() as session:
        key = apikeys.check(session, _api_key())
    if key is None:
        raise Forbidden(
            "Thiếu khóa API (api_key), hoặc khóa không đúng hay đã bị thu hồi.",
            "The api_key is missing, unknown or revoked.",
        )
    submitted = life.submit(_new_report(values))
    body = [{"service_request_id": submitted.code, "service_notice": SERVICE_NOTICE}]
    return output.render(body, fmt, "service_requests")


@_routes("/tokens/<token>", methods=["GET"])
def tokens(token: str, fmt: str) -> Response:
    raise GeoReportError(
        404,
        [
            "Không có mã tạm (token) này: hệ thống không cấp token, service_request_id được trả "
            "ngay khi gửi yêu cầu."
        ],
    )


def _api_key() -> str:
    """The partner's key: the ``X-Api-Key`` header, else GeoReport's ``api_key`` field (form or
    query string — kept for the standard; :class:`RedactKeys` keeps it out of the access log)."""
    return (request.headers.get(KEY_HEADER) or request.values.get("api_key") or "").strip()


class RedactKeys(logging.Filter):
    """Replaces the value of ``api_key=`` in a log line (werkzeug's and gunicorn's access logs
    write the request line, query string included) by ``[đã ẩn]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_key" in message:
            record.msg, record.args = KEY_IN_QUERY.sub(r"\1[đã ẩn]", message), None
        return True


def keep_keys_out_of_logs() -> None:
    """Install :class:`RedactKeys` on the access loggers, once."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactKeys) for f in logger.filters):
            logger.addFilter(RedactKeys())


def _new_report(values: MultiDict[str, str]) -> NewReport:
    """The report a GeoReport POST describes; Open311's own fields are checked here, the rest
    (name, phone, e-mail, content, place) by the use case like any other channel's."""
    config = snapshot()
    problems: list[str] = []
    text = {k: (values.get(k) or "").strip() for k in values}
    code = text.get("service_code", "")
    if not code:
        problems.append("Thiếu service_code (mã lĩnh vực); xem /open311/v2/services.json.")
    elif code not in {s.code for s in records.offered(config, _today())}:
        problems.append(f"Không có dịch vụ (lĩnh vực) mã '{code}'; xem /open311/v2/services.json.")
    latitude = _coordinate(text.get("lat", ""), "lat", "Vĩ độ", 90, problems)
    longitude = _coordinate(text.get("long", ""), "long", "Kinh độ", 180, problems)
    area = text.get("address_id") or None
    if area is not None and area not in config.areas:
        problems.append(f"address_id '{area}' không phải mã xã, phường, đặc khu nào của tỉnh.")
    media = text.get("media_url", "")
    if media and not _is_web_address(media):
        problems.append(
            f"media_url phải là địa chỉ http hoặc https, dài tối đa {MEDIA_URL_MAX} ký tự."
        )
    extra = _attributes(values)
    if code in config.sectors:
        checked = sector_fields.check(config.sectors[code], extra, "report")
        problems.extend(f"attribute[{p.code}]: {p.message_vi}" for p in checked.problems)
    if problems:
        raise GeoReportError(400, problems)
    content = text.get("description", "")
    if content and media:
        content = f"{content}\n\nTư liệu kèm theo (media_url): {media}"
    name = " ".join(part for part in (text.get("last_name"), text.get("first_name")) if part)
    return NewReport(
        name=name,
        phone=text.get("phone", ""),
        email=text.get("email") or None,
        content=content,
        channel=records.CHANNEL,
        area=area,
        address=text.get("address_string") or None,
        latitude=latitude,
        longitude=longitude,
        sector=code,
        extra=extra,
    )


def _attributes(values: MultiDict[str, str]) -> dict[str, str | list[str]]:
    """``attribute[code]=value`` (and ``attribute[code][]=…`` for several) as ``{code: value}``."""
    found: dict[str, str | list[str]] = {}
    for key in values:
        matched = ATTRIBUTE.fullmatch(key)
        if matched is None:
            continue
        given = [v.strip() for v in values.getlist(key)]
        listed = matched["many"] is not None or len(given) > 1
        previous = found.get(matched["code"])
        if previous is not None:  # both attribute[x] and attribute[x][]: one list
            given = [*(previous if isinstance(previous, list) else [previous]), *given]
            listed = True
        found[matched["code"]] = given if listed else given[0]
    return found


def _coordinate(raw: str, field: str, label: str, limit: int, problems: list[str]) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        problems.append(
            f"{label} ({field}) '{raw}' không hợp lệ: cần một số từ -{limit} đến {limit}."
        )
        return None
    return value


def _is_web_address(text: str) -> bool:
    parts = urlsplit(text)
    return len(text) <= MEDIA_URL_MAX and parts.scheme in ("http", "https") and bool(parts.netloc)


# -- list filters --------------------------------------------------------------------------------


def _split(args: MultiDict[str, str], name: str) -> list[str]:
    return [
        part.strip() for value in args.getlist(name) for part in value.split(",") if part.strip()
    ]


def _ids(args: MultiDict[str, str]) -> list[str] | None:
    if "service_request_id" not in args:
        return None
    ids = list(dict.fromkeys(_split(args, "service_request_id")))
    if len(ids) > IDS_LIMIT:
        raise GeoReportError(400, [f"service_request_id nêu tối đa {IDS_LIMIT} mã mỗi lần."])
    return ids


def _statuses(args: MultiDict[str, str]) -> set[str]:
    statuses = {s.lower() for s in _split(args, "status")}
    unknown = sorted(statuses - {"open", "closed"})
    if unknown:
        raise GeoReportError(
            400, [f"status '{', '.join(unknown)}' không hợp lệ: chỉ nhận open, closed."]
        )
    return statuses


def _window(args: MultiDict[str, str]) -> records.Window:
    zone = _zone()
    problems: list[str] = []
    start = _instant(args.get("start_date", ""), "start_date", time.min, zone, problems)
    end = _instant(args.get("end_date", ""), "end_date", time.max, zone, problems)
    if problems:
        raise GeoReportError(400, problems)
    if start is None and end is None:
        end = datetime.now(UTC)
    if start is None:
        start = end - records.SPAN
    elif end is None:
        end = start + records.SPAN
    if end < start:
        raise GeoReportError(400, ["end_date phải sau start_date."])
    if end - start > records.SPAN:
        days = records.SPAN.days
        raise GeoReportError(400, [f"start_date và end_date cách nhau tối đa {days} ngày."])
    code = (args.get("service_code") or "").strip() or None
    return records.Window(start, end, code)


def _instant(raw: str, name: str, at: time, zone: ZoneInfo, problems: list[str]) -> datetime | None:
    """An RFC 3339 instant (a ``+`` sent unencoded arrives as a space), or a date: its ``at``."""
    text = raw.strip().replace(" ", "+")
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), at, zone)
        value = datetime.fromisoformat(text)
    except ValueError:
        problems.append(
            f"{name} '{raw.strip()}' không phải thời điểm RFC 3339 (ví dụ 2026-04-22T08:00:00+07:00)."
        )
        return None
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _zone() -> ZoneInfo:
    return ZoneInfo(snapshot().calendar.timezone)


def _today() -> date:
    return datetime.now(_zone()).date()


# -- errors --------------------------------------------------------------------------------------


@open311.route(
    "/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], endpoint="unknown"
)
def unknown(anything: str) -> Response:
    """Any other path under the prefix, so that its 404 (or 405) is a GeoReport error too."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != "open311.unknown":
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFound()


@open311.errorhandler(GeoReportError)
def _georeport_error(error: GeoReportError) -> Response:
    return output.errors(error.status, error.descriptions, _fmt())


@open311.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Response:
    status = 400 if error.status == 422 else error.status
    return output.errors(status, [error.message_vi], _fmt())


@open311.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    description = HTTP_DESCRIPTIONS.get(status) or TITLES_VI.get(status, error.name)
    response = output.errors(status, [description], _fmt())
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response
