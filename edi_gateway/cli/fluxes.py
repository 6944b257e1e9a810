"""``edi-gateway fluxes`` (alias ``flows``, kept for existing scripts): list the fluxes the gateway
received, from its store. A *flux* is a file received; a *flow* is a file the gateway emits."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edi_gateway.core import config as config_module
from edi_gateway.core.config import add_config_argument
from edi_gateway.core.errors import StateError
from edi_gateway.core.model import Verdict
from edi_gateway.core.terminal import json_text, printable
from edi_gateway.store.database import Store
from edi_gateway.store.records import FluxRow, FluxState

COLUMNS = (
    ("id_flux", "IdFlux", 25),
    ("received_at", "received at (UTC)", 19),
    ("channel", "channel", 14),
    ("original_name", "file", 32),
    ("syntax", "syntax", 14),
    ("verdict", "verdict", 12),
    ("recipient", "recipient", 24),
    ("error_count", "errors", 6),
)


def add_parser(subparsers: Any) -> None:
    """Register ``fluxes`` (alias ``flows``) on the top-level parser."""
    parser = subparsers.add_parser(
        "fluxes",
        aliases=["flows"],
        help="list received fluxes (IdFlux, channel, file, verdict, recipient)",
        description="List the fluxes recorded in the gateway database, oldest first.",
    )
    parser.add_argument("--since", metavar="ISO-DATE", help="received at or after (UTC if naive)")
    parser.add_argument("--verdict", choices=[str(v) for v in Verdict], help="only this verdict")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_config_argument(parser)
    parser.set_defaults(handler=run)


def since_bound(text: str) -> str:
    """Turn ``--since`` (``2026-11-29`` or any ISO 8601 date-time) into the store's UTC form.

    Raises:
        ValueError: not an ISO 8601 date or date-time.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def flow_rows(rows: list[FluxRow]) -> list[dict[str, Any]]:
    """The listed fields of each flux row; ``recipient`` is ``SIRET/service code``."""
    listed = []
    for row in rows:
        recipient = row.recipient_siret
        if recipient and row.service_code:
            recipient = f"{recipient}/{row.service_code}"
        listed.append(
            {
                "id_flux": row.id_flux,
                "received_at": row.received_at,
                "channel": row.channel,
                "original_name": row.original_name,
                "syntax": row.syntax,
                "verdict": row.verdict,
                "recipient": recipient,
                "error_count": row.error_count,
                "state": str(row.state),
                "reason": row.reason,
            }
        )
    return listed


def render_text(listed: list[dict[str, Any]]) -> str:
    """A fixed-width table, one flux per line (long values cut with ``…``)."""
    lines = ["  ".join(title.ljust(width) for _, title, width in COLUMNS).rstrip()]
    for item in listed:
        cells = []
        for key, _, width in COLUMNS:
            value = item[key]
            text = "-" if value is None else printable(value)
            if key == "received_at":
                text = text[:19]
            if key == "verdict" and item["state"] != FluxState.DONE:
                text = item["state"]
            cells.append(text if len(text) <= width else text[: width - 1] + "…")
            cells[-1] = cells[-1].ljust(width)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def read_flows(
    database: Path | str, since: str | None, verdict: str | None
) -> list[dict[str, Any]]:
    """The listed fields of the fluxes in ``database`` (see :func:`flow_rows`).

    Raises:
        StateError: the database cannot be opened or read (not SQLite, corrupt pages, a folder,
            no permission); never a bare ``sqlite3`` error.
    """
    with Store(database) as store:
        try:
            return flow_rows(store.fluxes(since=since, verdict=verdict))
        except store.errors as exc:
            raise StateError(f"{store.path}: cannot read the gateway database: {exc}") from exc


def run(args: argparse.Namespace) -> int:
    """Print the fluxes; exit 0, or 2 when ``--since`` is not an ISO 8601 date.

    Raises:
        ConfigError: the configuration is invalid (exit code 2 through the CLI).
        StateError: the database cannot be opened or read (exit code 2 through the CLI).
    """
    config = config_module.load(args.config)
    try:
        since = since_bound(args.since) if args.since else None
    except ValueError:
        print(f"edi-gateway flows: --since {args.since!r} is not an ISO 8601 date", file=sys.stderr)
        return 2
    listed = read_flows(config.database, since, args.verdict)
    if args.format == "json":
        sys.stdout.write(json_text(listed, indent=2))
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(listed))
    return 0
