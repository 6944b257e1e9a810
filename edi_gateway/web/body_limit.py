"""Refuse a request body over its limit before it is read whole (ASGI): ``[api]
max_request_bytes`` where a file is sent (the deposit, Compléter, the portal's uploads), 1 MiB
anywhere else (a token request, a search, a status).

Job: a pure ASGI middleware (no buffering): a ``Content-Length`` over the limit is answered 413
at once, without reading the body; a chunked body is counted as it arrives and the request is
answered 413 as soon as it passes the limit (the application sees a disconnect and writes
nothing). RFC 9110 §15.5.14 (413 Content Too Large).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
SMALL_BODY = 1024 * 1024  # any call that carries no file
#: Where a file travels in the body: the deposit, Compléter, the portal's uploads and form.
FILE_PATHS = (
    "/cpro/factures/v1/deposer/flux",
    "/cpro/factures/v1/completer",
    "/portail/depot",
    "/portail/saisie",
)
FILE_PREFIXES = ("/portail/factures/",)


class BodyLimit:
    """Wrap ``app`` so that no request body over ``limit`` bytes reaches it.

    Args:
        app: the ASGI application.
        limit: largest body accepted on the paths that carry a file (:data:`FILE_PATHS`).
        small: largest body anywhere else (default :data:`SMALL_BODY`).
    """

    def __init__(self, app: ASGIApp, limit: int, small: int = 0) -> None:
        self.app = app
        self.large = limit
        self.small = min(small or SMALL_BODY, limit)

    def limit_for(self, path: str) -> int:
        """The body limit of ``path``: large where a file is sent, small elsewhere."""
        carries_file = path in FILE_PATHS or path.startswith(FILE_PREFIXES)
        return self.large if carries_file else self.small

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _too_large(send, limit)
            return
        seen = 0
        refused = False
        started = False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # the answer is the 413 below
            started = True
            await send(message)

        await self.app(scope, counted, guarded_send)
        if refused and not started:
            await _too_large(send, limit)


async def send_json(
    send: Send, status: int, data: object, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer ``status`` with the JSON ``data`` and close the connection."""
    body = json.dumps(data).encode()
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int) -> None:
    libelle = f"corps de requête trop grand | request body over {limit} bytes"
    await send_json(send, 413, {"codeRetour": 413, "libelle": libelle})
