"""Invoices as the Service mode shows them, and who may see which.

Job: the rights of a technical account on an invoice (:func:`visible`: a supplier account sees
the invoices of the fluxes it deposited; a recipient account those addressed to its structures,
and only to its services when it is limited to some), the invoice fields of Chorus Pro's
``listeFactures`` / ``consulter`` answers (:func:`summary`, ``../shared/domain/chorus-pro.md``
§6), the paging of a search (:class:`Paging`, :func:`page`) and the history (§3.7).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field

from edi_gateway.reception.structures import Directory
from edi_gateway.store.database import Store
from edi_gateway.store.records import EventRow, InvoiceRow
from edi_gateway.web.accounts import Account
from edi_gateway.web.flux_views import minute
from edi_gateway.web.models import CproModel


class Paging(CproModel):
    """``paramRecherche``: page size (1-1000, default 100) and 1-based page number."""

    nbResultatsParPage: int = Field(default=100, ge=1, le=1000)
    pageResultatDemandee: int = Field(default=1, ge=1)


def visible(store: Store, account: Account, row: InvoiceRow, *, recipient: bool) -> bool:
    """Whether ``account`` may see ``row`` as its recipient (else as its supplier)."""
    if recipient:
        return account.recipient_of(row.recipient_siret, row.service_code)
    deposit = store.deposit(row.id_flux)
    return deposit is not None and deposit.account == account.login


def visible_either(store: Store, account: Account, row: InvoiceRow) -> bool:
    """Whether ``account`` sees ``row`` on either side."""
    return visible(store, account, row, recipient=True) or visible(
        store, account, row, recipient=False
    )


def summary(row: InvoiceRow, directory: Directory) -> dict[str, Any]:
    """One ``listeFactures`` entry (also the head of ``consulter``)."""
    structure = directory.structure(row.recipient_siret)
    return {
        "idFacture": row.id,
        "identifiantFactureCPP": row.id,
        "numeroFacture": row.number,
        "typeFacture": "AVOIR" if row.type_code == "381" else "FACTURE",
        "typeDemandePaiement": "FACTURE",
        "codeFournisseur": row.seller_id or row.seller_key,
        "typeIdentifiantFournisseur": _id_type(row),
        "designationFournisseur": row.seller_name,
        "codeDestinataire": row.recipient_siret,
        "designationDestinataire": structure.name if structure else None,
        "codeServiceExecutant": row.service_code,
        "numeroEngagement": row.engagement,
        "dateFacture": row.issue_date,
        "dateDepot": row.created_at[:10],
        "dateHeureEtatCourant": minute(row.updated_at),
        "montantAPayer": row.amount_due,
        "devise": row.currency,
        "statut": row.status_name,
        "numeroFluxDepot": row.id_flux,
    }


def _id_type(row: InvoiceRow) -> str:
    seller = row.seller_id or ""
    if row.seller_scheme == "0009" or (seller.isdigit() and len(seller) == 14):
        return "SIRET"
    return "TVA_UE" if seller[:2].isalpha() else "AUTRE"


def page(items: list[dict[str, Any]], paging: Paging, key: str = "listeFactures") -> dict[str, Any]:
    """The requested page of ``items`` (under ``key``) with ``pageCourante``, ``pages``,
    ``total`` and ``parametresRetour``."""
    size, number = paging.nbResultatsParPage, paging.pageResultatDemandee
    pages = max(1, math.ceil(len(items) / size))
    start = (number - 1) * size
    return {
        key: items[start : start + size],
        "parametresRetour": {
            "pageCourante": number,
            "pages": pages,
            "nbResultatsParPage": size,
            "total": len(items),
        },
        "pageCourante": number,
        "pages": pages,
        "total": len(items),
    }


def history(events: list[EventRow], limit: int | None) -> list[dict[str, Any]]:
    """``historiquesDesStatuts.histoStatut``: newest first (by time, then event id)."""
    ordered = sorted(events, key=lambda e: (e.at, e.id), reverse=True)
    return [
        {
            "histoStatutId": e.id,
            "histoStatutCode": e.status_name,
            "histoStatutCodeCPPStatut": e.status_code,
            "histoStatutDatePassage": minute(e.at),
            "histoStatutCommentaire": e.comment,
            "histoStatutMotif": e.motif,
            "histoStatutNumeroDPMandat": e.mandate,
            "histoStatutActeur": e.actor,
            "histoStatutCodeReforme": e.reform_code,
        }
        for e in ordered[: limit or None]
    ]
