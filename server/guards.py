"""Limits on what one client may take, without slowing down a town hall.

A whole room often shares one public address (the town hall's Wi-Fi), so limiting every join
request per address would lock out a real audience. What is limited is *failures*: an address
that has typed more than ``max_failures`` unknown codes within ``window`` seconds gets 429 on
code lookups until the window slides past them. Join codes have ~10^9 values, so a few dozen
guesses a minute find nothing.

For the same reason the WebSocket limits are generous: open connections per address
(:class:`ConnectionLimiter`) only stop one machine from holding thousands of sockets, and
messages per connection (:class:`TokenBucket`) allow fast typing with room to spare.

What "an address" is, :func:`client_address` says once for every limit: the ASGI server's
client address, which uvicorn takes from ``X-Forwarded-For`` only when the connection comes from
a proxy listed in ``ATELIER_FORWARDED_ALLOW_IPS`` (never from anyone else).
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from server.errors import Problem

__all__ = [
    "TOO_MANY_CONNECTIONS",
    "TOO_MANY_MESSAGES",
    "ConnectionLimiter",
    "FailureLimiter",
    "TokenBucket",
    "client_address",
]

#: Close reasons (with 1008) of the WebSocket limits, the same on every endpoint.
TOO_MANY_CONNECTIONS = "too many connections from this address"
TOO_MANY_MESSAGES = "too many messages per second"


def client_address(connection: Any) -> str:
    """The client's address as the ASGI server reports it (a Litestar request or socket)."""
    client = connection.client
    return client.host if client and client.host else "unknown"


class FailureLimiter:
    def __init__(
        self, max_failures: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def blocked(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        failures = self._recent(key)
        if len(failures) < self.max_failures:
            return 0.0
        return max(0.0, self.window - (self._clock() - failures[0]))

    def failed(self, key: str) -> None:
        self._recent(key)
        self._failures.setdefault(key, deque()).append(self._clock())

    def spend(self, key: str, code: str, fr: str, en: str) -> None:
        """One more action of ``key`` (a ballot, a comment), counted; a 429 problem saying when
        to try again, and nothing counted, once ``key`` has had its share of the window."""
        wait = self.blocked(key)
        if wait:
            raise Problem(429, code, fr, en, headers={"retry-after": str(int(wait) + 1)})
        self.failed(key)  # counts every action, not only failures


class ConnectionLimiter:
    """Open connections per address on this instance (``limit`` 0: no limit).

    Each instance counts its own: behind N instances an address may hold up to N × ``limit``.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = {}

    def count(self, address: str) -> int:
        return self._open.get(address, 0)

    @contextlib.contextmanager
    def admit(self, address: str) -> Iterator[bool]:
        """Yield whether ``address`` may open one more connection; if so it counts as open
        until the block ends, however it ends."""
        if not self.enter(address):
            yield False
            return
        try:
            yield True
        finally:
            self.leave(address)

    def enter(self, address: str) -> bool:
        """:meth:`admit` without a block (a suspended generator per open socket is 0.3 KB):
        ``True`` if admitted, and then :meth:`leave` must follow, however the socket ends."""
        if self.limit and self._open.get(address, 0) >= self.limit:
            return False
        self._open[address] = self._open.get(address, 0) + 1
        return True

    def leave(self, address: str) -> None:
        left = self._open[address] - 1
        if left:
            self._open[address] = left
        else:
            del self._open[address]


class TokenBucket:
    """Messages of one connection: ``rate`` per second on average, ``burst`` at once.

    The bucket starts full; each message takes a token; tokens come back at ``rate`` per
    second up to ``burst``.
    """

    __slots__ = ("_clock", "_last", "_tokens", "burst", "rate")

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def take(self) -> bool:
        """Take a token; ``False`` when there is none (the message is over the limit)."""
        self._refill()
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def wait(self) -> float:
        """Seconds until a token is there (0.0: one is there now); takes none."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
