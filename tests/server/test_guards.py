"""The join-code failure limiter, with a clock the test moves."""

from __future__ import annotations

from server.guards import FailureLimiter


def test_an_address_is_blocked_after_too_many_failures_until_the_window_slides() -> None:
    now = [0.0]
    limiter = FailureLimiter(max_failures=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.blocked("1.2.3.4") == 0
        limiter.failed("1.2.3.4")
        now[0] += 1
    assert limiter.blocked("1.2.3.4") == 57  # the first failure leaves the window at t=60
    assert limiter.blocked("5.6.7.8") == 0  # others are not affected
    now[0] = 60
    assert limiter.blocked("1.2.3.4") == 0


def test_failures_older_than_the_window_are_forgotten() -> None:
    now = [0.0]
    limiter = FailureLimiter(max_failures=2, window=10, clock=lambda: now[0])
    limiter.failed("a")
    now[0] = 11
    limiter.failed("a")
    assert limiter.blocked("a") == 0
