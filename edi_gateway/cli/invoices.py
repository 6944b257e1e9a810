"""``edi-gateway invoices``: list the invoices the gateway holds, with their current CPP status.

Filters: ``--structure SIRET`` (recipient structure), ``--status`` (code or name, see
``rules/lifecycle.toml``). Newest first. Exit 0, or 2 for a usage / configuration error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from edi_gateway.core import config as config_module
from edi_gateway.core.config import add_config_argument
from edi_gateway.core.errors import GatewayError
from edi_gateway.core.terminal import json_text, printable
from edi_gateway.lifecycle import table as lifecycle
from edi_gateway.store.database import Store
from edi_gateway.store.records import InvoiceRow

COLUMNS = (
    ("id", "id", 6),
    ("number", "number", 20),
    ("seller", "seller", 14),
    ("recipient", "recipient", 34),
    ("status_code", "code", 4),
    ("status_name", "status", 28),
    ("updated_at", "updated (UTC)", 19),
)


def add_parser(subparsers: Any) -> None:
    """Register ``invoices`` on the top-level parser."""
    parser = subparsers.add_parser(
        "invoices",
        help="list invoices with their current status",
        description="List the invoices recorded in the gateway database, newest first.",
    )
    parser.add_argument("--structure", metavar="SIRET", help="only this recipient structure")
    parser.add_argument("--status", metavar="STATUS", help="only this status (code or name)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_config_argument(parser)
    parser.set_defaults(handler=run)


def invoice_item(row: InvoiceRow) -> dict[str, Any]:
    """JSON shape of one invoice row."""
    return {
        "id": row.id,
        "number": row.number,
        "seller": row.seller_id or row.seller_key,
        "seller_name": row.seller_name,
        "issue_date": row.issue_date,
        "recipient_siret": row.recipient_siret,
        "service_code": row.service_code,
        "amount_due": row.amount_due,
        "currency": row.currency,
        "status_code": row.status_code,
        "status_name": row.status_name,
        "updated_at": row.updated_at,
        "id_flux": row.id_flux,
    }


def recipient_label(siret: str, service_code: str | None) -> str:
    """How the commands name a recipient: ``SIRET/SERVICE``, or the SIRET alone without a
    service code (``invoices`` and ``status show`` alike)."""
    return f"{siret}/{service_code}" if service_code else siret


def render_text(items: list[dict[str, Any]]) -> str:
    """A fixed-width table, one invoice per line."""
    lines = ["  ".join(title.ljust(width) for _, title, width in COLUMNS).rstrip()]
    for item in items:
        recipient = recipient_label(item["recipient_siret"], item["service_code"])
        cells = dict(item, recipient=recipient, updated_at=item["updated_at"][:19])
        lines.append("  ".join(_cell(cells[k], w) for k, _, w in COLUMNS).rstrip())
    lines.append(f"{len(items)} invoice(s)")
    return "\n".join(lines)


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else printable(value)
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def run(args: argparse.Namespace) -> int:
    """List invoices. Exit 0, or 2 for an unknown status or a configuration error."""
    code = None
    if args.status:
        status = lifecycle.default().find(args.status)
        if status is None:
            print(f"edi-gateway invoices: unknown status {args.status!r}", file=sys.stderr)
            return 2
        code = status.code
    try:
        config = config_module.load(args.config)
        with Store(config.database) as store:
            rows = store.invoices(recipient_siret=args.structure, status_code=code)
    except GatewayError as exc:
        print(f"edi-gateway invoices: {exc}", file=sys.stderr)
        return 2
    items = [invoice_item(r) for r in rows]
    if args.format == "json":
        print(json_text(items, indent=2))
    else:
        print(render_text(items))
    return 0
