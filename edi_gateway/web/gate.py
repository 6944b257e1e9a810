"""Credentials checked before a body is read: the Service mode's gate (ASGI).

Job: a call to an operation under ``/cpro/`` (the health check aside) must prove its technical
account before the server reads its body: an unauthenticated client must not make the server
read and parse tens of megabytes. :class:`Gate` checks the two headers
(:func:`edi_gateway.web.auth.authenticate`, in a worker thread: a password check costs an
Argon2 verification) and answers 401 at once when they fail; else it hands the account to the
operation (``request.state``) and lets the call through.
"""

from __future__ import annotations

from anyio import to_thread
from starlette.datastructures import Headers

from edi_gateway.web.auth import UNAUTHORISED, authenticate
from edi_gateway.web.body_limit import ASGIApp, Receive, Scope, Send, send_json
from edi_gateway.web.context import ServiceContext

OPEN = ("/cpro/transverses/v1/health-check",)


class Gate:
    """Wrap ``app``: ``/cpro/`` calls without valid credentials get 401, body unread."""

    def __init__(self, app: ASGIApp, ctx: ServiceContext) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/cpro/") or path in OPEN:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        source = client[0] if client else ""
        account = await to_thread.run_sync(authenticate, self.ctx, Headers(scope=scope), source)
        if account is None:
            headers = [(b"www-authenticate", b'Bearer realm="edi-gateway"')]
            await send_json(send, 401, {"codeRetour": 401, "libelle": UNAUTHORISED}, headers)
            return
        state = scope.setdefault("state", {})
        state["account_record"], state["account"] = account, account.login
        await self.app(scope, receive, send)
