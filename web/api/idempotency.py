"""``Idempotency-Key`` on the API's POSTs: a retried request gets the first answer, never a second
report, reply or rating.

How it works (table ``idempotent_requests``, unique on ``(key, route)``): **one transaction per
request** (:meth:`~engine.store.UnitOfWork.transaction`) holds the claim of the key, the use
case's writes and the sealed answer, and commits them together.

1. **Claim.** A row for the key and route is inserted with status 0 ("in progress") at the start
   of the transaction. The unique index lets exactly one of several concurrent first requests own
   the key: the others wait on it (PostgreSQL's index, SQLite's write lock) for at most
   ``API_IDEMPOTENCY_WAIT`` seconds (default 10), then find the owner's committed row, or get 409
   with ``Retry-After``.
2. **Work and answer.** The view's use case joins the transaction; a 2xx JSON answer (status,
   body, ``Location``) is written into the row, and everything commits at once. Any other outcome
   — refused input, a conflict, a crash of the view — rolls all of it back, so the client may fix
   nothing and retry with the same key.
3. **Anyone else** who finds the row: a request that is not the same (another body, another token)
   is refused with 422; a finished row is answered with the stored answer and
   ``Idempotent-Replayed: true``.

So a process killed at any point leaves either everything (the report and its stored answer: a
retry is replayed) or nothing (a retry does the work): never a report without its answer, and
never a claim "in progress" that blocks the key. A row left in progress by an earlier version of
this module is taken over. The worker deletes rows older than a day
(:mod:`engine.worker.housekeeping`).

What is stored is not a secret in clear: the key is stored as a hash, and the answer — which for a
new report carries its tracking token, otherwise kept only as a hash — is sealed with a key derived
from the client's Idempotency-Key (SHAKE-256 keystream with a random nonce, HMAC-SHA-256 tag), so
only a client that holds the key can have it again. Keys are 16–200 visible ASCII characters
(a UUID is the usual choice).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from flask import Response, current_app, jsonify, make_response, request
from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from engine.store import UnitOfWork
from engine.store.db import SQLITE_BUSY_TIMEOUT
from engine.store.models import IdempotentRequest
from web.api.inputs import ApiProblem, FieldError
from web.runtime import lifecycle

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{16,200}")
IN_PROGRESS = 0
DEFAULT_WAIT = 10.0
ATTEMPTS = 3  # claims tried when the owner found is gone (it rolled back)
STORED_HEADERS = ("Location",)
TOKEN_HEADER = "X-Tracking-Token"
#: The columns a claim fills, in the order of :func:`_claim`'s values; its answer is empty.
CLAIMED = ("key", "route", "request_hash", "created_at", "status")
CLAIM = (
    f"INSERT INTO {IdempotentRequest.__tablename__} ({', '.join(CLAIMED)}, body, headers) "
    "VALUES (%s, %s, %s, %s, %s, '{}', '{}')"
)


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
        wait = float(current_app.config.get("API_IDEMPOTENCY_WAIT", DEFAULT_WAIT))
        for _ in range(ATTEMPTS):
            try:
                with uow.transaction() as session:
                    _claim(session, key_id, route, fingerprint, wait)
                    response = make_response(view(**kwargs))
                    if not 200 <= response.status_code < 300:
                        raise _Undo(response)
                    _complete(session, key_id, route, raw, response)
                return response
            except _Undo as undo:
                return undo.response
            except _Taken:
                stored = _finished(uow, key_id, route, fingerprint)
                if stored is not None:
                    return _replay(stored, raw, route)
        raise _in_progress()

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


class _Taken(Exception):
    """Another request holds, or has finished with, this key and route."""


class _Undo(Exception):
    """The view answered without success: roll back the claim with whatever it wrote."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _claim(session: Session, key_id: str, route: str, fingerprint: str, wait: float) -> None:
    """Insert the claim, waiting at most ``wait`` seconds for a concurrent owner to finish."""
    milliseconds = max(1, int(wait * 1000))
    values = (key_id, route, fingerprint, lifecycle().now(), IN_PROGRESS)
    try:
        if session.get_bind().dialect.name == "postgresql":
            _claim_on_postgresql(session, values, milliseconds)
        else:
            with _sqlite_busy_timeout(session, milliseconds):
                session.connection().execute(
                    insert(IdempotentRequest).values(
                        {**dict(zip(CLAIMED, values, strict=True)), "body": {}, "headers": {}}
                    )
                )
    except (IntegrityError, psycopg.errors.UniqueViolation):
        raise _Taken from None
    # PostgreSQL's lock_timeout (raised by the pipeline, or by SQLAlchemy), SQLite's busy timeout
    except (OperationalError, psycopg.errors.LockNotAvailable):
        raise _in_progress() from None


def _claim_on_postgresql(session: Session, values: tuple[Any, ...], milliseconds: int) -> None:
    """The claim between a ``lock_timeout`` for it alone and the default again, in one round trip.

    psycopg's pipeline sends the transaction's BEGIN, the two settings and the INSERT together
    and reads their answers once: one wait for the server where each statement is otherwise a
    wait of its own. A refusal is raised when the pipeline ends, as psycopg's own error.
    """
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection), "PostgreSQL is reached through psycopg 3"
    with driver.pipeline():
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")
        connection.exec_driver_sql(CLAIM, values)
        connection.exec_driver_sql("SET LOCAL lock_timeout TO DEFAULT")


@contextmanager
def _sqlite_busy_timeout(session: Session, milliseconds: int) -> Iterator[None]:
    """SQLite's wait for the write lock, for one statement; the connection's own afterwards.

    Set on the driver's connection: it is no part of the transaction, and must be restored even
    when the statement failed and the transaction can take no more statements.
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    driver = session.connection().connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA busy_timeout = {milliseconds}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT}")


def _finished(uow: UnitOfWork, key_id: str, route: str, fingerprint: str) -> Row[Any] | None:
    """The committed row of the key's owner, or None to claim again (the owner let go)."""
    with uow.begin() as session:
        row = session.execute(
            select(
                IdempotentRequest.request_hash, IdempotentRequest.status, IdempotentRequest.body
            ).where(IdempotentRequest.key == key_id, IdempotentRequest.route == route)
        ).one_or_none()
        if row is None:
            return None
        if row.request_hash != fingerprint:
            raise ApiProblem(
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
        if row.status == IN_PROGRESS:  # committed by an earlier version and abandoned
            session.execute(
                delete(IdempotentRequest).where(
                    IdempotentRequest.key == key_id,
                    IdempotentRequest.route == route,
                    IdempotentRequest.status == IN_PROGRESS,
                )
            )
            return None
        return row


def _in_progress() -> ApiProblem:
    return ApiProblem(
        409,
        "Yêu cầu với Idempotency-Key này đang được xử lý; hãy thử lại sau ít giây.",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        code="idempotency_in_progress",
        headers={"Retry-After": "1"},
    )


def _complete(session: Session, key_id: str, route: str, raw: str, response: Response) -> None:
    """Seal the answer into the claim (a 2xx answer that is not JSON keeps no claim).

    Core statements on the claim's key, not the ORM: the row was written by :func:`_claim` and is
    not in the session, and a request should not pay for loading it back.
    """
    connection = session.connection()
    mine = {"claim_key": key_id, "claim_route": route}
    if not response.is_json:
        connection.execute(_LET_GO, mine)
        return
    answer = {
        "body": response.get_json(),
        "headers": {h: response.headers[h] for h in STORED_HEADERS if h in response.headers},
    }
    sealed = _seal(json.dumps(answer).encode(), raw, route)
    connection.execute(
        _SEAL, {**mine, "status": response.status_code, "body": {"sealed": sealed}, "headers": {}}
    )


def _on_the_claim(statement: Any) -> Any:
    table = IdempotentRequest.__table__
    return statement.where(
        table.c.key == bindparam("claim_key"), table.c.route == bindparam("claim_route")
    )


#: :func:`_complete`'s statements, built once with parameters: made again for every request,
#: they cost more than sending them.
_LET_GO = _on_the_claim(delete(IdempotentRequest.__table__))
_SEAL = _on_the_claim(update(IdempotentRequest.__table__))


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
    cipher = _xor(plain, stream)
    tag = hmac.new(_derive(b"mac", raw, route), nonce + cipher, "sha256").digest()
    return base64.b64encode(nonce + tag + cipher).decode()


def _open(sealed: str, raw: str, route: str) -> bytes:
    blob = base64.b64decode(sealed)
    nonce, tag, cipher = blob[:16], blob[16:48], blob[48:]
    expected = hmac.new(_derive(b"mac", raw, route), nonce + cipher, "sha256").digest()
    if not hmac.compare_digest(tag, expected):
        raise RuntimeError(f"The stored answer for {route} does not open with its key.")
    stream = hashlib.shake_256(_derive(b"enc", raw, route) + nonce).digest(len(cipher))
    return _xor(cipher, stream)


def _xor(data: bytes, stream: bytes) -> bytes:
    """``data`` XOR ``stream`` (of the same length), as whole numbers rather than byte by byte."""
    return (int.from_bytes(data) ^ int.from_bytes(stream)).to_bytes(len(data))
