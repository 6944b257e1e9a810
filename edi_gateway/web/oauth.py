"""``POST /api/oauth/token``: OAuth2 client credentials (RFC 6749 §4.4), as PISTE answers it.

Job: check the client id and secret (form fields ``client_id`` / ``client_secret``, or HTTP
Basic, RFC 6749 §2.3.1) against the accounts file and answer ``access_token``, ``token_type``
``Bearer``, ``expires_in`` (``[api] token_seconds``, 3600 by default) and ``scope`` ``openid``
(``../shared/domain/chorus-pro.md`` §6). Errors in the RFC 6749 §5.2 shape: 400
``unsupported_grant_type`` / ``invalid_request``, 401 ``invalid_client``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from edi_gateway.web.auth import context

router = APIRouter(tags=["OAuth2"])


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="edi-gateway"'} if status == 401 else None
    body = {"error": error, "error_description": description}
    return JSONResponse(body, status, headers, media_type="application/json")


@router.post(
    "/api/oauth/token",
    summary="Jeton d'accès (client credentials) | access token",
    responses={400: {"description": "invalid request"}, 401: {"description": "invalid client"}},
)
async def token(request: Request) -> Any:
    """Form ``grant_type=client_credentials&client_id=...&client_secret=...&scope=openid``."""
    raw = await request.body()
    try:
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), strict_parsing=False).items()}
    except (UnicodeDecodeError, ValueError):
        return _oauth_error(400, "invalid_request", "the body must be a URL-encoded form")
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is served")
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    basic = _basic(request.headers.get("authorization", ""))
    if basic is not None:
        client_id, secret = basic
    if not client_id or not secret:
        return _oauth_error(400, "invalid_request", "client_id and client_secret are required")
    ctx = context(request)
    source = request.client.host if request.client else ""
    client = await run_in_threadpool(ctx.book.client, client_id, secret, source)
    if client is None:
        return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
    return JSONResponse(ctx.issuer.issue(client.client_id), headers={"Cache-Control": "no-store"})


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    client_id, sep, secret = text.partition(":")
    return (client_id, secret) if sep else None
