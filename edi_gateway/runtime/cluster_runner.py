"""What ``edi-gateway run --role`` starts when ``[cluster]`` is enabled.

Job: :func:`dispatch_for` builds the watcher's :class:`BrokerDispatch` (with this machine's
cluster workers beside it for ``--role all``); :func:`run_workers` runs ``--role worker``: the
cluster worker processes alone, until SIGTERM / SIGINT, then each finishes its task.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from edi_gateway import __version__
from edi_gateway.core import logs
from edi_gateway.core.config import Config
from edi_gateway.runtime.broker_dispatch import BrokerDispatch
from edi_gateway.runtime.cluster_worker import ClusterWorkers

STOP_GRACE = 30.0


def dispatch_for(config: Config, role: str) -> BrokerDispatch:
    """The watcher's dispatcher; with ``role == "all"`` it also runs ``gateway.workers``
    cluster worker processes on this machine.

    Raises:
        ConfigError: dramatiq / redis are not installed.
    """
    workers = (
        ClusterWorkers(config, config.worker_count, console=True, grace=STOP_GRACE)
        if role == "all"
        else None
    )
    return BrokerDispatch(config, workers)


def run_workers(config: Config, grace: float = STOP_GRACE) -> int:
    """``--role worker``: run the cluster workers until SIGTERM / SIGINT; returns 0.

    Raises:
        ConfigError: dramatiq / redis are not installed.
    """
    from edi_gateway.runtime import broker as task_queue

    task_queue.make_broker(config).close()  # a missing library fails here, not in N children
    stop = threading.Event()
    reason = {"signal": "requested"}

    def request_stop(signum: int, _frame: object) -> None:
        reason["signal"] = signal.Signals(signum).name
        stop.set()

    with contextlib.suppress(ValueError):  # not the main thread (tests)
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    log = logs.get_logger()
    workers = ClusterWorkers(config, config.worker_count, console=True, grace=grace)
    workers.start()
    log.info(
        "gateway.started",
        version=__version__,
        pid=os.getpid(),
        role="worker",
        workers=len(workers.workers),
        queue=config.cluster.queue,
    )
    while not stop.wait(0.5):
        workers.check()
    log.info("gateway.stopping", reason=reason["signal"], role="worker")
    workers.stop()
    log.info("gateway.stopped", reason=reason["signal"], role="worker")
    return 0
