"""``edi-gateway status set|show``: change an invoice's CPP status, or print its history.

``status set INVOICE STATUS`` applies one status through
:func:`edi_gateway.lifecycle.actions.apply` (as
the recipient by default, ``--as supplier`` for COMPLETEE) and prints the status flow written.
``status show INVOICE`` prints the history newest first (by time, then event id), like Chorus
Pro's history screen (``factures/v1/consulter/historique``, ``../shared/domain/chorus-pro.md``
§3.7).

INVOICE is the CPP invoice id (``12``) or ``SELLER:NUMBER`` (seller SIREN / id and BT-1). Exit
codes: 0 done, 1 refused, 2 usage or configuration error (unknown invoice included).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edi_gateway.cli.invoices import recipient_label
from edi_gateway.core import config as config_module
from edi_gateway.core import logs
from edi_gateway.core.config import add_config_argument
from edi_gateway.core.errors import GatewayError
from edi_gateway.core.terminal import json_text, printable
from edi_gateway.lifecycle import actions, requests
from edi_gateway.lifecycle import table as lifecycle
from edi_gateway.lifecycle.refusals import Refusal
from edi_gateway.store.database import Store
from edi_gateway.store.records import EventRow, InvoiceRow

HISTORY_COLUMNS = (
    ("code", "code", 4),
    ("status", "status", 28),
    ("at", "time (UTC)", 19),
    ("actor", "actor", 9),
    ("motif", "motif", 16),
    ("comment", "comment", 40),
)


def add_parser(subparsers: Any) -> None:
    """Register ``status set`` and ``status show`` on the top-level parser."""
    parser = subparsers.add_parser(
        "status",
        help="set an invoice status (recipient or supplier action) or show its history",
        description="Change the CPP status of an invoice, or print its status history.",
    )
    actions_parsers = parser.add_subparsers(dest="status_command", required=True, metavar="ACTION")
    setter = actions_parsers.add_parser("set", help="apply a status to an invoice")
    setter.add_argument("invoice", metavar="INVOICE", help="CPP invoice id or SELLER:NUMBER")
    setter.add_argument("status", metavar="STATUS", help="status code (06) or name (SUSPENDUE)")
    setter.add_argument("--motif", metavar="CODE", help="motif code (REJETEE, SUSPENDUE)")
    setter.add_argument("--comment", metavar="TEXT", help="free comment (255 characters kept)")
    setter.add_argument("--mandate", metavar="NUMBER", help="mandate / DP number (MANDATEE)")
    setter.add_argument("--attach", metavar="FILE", type=Path, help="completing file (COMPLETEE)")
    setter.add_argument(
        "--as", dest="actor", choices=("recipient", "supplier"), default="recipient"
    )
    _common(setter)
    setter.set_defaults(handler=run_set)
    show = actions_parsers.add_parser("show", help="print the status history, newest first")
    show.add_argument("invoice", metavar="INVOICE", help="CPP invoice id or SELLER:NUMBER")
    _common(show)
    show.set_defaults(handler=run_show)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_config_argument(parser)


def find_invoice(store: Store, text: str) -> tuple[InvoiceRow | None, str]:
    """Resolve INVOICE: a CPP invoice id, or ``SELLER:NUMBER`` (newest invoice when several).

    Returns:
        ``(row, note)``: the row or None, and a note for the user ("" when nothing to say).
    """
    if text.strip().isascii() and text.strip().isdigit():
        row = store.invoice(int(text))
        return row, "" if row else f"no invoice with id {text.strip()}"
    seller, sep, number = text.partition(":")
    if not sep or not seller.strip() or not number.strip():
        return None, f"{text!r}: give a CPP invoice id or SELLER:NUMBER"
    rows = store.invoices_by_number(seller.strip(), number.strip())
    if not rows:
        return None, f"no invoice {number.strip()!r} from seller {seller.strip()!r}"
    if len(rows) == 1:
        return rows[0], ""
    others = ", ".join(str(r.id) for r in rows[:-1])
    return rows[-1], f"several invoices match; using the newest, id {rows[-1].id} ({others})"


def run_set(args: argparse.Namespace) -> int:
    """Apply one status; print what was done (or why not). Exit 0 / 1 refused / 2 error."""
    try:
        config = config_module.load(args.config)
        logs.configure_log_file_only(config, "status")  # status.applied / status.refused
        with Store(config.database) as store:
            row, note = find_invoice(store, args.invoice)
            if row is None:
                print(f"edi-gateway status: {note}", file=sys.stderr)
                return 2
            if note:
                print(f"edi-gateway status: {note}", file=sys.stderr)
            result = actions.apply(
                store,
                config,
                row.id,
                args.status,
                actor=args.actor,
                motif=args.motif,
                comment=args.comment,
                mandate=args.mandate,
                attachment=args.attach,
            )
    except GatewayError as exc:
        print(f"edi-gateway status: {exc}", file=sys.stderr)
        return 2
    if isinstance(result, Refusal):
        _print(
            args.format,
            {"refused": result.as_dict()},
            f"refused ({result.code}): {result.message}",
            sys.stderr,
        )
        return 1
    _print(args.format, applied_dict(row, result), applied_text(row, result), sys.stdout)
    return 0


def applied_dict(row: InvoiceRow, result: actions.Applied) -> dict[str, Any]:
    """JSON shape of an applied status."""
    return {
        "invoice_id": result.invoice_id,
        "number": row.number,
        "previous": {"code": result.previous.code, "name": result.previous.name},
        "status": {"code": result.status.code, "name": result.status.name},
        "reform_code": result.status.reform_code,
        "at": result.at,
        "id_flux": result.id_flux,
        "flows": [str(p) for p in result.flows],
        "attachment": str(result.attachment) if result.attachment else None,
        "reported_to_supplier": result.reported_to_supplier,
    }


def applied_text(row: InvoiceRow, result: actions.Applied) -> str:
    """Readable lines for an applied status."""
    lines = [
        f"invoice {result.invoice_id} ({printable(row.number)}): {result.previous.code} "
        f"{result.previous.name} -> {result.status.code} {result.status.name}"
    ]
    lines += [f"  status flow: {path}" for path in result.flows]
    if result.attachment:
        lines.append(f"  completing file kept as: {result.attachment}")
    if not result.reported_to_supplier:
        lines.append("  not reported to the supplier (statutMiseEnPaiementNestPasRemonte)")
    return "\n".join(lines)


def run_show(args: argparse.Namespace) -> int:
    """Print the history of one invoice, newest first. Exit 0, or 2 for an unknown invoice."""
    try:
        config = config_module.load(args.config)
        with Store(config.database) as store:
            row, note = find_invoice(store, args.invoice)
            if row is None:
                print(f"edi-gateway status: {note}", file=sys.stderr)
                return 2
            events = newest_first(store.events(row.id))
    except GatewayError as exc:
        print(f"edi-gateway status: {exc}", file=sys.stderr)
        return 2
    history = [history_item(e) for e in events]
    invoice = {
        "invoice_id": row.id,
        "number": row.number,
        "seller": row.seller_id or row.seller_key,
        "recipient_siret": row.recipient_siret,
        "service_code": row.service_code,
        "status": {"code": row.status_code, "name": row.status_name},
    }
    _print(
        args.format,
        {"invoice": invoice, "history": history},
        history_text(invoice, history),
        sys.stdout,
    )
    return 0


def newest_first(events: list[EventRow]) -> list[EventRow]:
    """Events newest first: by time (``at``, compared as instants), then by event id for events
    of the same time. :func:`edi_gateway.lifecycle.actions.apply` keeps time order equal to the
    order the
    statuses were applied in, so both readings agree; an unreadable time sorts last."""

    def key(event: EventRow) -> tuple[datetime, int]:
        try:
            moment = requests.event_time(event.at)
        except (TypeError, ValueError):
            moment = datetime.min.replace(tzinfo=UTC)
        return moment, event.id

    return sorted(events, key=key, reverse=True)


def history_item(event: EventRow) -> dict[str, Any]:
    """JSON shape of one history line (with the French label of the status)."""
    status = lifecycle.default().find(event.status_code)
    return {
        "code": event.status_code,
        "status": event.status_name,
        "label_fr": status.label_fr if status else None,
        "at": event.at,
        "actor": event.actor,
        "motif": event.motif,
        "comment": event.comment,
        "mandate": event.mandate,
        "reform_code": event.reform_code,
        "flow_file": event.flow_file,
    }


def history_text(invoice: dict[str, Any], history: list[dict[str, Any]]) -> str:
    """A fixed-width table, newest first, under one line about the invoice."""
    head = (
        f"invoice {invoice['invoice_id']} {printable(invoice['number'])} from "
        f"{printable(invoice['seller'])} to "
        f"{printable(recipient_label(invoice['recipient_siret'], invoice['service_code']))}: "
        f"{invoice['status']['code']} {invoice['status']['name']}"
    )
    lines = [head, "  ".join(t.ljust(w) for _, t, w in HISTORY_COLUMNS).rstrip()]
    for item in history:
        cells = dict(item, at=item["at"][:19].replace("T", " "))
        if item["mandate"]:
            cells["comment"] = " ".join(filter(None, (item["comment"], f"[{item['mandate']}]")))
        lines.append("  ".join(_cell(cells[k], w) for k, _, w in HISTORY_COLUMNS).rstrip())
    return "\n".join(lines)


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else printable(value)
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def _print(fmt: str, data: dict[str, Any], text: str, stream: Any) -> None:
    if fmt == "json":
        print(json_text(data, indent=2), file=stream)
    else:
        print(text, file=stream)
