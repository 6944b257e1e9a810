"""The ASGI application of the Service mode (and, later, the Portail): one app, one engine.

Job: :func:`create_app` assembles the FastAPI application on a :class:`ServiceContext`: the
operations (``/cpro/<api>/v1/...`` as PISTE serves them, ``../shared/domain/chorus-pro.md`` §6),
the OAuth2 token endpoint, ``/metrics``, the OpenAPI document (``/openapi.json``) and its
interactive page (``/docs``), the error shapes of :mod:`edi_gateway.web.errors`; and wraps it in
the body limit (:mod:`edi_gateway.web.body_limit`). It never validates a document: deposits go
to the daemon's workers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response

from edi_gateway import __version__
from edi_gateway.web import (
    deposit_ops,
    errors,
    flux_ops,
    invoice_actions,
    invoice_ops,
    oauth,
    reference_ops,
    structure_ops,
)
from edi_gateway.web.body_limit import BodyLimit
from edi_gateway.web.context import ServiceContext

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

    The FastAPI app itself is the ``.app`` attribute of the returned object (tests use it).
    """
    app = FastAPI(
        title="edi-gateway: Chorus Pro Service mode",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "OAuth2", "description": "access tokens"},
            {"name": "factures", "description": "deposit, search, read and process invoices"},
            {"name": "transverses", "description": "flux reports, reference lists, health"},
            {"name": "structures", "description": "the directory of public structures"},
        ],
    )
    app.state.service = ctx
    errors.install(app)
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
    return BodyLimit(app, ctx.config.api.max_request_bytes)


def _metrics(app: FastAPI, ctx: ServiceContext) -> None:
    @app.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Any:
        response = await call_next(request)
        route = request.scope.get("route")
        operation = getattr(route, "path", None) or "unknown"
        if ctx.metrics is not None:
            ctx.metrics.request(operation, response.status_code)
        return response

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        access = ctx.config.api.metrics
        client = request.client.host if request.client else ""
        if access == "off" or ctx.metrics is None:
            raise errors.ApiError(404, "opération inconnue | unknown operation")
        if access == "localhost" and client not in LOOPBACK:
            raise errors.ApiError(403, "métriques réservées à localhost | metrics: localhost only")
        return Response(ctx.metrics.render(), media_type="text/plain; version=0.0.4")
