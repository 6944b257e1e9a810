"""Refuse a request body over ``[api] max_request_bytes`` before it is read whole (ASGI).

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


class BodyLimit:
    """Wrap ``app`` so that no request body over ``limit`` bytes reaches it.

    Args:
        app: the ASGI application.
        limit: largest body accepted, in bytes.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0
        refused = False
        started = False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
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
            await _too_large(send, self.limit)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "codeRetour": 413,
            "libelle": f"corps de requête trop grand | request body over {limit} bytes",
        }
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
