"""The API's own refusals as problem details (RFC 9457), and the headers every answer carries.

Use-case refusals (``DomainError``) and HTTP errors are mapped for every ``/api`` path in
``web.errors``; here are the two the API adds: input refused before any use case (``ApiProblem``)
and a client over its rate limit, answered with the limit and when to come back.
"""

from __future__ import annotations

import time

from flask import Response
from flask_limiter.errors import RateLimitExceeded

from web.api import api
from web.api.inputs import ApiProblem
from web.errors import problem
from web.limits import limiter


@api.errorhandler(ApiProblem)
def refused(error: ApiProblem) -> Response:
    response = problem(
        error.status,
        error.detail,
        code=error.code,
        errors=[e.as_json() for e in error.errors] or None,
        detail_en=error.detail_en,
    )
    response.headers.update(error.headers)
    return response


@api.errorhandler(RateLimitExceeded)
def too_many(error: RateLimitExceeded) -> Response:
    limit = error.limit.limit
    wait = _seconds_to_reset()
    response = problem(
        429,
        f"Bạn đã gửi quá nhiều yêu cầu (giới hạn: {_limit_vi(limit)}); "
        f"hãy thử lại sau {wait} giây.",
        code="rate_limited",
        detail_en=f"Too many requests (limit: {limit}); retry in {wait} seconds.",
    )
    response.headers["Retry-After"] = str(wait)
    return response


@api.after_request
def machine_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def _seconds_to_reset() -> int:
    """As flask-limiter counts it for its own ``Retry-After`` header."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


UNITS_VI = {
    "second": "giây",
    "minute": "phút",
    "hour": "giờ",
    "day": "ngày",
    "month": "tháng",
    "year": "năm",
}


def _limit_vi(limit: object) -> str:
    """``5 per 1 minute`` as ``5 lần mỗi 1 phút``."""
    amount = getattr(limit, "amount", None)
    multiples = getattr(limit, "multiples", None)
    unit = getattr(limit, "GRANULARITY", None)
    name = getattr(unit, "name", None)
    if amount is None or multiples is None or name not in UNITS_VI:
        return str(limit)
    return f"{amount} lần mỗi {multiples} {UNITS_VI[name]}"
