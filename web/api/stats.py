"""``GET /api/v1/stats``: the figures of :mod:`engine.stats` for staff, with the filters.

The answer is :meth:`engine.stats.Figures.as_json`, the same JSON as ``phananh stats --json``.
A wrong date, a period ending before it starts, an unknown agency, sector, commune or channel is
422 problem details naming the field; another agency's figures asked by its officer or leader
403. Nothing is written.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from engine import stats
from engine.services.errors import InvalidInput
from web.api import api, inputs
from web.api.inputs import FieldError, bounded_int
from web.api.staff import _private, _staff
from web.auth import token_required
from web.runtime import lifecycle

#: The query parameters, in the OpenAPI document's order.
PARAMETERS = ("from", "to", "agency", "with_units", "sector", "area", "channel", "grain", "top")


@api.get("/stats")
@token_required()
def stats_view() -> Response:
    """The figures of the period and filters, within the token owner's scope."""
    life = lifecycle()
    query = _query(request.args)
    with life.uow.read() as session:
        found = stats.figures(session, life.snapshot, _staff().actor, query, life.now())
    return _private(jsonify(found.as_json()))


def _query(args: Any) -> stats.Query:
    errors: list[FieldError] = []

    def day(name: str) -> Any:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return stats.parse_day(raw, name)
        except InvalidInput as exc:
            errors.append(FieldError(name, exc.message_vi, exc.message_en))
            return None

    def text(name: str) -> str | None:
        return (args.get(name) or "").strip() or None

    with_units = (args.get("with_units") or "true").strip().lower()
    if with_units not in inputs.TRUE_WORDS | inputs.FALSE_WORDS:
        errors.append(
            FieldError(
                "with_units",
                "'with_units' phải là true hoặc false.",
                "'with_units' must be true or false.",
            )
        )
    query = stats.Query(
        start=day("from"),
        end=day("to"),
        agency=text("agency"),
        with_units=with_units not in inputs.FALSE_WORDS,
        sector=text("sector"),
        area=text("area"),
        channel=text("channel"),
        grain=text("grain") or "day",
        top=bounded_int(args, "top", 10, stats.TOP_MAX, errors),
    )
    if errors:
        raise inputs.invalid(errors)
    return query
