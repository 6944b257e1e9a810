"""When to try a failed file again (crash-safety protocol step 5, ``docs/architecture.md``).

Job: hold the claims whose last attempt failed (the engine raised, or its worker died) until
their next attempt is due, so that a short outbound problem (a full disk, an NFS hiccup) does not
turn a good invoice into "inadmissible, please send it again" within milliseconds. Input: the
configuration's ``retry_seconds`` (wait before the 2nd, 3rd ... attempt; the last value repeats)
and the number of attempts a flux already had; output: the claims that are due. It never
decides to set a file aside: the daemon does, once ``attempts >= max_attempts``.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any


def retry_delay(retry_seconds: tuple[float, ...], attempts: int) -> float:
    """Seconds to wait before the attempt that follows attempt number ``attempts`` (1, 2 ...):
    ``retry_seconds[attempts - 1]``, the last value once the list is exhausted, 0 when empty."""
    if not retry_seconds or attempts < 1:
        return 0.0
    return retry_seconds[min(attempts, len(retry_seconds)) - 1]


class RetryQueue:
    """Claims waiting for their next attempt, earliest due first.

    Args:
        retry_seconds: ``gateway.retry_seconds`` (seconds).
        clock: monotonic clock in seconds (tests pass their own).
    """

    def __init__(
        self, retry_seconds: tuple[float, ...], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._heap: list[tuple[float, int, Any]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def put(self, claim: Any, attempts: int) -> float:
        """Hold ``claim`` (which had ``attempts`` attempts) until its next attempt is due.

        Returns:
            The delay in seconds.
        """
        delay = retry_delay(self.retry_seconds, attempts)
        heapq.heappush(self._heap, (self.clock() + delay, next(self._order), claim))
        return delay

    def due(self) -> list[Any]:
        """Remove and return the claims whose next attempt is due, earliest first."""
        now = self.clock()
        ready = []
        while self._heap and self._heap[0][0] <= now:
            ready.append(heapq.heappop(self._heap)[2])
        return ready

    def claims(self) -> list[Any]:
        """Every claim still waiting (for the daemon's bookkeeping and its shutdown count)."""
        return [entry[2] for entry in self._heap]
