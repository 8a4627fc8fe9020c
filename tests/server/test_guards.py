"""The limiters, with a clock the test moves: join-code failures per address, open connections
per address, frames per connection."""

from __future__ import annotations

import pytest

from server.errors import Problem
from server.guards import ConnectionLimiter, FailureLimiter, TokenBucket


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


def test_spending_counts_each_action_then_refuses_with_when_to_come_back() -> None:
    """Ballots and comments per participant: every one counts; past the share a 429 problem
    with Retry-After, and the refused one is not counted (it does not push the wait further)."""
    now = [1000.0]
    limiter = FailureLimiter(max_failures=2, window=60, clock=lambda: now[0])
    limiter.spend("ana", "too_many", "Trop.", "Too many.")
    now[0] += 10
    limiter.spend("ana", "too_many", "Trop.", "Too many.")
    with pytest.raises(Problem) as refused:
        limiter.spend("ana", "too_many", "Trop.", "Too many.")
    assert (refused.value.status_code, refused.value.code) == (429, "too_many")
    assert refused.value.headers == {"retry-after": "51"}  # the first one leaves the window in 50 s
    limiter.spend("bruno", "too_many", "Trop.", "Too many.")  # someone else is not held
    now[0] += 50
    limiter.spend("ana", "too_many", "Trop.", "Too many.")


def test_an_address_holds_at_most_its_limit_of_connections_and_frees_them_on_close() -> None:
    limiter = ConnectionLimiter(2)
    with limiter.admit("a") as first, limiter.admit("a") as second:
        assert (first, second) == (True, True)
        with limiter.admit("a") as third:
            assert not third
        with limiter.admit("b") as other:
            assert other  # another address is not affected
        assert limiter.count("a") == 2
    assert limiter.count("a") == 0
    with limiter.admit("a") as again:
        assert again


def test_a_connection_that_ends_in_an_error_is_freed_too() -> None:
    limiter = ConnectionLimiter(1)
    with pytest.raises(RuntimeError), limiter.admit("a"):
        raise RuntimeError("the handler failed")
    assert limiter.count("a") == 0


def test_no_limit_admits_everyone() -> None:
    limiter = ConnectionLimiter(0)
    with limiter.admit("a") as first, limiter.admit("a") as second:
        assert (first, second) == (True, True)


def test_a_bucket_allows_a_burst_then_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=5, clock=lambda: now[0])
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    now[0] += 0.1  # one token back
    assert [bucket.take() for _ in range(2)] == [True, False]
    now[0] += 60  # never more than the burst, however long the pause
    assert sum(bucket.take() for _ in range(10)) == 5


def test_a_bucket_says_how_long_until_its_next_token_without_taking_one() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=2, clock=lambda: now[0])
    assert bucket.wait() == 0.0
    assert bucket.take()
    assert bucket.take()
    assert bucket.wait() == pytest.approx(0.1)
    now[0] += 0.04
    assert bucket.wait() == pytest.approx(0.06)
    now[0] += 0.06
    assert bucket.wait() == 0.0
    assert bucket.take()
    assert not bucket.take()
