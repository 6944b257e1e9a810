"""What every portal page shares: the logged-in user, the CSRF token, the language, rendering.

Job: sessions are Starlette's signed cookie (``SessionMiddleware``: HttpOnly, SameSite=Lax,
Secure with ``[portal] secure_cookie``) holding the user's login, a CSRF token and the language.
:func:`page_user` gives the user of a page or redirects to the login page; :func:`check_csrf`
refuses a form whose token is not the session's (403). :func:`render` renders a Jinja2 template
(autoescaped: every value from an invoice or a file name is text, never markup) with ``tr`` (the
French text, or the English one with ``?lang=en``), the user and the token.
"""

from __future__ import annotations

import hmac
import re
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from edi_gateway.web.context import ServiceContext
from edi_gateway.web.errors import ApiError
from edi_gateway.web.portal.users import User, UserBook

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PREFIX = "/portail"
#: Bidirectional controls (embeddings, overrides, isolates, marks): a value from an invoice that
#: holds one could reorder what the page shows around it (a SIRET read backwards). Every value a
#: template prints has them replaced by U+FFFD (Unicode TR 36 §2.1).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup):  # a macro's output: already escaped, kept as markup
        return Markup(_BIDI.sub("\ufffd", str(value)))  # noqa: S704  (escaped already; only U+FFFD goes in)
    return _BIDI.sub("\ufffd", value) if isinstance(value, str) else value


TEMPLATES.env.finalize = _finalize


class LoginRequired(Exception):
    """A page was asked without a session: the answer is a redirect to the login page."""


def users(request: Request) -> UserBook:
    """The application's portal users."""
    book: UserBook = request.app.state.portal_users
    return book


def service(request: Request) -> ServiceContext:
    """The application's shared context (config, store, directory, lifecycle)."""
    found: ServiceContext = request.app.state.service
    return found


def page_user(request: Request) -> User:
    """The logged-in, active user.

    Raises:
        LoginRequired: no session, or its user is gone or deactivated.
    """
    login = session_login(request)
    user = users(request).user(login) if login else None
    if user is None:
        request.session.pop("login", None)
        raise LoginRequired
    return user


def session_login(request: Request) -> str | None:
    """The login of the request's session when the server still knows it as open (a logout
    or an expiry ends it: a copied cookie is then refused too)."""
    sid, login = request.session.get("sid"), request.session.get("login")
    if not (isinstance(sid, str) and isinstance(login, str)):
        return None
    return login if service(request).store().session_login(sid) == login else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a form without the session's token.

    Raises:
        ApiError: 403.
    """
    expected = request.session.get("csrf")
    if not (isinstance(expected, str) and token and hmac.compare_digest(expected, token)):
        raise ApiError(403, "jeton de formulaire absent ou périmé | missing or stale form token")


def language(request: Request) -> str:
    """``fr`` (default) or ``en``: ``?lang=`` switches and is remembered in the session."""
    wanted = request.query_params.get("lang")
    if wanted in ("fr", "en"):
        request.session["lang"] = wanted
    lang = request.session.get("lang")
    return lang if lang in ("fr", "en") else "fr"


def flash(request: Request, message: str) -> None:
    """A message for the next page this session shows (never taken from the URL)."""
    request.session["flash"] = message[:500]


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """The page ``template`` with the common values (``tr``, ``user``, ``csrf``, ``lang``,
    ``flash``: the message left by the previous action, shown once)."""
    lang = language(request)
    login = session_login(request)
    user = users(request).user(login) if login else None
    common = {
        "tr": (lambda fr, en: en if lang == "en" else fr),
        "lang": lang,
        "user": user,
        "csrf": csrf_token(request),
        "prefix": PREFIX,
        "flash": request.session.pop("flash", None),
    }
    return TEMPLATES.TemplateResponse(request, template, {**common, **values}, status_code=status)
