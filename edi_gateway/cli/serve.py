"""``edi-gateway serve [--config FILE] [--host H] [--port P]``: the Chorus Pro API alone.

The Service mode without the folder watcher: the HTTP API (:mod:`edi_gateway.web`) and the
worker pool of the same daemon, on the same ledger and outbound folder; a flux deposited over
HTTP is processed exactly as a dropped file. No inbound folder is taken (``edi-gateway run``
with ``[api] enabled = true`` does both).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from edi_gateway.core import config as config_module
from edi_gateway.core import logs
from edi_gateway.core.config import add_config_argument
from edi_gateway.runtime.daemon import Gateway
from edi_gateway.runtime.workers import WorkerSpec
from edi_gateway.web.server import ApiServer


def add_parser(subparsers: Any) -> None:
    """Register ``serve`` on the top-level parser."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the Chorus Pro API (Service mode) with the workers, without the watcher",
        description="Serve the Chorus Pro API over HTTP ([api] of config.toml: host, port, "
        "accounts) until SIGTERM or Ctrl-C. Deposits go through the worker pool, as dropped "
        "files do; the inbound folders are not watched. OpenAPI page: /docs.",
    )
    parser.add_argument("--host", help="listen address (default: [api] host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (default: [api] port, 8280)")
    add_config_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; returns 0 after a clean stop, 2 for a configuration error (a taken
    port included) or a state folder held by another gateway.

    Raises:
        ConfigError: the configuration is invalid (the CLI turns it into exit code 2).
    """
    config = config_module.load(args.config)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    if overrides:
        config = dataclasses.replace(config, api=dataclasses.replace(config.api, **overrides))
    logs.configure(config, console=True)
    logs.log_config_in_force(config)
    spec = WorkerSpec(config=config, console=True)
    return Gateway(config, spec=spec, service=ApiServer(config), watch=False).run()
