"""``transverses/v1/consulterCR`` and ``consulterCRDetaille``: the state of a deposited flux.

Job: answer the supplier account that deposited a flux (nobody else: 403, the same for a flux
that does not exist) with its state and report (``../shared/domain/chorus-pro.md`` §3.1, §6):

- ``consulterCR``: ``etatCourantFlux``, ``codeInterfaceFlux``, ``nomFichierFlux``,
  ``dateDepotFlux`` and, once processed, ``fichierCR``: the integration report in base64, the
  CPPStatut XML the gateway wrote (``formatCR`` ``XML``, default) or a readable HTML page of
  it (``formatCR`` ``HTML``).
- ``consulterCRDetaille``: ``etatCourantDepotFlux``, ``codeInterfaceDepotFlux``,
  ``dateDepotFlux``, ``dateHeureEtatCourantFlux``, ``nomFichier``, ``listeErreurTechnique``
  (inadmissible flux: the report's error lines) and ``listeErreurDP`` (rejected invoice: its
  error lines, with ``numeroDP``), ``listeAvertissements`` (warning and information lines), and
  the invoices the flux carried (``listeFactures``).
"""

from __future__ import annotations

import base64
from typing import Any, Literal

from fastapi import APIRouter, Request

from edi_gateway.store.records import FluxRow
from edi_gateway.web import flux_views
from edi_gateway.web.accounts import Account
from edi_gateway.web.auth import Caller, context
from edi_gateway.web.errors import FORBIDDEN_LABEL, ApiError, answer
from edi_gateway.web.models import CproModel

router = APIRouter(tags=["transverses"])


class FluxQuery(CproModel):
    """Request of ``consulterCR`` / ``consulterCRDetaille``."""

    numeroFluxDepot: str
    formatCR: Literal["XML", "HTML"] = "XML"


def _own_flux(request: Request, account: Account, id_flux: str) -> tuple[FluxRow, str | None]:
    store = context(request).store()
    deposit = store.deposit(id_flux)
    row = store.flux(id_flux) if deposit is not None and deposit.account == account.login else None
    if row is None or deposit is None:
        raise ApiError(403, FORBIDDEN_LABEL)
    return row, deposit.flux_syntax


@router.post("/cpro/transverses/v1/consulterCR", summary="Compte rendu d'un flux | flux report")
def consulter_cr(query: FluxQuery, request: Request, account: Caller) -> dict[str, Any]:
    """State of one deposited flux and its integration report."""
    row, declared = _own_flux(request, account, query.numeroFluxDepot)
    fields: dict[str, Any] = {
        "numeroFluxDepot": row.id_flux,
        "etatCourantFlux": flux_views.state(row),
        "codeInterfaceFlux": flux_views.interface(row, declared),
        "nomFichierFlux": row.original_name,
        "dateDepotFlux": flux_views.minute(row.received_at),
        "syntaxeFlux": declared,
    }
    report = flux_views.report_file(row)
    if report is not None:
        data = report.read_bytes()
        if query.formatCR == "HTML":
            data = flux_views.report_html(row, flux_views.report_lines(data))
        fields |= {
            "fichierCR": base64.b64encode(data).decode("ascii"),
            "nomFichierCR": report.with_suffix(
                ".html" if query.formatCR == "HTML" else ".xml"
            ).name,
            "formatCR": query.formatCR,
        }
    return answer(**fields)


@router.post(
    "/cpro/transverses/v1/consulterCRDetaille",
    summary="Compte rendu détaillé d'un flux | detailed flux report",
)
def consulter_cr_detaille(query: FluxQuery, request: Request, account: Caller) -> dict[str, Any]:
    """State of one deposited flux with its errors, line by line."""
    row, declared = _own_flux(request, account, query.numeroFluxDepot)
    report = flux_views.report_file(row)
    lines = flux_views.report_lines(report.read_bytes()) if report else []
    invoices = context(request).store().invoices_of_flux(row.id_flux)
    errors = [x for x in lines if x["natureErreur"] in ("IRRECEVABILITE", "REJET")]
    notes = [x for x in lines if x not in errors]
    technical = errors if row.verdict == "inadmissible" else []
    number = invoices[0].number if invoices else None
    per_invoice = [{"numeroDP": number, **x} for x in errors] if row.verdict == "rejected" else []
    return answer(
        numeroFluxDepot=row.id_flux,
        etatCourantDepotFlux=flux_views.state(row),
        codeInterfaceDepotFlux=flux_views.interface(row, declared),
        dateDepotFlux=flux_views.minute(row.received_at),
        dateHeureEtatCourantFlux=flux_views.minute(row.finished_at or row.received_at),
        nomFichier=row.original_name,
        motif=row.reason,
        listeErreurTechnique=technical,
        listeErreurDP=per_invoice,
        listeAvertissements=notes,
        listeFactures=[
            {"idFacture": i.id, "numeroFacture": i.number, "statut": i.status_name}
            for i in invoices
        ],
    )
