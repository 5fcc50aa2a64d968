"""``/api/v1/auth/token``: a bearer token for a staff account, and its revocation.

``POST`` takes JSON ``{"username", "password", "totp"?}`` and answers 201
``{"token", "token_type": "Bearer", "expires_at"}``; the token is shown this once and stored only
as its SHA-256, and lasts ``AUTH_TOKEN_HOURS`` (12). The sign-in rule is the pages' own
(:func:`engine.accounts.authenticate`): the same refusal for an unknown user and a wrong password,
a back-off per client address and account after repeated failures (429 with ``Retry-After``), and the TOTP code (``totp``) for an account that has a secret or
whose role requires one — an account that must still set TOTP up does so on the sign-in page
first. The endpoint is rate limited per client (``RATELIMIT_SIGN_IN``).

``DELETE`` revokes the token it is called with (``Authorization: Bearer …``): 204.

It takes no ``Idempotency-Key``: the stored fingerprint of a request is a plain hash of its body,
which here holds a password; a retried request simply gets another token.

The endpoints are added to the served OpenAPI document by :func:`describe`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, jsonify, request

from engine import accounts
from engine.accounts import SignInRefused
from engine.store.models import ApiToken
from web.api import api, inputs
from web.api.inputs import ApiProblem, FieldError
from web.auth import (
    client_address,
    clock,
    policy,
    presented_token,
    setting,
    sign_in_limit,
    token_required,
    www_authenticate,
)
from web.limits import limiter
from web.runtime import lifecycle

FIELDS = {"username": 200, "password": accounts.MAX_PASSWORD, "totp": 12}
REQUIRED = ("username", "password")


@api.post("/auth/token")
@limiter.limit(sign_in_limit)
def issue_token() -> Response:
    given = _credentials()
    rule, now = policy(), clock()
    refused: SignInRefused | None = None
    answer: dict[str, Any] = {}
    with lifecycle().uow.begin() as db:
        try:  # a refusal's count must be committed: caught inside the transaction
            client = client_address()
            user = accounts.authenticate(
                db, given["username"], given["password"], now, rule, client=client
            )
            if rule.needs_totp(user):
                if not user.totp_secret:
                    raise _setup_first()
                if not given.get("totp"):
                    raise _code_needed()
                accounts.verify_totp(db, user, given["totp"], now, rule, client=client)
            hours = float(setting("AUTH_TOKEN_HOURS"))
            token, row = accounts.issue_token(db, user, now, timedelta(hours=hours))
            answer = {
                "token": token,
                "token_type": "Bearer",
                "expires_at": row.expires_at.astimezone(lifecycle().zone).isoformat(),
            }
        except SignInRefused as exc:
            refused = exc
    if refused is not None:
        raise _refusal(refused, now)
    response = jsonify(answer)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@api.delete("/auth/token")
@token_required()
def revoke_token() -> Response:
    row = presented_token()
    if row is not None:
        with lifecycle().uow.begin() as db:
            stored = db.get(ApiToken, row.id)
            if stored is not None and stored.revoked_at is None:
                stored.revoked_at = clock()
    return Response(status=204)


def _credentials() -> dict[str, str]:
    if not request.is_json:
        raise ApiProblem(
            415,
            f"Kiểu dữ liệu '{request.mimetype or 'không rõ'}' không được hỗ trợ; "
            "chỉ nhận application/json.",
            f"The content type '{request.mimetype}' is not supported; send application/json.",
            code="unsupported_media_type",
        )
    data = inputs.json_object(request.get_json(silent=True))
    errors = []
    for name in data:
        if name not in FIELDS:
            errors.append(
                FieldError(name, f"Trường '{name}' không được nhận.", f"Unknown field '{name}'.")
            )
    given: dict[str, str] = {}
    for name, limit in FIELDS.items():
        value = data.get(name)
        if value is None or value == "":
            if name in REQUIRED:
                errors.append(
                    FieldError(name, f"Thiếu trường '{name}'.", f"The field '{name}' is missing.")
                )
            continue
        if not isinstance(value, str) or len(value) > limit:
            errors.append(
                FieldError(
                    name,
                    f"Trường '{name}' phải là chuỗi tối đa {limit} ký tự.",
                    f"The field '{name}' must be a string of at most {limit} characters.",
                )
            )
            continue
        given[name] = value
    if errors:
        raise inputs.invalid(errors)
    return given


def _setup_first() -> SignInRefused:
    return SignInRefused(
        "Vai trò của tài khoản bắt buộc xác thực hai bước nhưng tài khoản chưa thiết lập; "
        "hãy đăng nhập trên trang web (/dang-nhap) để thiết lập trước khi dùng API.",
        "The account's role requires two-factor authentication, which it has not set up yet; "
        "sign in on the web (/dang-nhap) to set it up first.",
        reason="totp_setup",
    )


def _code_needed() -> SignInRefused:
    return SignInRefused(
        "Tài khoản dùng xác thực hai bước: gửi kèm mã 6 chữ số trong trường 'totp'.",
        "The account uses two-factor authentication: send the 6-digit code in 'totp'.",
        reason="totp_required",
    )


CODES = {
    "wrong": "sign_in_refused",
    "code": "totp_refused",
    "throttled": "sign_in_throttled",
    "inactive": "account_inactive",
    "totp_required": "totp_required",
    "totp_setup": "totp_setup_required",
}


#: Refusals that are not "who are you?" (401): set TOTP up first, wait before trying again.
STATUSES = {"totp_setup": 403, "throttled": 429}


def _refusal(refused: SignInRefused, now: Any) -> ApiProblem:
    status = STATUSES.get(refused.reason, 401)
    headers = {"WWW-Authenticate": www_authenticate(False)} if status == 401 else {}
    if refused.retry_at is not None:
        wait = int((refused.retry_at - now).total_seconds()) + 1
        headers["Retry-After"] = str(max(1, wait))
    return ApiProblem(
        status,
        refused.message_vi,
        refused.message_en,
        code=CODES.get(refused.reason, "sign_in_refused"),
        headers=headers,
    )


# -- the OpenAPI document --------------------------------------------------------------------------


@api.after_request
def _add_to_document(response: Response) -> Response:
    """The served OpenAPI document also describes these endpoints (their module owns them)."""
    if request.endpoint == "api.openapi_document" and response.status_code == 200:
        document = response.get_json(silent=True)
        if isinstance(document, dict):
            describe(document)
            response.set_data(jsonify(document).get_data())
    return response


def _problem(status: int) -> dict[str, str]:
    return {"$ref": f"#/components/responses/Problem{status}"}


def describe(document: dict[str, Any]) -> dict[str, Any]:
    """Add ``/auth/token`` (paths, schemas, the bearer scheme) to an OpenAPI 3.1 document."""
    json = "application/json"
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearerToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "Mã truy cập của tài khoản cán bộ, lấy tại POST /auth/token.",
    }
    schemas = components.setdefault("schemas", {})
    schemas["TokenRequest"] = {
        "type": "object",
        "additionalProperties": False,
        "required": list(REQUIRED),
        "properties": {
            "username": {"type": "string", "minLength": 1, "maxLength": FIELDS["username"]},
            "password": {"type": "string", "minLength": 1, "maxLength": FIELDS["password"]},
            "totp": {
                "type": "string",
                "maxLength": FIELDS["totp"],
                "description": "Mã 6 chữ số của ứng dụng xác thực, khi tài khoản dùng xác thực "
                "hai bước",
            },
        },
    }
    schemas["Token"] = {
        "type": "object",
        "required": ["token", "token_type", "expires_at"],
        "properties": {
            "token": {"type": "string", "description": "Chỉ hiện một lần này; giữ bí mật"},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    }
    document.setdefault("paths", {})["/auth/token"] = {
        "post": {
            "operationId": "createToken",
            "summary": "Lấy mã truy cập (Bearer) cho tài khoản cán bộ",
            "description": "Sai tên đăng nhập hoặc mật khẩu: 401. Sai nhiều lần từ cùng một địa "
            "chỉ thì phải chờ trước lần thử sau (429 kèm Retry-After); tài khoản không bị khóa. "
            "Không nhận Idempotency-Key: thân yêu cầu chứa mật khẩu.",
            "requestBody": {"required": True, "content": {json: {"schema": _ref("TokenRequest")}}},
            "responses": {
                "201": {
                    "description": "Mã truy cập mới",
                    "content": {json: {"schema": _ref("Token")}},
                },
                **{str(s): _problem(s) for s in (400, 401, 403, 415, 422, 429)},
            },
        },
        "delete": {
            "operationId": "revokeToken",
            "summary": "Thu hồi mã truy cập đang dùng",
            "security": [{"bearerToken": []}],
            "responses": {"204": {"description": "Đã thu hồi"}, "401": _problem(401)},
        },
    }
    return document


def _ref(schema: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{schema}"}
