"""Putting the portal on the application: sessions, pages, static files, the login redirect.

Job: :func:`install` adds to the FastAPI application the signed session cookie (Starlette's
``SessionMiddleware``, key ``var/portal-session-key``: HttpOnly, SameSite=Lax, Secure with
``[portal] secure_cookie``, ``[portal] session_hours`` long), the security headers of every
portal answer (no framing, a strict CSP), the users of ``[portal] users``, the page routers,
``/portail/static`` (the portal's own CSS and scripts) and the redirect of a page asked without a
session to the login page (with ``next``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from edi_gateway.web.body_limit import ASGIApp, Message, Receive, Scope, Send
from edi_gateway.web.context import ServiceContext
from edi_gateway.web.portal import (
    pages_auth,
    pages_entry,
    pages_flux,
    pages_invoices,
    pages_structures,
    pages_users,
)
from edi_gateway.web.portal.common import PREFIX, LoginRequired
from edi_gateway.web.portal.users import UserBook
from edi_gateway.web.tokens import load_key

#: Sent with every portal answer: no framing (clickjacking of the action pages), scripts and
#: styles from this server only, no referrer outside it, no sniffing.
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
]


class SecurityHeaders:
    """ASGI: adds :data:`SECURITY_HEADERS` to the answers under ``/portail``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or not scope.get("path", "").startswith(PREFIX):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                known = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in known]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI, ctx: ServiceContext) -> None:
    """Serve the portal under ``/portail`` on ``app``.

    Raises:
        ConfigError: the users file is invalid. OSError: the session key cannot be made.
    """
    portal = ctx.config.portal
    app.state.portal_users = UserBook(portal.users)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SessionMiddleware,
        secret_key=load_key(ctx.config.state_dir, "portal-session-key").hex(),
        session_cookie="edi_portail",
        max_age=int(portal.session_hours * 3600),
        path=PREFIX,
        same_site="lax",
        https_only=portal.secure_cookie,
    )
    static = Path(__file__).parent / "static"
    app.mount(f"{PREFIX}/static", StaticFiles(directory=static), name="portal-static")
    for module in (
        pages_auth,
        pages_flux,
        pages_invoices,
        pages_entry,
        pages_structures,
        pages_users,
    ):
        app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        target = quote(request.url.path)
        return RedirectResponse(f"{PREFIX}/connexion?next={target}", status_code=303)

    @app.get(PREFIX, include_in_schema=False)
    def _root() -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=307)
