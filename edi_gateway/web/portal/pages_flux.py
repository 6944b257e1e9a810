"""The portal's flux pages: the dashboard, Suivi des flux (live), a flux's detail, downloads.

Job: ``/portail/`` (what is new for the user: fluxes and their state, invoices received to
process, invoices suspended waiting for the supplier), ``/portail/flux`` (the list that updates
itself: the page polls ``/portail/flux.json`` every two seconds), ``/portail/flux/{id}`` (the
path through the stages with the time of each step, the integration report's findings grouped
by layer with a plain explanation, downloads), ``/portail/flux/{id}/fichier/{n}`` (one output
or the original, always as an attachment, never rendered inline). A flux out of the user's
rights answers 404, the same as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from edi_gateway.store.records import FluxRow
from edi_gateway.web import flux_views
from edi_gateway.web.errors import ApiError
from edi_gateway.web.portal import explanations, views
from edi_gateway.web.portal.common import PREFIX, language, page_user, render, service

router = APIRouter(prefix=PREFIX, include_in_schema=False)
NOT_FOUND = "flux inconnu | no such flux"
WAITING = ("IN_EN_ATTENTE_TRAITEMENT_CPP", "IN_EN_COURS_TRAITEMENT_CPP")


def flux_item(row: FluxRow) -> dict[str, Any]:
    """One line of Suivi des flux (also its JSON shape)."""
    return {
        "id_flux": row.id_flux,
        "file": row.original_name,
        "channel": row.channel,
        "received_at": row.received_at[:19].replace("T", " "),
        "state": flux_views.state(row),
        "syntax": row.syntax,
        "profile": row.profile,
        "verdict": row.verdict,
        "reason": row.reason,
        "recipient": row.recipient_siret,
        "service": row.service_code,
        "errors": row.error_count,
    }


@router.get("/")
def home(request: Request) -> Response:
    """Tableau de bord."""
    user = page_user(request)
    store = service(request).store()
    fluxes = [flux_item(r) for r in views.fluxes_of(store, user, limit=10)]
    received = [
        row
        for status in ("MISE_A_DISPOSITION", "COMPLETEE", "PRISE_EN_COMPTE_DESTINATAIRE")
        for row in views.invoices_of(store, user, "recipient", status)
    ]
    suspended = views.invoices_of(store, user, "supplier", "SUSPENDUE")
    return render(request, "home.html", fluxes=fluxes, received=received, suspended=suspended)


@router.get("/flux")
def flux_list(request: Request, page: Annotated[int, Query(ge=0, le=100_000)] = 0) -> Response:
    """Suivi des flux: the newest 50 (or page ``page``); the first page refreshes from
    ``flux.json``."""
    user = page_user(request)
    page = max(0, page)
    found = views.fluxes_of(service(request).store(), user, page=page)
    rows = [flux_item(r) for r in found]
    return render(request, "fluxes.html", fluxes=rows, page=page, more=len(rows) >= views.PAGE)


@router.get("/flux.json")
def flux_json(request: Request) -> dict[str, Any]:
    """The newest rows of Suivi des flux as JSON (what the page polls)."""
    user = page_user(request)
    return {"fluxes": [flux_item(r) for r in views.fluxes_of(service(request).store(), user)]}


def visible_flux(request: Request, id_flux: str) -> FluxRow:
    """The flux when the user may see it.

    Raises:
        ApiError: 404 for a flux out of the user's rights or that does not exist (one answer).
    """
    user = page_user(request)
    store = service(request).store()
    row = store.flux(id_flux)
    if row is None or not views.can_see_flux(store, user, row):
        raise ApiError(404, NOT_FOUND)
    return row


@router.get("/flux/{id_flux}")
def flux_page(request: Request, id_flux: str) -> Response:
    """A flux: its path, its findings with explanations, its files."""
    row = visible_flux(request, id_flux)
    ctx = service(request)
    report = flux_views.report_file(row)
    lines = flux_views.report_lines(report.read_bytes()) if report else []
    lang = language(request)
    source = views.original_lines(ctx.config, row)
    findings: list[dict[str, Any]] = [
        {
            **line,
            "explanation": explanations.explain(line["codeErreur"], lang),
            "where": views.short_where(line["descriptionErreur"]),
            "excerpt": views.excerpt(source, line["descriptionErreur"]),
        }
        for line in lines
    ]
    layers: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        layer = str(finding["descriptionErreur"] or "").split(" ; ")[0].removeprefix("couche ")
        layers.setdefault(layer or "-", []).append(finding)
    outputs = [(i, p.rsplit("/", 1)[-1]) for i, p in enumerate(row.outputs)]
    structure = ctx.directory.current().structure(row.recipient_siret)
    return render(
        request,
        "flux.html",
        flux=flux_item(row),
        steps=views.path_of(ctx.config, row),
        layers=layers,
        outputs=outputs,
        structure=structure.name if structure and row.verdict == "accepted" else None,
        waiting=flux_views.state(row) in WAITING,
    )


@router.get("/flux/{id_flux}/fichier/{index}")
def flux_file(request: Request, id_flux: str, index: int) -> Response:
    """An output of the flux (``index`` in its outputs) or, with ``index`` -1, its original."""
    row = visible_flux(request, id_flux)
    config = service(request).config
    if index == -1:
        found = views.original_path(config, row)
    else:
        found = views.download_path(config, row, index)
    if found is None:
        raise ApiError(404, "fichier absent | no such file")
    return FileResponse(
        found,
        media_type="application/octet-stream",
        filename=found.name,
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )
