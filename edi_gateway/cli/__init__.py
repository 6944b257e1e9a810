"""Command line: ``edi-gateway <command> ...`` (also ``python -m edi_gateway``).

Each command lives in its own module under :mod:`edi_gateway.cli` and exposes
``add_parser(subparsers)`` and ``run(args) -> int``. Exit codes: 0 all accepted / done, 1 a file
was rejected or inadmissible (or an action refused), 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from edi_gateway import __version__
from edi_gateway.core.errors import ConfigError, GatewayError

COMMANDS = (
    "validate",
    "process",
    "run",
    "serve",
    "fluxes",
    "status",
    "invoices",
    "accounts",
    "artefacts",
    "db",
)


BROKEN_PIPE = 141  # exit status after the reader closed stdout (128 + SIGPIPE)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with one sub-parser per command in ``COMMANDS``."""
    parser = argparse.ArgumentParser(
        prog="edi-gateway",
        description="Chorus Pro EDI mode as a file-drop gateway: validate, route, emit statuses.",
    )
    parser.add_argument("--version", action="version", version=f"edi-gateway {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"edi_gateway.cli.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the command, return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except ConfigError as exc:
        print(f"edi-gateway: configuration error: {exc}", file=sys.stderr)
        return 2
    except GatewayError as exc:  # our own failure (state, artefacts): a message, not a traceback
        print(f"edi-gateway: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``edi-gateway fluxes | head``): stop quietly, with the status a
        # Unix tool killed by SIGPIPE gives (128 + 13), never 0: the command did not finish, so
        # ``set -o pipefail`` scripts do not take an unchecked file for an accepted one.
        _silence_stdout()
        return BROKEN_PIPE
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
