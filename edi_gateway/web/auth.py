"""Who is calling: the OAuth2 bearer token and the ``cpro-account`` header, as PISTE asks.

Job: the FastAPI dependency :func:`caller` turns the two headers of a call into the
:class:`~edi_gateway.web.accounts.Account` acting, or answers 401: ``Authorization: Bearer
<token>`` (a token of :mod:`edi_gateway.web.tokens`, not expired, signed by this gateway) and
``cpro-account: base64("<login>:<password>")`` of a technical account
(``../shared/domain/chorus-pro.md`` §6). Both are required; either missing or wrong gives the
same 401, and a wrong password costs an Argon2 verification each time.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import Headers

from edi_gateway.web.accounts import Account
from edi_gateway.web.context import ServiceContext
from edi_gateway.web.errors import ApiError

UNAUTHORISED = "authentification requise ou refusée | missing or wrong credentials"


def context(request: Request) -> ServiceContext:
    """The application's :class:`ServiceContext`."""
    found: ServiceContext = request.app.state.service
    return found


def authenticate(ctx: ServiceContext, headers: Headers, source: str) -> Account | None:
    """The technical account a call's headers prove, or None.

    Both headers must be there exactly once (a second copy could be read differently by a
    proxy); the token must be valid and its client still in the accounts file (a removed
    client's tokens stop working at once); the account's password is checked (throttled per
    address and login).
    """
    tokens, accounts = headers.getlist("authorization"), headers.getlist("cpro-account")
    if len(tokens) != 1 or len(accounts) != 1:
        return None
    scheme, _, token = tokens[0].partition(" ")
    client = ctx.issuer.client_of(token.strip()) if scheme.lower() == "bearer" else None
    if client is None or client not in ctx.book.current().clients:
        return None
    login, password = _account_header(accounts[0])
    return ctx.book.account(login, password, source) if login else None


def caller(request: Request) -> Account:
    """The technical account of the call (a FastAPI dependency). The gate
    (:mod:`edi_gateway.web.gate`) has already checked it before the body was read; without the
    gate (an application used bare) it is checked here.

    Raises:
        ApiError: 401 when the token or the account header is missing or wrong.
    """
    found = getattr(request.state, "account_record", None)
    if isinstance(found, Account):
        return found
    ctx = context(request)
    source = request.client.host if request.client else ""
    account = authenticate(ctx, request.headers, source)
    if account is None:
        raise ApiError(401, UNAUTHORISED)
    request.state.account = account.login
    return account


def _account_header(value: str) -> tuple[str, str]:
    """``(login, password)`` from ``base64(login:password)``; ``("", "")`` when unreadable."""
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "", ""
    login, sep, password = text.partition(":")
    return (login, password) if sep and login else ("", "")


#: The parameter type of an operation that needs the calling account.
Caller = Annotated[Account, Depends(caller)]
