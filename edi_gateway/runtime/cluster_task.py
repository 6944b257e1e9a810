"""One ``process_flux`` task on a cluster worker: the ledger decides whether it runs.

Job: what a Dramatiq worker does with one task message (:meth:`FluxTask.run`), the cluster's
share of protocol steps 2-5 of ``docs/architecture.md`` (the local pool's is in
:mod:`edi_gateway.runtime.daemon`). In order:

1. Hold the flux's session advisory lock on the ledger (``PostgresDb.try_flux_lock``). When
   another worker holds it, this delivery is a copy (a redelivery while the first still runs):
   it ends at once (``"busy"``); the cluster worker has Dramatiq send it again after one
   ``cluster.heartbeat_seconds``, when it finds the flux done, or free if its holder died.
2. Read the flux row. Unknown: logged ``cluster.unknown_flux``, dropped. Already ``done``: a task
   run twice; its outputs exist, the original is only put away if still in ``work/``
   (``flux.done`` with ``again``): outputs once, because the ledger decides.
3. No original in ``work/`` any more: closed as lost (93, GW-DAEMON-04). A file the gateway may
   not read, a link, a special file: set aside (93). ``attempts`` already at
   ``gateway.max_attempts``: the dead-letter state, set aside with a 93 flux report
   (GW-DAEMON-03) so the supplier has a status; this also ends a file that kills its worker
   every time (a death is not an exception: Dramatiq's retry count never sees it).
4. Count the attempt in the ledger, run the engine. A failure at the last attempt sets the flux
   aside (93); before it, the exception rises to Dramatiq's ``Retries`` middleware, which sends
   the task again after a back-off (``gateway.retry_seconds``).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from edi_gateway.core import logs
from edi_gateway.core.config import Config
from edi_gateway.core.records import Claim
from edi_gateway.pipeline import dispatch_checks, recovery, set_aside_reasons
from edi_gateway.runtime import broker as task_queue
from edi_gateway.store.records import FluxState


class FluxTask:
    """Runs ``process_flux`` task messages with one engine (one per worker process).

    Args:
        config: the gateway configuration (``[cluster]`` enabled, a PostgreSQL ledger).
        engine: an object with ``store`` (a :class:`~edi_gateway.store.database.Store` on the
            ledger) and ``process_claimed(claim) -> outcome`` (the pipeline's
            :class:`~edi_gateway.pipeline.engine.Engine`).
    """

    def __init__(self, config: Config, engine: Any) -> None:
        self.config = config
        self.engine = engine
        self.store = engine.store
        self.log = logs.get_logger()

    def run(self, message: dict[str, Any]) -> str:
        """Run one task (see the module docstring).

        Returns:
            What happened: ``"processed"``, ``"again"`` (already done), ``"busy"`` (another
            worker holds it), ``"unknown"``, ``"set_aside"`` or ``"lost"``.

        Raises:
            Exception: the engine's failure before the last attempt (Dramatiq retries the task);
                StateError when the ledger cannot be reached (retried too).
        """
        try:
            claim = task_queue.claim_from(message)
        except ValueError as exc:
            self.log.error("cluster.bad_task", message=str(exc))
            return "unknown"
        ledger = self.store.postgres
        if ledger is not None and not ledger.try_flux_lock(claim.id_flux):
            with logs.bound_flux(claim.id_flux, claim.original_name, claim.channel):
                self.log.info("cluster.flux_busy")
            return "busy"
        try:
            return self._run_locked(claim)
        finally:
            if ledger is not None:
                ledger.release_flux_lock(claim.id_flux)

    def _run_locked(self, claim: Claim) -> str:
        row = self.store.flux(claim.id_flux)
        with logs.bound_flux(claim.id_flux, claim.original_name, claim.channel):
            if row is None:
                self.log.warning("cluster.unknown_flux")
                return "unknown"
            if row.done:
                if os.path.lexists(claim.work_path):
                    self.engine.process_claimed(claim)  # only puts the original away
                return "again"
            if row.state is not FluxState.CLAIMED:
                return "unknown"
            ended = dispatch_checks.end_if_unfit(self.config, self.store, claim, row)
            if ended is not None:
                return ended
            attempt = row.attempts + 1
            self.store.update_flux(claim.id_flux, attempts=attempt)
            try:
                self.engine.process_claimed(claim)
            except Exception as exc:
                if attempt < self.config.max_attempts:
                    self.log.warning(
                        "flux.retry",
                        attempt=attempt,
                        error=type(exc).__name__,
                        message=str(exc),
                    )
                    raise
                detail = f"{attempt} attempts, last: {type(exc).__name__}: {exc}"
                with contextlib.suppress(Exception):
                    self.log.error("flux.failed", error=type(exc).__name__, message=str(exc))
                recovery.set_aside(self.config, self.store, claim, set_aside_reasons.FAILED, detail)
                return "set_aside"
            return "processed"
