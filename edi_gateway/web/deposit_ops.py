"""``factures/v1/deposer/flux``: a supplier's technical account deposits a flux over HTTP.

Job: check the request (``fichierFlux`` base64, ``nomFichier`` one plain file name,
``syntaxeFlux`` a code of :mod:`edi_gateway.web.syntaxes`, ``avecSignature``), stage the bytes
durably, hand them to the daemon's loop and answer with the IdFlux once the flux is claimed:
``numeroFluxDepot``, ``dateDepot``, ``syntaxeFlux`` (``../shared/domain/chorus-pro.md`` §6). The
flux then goes through the worker pool like a dropped file; ``consulterCR`` tells its state.
Whether the file really is of the declared syntax is decided by detection in the worker
(``GW-API-01``, :mod:`edi_gateway.pipeline.deposit_checks`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import unicodedata

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from edi_gateway.core.errors import GatewayError
from edi_gateway.ingest import http_deposit
from edi_gateway.web.auth import Caller, context
from edi_gateway.web.errors import FORBIDDEN_LABEL, UNSUPPORTED, ApiError, answer
from edi_gateway.web.models import CproModel
from edi_gateway.web.syntaxes import SYNTAXES

router = APIRouter(tags=["factures"])
NAME_MAX_BYTES = 200  # room for the IdFlux prefix of the var/work and archive names


class DeposerFlux(CproModel):
    """Request of ``deposer/flux``."""

    fichierFlux: str = Field(description="the file, base64 (RFC 4648)")
    nomFichier: str = Field(max_length=1000, description="its file name, e.g. facture.xml")
    syntaxeFlux: str = Field(max_length=100, description="IN_DP_E1_UBL_INVOICE, ...")
    avecSignature: bool = False
    idUtilisateurCourant: int | None = None


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a deposited file's name, or None: it must be one path component
    (no ``/`` or ``\\``, not ``.`` / ``..``, not hidden), with no control or bidi character,
    at most :data:`NAME_MAX_BYTES` bytes of UTF-8."""
    if not name or name.strip() != name:
        return "nomFichier vide ou entouré d'espaces | empty or padded"
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
        return "nomFichier doit être un simple nom de fichier | must be a plain file name"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name):
        return "nomFichier contient un caractère de contrôle | holds a control character"
    if len(name.encode("utf-8")) > NAME_MAX_BYTES:
        return f"nomFichier dépasse {NAME_MAX_BYTES} octets | longer than {NAME_MAX_BYTES} bytes"
    return None


def decode(text: str, field: str = "fichierFlux") -> bytes:
    """Strict base64 (RFC 4648 §4; whitespace allowed, as MIME wraps it): only the alphabet,
    and exactly the padding the length needs (``PGEv====`` is refused).

    Raises:
        ApiError: 400 naming ``field`` when it does not decode.
    """
    compact = "".join(text.split())
    try:
        data = base64.b64decode(compact, validate=True)
        if base64.b64encode(data).decode("ascii") != compact:
            raise ValueError("padding or trailing bits are not canonical")
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, f"{field} n'est pas du base64 | not base64: {exc}") from exc
    return data


@router.post("/cpro/factures/v1/deposer/flux", summary="Déposer un flux | deposit a flux")
async def deposer_flux(body: DeposerFlux, request: Request, account: Caller) -> dict[str, object]:
    """Deposit one file; the answer carries its ``numeroFluxDepot`` (IdFlux)."""
    if not account.is_supplier:
        raise ApiError(403, FORBIDDEN_LABEL)
    known = SYNTAXES.get(body.syntaxeFlux)
    if known is None:
        raise ApiError(400, f"syntaxeFlux inconnu | unknown syntaxeFlux {body.syntaxeFlux!r}")
    if not known[0]:
        return answer(
            UNSUPPORTED,
            f"syntaxeFlux {body.syntaxeFlux} ({known[1]}) non traitée par la passerelle | "
            "not processed by this gateway",
        )
    problem = name_problem(body.nomFichier)
    if problem:
        raise ApiError(400, problem)
    ctx = context(request)
    data = await run_in_threadpool(decode, body.fichierFlux)
    try:
        path = await run_in_threadpool(http_deposit.stage, ctx.config, body.nomFichier, data)
    except GatewayError as exc:
        raise ApiError(503, f"dépôt impossible | cannot stage the deposit: {exc}") from exc
    pending = http_deposit.PendingDeposit(
        path=path,
        account=account.login,
        flux_syntax=body.syntaxeFlux,
        signed=body.avecSignature,
        sellers=tuple(r.siret for r in account.structures if r.supplier),
    )
    ctx.submit(pending)
    try:
        claim = await asyncio.wait_for(
            asyncio.wrap_future(pending.answer), ctx.config.api.deposit_timeout
        )
    except TimeoutError as exc:
        raise ApiError(503, "passerelle occupée, redéposer | gateway busy, deposit again") from exc
    except Exception as exc:
        raise ApiError(503, f"dépôt non pris en charge | deposit not taken: {exc}") from exc
    if ctx.metrics is not None:
        ctx.metrics.deposited(body.syntaxeFlux)
    return answer(
        numeroFluxDepot=claim.id_flux,
        dateDepot=claim.received_at[:10],
        syntaxeFlux=body.syntaxeFlux,
    )
