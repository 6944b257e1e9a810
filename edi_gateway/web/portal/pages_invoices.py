"""The portal's invoice pages: Factures reçues, Factures émises, one invoice, its actions,
the deposit of a file by upload, and Compléter.

Job: lists by side (recipient: the inbox of the user's structures and services; supplier: the
invoices of its supplier structures), an invoice's readable detail and history, the status
actions ``rules/lifecycle.toml`` allows from the current status for the user's side (each asks
for a confirmation first), the upload of a UBL / CII / Factur-X file (bounded by
``validation.max_file_bytes``, staged and claimed like an API deposit), and the supplier's
Compléter (comment and file) on a suspended invoice. Every form carries the CSRF token; an
invoice out of the user's rights answers 404, the same as one that does not exist.
"""

from __future__ import annotations

import secrets
import shutil
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from edi_gateway.core import files
from edi_gateway.lifecycle import actions
from edi_gateway.lifecycle.refusals import Refusal
from edi_gateway.store.records import InvoiceRow
from edi_gateway.web.deposit_ops import name_problem
from edi_gateway.web.errors import ApiError
from edi_gateway.web.invoice_views import history
from edi_gateway.web.portal import deposits, views
from edi_gateway.web.portal.common import (
    PREFIX,
    check_csrf,
    flash,
    page_user,
    render,
    service,
)
from edi_gateway.web.portal.invoice_view import invoice_body

router = APIRouter(prefix=PREFIX, include_in_schema=False)
NOT_FOUND = "facture inconnue | no such invoice"
MAX_PAGE = 100_000


def _list(request: Request, side: str, statut: str | None, page: int) -> Response:
    user = page_user(request)
    page = max(0, page)
    rows = views.invoices_of(service(request).store(), user, side, statut or None, page)
    return render(
        request,
        "invoices.html",
        side=side,
        invoices=rows,
        statut=statut or "",
        page=page,
        more=len(rows) >= views.PAGE,
    )


@router.get("/factures/recues")
def received(
    request: Request, statut: str | None = None, page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0
) -> Response:
    """Factures reçues: the inbox, filtered by status, 50 a page."""
    return _list(request, "recipient", statut, page)


@router.get("/factures/emises")
def sent(
    request: Request, statut: str | None = None, page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0
) -> Response:
    """Factures émises: the supplier's invoices, and the deposit form."""
    return _list(request, "supplier", statut, page)


def visible_invoice(request: Request, invoice_id: int) -> tuple[InvoiceRow, str]:
    """The invoice and the user's side on it.

    Raises:
        ApiError: 404 when it does not exist or is out of the user's rights (one answer).
    """
    user = page_user(request)
    row = service(request).store().invoice(invoice_id)
    side = views.can_see_invoice(user, row) if row else None
    if row is None or side is None:
        raise ApiError(404, NOT_FOUND)
    return row, side


def acting_on(request: Request, invoice_id: int, csrf: str, side: str) -> InvoiceRow:
    """The invoice a form acts on from ``side``, after its CSRF token.

    Raises:
        ApiError: 403 without the token; 404 when the user does not see it from ``side``.
    """
    check_csrf(request, csrf)
    row, seen_from = visible_invoice(request, invoice_id)
    if seen_from != side:
        raise ApiError(404, NOT_FOUND)
    return row


@router.get("/factures/{invoice_id}")
def invoice_page(request: Request, invoice_id: int) -> Response:
    """An invoice: its data, its lines, VAT and totals as the document gives them
    (:mod:`invoice_view`), history, and the actions its status allows for the user's side."""
    row, side = visible_invoice(request, invoice_id)
    ctx = service(request)
    structure = ctx.directory.current().structure(row.recipient_siret)
    targets = ctx.table.targets(row.status_name, side) if side == "recipient" else []
    return render(
        request,
        "invoice.html",
        invoice=row,
        side=side,
        structure=structure,
        history=history(ctx.store().events(row.id), None),
        body=invoice_body(ctx.config, ctx.store().flux(row.id_flux)),
        targets=targets,
        motifs=list(ctx.table.motifs.values()),
    )


@router.post("/factures/{invoice_id}/statut")
def set_status(
    request: Request,
    invoice_id: int,
    statut: Annotated[str, Form(max_length=40)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    motif: Annotated[str, Form(max_length=40)] = "",
    commentaire: Annotated[str, Form(max_length=1000)] = "",
    mandat: Annotated[str, Form(max_length=50)] = "",
    confirme: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """A recipient's status action: a confirmation page first, then the status applied."""
    row = acting_on(request, invoice_id, csrf, "recipient")
    ctx = service(request)
    target = ctx.table.find(statut)
    if target is None:
        raise ApiError(400, "statut inconnu | unknown status")
    fields = {"statut": target.name, "motif": motif, "commentaire": commentaire, "mandat": mandat}
    if confirme != "oui":
        return render(request, "confirm.html", invoice=row, target=target, fields=fields)
    result = actions.apply(
        ctx.store(),
        ctx.config,
        row.id,
        target.name,
        actor="recipient",
        motif=motif or None,
        comment=commentaire or None,
        mandate=mandat or None,
        table=ctx.table,
        directory=ctx.directory.current(),
    )
    return _after(request, row.id, result)


def _after(request: Request, invoice_id: int, result: actions.Applied | Refusal) -> Response:
    text = (
        f"refus {result.code} : {result.bilingual}"
        if isinstance(result, Refusal)
        else f"{result.previous.name} -> {result.status.name}"
    )
    flash(request, text)
    return RedirectResponse(f"{PREFIX}/factures/{invoice_id}", status_code=303)


@router.post("/factures/{invoice_id}/completer")
async def complete(
    request: Request,
    invoice_id: int,
    fichier: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form(max_length=100)] = "",
    commentaire: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The supplier completes a suspended invoice (status COMPLETEE with the file)."""
    row = acting_on(request, invoice_id, csrf, "supplier")
    ctx = service(request)
    name, data = await _upload(request, fichier)
    folder = ctx.config.api_channel.folder / f"piece-{secrets.token_hex(8)}"
    path = await run_in_threadpool(files.write_atomic, folder / name, data)
    try:
        result = await run_in_threadpool(
            actions.apply,
            ctx.store(),
            ctx.config,
            row.id,
            "COMPLETEE",
            actor="supplier",
            comment=commentaire or None,
            attachment=path,
            table=ctx.table,
            directory=ctx.directory.current(),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _after(request, row.id, result)


async def _upload(request: Request, upload: UploadFile) -> tuple[str, bytes]:
    """The uploaded file's checked name and bytes (at most ``validation.max_file_bytes``).

    Raises:
        ApiError: 400 for a bad name, 413 for a file over the limit.
    """
    limit = service(request).config.max_file_bytes
    name = (upload.filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    problem = name_problem(name)
    if problem:
        raise ApiError(400, problem.replace("nomFichier", "nom du fichier"))
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"fichier trop grand (plus de {limit} octets) | file too large")
    return name, data


@router.post("/depot")
async def deposit(
    request: Request,
    fichier: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Deposit a file for the user's (first) supplier structure; then its flux page."""
    check_csrf(request, csrf)
    user = page_user(request)
    sirets = user.sirets("factures_emises")
    if not sirets:
        raise ApiError(403, "pas de structure fournisseur | no supplier structure")
    name, data = await _upload(request, fichier)
    id_flux = await deposits.deposit(request, sirets[0], name, data)
    return RedirectResponse(f"{PREFIX}/flux/{id_flux}", status_code=303)
