"""A bound on failed logins, so wrong passwords cannot eat the server's CPU.

Job: every password check costs one Argon2id verification (about 0.1 s of CPU here, on
purpose). :class:`FailureThrottle` counts the failures of each ``(caller address, login)`` and,
past ``limit`` failures within ``window`` seconds, says the pair is blocked: the next attempts
are answered 401 at once, without a verification, the right password too, until the window
slides past; any other login or address is not affected. Memory is bounded
(``max_keys`` pairs, the oldest forgotten first). Thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable


class FailureThrottle:
    """Failures per key within a sliding window.

    Args:
        limit: failures allowed per key within ``window`` (default 10).
        window: seconds (default 60).
        max_keys: keys remembered at most.
        clock: monotonic seconds (tests give their own).
    """

    def __init__(
        self,
        limit: int = 10,
        window: float = 60.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.max_keys, self.clock = limit, window, max_keys, clock
        self._failures: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, key: Hashable) -> bool:
        """True when ``key`` had ``limit`` failures within the window."""
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                return False
            self._expire(times)
            return len(times) >= self.limit

    def failed(self, key: Hashable) -> None:
        """Record one failure of ``key``."""
        with self._lock:
            times = self._failures.pop(key, None) or deque()
            self._expire(times)
            times.append(self.clock())
            self._failures[key] = times
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def _expire(self, times: deque[float]) -> None:
        horizon = self.clock() - self.window
        while times and times[0] < horizon:
            times.popleft()
