"""Rate limits on public POSTs (reports, replies, ratings), per client: its address, or the name
of the partner's API key that it sends (Open311).

The counters live in ``RATELIMIT_STORAGE_URI`` — ``memory://`` for one process (the default and
the tests), ``redis://127.0.0.1:6379`` when several web processes share the load, so that no
limit depends on which process answered.

A request is counted when it arrives, in one atomic increment of the storage, so that requests
sent in parallel cannot all pass a limit that none of them has been counted against yet. An
answer that turns out to cost nothing (the API's idempotent replay) is given back afterwards
(:func:`give_back`).
"""

from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.strategies import FixedWindowRateLimiter

#: How often one client may send a report, a reply or a rating.
PUBLIC_POST = "20 per hour; 5 per minute"
#: How often one report's code may be looked up with a phone number, from all addresses together.
LOOKUP_PER_CODE = "10 per hour"
#: How often one partner's system, by its API key and from any address, may send a report.
API_KEY_POST = "60 per minute; 1000 per hour"

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def public_post_limit() -> str:
    """``PUBLIC_POST``, unless the application's ``RATELIMIT_PUBLIC_POST`` says otherwise."""
    return str(current_app.config.get("RATELIMIT_PUBLIC_POST", PUBLIC_POST))


def api_key_limit() -> str:
    """``API_KEY_POST``, unless the application's ``RATELIMIT_API_KEY`` says otherwise."""
    return str(current_app.config.get("RATELIMIT_API_KEY", API_KEY_POST))


def give_back() -> None:
    """Take this request's hit off every limit it was counted against and did not exceed.

    Only the fixed window (Flask-Limiter's default strategy) can take a hit back; a window that
    has already ended, and so holds nothing of this request, is left alone.
    """
    strategy = limiter.limiter
    if not isinstance(strategy, FixedWindowRateLimiter):
        return
    for counted in limiter.current_limits:
        if counted.breached:
            continue
        window = strategy.get_window_stats(counted.limit, *counted.request_args)
        if window.remaining < counted.limit.amount:
            strategy.hit(counted.limit, *counted.request_args, cost=-1)
