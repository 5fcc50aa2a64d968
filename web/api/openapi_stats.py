"""The OpenAPI description of ``GET /stats`` (:mod:`web.api.stats`), kept beside the document's
other parts so that :mod:`web.api.openapi` stays readable."""

from __future__ import annotations

from typing import Any

from engine import stats
from engine.config.snapshot import Snapshot

JSON = "application/json"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def stats_paths(snap: Snapshot) -> dict[str, Any]:
    def codes(values: Any) -> dict[str, Any]:
        return {"type": "string", "enum": [*values, ""]}

    parameters = [
        _param("from", "Từ ngày (YYYY-MM-DD, giờ Việt Nam), kể cả ngày này", {"type": "string", "format": "date"}),
        _param("to", "Đến hết ngày (YYYY-MM-DD), kể cả ngày này", {"type": "string", "format": "date"}),
        _param("agency", "Mã cơ quan xử lý; cán bộ, lãnh đạo chỉ được cơ quan mình và đơn vị trực thuộc", codes(snap.agencies)),
        _param("with_units", "Tính cả đơn vị trực thuộc của cơ quan (mặc định: true)", {"type": "boolean"}),
        _param("sector", "Mã lĩnh vực", codes(snap.sectors)),
        _param("area", "Mã xã, phường", codes(snap.areas)),
        _param("channel", "Kênh gửi phản ánh", codes(stats.CHANNELS)),
        _param("grain", "Đơn vị của chuỗi thời gian (mặc định: day)", {"type": "string", "enum": list(stats.GRAINS)}),
        _param("top", f"Số xã, phường nhiều phản ánh nhất, 1–{stats.TOP_MAX} (mặc định 10)",
               {"type": "integer", "minimum": 1, "maximum": stats.TOP_MAX}),
    ]  # fmt: skip
    return {
        "/stats": {
            "get": {
                "operationId": "getStats",
                "summary": "Số liệu tổng hợp của kỳ (tiếp nhận, kết quả, thời hạn từng bước, "
                "đánh giá, theo cơ quan) trong phạm vi của tài khoản cán bộ",
                "description": "Mỗi số đếm các phản ánh gửi trong kỳ theo bộ lọc; `explanations` "
                "giải thích từng số (tiếng Việt, tiếng Anh). 403: số liệu của cơ quan khác; 422: "
                "ngày sai dạng, ngày bắt đầu sau ngày kết thúc, mã không có.",
                "parameters": parameters,
                "security": [{"bearerToken": []}],
                "responses": {
                    "200": {
                        "description": "Số liệu của kỳ",
                        "content": {JSON: {"schema": _ref("schemas", "Stats")}},
                    },
                    **{str(s): _ref("responses", f"Problem{s}") for s in (401, 403, 422, 429)},
                },
            }
        }
    }


def stats_schemas() -> dict[str, Any]:
    count = {"type": "integer", "minimum": 0}
    share = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
    minutes = {"type": ["integer", "null"], "minimum": 0}
    day = {"type": ["string", "null"], "format": "date"}
    code = {"type": ["string", "null"]}
    step_fields = ["on_time", "late", "running", "overdue"]
    step = {
        "type": "object",
        "required": [*step_fields, "on_time_share", "median_minutes", "p90_minutes"],
        "properties": {
            **{name: count for name in [*step_fields, "late_within_extension"]},
            "on_time_share": share,
            "median_minutes": minutes,
            "p90_minutes": minutes,
        },
    }
    handle = {**step, "required": [*step["required"], "late_within_extension"]}
    rating = {
        "type": "object",
        "required": [*stats.RATING_VALUES, "rated", "satisfied_share"],
        "properties": {
            **{value: count for value in stats.RATING_VALUES},
            "rated": count,
            "satisfied_share": share,
        },
    }
    counts = {
        "type": "object",
        "required": ["received", "rejected", "duplicates", "open", "with_result", "processed_share", "rating", "steps"],
        "properties": {
            **{name: count for name in ("received", "rejected", "duplicates", "open", "with_result")},
            "processed_share": share,
            "rating": rating,
            "steps": {
                "type": "object",
                "required": list(stats.STEPS),
                "properties": {name: handle if name == "handle" else step for name in stats.STEPS},
            },
        },
    }  # fmt: skip
    whole = {
        "type": "object",
        "required": [*counts["required"], "period", "filters", "replies", "reopened", "by_agency",
                     "by_sector", "series", "top_communes", "ranking", "explanations"],
        "properties": {
            **counts["properties"],
            "period": {"type": "object", "properties": {"from": day, "to": day}},
            "filters": {
                "type": "object",
                "properties": {
                    "agency": code, "with_units": {"type": "boolean"}, "sector": code,
                    "area": code, "channel": code,
                },
            },
            "replies": count,
            "reopened": count,
            "by_agency": {"type": "object", "additionalProperties": _ref("schemas", "StatsCounts")},
            "by_sector": {"type": "object", "additionalProperties": _ref("schemas", "StatsCounts")},
            "series": {
                "type": "object",
                "required": ["grain", "buckets"],
                "properties": {
                    "grain": {"type": "string", "enum": list(stats.GRAINS)},
                    "buckets": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["start", "received", "with_result"],
                            "properties": {"start": {"type": "string", "format": "date"},
                                           "received": count, "with_result": count},
                        },
                    },
                },
            },
            "top_communes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "name", "received"],
                    "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "received": count},
                },
            },
            "ranking": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["agency", "name", "on_time", "stopped", "on_time_share"],
                    "properties": {"agency": {"type": "string"}, "name": {"type": "string"},
                                   "on_time": count, "stopped": count, "on_time_share": share},
                },
            },
            "explanations": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["vi", "en"],
                    "properties": {"vi": {"type": "string"}, "en": {"type": "string"}},
                },
            },
        },
    }  # fmt: skip
    return {"StatsCounts": counts, "Stats": whole}
