"""Moving an invoice on: ``factures/v1/traiter/recue`` (recipient) and ``factures/v1/completer``
(supplier), through the same lifecycle as ``edi-gateway status set``.

Job: check the caller's right on the invoice (403 otherwise, the same for an unknown invoice),
then apply the status with :func:`edi_gateway.lifecycle.actions.apply`: the same transition
table, the same checks (motif required for REJETEE and SUSPENDUE, mandate number for MANDATEE),
the same status flows in ``outbound/``. A refused transition answers ``codeRetour`` 20002 with
Chorus Pro's label (``../shared/domain/chorus-pro.md`` §3.3); another refusal 20003 naming its
``GW-LC`` code.
"""

from __future__ import annotations

import secrets
import shutil
from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from edi_gateway.core import files
from edi_gateway.lifecycle import actions
from edi_gateway.lifecycle.refusals import Refusal
from edi_gateway.web.accounts import Account
from edi_gateway.web.auth import Caller, context
from edi_gateway.web.deposit_ops import decode, name_problem
from edi_gateway.web.errors import REFUSED_OTHER, REFUSED_TRANSITION, ApiError, answer
from edi_gateway.web.invoice_ops import invoice_for
from edi_gateway.web.models import CproModel

router = APIRouter(tags=["factures"])
TRANSITION_LABEL = "Incohérence au niveau du statut d'origine ou de destination de la facture."


class Traiter(CproModel):
    """``traiter/recue``: the new status and what it carries."""

    idFacture: int
    nouveauStatut: str = Field(description="SUSPENDUE, REJETEE, SERVICE_FAIT, MANDATEE ...")
    motif: str | None = Field(default=None, max_length=40, description="motif (REJETEE ...)")
    commentaire: str | None = Field(default=None, max_length=1000, description="255 kept")
    numeroDPMandat: str | None = Field(default=None, max_length=50, description="IdMandatDP")
    idUtilisateurCourant: int | None = None


class PieceJointe(CproModel):
    """A completing file: its name and its bytes in base64."""

    nomFichier: str
    fichier: str


class Completer(CproModel):
    """``completer``: the supplier completes a suspended invoice (comment and file)."""

    idFacture: int
    commentaire: str | None = Field(default=None, max_length=1000)
    pieceJointe: PieceJointe


def _applied(result: actions.Applied | Refusal, number: str) -> dict[str, Any]:
    if isinstance(result, Refusal):
        if result.code == "20002":  # its French text starts with Chorus Pro's own sentence
            text = result.bilingual
            label = text if text.startswith(TRANSITION_LABEL) else f"{TRANSITION_LABEL} {text}"
            return answer(REFUSED_TRANSITION, label)
        return answer(REFUSED_OTHER, f"{result.code}: {result.bilingual}")
    return answer(
        idFacture=result.invoice_id,
        numeroFacture=number,
        dateTraitement=result.at[:10],
        nouveauStatut=result.status.name,
        ancienStatut=result.previous.name,
        numeroFluxStatut=result.id_flux,
    )


def _apply(request: Request, account: Account, invoice_id: int, side: str, **kw: Any) -> Any:
    ctx = context(request)
    row = invoice_for(request, account, invoice_id, side=side)
    result = actions.apply(
        ctx.store(),
        ctx.config,
        row.id,
        kw.pop("target"),
        actor=side,
        table=ctx.table,
        directory=ctx.directory.current(),
        **kw,
    )
    if ctx.metrics is not None and not isinstance(result, Refusal):
        ctx.metrics.status_changed(result.status.code)
    return _applied(result, row.number)


@router.post("/cpro/factures/v1/traiter/recue", summary="Traiter une facture reçue")
def traiter_recue(query: Traiter, request: Request, account: Caller) -> Any:
    """The recipient sets a status (SUSPENDUE, REJETEE, SERVICE_FAIT, MANDATEE, ...)."""
    return _apply(
        request,
        account,
        query.idFacture,
        "recipient",
        target=query.nouveauStatut,
        motif=query.motif,
        comment=query.commentaire,
        mandate=query.numeroDPMandat,
    )


@router.post("/cpro/factures/v1/completer", summary="Compléter une facture suspendue")
def completer(query: Completer, request: Request, account: Caller) -> Any:
    """The supplier completes a suspended invoice: status COMPLETEE with the file."""
    problem = name_problem(query.pieceJointe.nomFichier)
    if problem:
        raise ApiError(400, problem.replace("nomFichier", "pieceJointe.nomFichier"))
    data = decode(query.pieceJointe.fichier, "pieceJointe.fichier")
    ctx = context(request)
    invoice_for(request, account, query.idFacture, side="supplier")  # rights before writing
    folder = ctx.config.api_channel.folder / f"piece-{secrets.token_hex(8)}"
    path = files.write_atomic(folder / query.pieceJointe.nomFichier, data)
    try:
        return _apply(
            request,
            account,
            query.idFacture,
            "supplier",
            target="COMPLETEE",
            comment=query.commentaire,
            attachment=path,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
