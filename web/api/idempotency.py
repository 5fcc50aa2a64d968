"""``Idempotency-Key`` on the API's POSTs: a retried request gets the first answer, never a second
report, reply or rating.

How it works (table ``idempotent_requests``, unique on ``(key, route)``):

1. **Claim before work.** A row for the key and route is inserted with status 0 ("in progress") and
   committed in its own transaction, before the use case runs. The unique constraint lets exactly
   one of several concurrent first requests own the key; the others find the row.
2. **The owner stores its answer.** A 2xx answer (status, JSON body, ``Location``) is written into
   the row. Any other outcome — refused input, a conflict, a crash of the view — deletes the claim,
   so the client may fix nothing and retry with the same key.
3. **Anyone else** who finds the row: a request that is not the same (another body, another token)
   is refused with 422; a finished row is answered with the stored answer and
   ``Idempotent-Replayed: true``; a row still in progress is waited for (``API_IDEMPOTENCY_WAIT``
   seconds, default 10), then replayed, or answered 409 with ``Retry-After``.
4. **A claim expires.** A claim older than ``API_IDEMPOTENCY_CLAIM_SECONDS`` (default 60, longer
   than any request takes) belongs to a process that died: the next retry takes it over — one
   conditional ``UPDATE`` of its stamp (``created_at``), so of several retries exactly one wins
   (PostgreSQL's row lock; SQLite's single writer) — and does the work. The stamp identifies the
   claim: a request slower than the timeout, which lost its claim, neither stores its answer nor
   frees the key when it ends.

What is stored is not a secret in clear: the key is stored as a hash, and the answer — which for a
new report carries its tracking token, otherwise kept only as a hash — is sealed with a key derived
from the client's Idempotency-Key (SHAKE-256 keystream with a random nonce, HMAC-SHA-256 tag), so
only a client that holds the key can have it again. Keys are 16–200 visible ASCII characters
(a UUID is the usual choice).

Limit: the report's own transaction (``Lifecycle.submit``) and the storing of its answer are two
transactions; a process killed between them leaves the claim "in progress", and the retry that
takes it over after the timeout makes a second report, which the centre rejects as a duplicate.

The worker deletes rows older than a day (:mod:`engine.worker.housekeeping`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, jsonify, make_response, request
from sqlalchemy import Row, delete, select, update
from sqlalchemy.exc import IntegrityError

from engine.store import UnitOfWork
from engine.store.models import IdempotentRequest
from web.api.inputs import ApiProblem, FieldError
from web.runtime import lifecycle

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{16,200}")
IN_PROGRESS = 0
DEFAULT_WAIT = 10.0
DEFAULT_CLAIM_SECONDS = 60.0
POLL = 0.05
STORED_HEADERS = ("Location",)
TOKEN_HEADER = "X-Tracking-Token"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Owned:
    """This request holds the key, by the claim stamped ``at``."""

    at: datetime


def idempotent(view: Callable[..., Any]) -> Callable[..., Response]:
    """Make a POST view answer a repeated ``Idempotency-Key`` with its first answer."""

    @functools.wraps(view)
    def wrapper(**kwargs: Any) -> Response:
        raw = request.headers.get(HEADER)
        if raw is None:
            if current_app.config.get("API_IDEMPOTENCY_REQUIRED", False):
                raise _bad_key("Thiếu tiêu đề Idempotency-Key.", "The Idempotency-Key is missing.")
            return make_response(view(**kwargs))
        if not KEY_PATTERN.fullmatch(raw):
            raise _bad_key(
                "Idempotency-Key phải gồm 16–200 ký tự ASCII nhìn thấy được (nên dùng UUID).",
                "The Idempotency-Key must be 16–200 visible ASCII characters (a UUID is best).",
            )
        uow = lifecycle().uow
        route = request.path[:200]
        key_id = _derive(b"id", raw, "").hex()
        fingerprint = request_fingerprint()
        claim = _claim(uow, key_id, route, fingerprint)
        if not isinstance(claim, Owned):
            return _replay(claim, raw, route)
        try:
            response = make_response(view(**kwargs))
        except BaseException:
            _release(uow, key_id, route, claim)
            raise
        if 200 <= response.status_code < 300 and response.is_json:
            _complete(uow, key_id, route, raw, response, claim)
        else:
            _release(uow, key_id, route, claim)
        return response

    return wrapper


def not_replayed(response: Response) -> bool:
    """For the rate limiter: a replayed answer costs the client nothing."""
    return response.headers.get(REPLAYED) != "true"


# -- what makes two requests "the same" ----------------------------------------------------------


def request_fingerprint() -> str:
    """A hash of what the request asks: its parsed body, files, query, tracking token and bearer.

    A multipart form is hashed field by field and file by file, so a retry whose client chose
    another boundary is still the same request.
    """
    described: dict[str, Any] = {
        "method": request.method,
        "args": sorted(request.args.items(multi=True)),
    }
    token = request.headers.get(TOKEN_HEADER)
    described["token"] = hashlib.sha256(token.encode()).hexdigest() if token else None
    # Who asks is part of the request: a colleague reusing a key never gets another's answer.
    bearer = request.headers.get("Authorization")
    described["bearer"] = hashlib.sha256(bearer.encode()).hexdigest() if bearer else None
    if request.mimetype == "multipart/form-data":
        described["form"] = sorted(request.form.items(multi=True))
        files = []
        for field, storage in request.files.items(multi=True):
            data = storage.read()
            storage.seek(0)
            files.append((field, storage.filename, hashlib.sha256(data).hexdigest()))
        described["files"] = files
    else:
        parsed = request.get_json(silent=True) if request.is_json else None
        described["body"] = (
            parsed if parsed is not None else hashlib.sha256(request.get_data()).hexdigest()
        )
        described["json"] = parsed is not None
    # ASCII: a lone surrogate, which JSON may carry, is escaped rather than unencodable.
    canonical = json.dumps(described, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- the row's life ------------------------------------------------------------------------------


def _claim(uow: UnitOfWork, key_id: str, route: str, fingerprint: str) -> Owned | Row[Any]:
    """Own the key, or the finished row of the request that owns it."""
    wait = float(current_app.config.get("API_IDEMPOTENCY_WAIT", DEFAULT_WAIT))
    deadline = time.monotonic() + wait
    while True:
        now = lifecycle().now()
        if _insert(uow, key_id, route, fingerprint, now):
            return Owned(now)
        row = _find(uow, key_id, route)
        if row is None:  # the owner failed and let go: try to own it
            continue
        if row.request_hash != fingerprint:
            raise _reused()
        if row.status != IN_PROGRESS:
            return row
        if row.created_at <= now - _claim_timeout() and _take_over(
            uow, key_id, route, Owned(row.created_at), now
        ):
            return Owned(now)
        if time.monotonic() >= deadline:
            raise ApiProblem(
                409,
                "Yêu cầu với Idempotency-Key này đang được xử lý; hãy thử lại sau ít giây.",
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                code="idempotency_in_progress",
                headers={"Retry-After": "1"},
            )
        time.sleep(POLL)


def _claim_timeout() -> timedelta:
    """``API_IDEMPOTENCY_CLAIM_SECONDS``: after it, a claim "in progress" is a dead process's."""
    seconds = float(current_app.config.get("API_IDEMPOTENCY_CLAIM_SECONDS", DEFAULT_CLAIM_SECONDS))
    if not seconds > 0:
        raise RuntimeError(
            f"API_IDEMPOTENCY_CLAIM_SECONDS must be a positive number of seconds, not {seconds}."
        )
    return timedelta(seconds=seconds)


def _insert(uow: UnitOfWork, key_id: str, route: str, fingerprint: str, now: datetime) -> bool:
    """A new claim on the key, if nobody holds one (the unique constraint decides)."""
    try:
        with uow.begin() as session:
            session.add(
                IdempotentRequest(
                    key=key_id,
                    route=route,
                    request_hash=fingerprint,
                    status=IN_PROGRESS,
                    body={},
                    headers={},
                    created_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def _find(uow: UnitOfWork, key_id: str, route: str) -> Row[Any] | None:
    with uow.read() as session:
        return session.execute(
            select(
                IdempotentRequest.request_hash,
                IdempotentRequest.status,
                IdempotentRequest.body,
                IdempotentRequest.created_at,
            ).where(IdempotentRequest.key == key_id, IdempotentRequest.route == route)
        ).one_or_none()


def _take_over(uow: UnitOfWork, key_id: str, route: str, expired: Owned, now: datetime) -> bool:
    """Stamp the expired claim ``expired`` as this request's; False if another retry was first."""
    with uow.begin() as session:
        result = session.execute(
            update(IdempotentRequest)
            .where(*_held(key_id, route, expired))
            .values(created_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


def _held(key_id: str, route: str, claim: Owned) -> tuple[Any, ...]:
    """The row of ``claim``, while it is still in progress and not taken over."""
    return (
        IdempotentRequest.key == key_id,
        IdempotentRequest.route == route,
        IdempotentRequest.status == IN_PROGRESS,
        IdempotentRequest.created_at == claim.at,
    )


def _reused() -> ApiProblem:
    return ApiProblem(
        422,
        "Idempotency-Key đã dùng cho một yêu cầu khác; hãy dùng khóa mới cho yêu cầu mới.",
        "This Idempotency-Key was used for a different request; use a new key.",
        code="idempotency_key_reused",
        errors=[
            FieldError(
                HEADER,
                "Idempotency-Key đã dùng cho một yêu cầu khác.",
                "This Idempotency-Key was used for a different request.",
            )
        ],
    )


def _complete(
    uow: UnitOfWork, key_id: str, route: str, raw: str, response: Response, claim: Owned
) -> None:
    answer = {
        "body": response.get_json(),
        "headers": {h: response.headers[h] for h in STORED_HEADERS if h in response.headers},
    }
    with uow.begin() as session:
        result = session.execute(
            update(IdempotentRequest)
            .where(*_held(key_id, route, claim))
            .values(
                status=response.status_code,
                body={"sealed": _seal(json.dumps(answer).encode(), raw, route)},
                headers={},
            )
            .execution_options(synchronize_session=False)
        )
    if not result.rowcount:  # type: ignore[attr-defined]
        log.warning(
            "The claim on an Idempotency-Key of %s expired before its answer (%s) was ready; "
            "API_IDEMPOTENCY_CLAIM_SECONDS may be too short.",
            route,
            response.status_code,
        )


def _release(uow: UnitOfWork, key_id: str, route: str, claim: Owned) -> None:
    with uow.begin() as session:
        session.execute(
            delete(IdempotentRequest)
            .where(*_held(key_id, route, claim))
            .execution_options(synchronize_session=False)
        )


def _replay(row: Row[Any], raw: str, route: str) -> Response:
    answer = json.loads(_open(row.body["sealed"], raw, route))
    response = jsonify(answer["body"])
    response.status_code = row.status
    for name, value in answer["headers"].items():
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    response.headers["Cache-Control"] = "no-store"
    return response


def _bad_key(detail: str, detail_en: str) -> ApiProblem:
    return ApiProblem(
        400,
        detail,
        detail_en,
        code="idempotency_key",
        errors=[FieldError(HEADER, detail, detail_en)],
    )


# -- sealing the stored answer -------------------------------------------------------------------


def _derive(purpose: bytes, raw: str, route: str) -> bytes:
    return hashlib.sha256(
        b"phananh-idempotency\0" + purpose + b"\0" + f"{route}\0{raw}".encode()
    ).digest()


def _seal(plain: bytes, raw: str, route: str) -> str:
    nonce = secrets.token_bytes(16)
    stream = hashlib.shake_256(_derive(b"enc", raw, route) + nonce).digest(len(plain))
    cipher = bytes(a ^ b for a, b in zip(plain, stream, strict=True))
    tag = hmac.new(_derive(b"mac", raw, route), nonce + cipher, "sha256").digest()
    return base64.b64encode(nonce + tag + cipher).decode()


def _open(sealed: str, raw: str, route: str) -> bytes:
    blob = base64.b64decode(sealed)
    nonce, tag, cipher = blob[:16], blob[16:48], blob[48:]
    expected = hmac.new(_derive(b"mac", raw, route), nonce + cipher, "sha256").digest()
    if not hmac.compare_digest(tag, expected):
        raise RuntimeError(f"The stored answer for {route} does not open with its key.")
    stream = hashlib.shake_256(_derive(b"enc", raw, route) + nonce).digest(len(cipher))
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=True))
