"""Slowing down code guessing without slowing down a town hall.

A whole room often shares one public address (the town hall's Wi-Fi), so limiting every join
request per address would lock out a real audience. What is limited is *failures*: an address
that has typed more than ``max_failures`` unknown codes within ``window`` seconds gets 429 on
code lookups until the window slides past them. Join codes have ~10^9 values, so a few dozen
guesses a minute find nothing.

What "an address" is, :func:`client_address` says once for every limit: the ASGI server's
client address, which uvicorn takes from ``X-Forwarded-For`` only when the connection comes from
a proxy listed in ``ATELIER_FORWARDED_ALLOW_IPS`` (never from anyone else).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["FailureLimiter", "client_address"]


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
