"""A small, robust pool of worker processes: one claimed file at a time per worker.

Why not ``concurrent.futures.ProcessPoolExecutor``: when one of its workers dies (SIGKILL, OOM
killer, a crash in a C library) the whole executor is marked broken and every pending future
fails. Here each worker has its own duplex pipe, the parent knows which claim each worker holds,
and a dead worker is replaced (``worker.restarted``) while the others keep running; the daemon
then retries or sets aside the claim it held (crash-safety protocol step 5,
``docs/architecture.md``).

This module is the parent side only: it spawns the workers (``spawn`` context), hands them
claims and turns their answers and deaths into :class:`Finished` / :class:`Died` events. What
runs inside a worker (:class:`WorkerSpec`, ``worker_main``, ``summarize``) lives in
:mod:`edi_gateway.runtime.worker_process` and is re-exported here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from edi_gateway.core import logs
from edi_gateway.runtime.worker_process import DEFAULT_FACTORY as DEFAULT_FACTORY
from edi_gateway.runtime.worker_process import WorkerSpec as WorkerSpec
from edi_gateway.runtime.worker_process import load_factory as load_factory
from edi_gateway.runtime.worker_process import summarize as summarize
from edi_gateway.runtime.worker_process import worker_main as worker_main


@dataclass(frozen=True, slots=True)
class Finished:
    """A worker returned: ``ok`` False means the processor raised (``summary['error']``).

    ``summary`` holds the outcome fields for ``flux.done`` (verdict, recipient, error_count ...)
    and ``duration_ms`` (wall time inside the worker, milliseconds).
    """

    claim: Any
    ok: bool
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Died:
    """A worker process ended while holding ``claim`` (None: it was idle). ``exitcode`` is
    negative for a signal (``-9`` = SIGKILL), as in ``multiprocessing``."""

    claim: Any | None
    exitcode: int | None
    worker: int


@dataclass(slots=True)
class _Slot:
    index: int
    process: BaseProcess | None = None
    conn: Connection | None = None
    claim: Any | None = None
    ready: bool = False
    started: float = 0.0
    quick_deaths: int = 0
    respawn_at: float | None = None


class WorkerPool:
    """``size`` worker processes, each holding at most one claim.

    Args:
        spec: what the workers build (see :class:`WorkerSpec`).
        size: number of worker processes (at least 1).

    Use: ``start()``, then ``submit(claim)`` while ``idle_count() > 0``, and ``wait(timeout)``
    for :class:`Finished` / :class:`Died` events; ``stop(grace)`` at the end.
    """

    def __init__(self, spec: WorkerSpec, size: int) -> None:
        self.spec = spec
        self.context = multiprocessing.get_context("spawn")
        self.slots = [_Slot(index=i) for i in range(max(1, size))]
        self.log = logs.get_logger()
        self.stopping = False

    def start(self) -> None:
        """Start every worker process (their processors build in the background)."""
        for slot in self.slots:
            self._spawn(slot)

    def _spawn(self, slot: _Slot) -> None:
        parent_conn, child_conn = self.context.Pipe(duplex=True)
        process = self.context.Process(
            target=worker_main,
            args=(self.spec, slot.index, child_conn, os.getpid()),
            name=f"edi-gateway-worker-{slot.index}",
            daemon=True,
        )
        process.start()
        child_conn.close()
        slot.process, slot.conn, slot.claim, slot.ready = process, parent_conn, None, False
        slot.started, slot.respawn_at = time.monotonic(), None

    def _idle(self, slot: _Slot) -> bool:
        return slot.process is not None and slot.ready and slot.claim is None

    def started_count(self) -> int:
        """Number of live workers that built their processor (busy or idle)."""
        return sum(1 for s in self.slots if s.process is not None and s.ready)

    def idle_count(self) -> int:
        """Number of live workers that built their processor and hold no claim."""
        return sum(1 for s in self.slots if self._idle(s))

    def wait_ready(self, timeout: float) -> bool:
        """Wait until every worker built its processor; True when they all did in time.

        Deaths seen meanwhile are handled (logged, replaced) and not returned.
        """
        deadline = time.monotonic() + timeout
        while self.idle_count() < len(self.slots) and time.monotonic() < deadline:
            self.wait(min(0.2, max(0.0, deadline - time.monotonic())))
        return self.idle_count() == len(self.slots)

    def busy(self) -> list[Any]:
        """The claims being processed right now."""
        return [s.claim for s in self.slots if s.claim is not None]

    def submit(self, claim: Any) -> int:
        """Hand ``claim`` to an idle worker and return its index.

        Raises:
            RuntimeError: no worker is idle (check ``idle_count()`` first).
        """
        for slot in self.slots:
            if self._idle(slot) and slot.conn is not None:
                slot.claim = claim
                # a worker already gone is reported by wait() with this claim
                with contextlib.suppress(OSError):
                    slot.conn.send(claim)
                return slot.index
        raise RuntimeError("no idle worker")

    def wait(self, timeout: float, wake: Any = None) -> list[Finished | Died]:
        """Wait up to ``timeout`` seconds for results or deaths; replace dead workers.

        Args:
            timeout: seconds.
            wake: an object with ``fileno()`` (the daemon's hint queue) that also ends the
                wait when readable; the caller reads it.

        Returns:
            The events that happened, possibly none.
        """
        self._respawn_due()
        live = [s for s in self.slots if s.process is not None and s.conn is not None]
        waitables: list[Any] = [s.conn for s in live] + [
            s.process.sentinel for s in live if s.process
        ]
        if wake is not None and waitables:
            waitables.append(wake)
        if not waitables:
            time.sleep(min(timeout, 0.2))
            return []
        ready = set(wait(waitables, timeout))
        events: list[Finished | Died] = []
        for slot in live:
            assert slot.process is not None and slot.conn is not None
            if slot.conn in ready:
                try:
                    message = slot.conn.recv()
                except (EOFError, OSError):
                    message = None
                if isinstance(message, dict) and message.get("ready"):
                    slot.ready = True
                    self.log.info(
                        "worker.ready",
                        worker=slot.index,
                        pid=slot.process.pid,
                        startup_ms=round((time.monotonic() - slot.started) * 1000, 1),
                    )
                    continue
                if message is not None and slot.claim is not None:
                    events.append(Finished(slot.claim, bool(message.pop("ok")), message))
                    slot.claim = None
                    continue
            if slot.process.sentinel in ready or (
                slot.conn in ready and not slot.process.is_alive()
            ):
                events.append(self._bury(slot))
        return events

    def _bury(self, slot: _Slot) -> Died:
        assert slot.process is not None and slot.conn is not None
        slot.process.join(timeout=2)
        code = slot.process.exitcode
        died = Died(slot.claim, code, slot.index)
        slot.conn.close()
        slot.quick_deaths = 0 if slot.ready else slot.quick_deaths + 1  # could not start
        delay = min(30.0, 0.5 * 2 ** (slot.quick_deaths - 1)) if slot.quick_deaths else 0.0
        self.log.warning(
            "worker.restarted",
            worker=slot.index,
            started=slot.ready,
            exitcode=code,
            signal=signal.Signals(-code).name if code is not None and code < 0 else None,
            id_flux=getattr(slot.claim, "id_flux", None),
            delay_s=delay,
        )
        slot.process, slot.conn, slot.claim = None, None, None
        slot.respawn_at = time.monotonic() + delay
        self._respawn_due()
        return died

    def _respawn_due(self) -> None:
        if self.stopping:
            return
        now = time.monotonic()
        for slot in self.slots:
            if slot.process is None and slot.respawn_at is not None and slot.respawn_at <= now:
                self._spawn(slot)

    def stop(self, grace: float) -> tuple[list[Finished | Died], list[Any]]:
        """Stop every worker: idle ones at once, busy ones after their claim or ``grace`` seconds.

        Returns:
            ``(events, handed_back)``: results that arrived while waiting, and the claims of
            workers killed at the deadline (their work is abandoned, to be retried later).
        """
        self.stopping = True  # no replacements from here on
        events: list[Finished | Died] = []
        deadline = time.monotonic() + grace
        while self.busy() and time.monotonic() < deadline:
            events += self.wait(min(0.2, max(0.0, deadline - time.monotonic())))
        handed_back = self.busy()
        for slot in self.slots:
            if slot.process is None:
                continue
            if slot.claim is not None:
                slot.process.kill()
            elif slot.conn is not None:
                with contextlib.suppress(OSError):
                    slot.conn.send(None)
        for slot in self.slots:
            if slot.process is not None:
                slot.process.join(timeout=5)
                if slot.process.is_alive():
                    slot.process.kill()
                    slot.process.join(timeout=5)
            if slot.conn is not None:
                slot.conn.close()
            slot.process, slot.conn, slot.claim, slot.respawn_at = None, None, None, None
        return events, handed_back
