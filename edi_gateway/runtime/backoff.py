"""When to try a failed file again (crash-safety protocol step 5, ``docs/architecture.md``).

Job: decide what happens after a failed attempt (the engine raised, or its worker died), so that
a passing problem never turns a good invoice into "inadmissible, please send it again":

- :class:`RetryQueue` holds a failed claim for ``gateway.retry_seconds`` (wait before the 2nd,
  3rd ... attempt; the last value repeats): a short outbound problem (a full disk, an NFS
  hiccup) is over before the next attempt.
- :class:`DeathWatch` tells a systemic fault from a file that kills its worker: when, within
  :data:`DEATH_WINDOW` seconds and with no file finished in between, every worker died holding a
  file and at least two different files were involved, the fault is the machine's, not the
  files': those deaths do not count against the files, and taking files pauses with a growing
  back-off (:data:`FIRST_PAUSE` doubling up to :data:`MAX_PAUSE`). A file's deaths stop being
  forgiven after :data:`MAX_REFUNDS` such pauses, so a set of files that each kill their worker
  is still set aside in the end.
- :class:`FailurePolicy` applies both for the daemon, on the store's ``attempts`` column, and
  pauses taking files when a claim fails for a reason no file is to blame for (no IdFlux can be
  issued: the lease in ``outbound/.idflux`` cannot be written; the ledger refuses the row): the
  files stay in ``inbound/`` untouched, one ``gateway.paused`` error per pause, the same growing
  back-off, until a claim succeeds.

Input: the configuration, the store, the claims and worker indexes of failed attempts; output:
claims due again, whether taking files is paused, log lines ``flux.retrying`` and
``gateway.paused``. It never sets a file aside itself: the daemon does, once
``attempts >= gateway.max_attempts``.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edi_gateway.core import logs
from edi_gateway.core.config import Config
from edi_gateway.store.database import Store
from edi_gateway.store.records import FluxState

DEATH_WINDOW = 60.0  # seconds: deaths further apart are unrelated
FIRST_PAUSE = 5.0  # seconds without taking files after the first systemic fault
MAX_PAUSE = 300.0
MAX_REFUNDS = 5  # systemic pauses that may forgive the deaths of one file


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


class GrowingPause:
    """A pause that grows while faults repeat: :data:`FIRST_PAUSE` seconds, doubling up to
    :data:`MAX_PAUSE` (both read at each :meth:`start`), back to the first after :meth:`reset`.

    Args:
        clock: monotonic clock in seconds (tests pass their own).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.count = 0
        self.until = 0.0

    def start(self) -> float:
        """Begin the next, longer pause; return its length in seconds."""
        self.count += 1
        pause = float(min(MAX_PAUSE, FIRST_PAUSE * 2 ** (self.count - 1)))
        self.until = self.clock() + pause
        return pause

    def active(self) -> bool:
        """True until the current pause is over."""
        return self.clock() < self.until

    def reset(self) -> None:
        """The fault is gone: the next pause is the first one again."""
        self.count = 0


@dataclass(frozen=True, slots=True)
class Systemic:
    """A systemic fault: pause taking files ``pause_s`` seconds; ``refund`` lists the IdFlux
    whose death in the window must not count as an attempt; ``deaths`` is how many there were."""

    pause_s: float
    refund: tuple[str, ...]
    deaths: int


class DeathWatch:
    """Worker deaths in a sliding window (see the module docstring for the rule).

    Args:
        workers: the number of worker processes.
        clock: monotonic clock in seconds (tests pass their own).
    """

    def __init__(self, workers: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.workers = max(1, workers)
        self.clock = clock
        self.deaths: deque[tuple[float, int, str]] = deque()
        self.refunds: dict[str, int] = {}
        self.pause = GrowingPause(clock)

    def success(self) -> None:
        """A file finished: the machine works; earlier deaths and pauses are forgotten."""
        self.deaths.clear()
        self.pause.reset()

    def paused(self) -> bool:
        """True while taking files is paused after a systemic fault."""
        return self.pause.active()

    def died(self, id_flux: str, worker: int) -> Systemic | None:
        """Record that ``worker`` died holding ``id_flux``; the systemic fault it completes, or
        None when the deaths so far may be the files' own doing."""
        now = self.clock()
        self.deaths.append((now, worker, id_flux))
        while self.deaths and self.deaths[0][0] < now - DEATH_WINDOW:
            self.deaths.popleft()
        workers = {w for _, w, _ in self.deaths}
        files = [f for _, _, f in self.deaths]
        if len(workers) < self.workers or len(set(files)) < 2:
            return None
        refund = tuple(f for f in files if self.refunds.get(f, 0) < MAX_REFUNDS)
        for id_flux_ in refund:
            self.refunds[id_flux_] = self.refunds.get(id_flux_, 0) + 1
        pause = self.pause.start()
        self.deaths.clear()
        return Systemic(pause_s=pause, refund=refund, deaths=len(files))


class FailurePolicy:
    """What the daemon does after a failed attempt (retry later, forgive, pause).

    Args:
        config: ``max_attempts``, ``retry_seconds``, ``worker_count``.
        store: the daemon's store (the ``attempts`` column of the flux rows).
    """

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.retries = RetryQueue(config.retry_seconds)
        self.deaths = DeathWatch(config.worker_count)
        self.log = logs.get_logger()
        self.claim_pause = GrowingPause()

    def claims_paused(self) -> bool:
        """True while taking files is paused after a failed claim (:meth:`claim_failed`)."""
        return self.claim_pause.active()

    def claim_failed(self, error: Exception, name: str) -> float:
        """A claim of file ``name`` failed with a gateway error (IdFlux lease or ledger): pause
        taking files :data:`FIRST_PAUSE` seconds, doubling up to :data:`MAX_PAUSE` while claims
        keep failing; log ``gateway.paused``. Returns the pause in seconds."""
        pause = self.claim_pause.start()
        self.log.error(
            "gateway.paused",
            reason="files cannot be claimed (no IdFlux or no ledger row); they stay in inbound",
            error=type(error).__name__,
            message=str(error),
            file=name,
            pause_s=pause,
        )
        return pause

    def claim_succeeded(self) -> None:
        """A claim worked: the next failure starts again from :data:`FIRST_PAUSE`."""
        self.claim_pause.reset()

    def failed(self, claim: Any, died_on: int | None) -> Any | None:
        """An attempt of ``claim`` failed (``died_on``: index of the worker that died, None for
        an engine exception). Returns the claim when it must go back to the queue at once (no
        attempt left: the daemon sets it aside), else None (held for its retry).

        Raises:
            StateError: the store could not be read or written.
        """
        if died_on is not None:
            self._death(claim.id_flux, died_on)
        row = self.store.flux(claim.id_flux)
        if row is None or row.attempts >= self.config.max_attempts:
            return claim
        delay = self.retries.put(claim, row.attempts)
        with logs.bound_flux(claim.id_flux, claim.original_name, claim.channel):
            self.log.warning(
                "flux.retrying",
                attempt=row.attempts,
                max_attempts=self.config.max_attempts,
                delay_s=delay,
            )
        return None

    def _death(self, id_flux: str, worker: int) -> None:
        """Record a death; on a systemic fault give the attempts back and log the pause."""
        systemic = self.deaths.died(id_flux, worker)
        if systemic is None:
            return
        for refunded in systemic.refund:
            row = self.store.flux(refunded)
            if row is not None and row.state is FluxState.CLAIMED and row.attempts > 0:
                self.store.update_flux(refunded, attempts=row.attempts - 1)
        self.log.warning(
            "gateway.paused",
            reason="every worker died within the window, on different files",
            deaths=systemic.deaths,
            workers=self.deaths.workers,
            pause_s=systemic.pause_s,
            attempts_not_counted=len(systemic.refund),
        )
