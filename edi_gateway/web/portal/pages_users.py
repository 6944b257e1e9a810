"""Gestion des utilisateurs: a gestionnaire principal manages the users of its structure.

Job: ``/portail/utilisateurs/{siret}`` lists the structure's users with their role, spaces and
services; the forms invite a user (a new one gets a temporary password, shown once on the next
page), change a member's role, spaces and services, or remove a member (deactivated when in no
structure left), through :mod:`edi_gateway.web.portal.users_edit`. Only a user who is
gestionnaire principal of that structure with the ``utilisateurs`` space reaches it (404 for
anyone else); nobody removes or demotes themselves (the structure would lose its manager).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from edi_gateway.core.errors import ConfigError
from edi_gateway.web.errors import ApiError
from edi_gateway.web.portal import users_edit
from edi_gateway.web.portal.common import PREFIX, check_csrf, page_user, render, service, users
from edi_gateway.web.portal.users import ROLES, SPACES

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _manager(request: Request, siret: str) -> str:
    user = page_user(request)
    place = next((m for m in user.structures if m.siret == siret), None)
    if (
        place is None
        or place.role != "gestionnaire_principal"
        or "utilisateurs" not in place.spaces
    ):
        raise ApiError(404, "structure inconnue | no such structure")
    return user.login


def _page(request: Request, siret: str, status: int = 200, **extra: object) -> Response:
    members = [
        (u, m) for u in users(request).all() for m in u.structures if m.siret == siret and u.active
    ]
    structure = service(request).directory.current().structure(siret)
    return render(
        request,
        "users.html",
        status,
        siret=siret,
        structure=structure,
        members=members,
        roles=ROLES,
        spaces=SPACES,
        **extra,
    )


@router.get("/utilisateurs/{siret}")
def users_page(request: Request, siret: str) -> Response:
    """The users of the structure and the forms."""
    _manager(request, siret)
    return _page(request, siret)


@router.post("/utilisateurs/{siret}")
async def users_edit_page(request: Request, siret: str) -> Response:
    """``action`` ``inviter``, ``modifier`` or ``retirer``."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    me = _manager(request, siret)
    path = service(request).config.portal.users
    if path is None:
        raise ApiError(404, "pas de fichier d'utilisateurs | no users file")
    action, login = str(form.get("action", "")), str(form.get("login", "")).strip()[:200]
    role = str(form.get("role", "utilisateur"))
    spaces = [str(s) for s in form.getlist("spaces")]
    services = [s.strip() for s in str(form.get("services", "")).split(",") if s.strip()]
    try:
        if login == me and action != "inviter":
            raise ConfigError("vous ne pouvez pas vous retirer ou vous rétrograder | not yourself")
        if action == "inviter":
            name = str(form.get("name", ""))[:200]
            password = users_edit.invite(path, siret, login, name, role, spaces, services)
            return _page(request, siret, invited=login, password=password)
        if action == "modifier":
            users_edit.change(path, siret, login, role, spaces, services)
        elif action == "retirer":
            users_edit.remove(path, siret, login)
        else:
            raise ConfigError("action inconnue | unknown action")
    except ConfigError as exc:
        return _page(request, siret, 422, error=str(exc).split(": ", 1)[-1])
    return _page(request, siret, done=f"{action} {login}")
