"""The OpenAPI 3.1 document of API v1, served at ``/api/v1/openapi.json``.

Built from the running configuration (sectors, content limit) and the workflow table (states,
ratings), so it cannot drift from what the API accepts. The tests validate it, check that every
route of the blueprint is in it, and check real answers against its response schemas.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from engine import sector_fields
from engine.config.snapshot import Sector, SectorField, Snapshot
from engine.services.keyset import COUNT_CAP
from engine.sla.clocks import Standing
from engine.store import MAX_ID
from engine.workflow import RATINGS, STATE_LABELS_VI, Role, State
from web.api import api, inputs, staff
from web.api.idempotency import HEADER, KEY_PATTERN, REPLAYED, TOKEN_HEADER
from web.api.openapi_stats import stats_paths as _stats_paths
from web.api.openapi_stats import stats_schemas as _stats_schemas
from web.errors import TITLES_VI
from web.runtime import snapshot

JSON = "application/json"
PROBLEM = "application/problem+json"
STAFF_ONLY = "chỉ cán bộ; không có mã truy cập thì bị từ chối (422)"
PUBLIC_ONLY = "chỉ danh sách công khai; có mã truy cập thì bị từ chối (422)"


@api.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(document(snapshot()))


def document(snap: Snapshot) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "API phản ánh hiện trường — Field reports API",
            "version": "1.0.0",
            "summary": "Gửi, theo dõi, phản hồi và đánh giá phản ánh hiện trường "
            f"(Quyết định 2408/QĐ-UBND, {snap.province or 'tỉnh'}).",
            "description": DESCRIPTION,
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {**_paths(snap), **_staff_paths(), **_stats_paths(snap)},
        "components": {
            "schemas": {**_schemas(snap), **_staff_schemas(snap), **_stats_schemas()},
            "parameters": _parameters(),
            "headers": _headers(),
            "responses": _responses(),
            "securitySchemes": {
                "trackingToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": TOKEN_HEADER,
                    "description": "Mã theo dõi cấp khi gửi phản ánh (tracking_token).",
                },
                "trackingTokenQuery": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "token",
                    "description": "Như X-Tracking-Token, trong địa chỉ (tracking_url).",
                },
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Mã truy cập của tài khoản cán bộ, lấy tại POST /auth/token.",
                },
            },
        },
    }


DESCRIPTION = """\
API cho ứng dụng di động và hệ thống của đối tác. Tiếng Việt là ngôn ngữ chính: mọi lỗi là
`application/problem+json` (RFC 9457) với `title` tiếng Việt, `detail` tiếng Việt, `detail_en`
tiếng Anh và danh sách `errors` theo từng trường khi có.

* Mọi POST nhận tiêu đề `Idempotency-Key` (16–200 ký tự, nên dùng UUID): gửi lại cùng yêu cầu với
  cùng khóa nhận lại đúng câu trả lời đầu tiên (kèm `Idempotent-Replayed: true`), không bao giờ
  tạo phản ánh thứ hai; cùng khóa cho yêu cầu khác bị từ chối (422).
* Các POST công khai bị giới hạn số lần theo từng máy gửi (429 kèm `Retry-After`).
* Mã theo dõi (`tracking_token`) chỉ cấp một lần khi gửi phản ánh; giữ bí mật.
* Thời điểm theo ISO 8601, múi giờ của tỉnh (`+07:00`).
* Cán bộ dùng mã truy cập (`Authorization: Bearer …`, lấy tại `POST /auth/token`): với mã này,
  `GET /reports` và `GET /reports/{code}` trả danh sách, hồ sơ trong phạm vi của tài khoản
  (`view: staff`), và `POST /reports/{code}/actions/{action}` thực hiện một bước xử lý với
  phiên bản (`version`) đã đọc — 403 khi vai trò, cơ quan không được làm, 409 khi phiên bản đã
  cũ, 422 khi sai trạng thái hoặc thiếu trường. Mã sai, hết hạn hoặc đã thu hồi: 401.
* Thông tin cá nhân của người phản ánh (số điện thoại, thư điện tử, địa chỉ) không bao giờ có trong
  câu trả lời công khai; họ tên chỉ hiện khi người phản ánh không yêu cầu bảo mật (Đ5.4, Đ10.2).
"""


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: str, description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": _ref("schemas", schema)}},
    }
    if headers:
        out["headers"] = headers
    return out


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(s): _ref("responses", f"Problem{s}") for s in statuses}


def _post(
    operation_id: str,
    summary: str,
    body: dict[str, Any],
    answers: dict[str, Any],
    *,
    secured: bool = False,
    parameters: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [*parameters, _ref("parameters", "IdempotencyKey")],
        "requestBody": {"required": True, "content": body},
        "responses": {**answers, **_problems(400, 409, 413, 415, 422, 429)},
    }
    if secured:
        operation["security"] = [{"trackingToken": []}, {"trackingTokenQuery": []}]
        operation["responses"].update(_problems(401, 403, 404))
    return operation


def _paths(snap: Snapshot) -> dict[str, Any]:
    created_headers = {
        "Location": _ref("headers", "Location"),
        REPLAYED: _ref("headers", "IdempotentReplayed"),
    }
    replayable = {REPLAYED: _ref("headers", "IdempotentReplayed")}
    code = _ref("parameters", "Code")
    return {
        "/reports": {
            "get": {
                "operationId": "listReports",
                "summary": "Danh sách kết quả đã công khai, mới nhất trước; với mã truy cập cán "
                "bộ: các phản ánh trong phạm vi của tài khoản",
                "parameters": [
                    _query("sector", "Mã lĩnh vực", choices=[*snap.sectors, ""]),
                    _query("area", "Mã xã, phường", choices=[*snap.areas, ""]),
                    _query("since", f"Gửi từ ngày (YYYY-MM-DD; {PUBLIC_ONLY})", "date"),
                    _query("until", f"Gửi đến hết ngày (YYYY-MM-DD; {PUBLIC_ONLY})", "date"),
                    _query(
                        "q",
                        "Tìm cụm từ (không phân biệt dấu; dấu phẩy tách các cụm) trong nội dung, "
                        "địa chỉ, xã phường và kết quả đã công khai, hoặc mã phản ánh",
                    ),
                    _query("state", f"Trạng thái ({STAFF_ONLY})", "state"),
                    _query(
                        "agency",
                        f"Mã cơ quan xử lý ({STAFF_ONLY})",
                        choices=[*snap.agencies, ""],
                    ),
                    _query(
                        "overdue", f"Chỉ phản ánh có bước đang quá hạn ({STAFF_ONLY})", "boolean"
                    ),
                    _query("page", "Trang, từ 1", "integer", high=staff.MAX_PAGE),
                    _query(
                        "size",
                        "Số mục mỗi trang, 1–100 (mặc định: cấu hình cổng; cán bộ: "
                        f"{staff.DEFAULT_PAGE_SIZE})",
                        "integer",
                        high=staff.MAX_PAGE_SIZE,
                    ),
                ],
                "security": [{}, {"bearerToken": []}],
                "responses": {
                    "200": {
                        "description": "Một trang kết quả công khai, hoặc (với mã truy cập) một "
                        "trang phản ánh trong phạm vi của cán bộ",
                        "content": {
                            JSON: {
                                "schema": {
                                    "oneOf": [
                                        _ref("schemas", "ReportPage"),
                                        _ref("schemas", "StaffReportPage"),
                                    ]
                                }
                            }
                        },
                    },
                    **_problems(401, 422),
                },
            },
            "post": _post(
                "createReport",
                "Gửi phản ánh (JSON, hoặc multipart kèm ảnh, video trong trường media)",
                {
                    JSON: {"schema": _ref("schemas", "NewReport")},
                    "multipart/form-data": {
                        "schema": _ref("schemas", "NewReportForm"),
                        "encoding": {
                            "extra": {"contentType": JSON},
                            "media": {
                                "contentType": "image/jpeg, image/png, image/webp, video/mp4, "
                                "video/quicktime, video/webm, video/3gpp"
                            },
                        },
                    },
                },
                {"201": _json("Created", "Đã nhận phản ánh", created_headers)},
            ),
        },
        "/reports/{code}": {
            "get": {
                "operationId": "getReport",
                "summary": "Xem phản ánh: bản công khai, bản của người phản ánh khi có mã "
                "theo dõi, hoặc hồ sơ xử lý khi có mã truy cập cán bộ",
                "parameters": [code],
                "security": [
                    {},
                    {"trackingToken": []},
                    {"trackingTokenQuery": []},
                    {"bearerToken": []},
                ],
                "responses": {
                    "200": {
                        "description": "Bản công khai (kết quả đã công khai), bản của người "
                        "phản ánh (với mã theo dõi) hoặc hồ sơ xử lý (với mã truy cập cán bộ)",
                        "content": {
                            JSON: {
                                "schema": {
                                    "oneOf": [
                                        _ref("schemas", "PublicReport"),
                                        _ref("schemas", "ReporterView"),
                                        _ref("schemas", "StaffReport"),
                                    ],
                                    "discriminator": {
                                        "propertyName": "view",
                                        "mapping": {
                                            "public": "#/components/schemas/PublicReport",
                                            "reporter": "#/components/schemas/ReporterView",
                                            "staff": "#/components/schemas/StaffReport",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    **_problems(401, 403, 404),
                },
            }
        },
        "/reports/{code}/replies": {
            "post": _post(
                "replyToResult",
                "Phản hồi kết quả, đề nghị làm rõ (Đ11.1)",
                {JSON: {"schema": _ref("schemas", "NewReply")}},
                {"201": _json("ReporterView", "Đã ghi nhận phản hồi", replayable)},
                secured=True,
                parameters=(code,),
            )
        },
        "/reports/{code}/rating": {
            "post": _post(
                "rateResult",
                "Đánh giá kết quả (Đ11.2)",
                {JSON: {"schema": _ref("schemas", "NewRating")}},
                {"200": _json("ReporterView", "Đã ghi nhận đánh giá", replayable)},
                secured=True,
                parameters=(code,),
            )
        },
        "/photos/{photo_id}": {
            "get": {
                "operationId": "getPhoto",
                "summary": "Ảnh của một kết quả đã công khai (đã xóa siêu dữ liệu)",
                "parameters": [_ref("parameters", "PhotoId")],
                "responses": {
                    "200": {"description": "Ảnh", "content": {"image/*": {}}},
                    **_problems(404),
                },
            }
        },
        "/photos/{photo_id}/thumbnail": {
            "get": {
                "operationId": "getPhotoThumbnail",
                "summary": "Ảnh thu nhỏ (JPEG)",
                "parameters": [_ref("parameters", "PhotoId")],
                "responses": {
                    "200": {"description": "Ảnh thu nhỏ", "content": {"image/jpeg": {}}},
                    **_problems(404),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "Tài liệu OpenAPI 3.1 này",
                "responses": {
                    "200": {
                        "description": "Tài liệu OpenAPI",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def _query(
    name: str,
    description: str,
    kind: str = "string",
    *,
    high: int | None = None,
    choices: list[str] | None = None,
) -> dict[str, Any]:
    schemas: dict[str, dict[str, Any]] = {
        "string": {"type": "string", "enum": choices} if choices else {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "integer": {"type": "integer", "minimum": 1, **({"maximum": high} if high else {})},
        "boolean": {"type": "boolean"},
        "state": {"type": "string", "enum": [str(s) for s in State]},
    }
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schemas[kind],
    }


def _parameters() -> dict[str, Any]:
    return {
        "Code": {
            "name": "code",
            "in": "path",
            "required": True,
            "description": "Mã phản ánh, ví dụ PA-2026-000123",
            "schema": {"type": "string", "maxLength": 20},
        },
        "PhotoId": {
            "name": "photo_id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        },
        "IdempotencyKey": {
            "name": HEADER,
            "in": "header",
            "required": False,
            "description": "Khóa do ứng dụng tạo cho mỗi yêu cầu: 16–200 ký tự ASCII nhìn thấy "
            "được (nên dùng UUID); gửi lại cùng khóa khi thử lại.",
            "schema": {"type": "string", "pattern": KEY_PATTERN.pattern.join("^$")},
        },
    }


def _headers() -> dict[str, Any]:
    return {
        "Location": {
            "description": "Địa chỉ của phản ánh vừa tạo",
            "schema": {"type": "string"},
        },
        "IdempotentReplayed": {
            "description": "true khi đây là câu trả lời đã lưu của lần gửi đầu tiên",
            "schema": {"type": "string", "enum": ["true"]},
        },
        "RetryAfter": {
            "description": "Số giây nên chờ trước khi gửi lại",
            "schema": {"type": "integer"},
        },
    }


def _responses() -> dict[str, Any]:
    out = {}
    for status, title in TITLES_VI.items():
        if status == 500:
            continue
        answer: dict[str, Any] = {
            "description": title,
            "content": {PROBLEM: {"schema": _ref("schemas", "Problem")}},
        }
        if status in (409, 429):
            answer["headers"] = {"Retry-After": _ref("headers", "RetryAfter")}
        out[f"Problem{status}"] = answer
    return out


#: Text the API stores as sent (``inputs._storable``): no control character but tab, CR, LF.
STORABLE = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
#: The same, with at least one character that is not blank: a required text (Đ5.2, Đ5.3).
FILLED = (
    "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*[^\\s\\x00-\\x1f\\x7f]"
    "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
)
#: A Vietnamese phone number as the completeness rules read it (``engine.rules.facts``): mobile
#: 0[35789] + 8 digits or landline 02 + 9 digits, ``+84``/``84`` for the leading 0, with spaces,
#: dots, dashes and parentheses anywhere.
_SEP = "[ \\t.()-]*"
PHONE = (
    f"^[ \\t]*(?:\\+{_SEP}8{_SEP}4{_SEP}(?:0{_SEP})?|{_SEP}8{_SEP}4{_SEP}(?:0{_SEP})?|{_SEP}0{_SEP})"
    f"(?:[35789](?:{_SEP}[0-9]){{8}}|2(?:{_SEP}[0-9]){{9}}){_SEP}[ \\t]*$"
)
#: An e-mail address as the completeness rules accept it, or nothing.
EMAIL = (
    "^(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    "@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63})?$"
)
#: How an optional field that was left empty may be sent: the API takes it as not sent.
EMPTY_MEANS_ABSENT = " Chuỗi rỗng được hiểu là không gửi."


def _text(limit: int, description: str, **extra: Any) -> dict[str, Any]:
    """A text field: at most ``limit`` characters, none of them a control character."""
    return {
        "type": "string",
        "maxLength": limit,
        "pattern": STORABLE,
        "description": description,
        **extra,
    }


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "type": [schema["type"], "null"]}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without ``null``: a form has no way to write it."""
    out = dict(schema)
    if isinstance(out.get("type"), list):
        kinds = [t for t in out["type"] if t != "null"]
        out["type"] = kinds[0] if len(kinds) == 1 else kinds
    if "enum" in out:
        out["enum"] = [v for v in out["enum"] if v is not None]
    return out


def _bounds(snap: Snapshot, low: str, high: str, limit: int) -> dict[str, float]:
    """A coordinate's range: the province's bounds when the portal has them (Đ5.2)."""
    bounds = snap.portal.bounds
    if bounds is None:
        return {"minimum": -limit, "maximum": limit}
    return {"minimum": getattr(bounds, low), "maximum": getattr(bounds, high)}


#: Đ5.2: a report says where — a commune or ward, an address, or a point on the map.
_PLACE: dict[str, Any] = {
    "anyOf": [
        {"required": ["area"], "properties": {"area": {"type": "string", "minLength": 1}}},
        {"required": ["address"], "properties": {"address": {"type": "string", "pattern": FILLED}}},
        {
            "required": ["latitude", "longitude"],
            "properties": {"latitude": {"type": "number"}, "longitude": {"type": "number"}},
        },
    ],
}
#: A latitude comes with a longitude, and the other way round.
_PAIRED: list[dict[str, Any]] = [
    {
        "if": {"required": [one], "properties": {one: {"type": "number"}}},
        "then": {"required": [other], "properties": {other: {"type": "number"}}},
    }
    for one, other in (("latitude", "longitude"), ("longitude", "latitude"))
]


def _extra_by_sector(snap: Snapshot) -> list[dict[str, Any]]:
    """``extra`` holds only the chosen sector's fields, its required ones included; without a
    sector, nothing (``engine.sector_fields.check``)."""
    rules: list[dict[str, Any]] = []
    for sector in snap.sectors.values():
        fields = sector.fields_for("report")
        rules.append(
            {
                "if": {"required": ["sector"], "properties": {"sector": {"const": sector.code}}},
                "then": {
                    "properties": {
                        "extra": {
                            "type": ["object", "null"],
                            "properties": {f.code: {} for f in fields},
                            "additionalProperties": _ref("schemas", "EmptyValue"),
                            "required": [f.code for f in fields if f.required],
                        }
                    }
                },
            }
        )
    rules.append(
        {
            "if": {
                "not": {
                    "required": ["sector"],
                    "properties": {"sector": {"enum": list(snap.sectors)}},
                }
            },
            "then": {
                "properties": {
                    "extra": {
                        "type": ["object", "null"],
                        "additionalProperties": _ref("schemas", "EmptyValue"),
                    }
                }
            },
        }
    )
    return rules


#: How each type of a sector's extra field is written in JSON (``engine.sector_fields``).
EXTRA_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string", "maxLength": sector_fields.TEXT_MAX},
    "textarea": {"type": "string", "maxLength": sector_fields.TEXTAREA_MAX},
    "number": {"type": ["number", "string"], "description": "Số; chuỗi '2,5' cũng được nhận"},
    "integer": {"type": ["integer", "string"]},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
}


def _extra_field(sector: Sector, field: SectorField) -> dict[str, Any]:
    codes = [c.code for c in field.choices]
    if field.type == "choice":
        schema: dict[str, Any] = {"type": "string", "enum": codes}
    elif field.type == "multichoice":
        schema = {"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": codes}}
    else:
        schema = dict(EXTRA_TYPES[field.type])
    choices = "; ".join(f"{c.code}: {c.label}" for c in field.choices)
    need = "bắt buộc" if field.required else "không bắt buộc"
    schema["description"] = (
        f"Lĩnh vực {sector.code} ({sector.name}): {field.label} — {need}"
        + (f" ({choices})" if choices else "")
        + (f". {field.help}" if field.help else "")
    )
    return schema


def _extra_schemas(snap: Snapshot) -> dict[str, Any]:
    """The sectors' extra fields asked with a report, and how their answers read back."""
    properties: dict[str, Any] = {}
    for code, found in sector_fields.codes_of(snap.sectors.values(), "report").items():
        # Left empty, a field is not answered (engine.sector_fields), whatever its type.
        schemas = [_extra_field(sector, field) for sector, field in found]
        properties[code] = {"anyOf": [*schemas, _ref("schemas", "EmptyValue")]}
    return {
        "EmptyValue": {
            "description": "Một trường để trống (null, chuỗi trắng, danh sách các giá trị trống): "
            "được hiểu là không gửi, kể cả khi lĩnh vực không có trường đó",
            "anyOf": [
                {"type": "null"},
                {"type": "string", "pattern": "^\\s*$"},
                {"type": "array", "items": {"$ref": "#/components/schemas/EmptyValue"}},
            ],
        },
        "ExtraFields": {
            "type": ["object", "null"],
            "additionalProperties": _ref("schemas", "EmptyValue"),
            "properties": properties,
            "description": "Thông tin riêng của lĩnh vực đã chọn (sector), theo mã trường; chỉ "
            "các trường của lĩnh vực đó, trường bắt buộc phải có. Sai hoặc thiếu: 422, mỗi lỗi "
            "một mục errors với field 'extra.<mã>'. Không chọn lĩnh vực thì không gửi.",
        },
        "Detail": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "stage", "label", "value", "text"],
            "description": "Một thông tin riêng của lĩnh vực: nhãn và giá trị",
            "properties": {
                "code": {"type": "string"},
                "stage": {
                    "type": "string",
                    "enum": ["report", "result"],
                    "description": "report: người phản ánh nhập; result: cán bộ nhập cùng kết quả",
                },
                "label": {"type": "string"},
                "label_en": {"type": "string"},
                "value": {
                    "description": "Giá trị đã lưu (chuỗi, số, true/false hoặc danh sách mã)"
                },
                "text": {"type": "string", "description": "Giá trị viết thành chữ (tiếng Việt)"},
                "text_en": {"type": "string"},
            },
        },
    }


def _counted() -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``total`` of a page, and ``total_capped``, which says that a search found more."""
    cap = f"{COUNT_CAP:,}".replace(",", " ")
    total = {
        "type": "integer",
        "minimum": 0,
        "description": f"Số phản ánh khớp; khi tìm theo từ khóa (q) chỉ đếm đến {cap}",
    }
    total_capped = {
        "type": "boolean",
        "description": f"true: tìm theo từ khóa thấy hơn {cap} phản ánh; total là {cap} và "
        f"các trang chỉ gồm {cap} phản ánh khớp nhất",
    }
    return total, total_capped


def _schemas(snap: Snapshot) -> dict[str, Any]:
    limits = inputs.TEXT_LIMITS
    content_max = snap.portal.content_max_chars
    report_properties: dict[str, Any] = {
        "name": _text(limits["name"], "Họ tên người phản ánh (bắt buộc, Đ5.3)", pattern=FILLED),
        "phone": _text(
            limits["phone"],
            "Số điện thoại Việt Nam (bắt buộc): di động 10 số 03/05/07/08/09, cố định 11 số 02; "
            "có thể viết +84, có dấu cách, chấm, gạch ngang, ngoặc",
            pattern=PHONE,
        ),
        "email": _nullable(
            _text(limits["email"], "Thư điện tử (không bắt buộc)." + EMPTY_MEANS_ABSENT)
            | {"pattern": EMAIL}
        ),
        "content": _text(content_max, "Nội dung phản ánh (bắt buộc)", pattern=FILLED),
        "sector": {
            "type": ["string", "null"],
            "enum": [*snap.sectors, "", None],
            "description": "Mã lĩnh vực (không bắt buộc)." + EMPTY_MEANS_ABSENT,
        },
        "area": {
            "type": ["string", "null"],
            "enum": [*snap.areas, "", None],
            "description": "Mã xã, phường (mã đơn vị hành chính)." + EMPTY_MEANS_ABSENT,
        },
        "address": _nullable(_text(limits["address"], "Địa chỉ nơi xảy ra sự việc")),
        "reporter_address": _nullable(
            _text(limits["reporter_address"], "Địa chỉ của người phản ánh (không công khai)")
        ),
        "latitude": {
            "type": ["number", "null"],
            **_bounds(snap, "south", "north", 90),
            "description": "Vĩ độ (trong địa bàn tỉnh), gửi cùng kinh độ; bỏ trống thì lấy từ GPS "
            "của ảnh nếu có",
        },
        "longitude": {
            "type": ["number", "null"],
            **_bounds(snap, "west", "east", 180),
            "description": "Kinh độ (trong địa bàn tỉnh), gửi cùng vĩ độ",
        },
        "confidential": {
            "type": ["boolean", "null"],
            "default": False,
            "description": "Yêu cầu bảo mật: không công khai họ tên, địa chỉ; kết quả chỉ gửi "
            "riêng người phản ánh (Đ5.4, Đ10.2); null như false",
        },
        "channel": {
            "type": ["string", "null"],
            "enum": [*inputs.CHANNELS, "", None],
            "default": "mobile",
            "description": "Kênh gửi." + EMPTY_MEANS_ABSENT,
        },
        "extra": _ref("schemas", "ExtraFields"),
    }
    # A form carries text: numbers and flags as their JSON spelling, ``extra`` as JSON text.
    form_properties = {name: _not_null(schema) for name, schema in report_properties.items()}
    form_properties["confidential"] = {
        "type": ["boolean", "string"],
        "enum": [True, False, *sorted(inputs.TRUE_WORDS | inputs.FALSE_WORDS), ""],
        "description": report_properties["confidential"]["description"],
    }
    form_properties["extra"] = {
        **_not_null(_extra_schemas(snap)["ExtraFields"]),
        "description": "Thông tin riêng của lĩnh vực: đối tượng ExtraFields viết thành văn bản "
        'JSON, ví dụ {"loai_o_nhiem": "rac_thai"}',
    }
    form_properties["media"] = {
        "type": "array",
        "items": {"type": "string", "contentMediaType": "application/octet-stream"},
        "description": f"Ảnh (JPEG, PNG, WebP) hoặc video, tối đa {snap.portal.max_files} tệp",
    }
    nullable_text = {"type": ["string", "null"]}
    instant = {"type": "string", "format": "date-time"}
    nullable_instant = {"type": ["string", "null"], "format": "date-time"}
    rating = {"type": ["string", "null"], "enum": [*RATINGS, None]}
    status = {"type": "string", "enum": [str(s) for s in State]}
    total, total_capped = _counted()
    return {
        "NewReport": {
            "type": "object",
            "required": ["name", "phone", "content"],
            "additionalProperties": False,
            "properties": report_properties,
            "allOf": [_PLACE, *_PAIRED, *_extra_by_sector(snap)],
        },
        "NewReportForm": {
            "type": "object",
            "required": ["name", "phone", "content"],
            "additionalProperties": False,
            "properties": form_properties,
            "allOf": [_PLACE, *_PAIRED, *_extra_by_sector(snap)],
        },
        "NewReply": {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {"text": _text(content_max, "Nội dung phản hồi", pattern=FILLED)},
        },
        "NewRating": {
            "type": "object",
            "required": ["rating"],
            "additionalProperties": False,
            "properties": {
                "rating": {
                    "type": "string",
                    "enum": list(RATINGS),
                    "description": "; ".join(f"{k}: {v}" for k, v in RATINGS.items()),
                }
            },
        },
        "Created": {
            "type": "object",
            "required": ["code", "tracking_token", "status", "status_label", "tracking_url"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string"},
                "tracking_token": {
                    "type": "string",
                    "description": "Mã theo dõi bí mật, chỉ cấp một lần",
                },
                "status": status,
                "status_label": {"type": "string"},
                "tracking_url": {"type": "string", "format": "uri"},
            },
        },
        "Photo": {
            "type": "object",
            "required": ["id", "kind"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string", "enum": ["photo", "video"]},
                "url": {"type": "string"},
                "thumbnail_url": {"type": "string"},
            },
        },
        "PublicReport": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "view",
                "code",
                "content",
                "submitted_at",
                "published_at",
                "photos",
                "reporter_name",
            ],
            "properties": {
                "view": {"const": "public"},
                "code": {"type": "string"},
                "sector": nullable_text,
                "sector_name": nullable_text,
                "area": nullable_text,
                "area_name": nullable_text,
                "address": nullable_text,
                "content": {"type": "string"},
                "reporter_name": {
                    **nullable_text,
                    "description": "null khi người phản ánh yêu cầu bảo mật",
                },
                "submitted_at": instant,
                "published_at": nullable_instant,
                "result": nullable_text,
                "rating": rating,
                "rating_label": nullable_text,
                "photos": {"type": "array", "items": _ref("schemas", "Photo")},
                "details": {"type": "array", "items": _ref("schemas", "Detail")},
            },
        },
        "ReportPage": {
            "type": "object",
            "additionalProperties": False,
            "required": ["items", "total", "total_capped", "page", "size", "pages"],
            "properties": {
                "items": {"type": "array", "items": _ref("schemas", "PublicReport")},
                "total": total,
                "total_capped": total_capped,
                "page": {"type": "integer", "minimum": 1},
                "size": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 1},
            },
        },
        "ReporterView": {
            "type": "object",
            "additionalProperties": False,
            "required": ["view", "code", "status", "status_label", "steps", "submitted_at"],
            "properties": {
                "view": {"const": "reporter"},
                "code": {"type": "string"},
                "status": status,
                "status_label": {
                    "type": "string",
                    "enum": list(STATE_LABELS_VI.values()),
                },
                "content": {"type": "string"},
                "sector_name": nullable_text,
                "area_name": nullable_text,
                "address": nullable_text,
                "submitted_at": instant,
                "expected_by": {
                    **nullable_instant,
                    "description": "Hạn trả lời của bước đang chạy",
                },
                "answered": {"type": "boolean"},
                "needs_info": {"type": "boolean"},
                "result": nullable_text,
                "rating": rating,
                "rating_label": nullable_text,
                "steps": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["at", "label", "note"],
                        "properties": {
                            "at": instant,
                            "label": {"type": "string"},
                            "note": nullable_text,
                        },
                    },
                },
                "replies": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["at", "text"],
                        "properties": {"at": instant, "text": {"type": "string"}},
                    },
                },
                "photos": {"type": "array", "items": _ref("schemas", "Photo")},
                "details": {"type": "array", "items": _ref("schemas", "Detail")},
            },
        },
        **_extra_schemas(snap),
        "FieldError": {
            "type": "object",
            "required": ["field", "message"],
            "properties": {
                "field": {"type": "string", "description": "Tên trường (hoặc tiêu đề) sai"},
                "message": {"type": "string", "description": "Lời nhắn tiếng Việt"},
                "message_en": {"type": "string"},
            },
        },
        "Problem": {
            "type": "object",
            "description": "Problem details (RFC 9457)",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string", "description": "Tiêu đề tiếng Việt"},
                "status": {"type": "integer"},
                "detail": {"type": "string", "description": "Chi tiết tiếng Việt"},
                "detail_en": {"type": "string"},
                "errors": {"type": "array", "items": _ref("schemas", "FieldError")},
                "errors_omitted": {
                    "type": "integer",
                    "description": "Số lỗi không liệt kê (chỉ liệt kê 50 lỗi đầu)",
                },
            },
        },
    }


# -- the staff's side (``web.api.staff``) ----------------------------------------------------------


def _staff_paths() -> dict[str, Any]:
    replayable = {REPLAYED: _ref("headers", "IdempotentReplayed")}
    operation = _post(
        "performAction",
        "Cán bộ thực hiện một bước xử lý phản ánh (theo bảng quy trình)",
        {JSON: {"schema": _ref("schemas", "StaffAction")}},
        {"200": _json("ActionOutcome", "Đã thực hiện; trạng thái và phiên bản mới", replayable)},
        parameters=(
            _ref("parameters", "Code"),
            {
                "name": "action",
                "in": "path",
                "required": True,
                "description": "; ".join(
                    f"{row.action}: {row.label_vi} ({row.article})"
                    for row in staff.STAFF_ACTIONS.values()
                ),
                "schema": {"type": "string", "enum": list(staff.STAFF_ACTIONS)},
            },
        ),
    )
    operation["description"] = (
        "Gửi kèm phiên bản (`version`) của phản ánh đã đọc và các trường mà thao tác cần "
        "(`requires`) hoặc nhận (`accepts`) — xem `allowed_actions` của `GET /reports/{code}`; "
        "trường khác bị từ chối (422, nêu tên trường). 403: vai trò hoặc cơ quan không được làm; "
        "409: phiên bản đã cũ (tải lại rồi làm lại); 422: sai trạng thái hoặc thiếu trường."
    )
    operation["security"] = [{"bearerToken": []}]
    operation["responses"].update(_problems(401, 403, 404))
    return {"/reports/{code}/actions/{action}": {"post": operation}}


def _staff_schemas(snap: Snapshot) -> dict[str, Any]:
    text = {"type": "string"}
    nullable_text = {"type": ["string", "null"]}
    instant = {"type": "string", "format": "date-time"}
    nullable_instant = {"type": ["string", "null"], "format": "date-time"}
    state = {"type": "string", "enum": [str(s) for s in State]}
    nullable_state = {"type": ["string", "null"], "enum": [*(str(s) for s in State), None]}
    standing = {"type": "string", "enum": [s.value for s in Standing]}
    limits = staff.TEXT_LIMITS
    total, total_capped = _counted()
    action_properties: dict[str, Any] = {
        "version": {
            "type": "integer",
            "minimum": 0,
            "description": "Phiên bản của phản ánh đã đọc (bắt buộc); đã cũ thì 409",
        },
        "note": _text(staff.NOTE_MAX, "Ghi chú (bắt buộc với một số thao tác)"),
        "sector": _text(limits["sector"], "Mã lĩnh vực (classify)", enum=list(snap.sectors)),
        "agency": _text(
            limits["agency"],
            "Mã cơ quan xử lý (forward, designate); khác cơ quan theo quy tắc thì cần ghi chú",
            enum=list(snap.agencies),
        ),
        "unit": _text(
            limits["unit"],
            "Mã đơn vị trực thuộc đơn vị của lãnh đạo (assign; không kèm officer)",
        ),
        "officer": _text(
            limits["officer"],
            "Tên đăng nhập của tài khoản cán bộ thuộc đơn vị của lãnh đạo (assign; không kèm unit)",
        ),
        "duplicate_of": _text(limits["duplicate_of"], "Mã phản ánh gốc khi trùng (reject)"),
        "reason": _text(
            limits["reason"], "Lý do (reject, return_to_ioc, gia hạn, không đồng ý gia hạn)"
        ),
        "result": _text(limits["result"], "Kết quả xử lý (propose_result, edit_and_approve)"),
        "due": {
            "type": "string",
            "format": "date-time",
            "maxLength": limits["due"],
            "description": "Thời hạn mới, ISO 8601 có múi giờ (request_extension, grant_extension)",
        },
        "committee": {
            "type": "boolean",
            "description": "Đã báo cáo UBND tỉnh (designate, Đ3.8)",
        },
        "attachments": {
            "type": "array",
            "maxItems": staff.ATTACHMENTS_MAX,
            "items": {"type": "string", "minLength": 1, "maxLength": staff.ATTACHMENT_CHARS},
            "description": "Tên hoặc địa chỉ các tệp kết quả, ghi vào hồ sơ (propose_result)",
        },
        "extra": {
            "type": "object",
            "description": "Thông tin riêng của lĩnh vực nhập cùng kết quả (propose_result), theo "
            "mã trường: "
            + (
                "; ".join(
                    f"{sector.code}: {field.code} ({field.label}, {field.type}"
                    + (", bắt buộc" if field.required else "")
                    + ")"
                    for sector in snap.sectors.values()
                    for field in sector.fields_for("result")
                )
                or "chưa lĩnh vực nào có"
            ),
        },
    }
    clock = {
        "type": ["object", "null"],
        "additionalProperties": False,
        "required": ["step", "due_at", "standing", "remaining_minutes"],
        "description": "Bước đang chạy gấp nhất: hạn, tình trạng, số phút làm việc còn lại "
        "(âm khi đã quá hạn)",
        "properties": {
            "step": text,
            "step_name": text,
            "due_at": instant,
            "standing": standing,
            "standing_label": text,
            "remaining_minutes": {"type": "integer"},
            "extended": {"type": "boolean"},
        },
    }
    row_properties: dict[str, Any] = {
        "code": text,
        "state": state,
        "state_label": {"type": "string", "enum": list(STATE_LABELS_VI.values())},
        "version": {"type": "integer"},
        "sector": nullable_text,
        "sector_name": nullable_text,
        "area": nullable_text,
        "area_name": nullable_text,
        "address": nullable_text,
        "agency": nullable_text,
        "agency_name": nullable_text,
        "unit": nullable_text,
        "unit_name": nullable_text,
        "officer": nullable_text,
        "officer_account": nullable_text,
        "confidential": {"type": "boolean"},
        "state_secret": {"type": "boolean"},
        "submitted_at": instant,
        "updated_at": instant,
        "clock": clock,
    }
    row_required = ["code", "state", "state_label", "version", "submitted_at", "clock"]
    allowed_action = {
        "type": "object",
        "additionalProperties": False,
        "required": ["action", "label", "requires", "accepts", "note_required", "href"],
        "properties": {
            "action": {"type": "string", "enum": list(staff.STAFF_ACTIONS)},
            "label": text,
            "article": text,
            "note_required": {"type": "boolean"},
            "requires": {"type": "array", "items": text},
            "accepts": {"type": "array", "items": text},
            "href": {"type": "string", "description": "Địa chỉ POST của thao tác"},
        },
    }
    clock_detail = {
        "type": "object",
        "required": ["step", "started_at", "due_at", "standing"],
        "properties": {
            "step": text,
            "step_name": text,
            "started_at": instant,
            "due_at": instant,
            "base_due_at": instant,
            "budget_minutes": {"type": "integer"},
            "used_minutes": {"type": "integer"},
            "pauses": {"type": "array"},
            "extended": {"type": "boolean"},
            "stopped_at": nullable_instant,
            "late": {"type": ["boolean", "null"]},
            "late_after_extension": {"type": ["boolean", "null"]},
            "standing": standing,
            "standing_label": text,
        },
    }
    event = {
        "type": "object",
        "additionalProperties": False,
        "required": ["seq", "at", "actor", "role", "action", "to"],
        "properties": {
            "seq": {"type": "integer"},
            "at": instant,
            "actor": text,
            "role": {"type": "string", "enum": [str(r) for r in Role]},
            "action": text,
            "action_label": nullable_text,
            "from": nullable_state,
            "to": state,
            "note": nullable_text,
            "data": {"type": "object"},
            "hash": text,
        },
    }
    return {
        "StaffAction": {
            "type": "object",
            "additionalProperties": False,
            "required": ["version"],
            "description": "Chỉ gửi các trường mà thao tác cần hoặc nhận (bảng quy trình).",
            "properties": action_properties,
        },
        "ActionOutcome": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "state", "state_label", "version", "event_seq"],
            "properties": {
                "code": text,
                "state": state,
                "state_label": {"type": "string", "enum": list(STATE_LABELS_VI.values())},
                "version": {
                    "type": "integer",
                    "description": "Phiên bản mới, gửi kèm thao tác tiếp theo",
                },
                "event_seq": {"type": "integer", "description": "Số thứ tự bước trong hồ sơ"},
            },
        },
        "StaffReportRow": {
            "type": "object",
            "additionalProperties": False,
            "required": row_required,
            "properties": {**row_properties, "summary": text},
        },
        "StaffReportPage": {
            "type": "object",
            "additionalProperties": False,
            "required": ["view", "items", "total", "total_capped", "page", "size", "pages"],
            "properties": {
                "view": {"const": "staff"},
                "items": {"type": "array", "items": _ref("schemas", "StaffReportRow")},
                "total": total,
                "total_capped": total_capped,
                "page": {"type": "integer", "minimum": 1},
                "size": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 1},
            },
        },
        "StaffReport": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "view",
                *row_required,
                "content",
                "clocks",
                "events",
                "reporter",
                "allowed_actions",
            ],
            "properties": {
                "view": {"const": "staff"},
                **row_properties,
                "channel": text,
                "content": text,
                "suggested_sector": nullable_text,
                "latitude": {"type": ["number", "null"]},
                "longitude": {"type": ["number", "null"]},
                "routing_rule": nullable_text,
                "proposed_result": nullable_text,
                "approved_result": nullable_text,
                "published_text": nullable_text,
                "rating": {"type": ["string", "null"], "enum": [*RATINGS, None]},
                "rating_label": nullable_text,
                "details": {
                    "type": "array",
                    "items": _ref("schemas", "Detail"),
                    "description": "Thông tin riêng của lĩnh vực: người phản ánh nhập, rồi cán bộ "
                    "nhập cùng kết quả",
                },
                "clocks": {"type": "array", "items": clock_detail},
                "events": {"type": "array", "items": event},
                "extensions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "requested_by": nullable_text,
                            "requested_due": nullable_instant,
                            "request_reason": nullable_text,
                            "granted_by": nullable_text,
                            "granted_due": nullable_instant,
                            "grant_reason": nullable_text,
                        },
                    },
                },
                "pending_extension": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "properties": {
                        "requested_by": nullable_text,
                        "requested_due": nullable_instant,
                        "reason": nullable_text,
                    },
                },
                "replies": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"at": instant, "text": text},
                    },
                },
                "ratings": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"at": instant, "value": text},
                    },
                },
                "media": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "id": {"type": "integer"},
                            "stage": text,
                            "kind": text,
                            "filename": text,
                        },
                    },
                },
                "reporter": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "description": "Thông tin người phản ánh: chỉ cho cán bộ IOC, quản trị vận "
                    "hành và cán bộ, lãnh đạo cơ quan xử lý (Đ5.4); null với vai trò khác",
                    "properties": {
                        "name": text,
                        "phone": text,
                        "email": nullable_text,
                        "address": nullable_text,
                    },
                },
                "allowed_actions": {
                    "type": "array",
                    "items": allowed_action,
                    "description": "Các thao tác tài khoản được làm lúc này",
                },
                "publication": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "description": "Khi được công khai: nội dung theo mẫu Phụ lục 2 và hình thức",
                    "properties": {
                        "level": {"type": "string", "enum": ["public", "private", "restricted"]},
                        "label": text,
                        "text": nullable_text,
                    },
                },
                "disclosures": {
                    "type": "array",
                    "description": "Các lần cung cấp thông tin người phản ánh (Đ13.7), cho "
                    "quản trị vận hành và kiểm tra",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "id": {"type": "integer"},
                            "disclosed_at": instant,
                            "disclosed_by": text,
                            "authority": text,
                            "reason": text,
                        },
                    },
                },
            },
        },
    }
