"""Answers when a call fails, in Chorus Pro's shape: ``{"codeRetour": n, "libelle": text}``.

Job: one place that turns every failure of a call into a JSON answer a client can act on, and
never a traceback. Business errors answer HTTP 200 with ``codeRetour`` != 0, as Chorus Pro does
(``../shared/domain/chorus-pro.md`` §4.5: 20000 nothing found, 20002 refused transition);
malformed requests 400, missing or wrong credentials 401 (with ``WWW-Authenticate``), an object
out of the caller's rights 403 (the same answer whether it exists or not), unknown paths 404, a
body over ``[api] max_request_bytes`` 413, the gateway unable to take a deposit 503.
"""

from __future__ import annotations

import html
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger("edi_gateway.web")

OK = 0
OK_LABEL = "TRA_MSG_00.000"
NOTHING_FOUND = 20000
NOTHING_FOUND_LABEL = "TRA_MSG_00.015 - la recherche n'a retourné aucun résultat"
REFUSED_TRANSITION = 20002
REFUSED_OTHER = 20003  # any other lifecycle refusal (its GW-LC code is in the libelle)
UNSUPPORTED = 20004  # a syntaxeFlux Chorus Pro knows and this gateway does not process
FORBIDDEN_LABEL = (
    "GDP_MSG_11.005 - l'utilisateur n'a pas les droits sur cet objet | no right on this object"
)


class ApiError(Exception):
    """A call that cannot be served: HTTP status, ``codeRetour`` and ``libelle``.

    Args:
        status: HTTP status (400, 401, 403, 404, 413, 503).
        libelle: what went wrong, French first then English.
        code: ``codeRetour`` (the HTTP status when None).
    """

    def __init__(self, status: int, libelle: str, code: int | None = None) -> None:
        super().__init__(libelle)
        self.status = status
        self.libelle = libelle
        self.code = status if code is None else code


def answer(code: int = OK, libelle: str = OK_LABEL, **fields: Any) -> dict[str, Any]:
    """A Chorus Pro answer body: ``codeRetour``, ``libelle``, then ``fields``."""
    return {"codeRetour": code, "libelle": libelle, **fields}


def error_body(
    status: int, libelle: str, code: int | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON response of a failed call (401 with ``WWW-Authenticate``)."""
    extra = dict(headers or {})
    if status == 401:
        extra["WWW-Authenticate"] = 'Bearer realm="edi-gateway"'
    return JSONResponse(answer(status if code is None else code, libelle), status, extra or None)


def html_error(status: int, libelle: str) -> HTMLResponse:
    """The page of a failed portal request (the text escaped, a link home)."""
    body = (
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Erreur</title></head>"
        f"<body><h1>{status}</h1><p>{html.escape(libelle)}</p>"
        "<p><a href='/portail/'>Retour | back</a></p></body></html>"
    )
    return HTMLResponse(body, status)


def install(app: FastAPI) -> None:
    """Register the handlers that give every failure of ``app`` the shape above."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        if request.url.path.startswith("/portail"):
            return html_error(exc.status, exc.libelle)
        return error_body(exc.status, exc.libelle, exc.code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [_problem(e) for e in exc.errors()[:5]]
        text = "requête invalide | malformed request: " + "; ".join(problems)
        if request.url.path.startswith("/portail"):
            return html_error(400, text)
        return error_body(400, text)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        text = {
            404: "opération inconnue | unknown operation",
            405: "méthode non permise | method not allowed",
        }
        if request.url.path.startswith("/portail"):
            return html_error(exc.status_code, text.get(exc.status_code, "erreur | error"))
        headers = dict(exc.headers or {})  # 405: Allow
        return error_body(
            exc.status_code, text.get(exc.status_code, str(exc.detail)), None, headers
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("api.failed", path=request.url.path, error=type(exc).__name__, message=str(exc))
        return error_body(500, "erreur interne de la passerelle | internal gateway error")


def _problem(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
    return f"{where}: {error.get('msg', 'invalid')}"
