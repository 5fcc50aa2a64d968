"""Domain errors and HTTP errors, mapped to responses in one place.

Under ``/api/`` and ``/open311/`` an error is ``application/problem+json`` (RFC 9457) with a
Vietnamese ``title``; elsewhere it is a page in Vietnamese. Nothing else in the web layer decides
a status code for a domain error.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from engine.services.errors import DomainError, listed
from web.jsonbody import TooDeep

MACHINE_PREFIXES = ("/api/", "/open311/")

TITLES_VI = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần xác thực",
    403: "Không có quyền",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    409: "Xung đột phiên bản",
    413: "Dữ liệu gửi lên quá lớn",
    415: "Kiểu dữ liệu không được hỗ trợ",
    422: "Dữ liệu không hợp lệ",
    429: "Gửi quá nhiều yêu cầu",
    500: "Lỗi hệ thống",
}


def wants_problem() -> bool:
    return request.path.startswith(MACHINE_PREFIXES)


def problem(
    status: int,
    detail: str,
    *,
    code: str = "error",
    errors: list[dict[str, Any]] | None = None,
    detail_en: str | None = None,
) -> Response:
    """Problem details listing at most ``LISTED_MAX`` errors; ``errors_omitted`` counts the rest."""
    body: dict[str, Any] = {
        "type": f"https://phananh.vn/problems/{code}",
        "title": TITLES_VI.get(status, "Lỗi"),
        "status": status,
        "detail": detail,
    }
    if detail_en:
        body["detail_en"] = detail_en
    if errors:
        body["errors"], omitted = listed(errors)
        if omitted:
            body["errors_omitted"] = omitted
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _domain(error: DomainError) -> Response | tuple[str, int]:
    if wants_problem():
        fields = [
            {"field": field, "message": message_vi} for field, message_vi, _ in error.field_errors()
        ] or None
        return problem(
            error.status,
            error.message_vi,
            code=error.code,
            errors=fields,
            detail_en=error.message_en,
        )
    return render_template(
        "error.html", status=error.status, message=error.message_vi
    ), error.status


def _http(error: HTTPException) -> Response | tuple[str, int]:
    status = error.code or 500
    if wants_problem():
        response = problem(
            status, TITLES_VI.get(status, error.name), code=error.name.lower().replace(" ", "_")
        )
        _keep_headers(error, response)
        return response
    return render_template(
        "error.html", status=status, message=TITLES_VI.get(status, error.name)
    ), status


def _too_deep(error: TooDeep) -> Response | tuple[str, int]:
    detail = (
        f"Dữ liệu JSON gửi lên lồng nhau quá sâu (tối đa {error.limit} tầng mảng, đối tượng); "
        "chưa có gì được ghi."
    )
    if wants_problem():
        return problem(
            400,
            detail,
            code="json_too_deep",
            detail_en=f"The JSON body is nested too deeply (at most {error.limit} levels of arrays "
            "and objects); nothing was saved.",
        )
    return render_template("error.html", status=400, message=detail), 400


def _keep_headers(error: HTTPException, response: Response) -> None:
    """The error's own headers — ``Allow`` of a 405 (RFC 9110), ``WWW-Authenticate`` of a 401 —
    on the problem answer, which has its own content type."""
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain)
    app.register_error_handler(TooDeep, _too_deep)
    app.register_error_handler(HTTPException, _http)
