"""``edi-gateway run [--config FILE] [--role all|watcher|worker]``: the file-drop daemon, and
the Service-mode API beside it when ``[api] enabled = true`` (see ``docs/operations.md``); with
``[cluster]`` enabled, the watcher, the cluster workers, or both (README, "Operating a
cluster")."""

from __future__ import annotations

import argparse
from typing import Any

from edi_gateway.core import config as config_module
from edi_gateway.core import logs
from edi_gateway.core.config import add_config_argument
from edi_gateway.core.errors import ConfigError
from edi_gateway.runtime import cluster_runner
from edi_gateway.runtime.daemon import Gateway
from edi_gateway.runtime.workers import WorkerSpec
from edi_gateway.web.server import ApiServer

ROLES = ("all", "watcher", "worker")


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
    parser.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help="with [cluster] enabled: 'watcher' claims files and sends one task per flux to "
        "the broker, 'worker' runs gateway.workers processes that take the tasks, 'all' (the "
        "default) both; without [cluster] only 'all' (this machine's own worker processes)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load the configuration, set up logging, run the daemon; returns its exit code (0 after a
    clean stop, 2 for a configuration error or a state folder held by another gateway).

    Raises:
        ConfigError: the configuration is invalid (the CLI turns it into exit code 2).
    """
    config = config_module.load(args.config)
    role = getattr(args, "role", "all")
    if role != "all" and not config.cluster.enabled:
        raise ConfigError(
            f"{config.path}: --role {role} needs [cluster] enabled = true (a broker and a "
            "PostgreSQL ledger); without it the gateway runs as one process tree (--role all)"
        )
    logs.configure(config, console=True)
    logs.log_config_in_force(config)
    if role == "worker":
        return cluster_runner.run_workers(config)
    service = ApiServer(config) if config.api.enabled else None
    dispatch = cluster_runner.dispatch_for(config, role) if config.cluster.enabled else None
    spec = WorkerSpec(config=config, console=True)
    return Gateway(config, spec=spec, service=service, dispatch=dispatch).run()
