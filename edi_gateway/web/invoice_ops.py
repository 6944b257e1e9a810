"""Reading invoices: ``factures/v1/rechercher/*``, ``consulter/*``, ``consulter/historique``,
``telecharger/groupe`` (``../shared/domain/chorus-pro.md`` §3.7, §6).

Job: answer searches and reads within the caller's rights (:mod:`edi_gateway.web.invoice_views`):
a supplier account searches the invoices it deposited, a recipient account its inbox. An invoice
out of the caller's rights, or that does not exist, answers 403 alike (no enumeration). A search
that finds nothing answers ``codeRetour`` 20000, as Chorus Pro does.
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import Field

from edi_gateway.core import names
from edi_gateway.store.records import InvoiceRow
from edi_gateway.web import invoice_views
from edi_gateway.web.accounts import Account
from edi_gateway.web.auth import Caller, context
from edi_gateway.web.errors import (
    FORBIDDEN_LABEL,
    NOTHING_FOUND,
    NOTHING_FOUND_LABEL,
    ApiError,
    answer,
)
from edi_gateway.web.invoice_views import Paging
from edi_gateway.web.models import CproModel

router = APIRouter(tags=["factures"])


class SupplierSearch(CproModel):
    """``rechercher/fournisseur`` criteria (all optional)."""

    numeroFluxDepot: str | None = None
    numeroFacture: str | None = None
    statut: str | None = None
    idDestinataire: str | None = Field(default=None, description="recipient SIRET")
    paramRecherche: Paging = Paging()


class RecipientSearch(CproModel):
    """``rechercher/recipiendaire`` criteria (all optional)."""

    idDestinataire: str | None = Field(default=None, description="recipient SIRET")
    codeServiceExecutant: str | None = None
    numeroFacture: str | None = None
    statut: str | None = None
    periodeDateHeureEtatCourantDu: str | None = Field(default=None, description="YYYY-MM-DD")
    periodeDateHeureEtatCourantAu: str | None = Field(default=None, description="YYYY-MM-DD")
    listeFournisseurs: list[str] = Field(default_factory=list, description="seller ids")
    paramRecherche: Paging = Paging()


class InvoiceQuery(CproModel):
    """One invoice: ``idFacture`` (and ``nbResultatsMaximum`` for the history)."""

    idFacture: int
    nbResultatsMaximum: int | None = Field(default=None, ge=1)


class InvoiceRef(CproModel):
    """An entry of ``listeFacture``."""

    idFacture: int


class Download(CproModel):
    """``telecharger/groupe``: ``PIVOT`` (CPPFacturePivot) or ``ORIGINAL`` (the file)."""

    format: Literal["PIVOT", "ORIGINAL"] = "PIVOT"
    listeFacture: list[InvoiceRef] = Field(min_length=1, max_length=100)


def _found(items: list[dict[str, Any]], paging: Paging) -> dict[str, Any]:
    if not items:
        return answer(NOTHING_FOUND, NOTHING_FOUND_LABEL, listeFactures=[], total=0)
    return answer(**invoice_views.page(items, paging))


@router.post("/cpro/factures/v1/rechercher/fournisseur", summary="Factures émises | sent")
def rechercher_fournisseur(query: SupplierSearch, request: Request, account: Caller) -> Any:
    """The invoices of the fluxes this account deposited, newest first."""
    ctx = context(request)
    directory = ctx.directory.current()
    rows = [
        r
        for r in ctx.store().deposited_invoices(account.login)
        if query.numeroFluxDepot in (None, r.id_flux)
        and query.numeroFacture in (None, r.number)
        and query.statut in (None, r.status_name)
        and query.idDestinataire in (None, r.recipient_siret)
    ]
    return _found([invoice_views.summary(r, directory) for r in rows], query.paramRecherche)


@router.post("/cpro/factures/v1/rechercher/recipiendaire", summary="Factures reçues | received")
def rechercher_recipiendaire(query: RecipientSearch, request: Request, account: Caller) -> Any:
    """The invoices addressed to this account's structures (and services), newest first."""
    ctx = context(request)
    store, directory = ctx.store(), ctx.directory.current()
    sirets = [r.siret for r in account.structures if r.recipient]
    if query.idDestinataire is not None:
        sirets = [s for s in sirets if s == query.idDestinataire]
    rows = [row for siret in sirets for row in store.invoices(recipient_siret=siret)]
    since, until = query.periodeDateHeureEtatCourantDu, query.periodeDateHeureEtatCourantAu
    rows = [
        r
        for r in rows
        if account.recipient_of(r.recipient_siret, r.service_code)
        and query.codeServiceExecutant in (None, r.service_code)
        and query.numeroFacture in (None, r.number)
        and query.statut in (None, r.status_name)
        and (since is None or r.updated_at[:10] >= since)
        and (until is None or r.updated_at[:10] <= until)
        and (
            not query.listeFournisseurs or (r.seller_id or r.seller_key) in query.listeFournisseurs
        )
    ]
    rows.sort(key=lambda r: r.id, reverse=True)
    return _found([invoice_views.summary(r, directory) for r in rows], query.paramRecherche)


def invoice_for(request: Request, account: Account, invoice_id: int, *, side: str) -> InvoiceRow:
    """The invoice when ``account`` sees it on ``side`` (``recipient``, ``supplier`` or
    ``either``).

    Raises:
        ApiError: 403 when it does not exist or is out of the account's rights (one answer).
    """
    store = context(request).store()
    row = store.invoice(invoice_id)
    if row is not None:
        if side == "either" and invoice_views.visible_either(store, account, row):
            return row
        if side != "either" and invoice_views.visible(
            store, account, row, recipient=side == "recipient"
        ):
            return row
    raise ApiError(403, FORBIDDEN_LABEL)


def _consult(request: Request, account: Account, query: InvoiceQuery, side: str) -> Any:
    ctx = context(request)
    row = invoice_for(request, account, query.idFacture, side=side)
    events = invoice_views.history(ctx.store().events(row.id), 1)
    return answer(
        facture=invoice_views.summary(row, ctx.directory.current()),
        statutCourant=events[0] if events else None,
    )


@router.post("/cpro/factures/v1/consulter/fournisseur", summary="Une facture émise | one sent")
def consulter_fournisseur(query: InvoiceQuery, request: Request, account: Caller) -> Any:
    """One invoice this account deposited."""
    return _consult(request, account, query, "supplier")


@router.post("/cpro/factures/v1/consulter/recipiendaire", summary="Une facture reçue")
def consulter_recipiendaire(query: InvoiceQuery, request: Request, account: Caller) -> Any:
    """One invoice addressed to this account's structures."""
    return _consult(request, account, query, "recipient")


@router.post("/cpro/factures/v1/consulter/historique", summary="Historique | status history")
def consulter_historique(query: InvoiceQuery, request: Request, account: Caller) -> Any:
    """The statuses of one invoice, newest first (§3.7)."""
    ctx = context(request)
    row = invoice_for(request, account, query.idFacture, side="either")
    events = ctx.store().events(row.id)
    return answer(
        idFacture=row.id,
        numeroFacture=row.number,
        statutCourantCode=row.status_name,
        historiquesDesStatuts={
            "histoStatut": invoice_views.history(events, query.nbResultatsMaximum)
        },
    )


def _file_of(request: Request, row: InvoiceRow, fmt: str) -> Path:
    store = context(request).store()
    flux = store.flux(row.id_flux)
    wanted = names.PIVOT_INTERFACE + "_" if fmt == "PIVOT" else f"{row.id_flux}__"
    for output in flux.outputs if flux else ():
        path = Path(output)
        if path.name.startswith(wanted) and path.is_file():
            return path
    raise ApiError(
        200, f"pas de fichier {fmt} pour la facture {row.id} | no {fmt} file", NOTHING_FOUND
    )


@router.post("/cpro/factures/v1/telecharger/groupe", summary="Télécharger | download")
def telecharger_groupe(query: Download, request: Request, account: Caller) -> Any:
    """One invoice: its file in base64; several: a zip of them."""
    rows = [
        invoice_for(request, account, ref.idFacture, side="either") for ref in query.listeFacture
    ]
    files = [_file_of(request, row, query.format) for row in rows]
    if len(files) == 1:
        data, name = files[0].read_bytes(), files[0].name
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.name)
        data, name = buffer.getvalue(), f"factures_{query.format.lower()}.zip"
    return answer(
        fichierResultat=base64.b64encode(data).decode("ascii"),
        nomFichierResultat=name,
        format=query.format,
    )
