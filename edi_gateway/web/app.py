"""The ASGI application of the Service mode (and, later, the Portail): one app, one engine.

Job: :func:`create_app` assembles the FastAPI application on a :class:`ServiceContext`: the
operations (``/cpro/<api>/v1/...`` as PISTE serves them, ``../shared/domain/chorus-pro.md`` §6),
the OAuth2 token endpoint, ``/metrics``, the OpenAPI document (``/openapi.json``) and its
interactive page (``/docs``), the error shapes of :mod:`edi_gateway.web.errors`; and wraps it in
the body limit (:mod:`edi_gateway.web.body_limit`). It never validates a document: deposits go
to the daemon's workers.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response

from edi_gateway import __version__
from edi_gateway.web import (
    deposit_ops,
    docs_page,
    errors,
    flux_ops,
    invoice_actions,
    invoice_ops,
    oauth,
    reference_ops,
    structure_ops,
)
from edi_gateway.web.body_limit import ASGIApp, BodyLimit, Message, Receive, Scope, Send
from edi_gateway.web.context import ServiceContext
from edi_gateway.web.docs_page import STATIC
from edi_gateway.web.gate import Gate
from edi_gateway.web.portal import setup as portal_setup

DESCRIPTION = """Chorus Pro **Service mode** on the edi-gateway engine: the same validation,
routing, ledger and status flows as the file-drop (EDI) channel.

1. `POST /api/oauth/token` (`grant_type=client_credentials`, `client_id`, `client_secret`) gives
   a bearer token (`expires_in` 3600).
2. Every operation takes `Authorization: Bearer <token>` and `cpro-account:
   base64(login:password)` of a technical account.
3. Business errors answer HTTP 200 with `codeRetour` != 0 and `libelle`.
"""
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def create_app(ctx: ServiceContext) -> Any:
    """The ASGI application over ``ctx`` (the FastAPI app inside the body limit).

    The FastAPI app itself is ``.app.fastapi`` of the returned object.
    """
    app = FastAPI(
        title="edi-gateway: Chorus Pro Service mode",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # docs_page: Swagger UI from a package, not a CDN
        redirect_slashes=False,  # a redirect would echo the Host header
        redoc_url=None,
        openapi_tags=[
            {"name": "OAuth2", "description": "access tokens"},
            {"name": "factures", "description": "deposit, search, read and process invoices"},
            {"name": "transverses", "description": "flux reports, reference lists, health"},
            {"name": "structures", "description": "the directory of public structures"},
        ],
    )
    app.state.service = ctx
    errors.install(app)
    docs_page.install(app)
    for module in (
        oauth,
        deposit_ops,
        flux_ops,
        invoice_ops,
        invoice_actions,
        structure_ops,
        reference_ops,
    ):
        app.include_router(module.router)
    _metrics(app, ctx)
    if ctx.config.portal.enabled:
        portal_setup.install(app, ctx)
    return BodyLimit(CountCalls(Gate(app, ctx), ctx), ctx.config.api.max_request_bytes)


def _metrics(app: FastAPI, ctx: ServiceContext) -> None:
    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        access = ctx.config.api.metrics
        client = request.client.host if request.client else ""
        if access == "off" or ctx.metrics is None:
            raise errors.ApiError(404, "opération inconnue | unknown operation")
        if access == "localhost" and client not in LOOPBACK:
            raise errors.ApiError(403, "métriques réservées à localhost | metrics: localhost only")
        return Response(ctx.metrics.render(), media_type="text/plain; version=0.0.4")


class CountCalls:
    """ASGI middleware counting each HTTP call by route template and status (no buffering,
    no extra task: FastAPI's ``@app.middleware`` costs both on every deposit)."""

    def __init__(self, app: ASGIApp, ctx: ServiceContext) -> None:
        self.app, self.ctx = app, ctx
        self.fastapi = getattr(app, "app", app)  # the FastAPI application, inside the gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or self.ctx.metrics is None:
            await self.app(scope, receive, send)
            return
        status = [500]

        async def seen(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, seen)
        finally:
            route = getattr(scope.get("route"), "path", None)
            if route is None and status[0] < 400:  # /openapi.json, /docs, /metrics ...
                route = STATIC if scope["path"].startswith(STATIC) else scope["path"]
            self.ctx.metrics.request(route or "unknown", status[0])
