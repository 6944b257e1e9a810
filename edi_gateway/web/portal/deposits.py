"""A portal deposit: bytes handed to the daemon like an HTTP deposit, for a supplier structure.

Job: :func:`deposit` stages the bytes, puts the pending deposit on the daemon's hint queue and
waits for the claim (:mod:`edi_gateway.ingest.http_deposit`), recording the deposit as the
portal's for that supplier (``portail:<SIRET>``) with the declared syntax (empty for an
upload: detection decides).
"""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from edi_gateway.ingest import http_deposit
from edi_gateway.web.errors import ApiError
from edi_gateway.web.portal import views
from edi_gateway.web.portal.common import service


async def deposit(request: Request, siret: str, name: str, data: bytes, syntax: str = "") -> str:
    """Deposit ``data`` as ``name`` for supplier ``siret``; returns its IdFlux.

    Raises:
        ApiError: 503 when the gateway did not take it in time (nothing is claimed then).
    """
    ctx = service(request)
    path = await run_in_threadpool(http_deposit.stage, ctx.config, name, data)
    pending = http_deposit.PendingDeposit(
        path=path, account=views.portal_account(siret), flux_syntax=syntax, sellers=(siret,)
    )
    ctx.submit(pending)
    try:
        claim = await asyncio.wait_for(
            asyncio.wrap_future(pending.answer), ctx.config.api.deposit_timeout
        )
    except Exception as exc:
        raise ApiError(503, "dépôt non pris en charge, réessayer | deposit not taken") from exc
    return claim.id_flux
