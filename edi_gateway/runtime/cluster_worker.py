"""Cluster worker processes: each runs a Dramatiq worker with one thread and one engine.

Job: :func:`worker_process_main` is the body of one worker process of a cluster (``edi-gateway
run --role worker``, or beside a watcher with ``--role all``): it builds the pipeline's engine
once (schemas and stylesheets compiled once per process, Saxon created in this process),
compiles every artefact of the configured rules, then consumes ``process_flux`` tasks from the
broker one at a time (:class:`~edi_gateway.runtime.cluster_task.FluxTask`). One thread per
process because Saxon scales with processes, not threads
(``../shared/guides/measured-facts.md``); a prefetch of one task so an idle worker on another
machine is never starved by a busy one's cache.

:class:`ClusterWorkers` is the parent side: it spawns ``gateway.workers`` such processes (the
``spawn`` context, as the local pool), starts a dead one again after a growing pause (0.5 s, then
doubling to 30 s while it dies before being ready) and stops them on SIGTERM: each finishes its
task (up to ``stop_grace`` seconds), its unacknowledged tasks go back on the queue, then it
exits. A worker killed outright loses nothing: its task is not acknowledged and the broker gives
it to another worker after ``cluster.heartbeat_seconds``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from edi_gateway.core import logs
from edi_gateway.core.config import Config

#: Exit code of a worker whose engine or broker could not be set up.
EXIT_NOT_STARTED = 3


def worker_process_main(
    config: Config, index: int, parent_pid: int, console: bool, grace: float
) -> None:
    """Entry point of one cluster worker process (see the module docstring). Exit code 3: the
    engine or the broker could not be set up (logged ``worker.failed``)."""
    from edi_gateway.runtime.worker_process import (
        DEFAULT_FACTORY,
        _die_with_parent,
        load_factory,
        warm_up,
    )

    os.environ.setdefault("dramatiq_queue_prefetch", "1")  # read when dramatiq.worker loads
    stop = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _die_with_parent(parent_pid)
    with contextlib.suppress(OSError):
        logs.configure(config, console=console)
    structlog.contextvars.bind_contextvars(worker=index, role="worker")
    log = logs.get_logger()
    start = time.perf_counter()
    try:
        import dramatiq

        from edi_gateway.runtime import broker as task_queue
        from edi_gateway.runtime.cluster_task import FluxTask

        engine = load_factory(DEFAULT_FACTORY)(config)
        warmed = warm_up(engine)
        failed = _warm_every_rule(engine, warmed)
        task = FluxTask(config, engine)

        broker = task_queue.make_broker(config)
        task_queue.declare(broker, config, actor_body(config, task))
        worker = dramatiq.Worker(broker, queues={config.cluster.queue}, worker_threads=1)
        worker.start()
    except Exception as exc:
        log.error("worker.failed", error=type(exc).__name__, message=str(exc))
        sys.exit(EXIT_NOT_STARTED)
    log.info(
        "worker.started",
        pid=os.getpid(),
        duration_ms=logs.elapsed_ms(start),
        warmed_up=len(warmed),
        failed=failed,
        queue=config.cluster.queue,
    )
    while not stop.wait(0.5):
        pass
    worker.stop(timeout=int(grace * 1000))
    broker.close()
    engine.close()
    log.info("worker.stopped", pid=os.getpid())


def actor_body(config: Config, task: Any) -> Callable[[dict[str, Any]], None]:
    """The function the ``process_flux`` actor runs: ``task.run(message)`` (a
    :class:`~edi_gateway.runtime.cluster_task.FluxTask`), with its two non-final ends turned
    into Dramatiq retries without a traceback: an exception (already logged ``flux.retry``)
    is retried after the back-off; a flux another worker holds (``"busy"``) is looked at again
    after one ``cluster.heartbeat_seconds``."""
    import dramatiq

    busy_delay = int(config.cluster.heartbeat_seconds * 1000)

    def process_flux(message: dict[str, Any]) -> None:
        try:
            done = task.run(message)
        except Exception as exc:
            raise dramatiq.Retry(f"{type(exc).__name__}: {exc}") from None
        if done == "busy":
            raise dramatiq.Retry("flux in progress elsewhere", delay=busy_delay)

    return process_flux


def _warm_every_rule(engine: Any, warmed: list[str]) -> list[str]:
    """Compile every other artefact of the configured rules before the first task (a cluster
    worker's thread is the task's: there is no idle time to do it later), adding each name to
    ``warmed``; returns the names that failed (the flux that needs one reports it)."""
    from edi_gateway.runtime.worker_process import idle_warm_up_plan

    failed: list[str] = []
    for artefact in idle_warm_up_plan(engine, warmed):
        try:
            engine.validator.warm_up(only=[artefact])
            warmed.append(artefact.file_name)
        except Exception:
            failed.append(artefact.file_name)
    return failed


@dataclass(slots=True)
class _Worker:
    index: int
    process: Any = None
    started: float = 0.0
    quick_deaths: int = 0
    respawn_at: float | None = None


class ClusterWorkers:
    """The cluster worker processes of this machine.

    Args:
        config: gateway configuration (``[cluster]`` enabled).
        count: how many processes (``gateway.workers``; 0 = CPU count is resolved by the
            caller).
        console: worker log lines also go to stderr.
        grace: seconds a stopping worker may take to finish its task.
    """

    def __init__(self, config: Config, count: int, *, console: bool, grace: float) -> None:
        self.config, self.console, self.grace = config, console, grace
        self.workers = [_Worker(i) for i in range(max(1, count))]
        self.context = multiprocessing.get_context("spawn")
        self.stopping = False
        self.log = logs.get_logger()

    def start(self) -> None:
        """Spawn every worker process."""
        for worker in self.workers:
            self._spawn(worker)

    def _spawn(self, worker: _Worker) -> None:
        worker.process = self.context.Process(
            target=worker_process_main,
            args=(self.config, worker.index, os.getpid(), self.console, self.grace),
            name=f"edi-gateway-cluster-worker-{worker.index}",
        )
        worker.process.start()
        worker.started, worker.respawn_at = time.monotonic(), None

    def check(self) -> None:
        """Start again the processes that died (``worker.restarted``), each after its pause."""
        if self.stopping:
            return
        now = time.monotonic()
        for worker in self.workers:
            process = worker.process
            if process is not None and not process.is_alive():
                process.join(timeout=1)
                early = now - worker.started < 10.0
                worker.quick_deaths = worker.quick_deaths + 1 if early else 0
                delay = min(30.0, 0.5 * 2 ** max(0, worker.quick_deaths - 1))
                self.log.warning(
                    "worker.restarted",
                    worker=worker.index,
                    exitcode=process.exitcode,
                    signal=signal.Signals(-process.exitcode).name
                    if process.exitcode is not None and process.exitcode < 0
                    else None,
                    delay_s=delay,
                )
                worker.process, worker.respawn_at = None, now + delay
            due = worker.respawn_at is not None and worker.respawn_at <= now
            if worker.process is None and due:
                self._spawn(worker)

    def pids(self) -> list[int]:
        """The pids of the live worker processes."""
        return [w.process.pid for w in self.workers if w.process is not None and w.process.pid]

    def stop(self) -> None:
        """SIGTERM every worker, wait ``grace`` (+5 s) for them to end, then kill the rest."""
        self.stopping = True
        for worker in self.workers:
            if worker.process is not None and worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.process.terminate()
        deadline = time.monotonic() + self.grace + 5.0
        for worker in self.workers:
            if worker.process is None:
                continue
            worker.process.join(timeout=max(0.1, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
            worker.process = None
