"""``/portail/connexion`` and ``/portail/deconnexion``: logging in and out of the portal.

Job: the login form (CSRF-protected like every form), the password check of
:class:`~edi_gateway.web.portal.users.UserBook` (Argon2id, throttled after repeated failures:
the same "wrong login or password" either way), a new session on success (the old one is
cleared: no session fixation; the session is also recorded server-side, ``portal_session``),
and logging out (POST with the token), which ends the session server-side: the cookie, even
copied, is refused from then on.
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from edi_gateway.web.portal.common import (
    PREFIX,
    check_csrf,
    csrf_token,
    render,
    service,
    users,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a portal path: never an address elsewhere (open redirect)."""
    if target and target.startswith(f"{PREFIX}/") and not target.startswith("//"):
        return target
    return f"{PREFIX}/"


@router.get("/connexion")
def login_page(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return render(request, "login.html", next=_safe_next(next), failed=False)


@router.post("/connexion")
async def login(
    request: Request,
    login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Check the password; a new session on success, the form again (401) otherwise."""
    check_csrf(request, csrf)
    source = request.client.host if request.client else ""
    user = await run_in_threadpool(users(request).login, login.strip(), password, source)
    if user is None:
        return render(request, "login.html", 401, next=_safe_next(next), failed=True)
    lang = request.session.get("lang")
    request.session.clear()
    sid = secrets.token_urlsafe(32)
    hours = service(request).config.portal.session_hours
    await run_in_threadpool(
        service(request).store().open_session, sid, user.login, time.time() + hours * 3600
    )
    request.session.update({"login": user.login, "sid": sid, "lang": lang or "fr"})
    csrf_token(request)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/deconnexion")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End the session."""
    check_csrf(request, csrf)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        service(request).store().close_session(sid)
    request.session.clear()
    return RedirectResponse(f"{PREFIX}/connexion", status_code=303)
