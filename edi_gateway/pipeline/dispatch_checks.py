"""Before a claimed flux is run: is it fit to run, or does it end here (protocol step 5)?

Job: one check shared by the daemon's dispatch to its local workers
(:mod:`edi_gateway.runtime.daemon`) and a cluster worker's task
(:mod:`edi_gateway.runtime.cluster_task`), so that both end the same fluxes the same way: a file
the gateway may not use (a link, a special file, unreadable) is set aside; an original no longer
in ``work/`` is closed as lost; a flux at ``gateway.max_attempts`` is set aside (GW-DAEMON-03,
the dead-letter state). Each ending writes its 93 flux report
(:mod:`edi_gateway.pipeline.recovery`).
"""

from __future__ import annotations

import os
from pathlib import Path

from edi_gateway.core.config import Config
from edi_gateway.core.records import Claim
from edi_gateway.pipeline import recovery, set_aside_reasons
from edi_gateway.store.database import Store
from edi_gateway.store.records import FluxRow


def end_if_unfit(config: Config, store: Store, claim: Claim, row: FluxRow) -> str | None:
    """End ``claim`` (its ``claimed`` ``row``) when it must not run.

    Returns:
        ``"set_aside"`` or ``"lost"`` when it was ended here, None when it may run.

    Raises:
        StateError: the row could not be updated (the flux stays ``claimed``).
    """
    unusable = set_aside_reasons.why_unusable(Path(claim.work_path))
    if unusable is not None:
        recovery.set_aside(config, store, claim, *unusable)
        return "set_aside"
    if not os.path.lexists(claim.work_path):
        recovery.close_lost(config, store, row)
        return "lost"
    if row.attempts >= config.max_attempts:
        detail = f"{row.attempts} attempts"
        recovery.set_aside(config, store, claim, set_aside_reasons.FAILED, detail)
        return "set_aside"
    return None
