"""A watcher's stand-in for the worker pool: each claim becomes one task on the broker.

Job: with ``[cluster]`` enabled, the daemon (:class:`~edi_gateway.runtime.daemon.Gateway`)
hands its claims to a :class:`BrokerDispatch` instead of a
:class:`~edi_gateway.runtime.workers.WorkerPool`: the same methods, but ``submit`` sends a
``process_flux`` task (:mod:`edi_gateway.runtime.broker`) and results never come back here
(the ledger is the truth: a cluster worker records every outcome,
:mod:`edi_gateway.runtime.cluster_task`).
The watcher claims ahead while the queue holds fewer than ``cluster.queue_limit`` tasks. With
``--role all`` it also runs this machine's cluster workers
(:class:`~edi_gateway.runtime.cluster_worker.ClusterWorkers`), started again when they die.

A task that cannot be sent (the broker is down) raises from :meth:`submit`; the daemon keeps the
claim and sends it again (``broker.unreachable``, then every tick until the broker answers).
"""

from __future__ import annotations

import select
import time
from typing import Any

from edi_gateway.core import logs
from edi_gateway.core.config import Config
from edi_gateway.runtime import broker as task_queue
from edi_gateway.runtime.cluster_worker import ClusterWorkers

#: A claim of this gateway still unfinished this long after its task was sent is sent again.
STALE_CLAIM_SECONDS = 600.0


def _never_here(message: dict[str, Any]) -> None:  # pragma: no cover - runs on workers only
    raise RuntimeError("process_flux runs on cluster workers, not in the watcher")


class BrokerDispatch:
    """Sends claims as tasks; the daemon's pool interface (see the module docstring).

    Args:
        config: gateway configuration (``[cluster]`` enabled).
        workers: this machine's cluster workers to run beside the watcher (``--role all``), or
            None (``--role watcher``).

    Raises:
        ConfigError: dramatiq / redis missing (:func:`task_queue.make_broker`).
    """

    def __init__(self, config: Config, workers: ClusterWorkers | None = None) -> None:
        self.config = config
        self.broker = task_queue.make_broker(config)
        self.actor = task_queue.declare(self.broker, config, _never_here)
        self.workers = workers
        self.role = "all" if workers is not None else "watcher"
        self.slots = workers.workers if workers is not None else []
        self.log = logs.get_logger()
        self.queued = 0  # tasks on the queue at the last look
        self.next_look = 0.0
        self.sent: dict[str, float] = {}  # IdFlux -> when its task was last sent
        self.down_since: float | None = None

    def start(self) -> None:
        """Start this machine's cluster workers, if any."""
        if self.workers is not None:
            self.workers.start()

    def started_count(self) -> int:
        """How many claims the daemon may hold ahead of the queue (its backlog)."""
        return 8

    def idle_count(self) -> int:
        """Room on the queue below ``cluster.queue_limit`` (looked up at most every 0.5 s, then
        counted down per task sent); 0 while the broker is unreachable."""
        now = time.monotonic()
        if now >= self.next_look:
            try:
                self.queued = task_queue.queue_size(self.broker, self.config)
                self._reachable()
            except Exception as exc:
                self._unreachable(exc)
                return 0
            self.next_look = now + 0.5
        return max(0, self.config.cluster.queue_limit - self.queued)

    def busy(self) -> list[Any]:
        """Claims in progress here: none (they are on the broker)."""
        return []

    def submit(self, claim: Any) -> int:
        """Send one ``process_flux`` task for ``claim``; returns -1 (no local slot).

        Raises:
            Exception: the broker refused or cannot be reached (redis errors), after logging
                ``broker.unreachable`` once per outage.
        """
        try:
            self.actor.send(task_queue.claim_message(claim))
        except Exception as exc:
            self._unreachable(exc)
            self.queued = self.config.cluster.queue_limit  # no room until a look succeeds
            raise
        self._reachable()
        self.queued += 1
        self.sent.setdefault(claim.id_flux, time.monotonic())
        with logs.bound_flux(claim.id_flux, claim.original_name, claim.channel):
            self.log.info("flux.queued", queue=self.config.cluster.queue)
        return -1

    def due_again(self, unfinished: list[Any]) -> list[Any]:
        """Of this gateway's unfinished claims, those to send again: their task went out
        ``STALE_CLAIM_SECONDS`` (at least 10 ``cluster.heartbeat_seconds``) ago and the flux
        is still not done (a task lost with a broker that lost its data), each once per such
        period. A copy of a live task is harmless: the ledger decides
        (:mod:`edi_gateway.runtime.cluster_task`)."""
        period = max(STALE_CLAIM_SECONDS, 10 * self.config.cluster.heartbeat_seconds)
        now = time.monotonic()
        due = []
        for claim in unfinished:
            if now - self.sent.get(claim.id_flux, now - period) >= period:
                self.sent[claim.id_flux] = now
                due.append(claim)
        if len(self.sent) > 100_000:  # forget the long finished ones
            self.sent = {k: t for k, t in self.sent.items() if now - t < period}
        return due

    def _unreachable(self, exc: Exception) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.log.error("broker.unreachable", error=type(exc).__name__, message=str(exc))
        self.next_look = time.monotonic() + 1.0

    def _reachable(self) -> None:
        if self.down_since is not None:
            self.log.info("broker.reachable", down_s=round(time.monotonic() - self.down_since, 1))
            self.down_since = None

    def wait(self, timeout: float, wake: Any = None) -> list[Any]:
        """Sleep up to ``timeout`` seconds, ended at once when ``wake`` (the hint queue) is
        readable; restart dead local workers. Returns no event (results are in the ledger)."""
        if self.workers is not None:
            self.workers.check()
        if wake is not None:
            select.select([wake], [], [], timeout)
        else:
            time.sleep(timeout)
        return []

    def stop(self, grace: float) -> tuple[list[Any], list[Any]]:
        """Stop the local workers (they finish their task) and close the broker connection.
        Returns ``([], [])``: nothing is handed back (the tasks stay on the queue)."""
        if self.workers is not None:
            self.workers.stop()
        self.broker.close()
        return [], []
