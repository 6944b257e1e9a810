"""Gestion des structures: the fiche structure and its services, edited from the portal.

Job: ``/portail/structures`` lists the structures the user manages (space ``structures``);
``/portail/structures/{siret}`` shows the fiche (identifier, name, status, the flags that make
fields mandatory at reception, the services) with the record of every change (who, when, what);
the two forms change the flags and status, or a service (or add one). Edits go into the
directory file through :mod:`edi_gateway.web.portal.structures_edit` (checked like a hand edit;
a bad edit is refused with its reason and the last good file stays), so the next invoice sees
them. A structure the user does not manage answers 404.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from edi_gateway.core.errors import ConfigError
from edi_gateway.reception.structures import Structure
from edi_gateway.reception.structures_records import FLAG_KEYS
from edi_gateway.web.errors import ApiError
from edi_gateway.web.portal import structures_edit
from edi_gateway.web.portal.common import PREFIX, check_csrf, page_user, render, service

router = APIRouter(prefix=PREFIX, include_in_schema=False)
NOT_FOUND = "structure inconnue | no such structure"


def managed(request: Request, siret: str) -> Structure:
    """The structure when the user manages it.

    Raises:
        ApiError: 404 otherwise (or when it is not in the directory).
    """
    user = page_user(request)
    structure = service(request).directory.current().structure(siret)
    if structure is None or siret not in user.sirets("structures"):
        raise ApiError(404, NOT_FOUND)
    return structure


@router.get("/structures")
def structures_list(request: Request) -> Response:
    """The structures the user manages."""
    user = page_user(request)
    directory = service(request).directory.current()
    found = [s for s in (directory.structure(x) for x in user.sirets("structures")) if s]
    return render(request, "structures.html", structures=found)


@router.get("/structures/{siret}")
def structure_page(request: Request, siret: str, message: str = "", error: str = "") -> Response:
    """The fiche structure, its services and its change record."""
    structure = managed(request, siret)
    changes = service(request).store().structure_changes(siret)
    return render(
        request,
        "structure.html",
        structure=structure,
        flags=FLAG_KEYS,
        changes=changes,
        message=message,
        error=error,
    )


def _done(request: Request, siret: str, changes: list[tuple[str, str, str]]) -> Response:
    service(request).store().add_structure_changes(page_user(request).login, siret, changes)
    text = f"{len(changes)} modification(s)"
    return RedirectResponse(f"{PREFIX}/structures/{siret}?message={text}", status_code=303)


def _refused(request: Request, siret: str, exc: ConfigError) -> Response:
    structure = managed(request, siret)
    changes = service(request).store().structure_changes(siret)
    return render(
        request,
        "structure.html",
        422,
        structure=structure,
        flags=FLAG_KEYS,
        changes=changes,
        message="",
        error=str(exc).split(": ", 1)[-1],
    )


@router.post("/structures/{siret}")
async def structure_edit(request: Request, siret: str) -> Response:
    """The flags (checkboxes) and the status of the structure."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    managed(request, siret)
    flags = {key: form.get(key) == "on" for key in FLAG_KEYS}
    path = service(request).config.structures
    try:
        changes = structures_edit.edit_structure(path, siret, flags, form.get("actif") == "on")
    except ConfigError as exc:
        return _refused(request, siret, exc)
    return _done(request, siret, changes)


@router.post("/structures/{siret}/services")
def service_edit(
    request: Request,
    siret: str,
    code: Annotated[str, Form(max_length=120)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    libelle: Annotated[str, Form(max_length=200)] = "",
    actif: Annotated[str, Form(max_length=3)] = "",
    engagement: Annotated[str, Form(max_length=3)] = "",
    debut: Annotated[str, Form(max_length=10)] = "",
    fin: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Change a service (or add it when the code is new)."""
    check_csrf(request, csrf)
    managed(request, siret)
    try:
        values = {
            "libelleService": libelle,
            "estActif": actif == "on",
            "numeroEngagement": engagement == "on",
            "dateDbtService": date.fromisoformat(debut) if debut else None,
            "dateFinService": date.fromisoformat(fin) if fin else None,
        }
        changes = structures_edit.edit_service(
            service(request).config.structures, siret, code.strip(), values
        )
    except ValueError as exc:
        return _refused(request, siret, ConfigError(f"date: {exc}"))
    except ConfigError as exc:
        return _refused(request, siret, exc)
    return _done(request, siret, changes)
