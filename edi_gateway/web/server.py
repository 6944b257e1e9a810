"""The Service mode's HTTP server: uvicorn in a thread of the gateway's own process.

Job: :class:`ApiServer` is the daemon's :class:`~edi_gateway.runtime.service_host.Service`: it
binds ``[api] host:port`` (a taken port fails the start, loudly), serves the application of
:func:`edi_gateway.web.app.create_app` from a thread (uvicorn installs no signal handler off the
main thread: SIGTERM stays the daemon's), logs ``api.started`` with its URL and ``api.stopped``.
Deposits are put on the daemon's hint queue; the workers are the daemon's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

import uvicorn

from edi_gateway.core import logs
from edi_gateway.core.config import Config
from edi_gateway.core.errors import ConfigError
from edi_gateway.store import postgres_pool
from edi_gateway.web import context
from edi_gateway.web.app import create_app
from edi_gateway.web.metrics import Metrics

START_SECONDS = 10.0
HEAD_LIMIT = 64 * 1024  # bytes of request line and headers


class ApiServer:
    """Serves the API beside the daemon's loop.

    Args:
        config: the gateway configuration (``[api]``).

    Attributes:
        port: the port actually bound (``[api] port = 0`` picks a free one), after ``start``.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.port = config.api.port
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.metrics: Metrics | None = None
        self.log = logs.get_logger()

    def start(self, host: Any) -> None:
        """Bind and serve; returns once uvicorn accepts connections.

        Raises:
            ConfigError: the address cannot be bound, or a broken accounts file.
            RuntimeError: uvicorn did not start within 10 s.
        """
        api = self.config.api
        ctx = context.build(self.config, host.hints.put)
        self.metrics = ctx.metrics = Metrics(self.config, ctx.store, host)
        family = socket.AF_INET6 if ":" in api.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: without it, a response written in two segments
        # waits for the client's delayed ACK (~40 ms per call, measured here).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((api.host, api.port))
        except OSError as exc:
            sock.close()
            raise ConfigError(
                f"{self.config.path}: [api] cannot listen on {api.host}:{api.port}: "
                f"{exc.strerror or exc} (another server there? change api.port)"
            ) from exc
        self.port = sock.getsockname()[1]
        uv = uvicorn.Config(
            create_app(ctx),
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            server_header=False,
            # h11 bounds a request's head (a 200 MB header took 47 s to parse with httptools
            # and blocked every other call); at most max_connections calls at once (503 past
            # it), so idle connections cannot take every file descriptor of the gateway.
            http="h11",
            h11_max_incomplete_event_size=HEAD_LIMIT,
            limit_concurrency=api.max_connections,
            timeout_keep_alive=5,
        )
        self.server = uvicorn.Server(uv)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name="api", daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self.server.started and self.thread.is_alive():
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not start within 10 s")
            time.sleep(0.02)
        if not self.server.started:
            raise RuntimeError("the API server stopped at start (see the log)")
        url = f"http://{api.host if family == socket.AF_INET else f'[{api.host}]'}:{self.port}"
        self.log.info("api.started", url=url, docs=f"{url}/docs")

    def observe(self, event: Any) -> None:
        """Hand a worker event to the metrics."""
        if self.metrics is not None:
            self.metrics.observe(event)

    def stop(self) -> None:
        """Stop accepting, let requests in progress end (5 s), join the thread."""
        if self.server is None or self.thread is None:
            return
        self.server.should_exit = True
        with contextlib.suppress(Exception):
            self.thread.join(timeout=10)
        with contextlib.suppress(Exception):
            postgres_pool.close_pools()  # the ledger connections of the API's threads
        self.log.info("api.stopped")
