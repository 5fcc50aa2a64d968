"""The back-off of failed sign-ins: free failures, then a wait that doubles up to a ceiling."""

from __future__ import annotations

from datetime import timedelta

from engine.throttle import Attempt, Throttle


def test_the_wait_doubles_after_the_free_failures_up_to_the_ceiling() -> None:
    rule = Throttle(first_wait=timedelta(seconds=30), max_wait=timedelta(minutes=15))
    waits = [rule.wait_after(n, free=5).total_seconds() for n in range(0, 12)]
    assert waits == [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]
    assert rule.wait_after(10_000, free=5) == timedelta(minutes=15)  # no overflow, ever


def test_an_attempt_is_named_as_accounts_are_and_fits_its_columns() -> None:
    assert Attempt.of("203.0.113.9", "  IOC.An ") == Attempt("203.0.113.9", "ioc.an")
    assert Attempt.of(None, "x").client == "unknown"
    long = Attempt.of("f" * 100, "n" * 500)
    assert len(long.client) == 64 and len(long.username) == 200
