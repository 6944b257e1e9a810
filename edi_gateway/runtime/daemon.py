"""The file-drop gateway: watch the inbound channels, claim complete files, feed the workers.

One process watches; :mod:`edi_gateway.runtime.workers` processes. The main loop (one thread) does,
every tick (at most 0.1 s, ended at once by a worker's result or a new hint): take the observer's
hints, sweep the channel folders every ``sweep_seconds`` (the folder is the truth, events are only
hints), claim the files that settled (:mod:`edi_gateway.ingest.claim`) while a worker is idle, and
handle results and dead workers. The observer thread only queues paths
(:mod:`edi_gateway.ingest.hint_queue`, :mod:`edi_gateway.ingest.observer`). Start-up recovery and
set-aside follow the crash-safety protocol (:mod:`edi_gateway.pipeline.recovery`); a failed attempt
waits ``gateway.retry_seconds`` before the next one (:mod:`edi_gateway.runtime.backoff`). SIGTERM /
SIGINT: stop taking files, wait up to ``stop_grace`` seconds for the files in progress, hand the
others back (left ``claimed``, retried at the next start), log ``gateway.stopped``. A ``service``
(the Service-mode HTTP API, :mod:`edi_gateway.web.server`) runs beside the loop: it stages
deposits and puts them on the same hint queue; the loop claims them
(:mod:`edi_gateway.ingest.http_deposit`). ``watch=False`` (``edi-gateway serve``) takes no folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from edi_gateway import __version__
from edi_gateway.core import logs
from edi_gateway.core.config import Channel, Config
from edi_gateway.core.errors import GatewayError
from edi_gateway.core.records import Claim
from edi_gateway.ingest import http_deposit
from edi_gateway.ingest.claim import Claimer, Settler, readable
from edi_gateway.ingest.hint_queue import HintQueue
from edi_gateway.ingest.intake_order import IntakeOrder
from edi_gateway.ingest.observer import INOTIFY_MOVE_DELAY as INOTIFY_MOVE_DELAY
from edi_gateway.ingest.observer import ChannelObserver
from edi_gateway.ingest.sweep import ChannelSweep
from edi_gateway.pipeline import dispatch_checks, done_log, finish, recovery
from edi_gateway.runtime import locks as gateway_locks
from edi_gateway.runtime.backoff import FailurePolicy
from edi_gateway.runtime.service_host import Service
from edi_gateway.runtime.workers import Died, Finished, WorkerPool, WorkerSpec
from edi_gateway.store import fluxid
from edi_gateway.store.database import Store
from edi_gateway.store.records import FluxState

TICK_SECONDS = 0.1


class Gateway:
    """The daemon.

    Args:
        config: gateway configuration.
        spec: what workers build (default: the real engine, console logging off).
        new_id: IdFlux source; by default a :class:`fluxid.IdFluxReserve` of this gateway's
            instance and outbound folder (32 numbers per store commit).
        stop_grace: seconds to wait for files in progress after SIGTERM / SIGINT.
        service: the HTTP API to run beside the loop, or None. watch: take dropped files
            (False: only what the service deposits).
        dispatch: with ``[cluster]``, a :class:`~edi_gateway.runtime.broker_dispatch.
            BrokerDispatch` instead of this machine's :class:`WorkerPool` (tasks on a broker).
    """

    def __init__(
        self,
        config: Config,
        *,
        spec: WorkerSpec | None = None,
        new_id: Callable[[Store, str], str] = fluxid.new_id_flux,
        stop_grace: float = 30.0,
        service: Service | None = None,
        watch: bool = True,
        dispatch: Any = None,
    ) -> None:
        self.config = config
        self.spec = spec or WorkerSpec(config=config)
        # Claims draw ids with this gateway's instance unless a test gives its own source.
        self.new_id = (  # one commit per 32 IdFlux, not one per claim
            fluxid.IdFluxReserve(instance=config.instance, outbound=config.outbound)
            if new_id is fluxid.new_id_flux
            else new_id
        )
        self.stop_grace = stop_grace
        self.service, self.watch = service, watch
        self.dispatch = dispatch
        self.stopping = False
        self.stop_reason = "requested"
        self.log = logs.get_logger()
        self.hints = HintQueue()  # (path, channel, complete); wakes the loop's wait
        self.settler = Settler(config.settle_seconds)
        self.ready = IntakeOrder()  # settled files, new arrivals before a backlog
        self.backlog: deque[Claim] = deque()
        self.observer = ChannelObserver(config, self.hints)
        self.next_sweep = 0.0
        self.taken = 0
        self.sweeper = ChannelSweep(config.channels, self.settler, self.log)

    # -- life cycle ----------------------------------------------------------------------------

    def request_stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        """Ask the main loop to stop (signal handler; safe to call from any thread)."""
        self.stopping = True
        if signum is not None:
            self.stop_reason = signal.Signals(signum).name

    def run(self) -> int:
        """Run until :meth:`request_stop` (or a signal). Returns the exit code: 0 after a clean
        stop, 2 when another gateway holds the state folder, another gateway with the same
        ``gateway.instance`` writes to the same outbound folder (:mod:`gateway_locks`), or the
        database cannot be opened."""
        held = gateway_locks.hold_all(self.config, self.log)
        if held is None:
            return 2
        with contextlib.suppress(ValueError):  # not the main thread (tests): no signals
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)
        try:
            self._serve(held.store)
        finally:
            held.release()
        return 0

    def _serve(self, store: Store) -> None:
        self.store = store
        self.claimer = Claimer(self.config, store, self.new_id)
        self.failures = FailurePolicy(self.config, store)
        for channel in self.config.channels:
            channel.folder.mkdir(parents=True, exist_ok=True)
        self.backlog.extend(recovery.recover(self.config, store, self.claimer))
        http_deposit.discard_stale(self.config)  # staged bodies nobody was answered for
        done_log.log_missing_done(self.config, store)
        if self.service is not None:  # before the workers: a taken port stops the start
            self.service.start(self)
        self.pool = self.dispatch or WorkerPool(self.spec, self.config.worker_count)
        self.pool.start()
        self.log.info(
            "gateway.started",
            version=__version__,
            pid=os.getpid(),
            workers=len(self.pool.slots),
            role="all" if self.dispatch is None else self.dispatch.role,
            observer=self.config.observer,
            channels=[c.name for c in self.config.channels] if self.watch else [],
            recovered=len(self.backlog),
        )
        if self.watch:
            self.observer.start()
        while not self.stopping:
            try:
                self._tick()
            except Exception as exc:  # one bad moment never stops the gateway
                self.log.error("gateway.error", error=type(exc).__name__, message=str(exc))
                time.sleep(TICK_SECONDS)
        self._shutdown()

    def _shutdown(self) -> None:
        self.log.info(
            "gateway.stopping", reason=self.stop_reason, in_progress=len(self.pool.busy())
        )
        if self.service is not None:
            self.service.stop()  # no new deposit; those staged and not taken are discarded
        self.observer.stop()
        self._take_deposits()
        self.hints.close()
        events, handed_back = self.pool.stop(self.stop_grace)
        for event in events:
            self._handle(event)
        recovery.give_back(self.store, handed_back)
        self.log.info(
            "gateway.stopped",
            reason=self.stop_reason,
            taken=self.taken,
            handed_back=len(handed_back) + len(self.backlog) + len(self.failures.retries),
        )

    # -- sweeps ----------------------------------------------------------------------------------

    def sweep(self) -> int:
        """Note every file directly in each channel folder (:class:`ChannelSweep`); returns how
        many were noted."""
        return self.sweeper.sweep()

    # -- the loop --------------------------------------------------------------------------------

    def _tick(self) -> None:
        now = time.monotonic()
        self._take_deposits()
        if now >= self.next_sweep:
            self.watch and self.sweep()
            self._reconcile()
            self.next_sweep = now + self.config.sweep_seconds
        self.ready.extend(self.settler.ripe_by_source())
        self.backlog.extend(self.failures.retries.due())
        paused = self.failures.deaths.paused() or self.failures.claims_paused()
        while not paused and self.pool.idle_count() and (self.backlog or self.ready):
            claim = self.backlog.popleft() if self.backlog else self._take(*self.ready.popleft())
            if claim is not None:
                self._dispatch(claim)
            paused = self.failures.claims_paused()
        # claim ahead, one spare per worker, while they work (the claim costs ~3 commits)
        while not paused and self.ready and len(self.backlog) < self.pool.started_count():
            claim = self._take(*self.ready.popleft())
            if claim is not None:
                self.backlog.append(claim)
            paused = self.failures.claims_paused()
        for event in self.pool.wait(TICK_SECONDS, wake=self.hints):  # a new hint ends it
            self._handle(event)
        if self.watch:
            self.observer.check()

    def _take_deposits(self) -> None:
        """Drain the hint queue: observer hints go to the settler, HTTP deposits are claimed
        at once (their request waits for the IdFlux)."""
        for item in self.hints.drain():
            if isinstance(item, http_deposit.PendingDeposit):
                api = self.config.api_channel
                claim = http_deposit.take(self.claimer, self.store, api, item)
                if claim is not None:
                    self.taken += 1
                    self.backlog.append(claim)
            else:
                self.settler.note(*item, event=True)

    def _reconcile(self) -> None:
        """Claimed rows neither in progress nor queued (a dispatch that failed) are queued
        again, so no claim waits for the next start. In a cluster the tasks in flight are on
        the broker: only those :meth:`BrokerDispatch.due_again` says were lost are sent again."""
        waiting = [*self.backlog, *self.pool.busy(), *self.failures.retries.claims()]
        unqueued = recovery.unqueued(self.config, self.store, waiting)
        if self.dispatch is not None:
            unqueued = self.dispatch.due_again(unqueued)
        self.backlog.extend(unqueued)

    def _take(self, path: str, channel: Channel) -> Claim | None:
        """Claim one settled file; log and defer it when the claim fails."""
        self.settler.release(path)
        try:
            claim = self.claimer.claim(path, channel)
        except (OSError, GatewayError) as exc:
            name = readable(Path(path).name)
            self.settler.defer(path, self.config.sweep_seconds)
            if isinstance(exc, GatewayError):  # no IdFlux or no row: no file can be claimed
                self.failures.claim_failed(exc, name)
                return None
            with logs.bound_flux("", name, channel.name):
                self.log.error(
                    "flux.failed", stage="claim", error=type(exc).__name__, message=str(exc)
                )
            return None
        self.failures.claim_succeeded()
        if claim is not None:
            self.taken += 1
            with logs.bound_flux(claim.id_flux, claim.original_name, claim.channel):
                self.log.info("flux.claimed", size=claim.size, sha256=claim.sha256[:16])
        return claim

    def _dispatch(self, claim: Claim) -> None:
        """Send a claim to an idle worker, or end it here (set aside) per protocol step 5."""
        row = self.store.flux(claim.id_flux)
        if row is None or row.state is not FluxState.CLAIMED:
            return
        if dispatch_checks.end_if_unfit(self.config, self.store, claim, row) is not None:
            return
        if self.dispatch is None:  # a cluster worker counts its own attempts
            self.store.update_flux(claim.id_flux, attempts=row.attempts + 1)
        try:
            self.pool.submit(claim)
        except Exception:  # the broker is unreachable (logged): sent again when it answers
            self.backlog.appendleft(claim)

    def _handle(self, event: Finished | Died) -> None:
        """A worker finished or died: check the row, put away or retry (protocol steps 4-5)."""
        claim = event.claim
        if self.service is not None:
            self.service.observe(event)
        if isinstance(event, Finished) and event.ok:
            self.failures.deaths.success()
        if claim is None or (isinstance(event, Finished) and event.ok and self._is_done(claim)):
            return
        row = self.store.flux(claim.id_flux)
        if row is not None and row.done:
            if os.path.lexists(claim.work_path):  # its worker died after the commit
                outcome = finish.already_done(self.config, claim, row, time.perf_counter())
                with logs.bound_flux(claim.id_flux, claim.original_name, claim.channel):
                    finish.log_done(self.log, outcome, recovered=True)
            return
        if not self.stopping:  # retried after retry_seconds, or set aside (backoff.py)
            died_on = event.worker if isinstance(event, Died) else None
            if self.failures.failed(claim, died_on) is not None:
                self.backlog.append(claim)

    def _is_done(self, claim: Claim) -> bool:
        row = self.store.flux(claim.id_flux)
        return row is not None and row.done and not os.path.lexists(claim.work_path)
