"""``edi-gateway run [--config FILE]``: the file-drop daemon, and the Service-mode API beside it
when ``[api] enabled = true`` (see ``docs/operations.md``)."""

from __future__ import annotations

import argparse
from typing import Any

from edi_gateway.core import config as config_module
from edi_gateway.core import logs
from edi_gateway.core.config import add_config_argument
from edi_gateway.runtime.daemon import Gateway
from edi_gateway.runtime.workers import WorkerSpec
from edi_gateway.web.server import ApiServer


def add_parser(subparsers: Any) -> None:
    """Register ``run`` on the top-level parser."""
    parser = subparsers.add_parser(
        "run",
        help="watch the inbound channels and process every file dropped there",
        description="Run the gateway until SIGTERM or Ctrl-C: watch the inbound channels of "
        "config.toml, claim complete files, validate and route them in worker processes, write "
        "status flows to outbound/; with [api] enabled = true also serve the Chorus Pro API "
        "(Service mode). Logs: JSON lines to gateway.log_file, readable lines on stderr.",
    )
    add_config_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load the configuration, set up logging, run the daemon; returns its exit code (0 after a
    clean stop, 2 for a configuration error or a state folder held by another gateway).

    Raises:
        ConfigError: the configuration is invalid (the CLI turns it into exit code 2).
    """
    config = config_module.load(args.config)
    logs.configure(config, console=True)
    logs.log_config_in_force(config)
    service = ApiServer(config) if config.api.enabled else None
    return Gateway(config, spec=WorkerSpec(config=config, console=True), service=service).run()
