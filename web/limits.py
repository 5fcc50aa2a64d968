"""Rate limits on public POSTs (reports, replies, ratings), per client.

The counters live in ``RATELIMIT_STORAGE_URI`` — ``memory://`` for one process (the default and
the tests), ``redis://127.0.0.1:6379`` when several web processes share the load, so that no
limit depends on which process answered.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: How often one client may send a report, a reply or a rating.
PUBLIC_POST = "20 per hour; 5 per minute"

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
