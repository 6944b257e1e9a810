"""What a portal user may see, and the facts a page shows about a flux.

Job: the rights of a portal user (:func:`can_see_flux`, :func:`can_see_invoice`: a supplier
user sees the fluxes and invoices of its supplier structures, and what was deposited on the
portal for them; a recipient user the invoices and fluxes routed to its structures and services),
the lists of a user (:func:`fluxes_of`, :func:`invoices_of`), and a flux's path through the
stages (:func:`path_of`) from its ``flux`` row and its log lines, with the time of each step.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any

from edi_gateway.core import names
from edi_gateway.core.config import Config
from edi_gateway.store.database import Store
from edi_gateway.store.records import FluxRow, InvoiceRow
from edi_gateway.web.portal.users import User

LOG_TAIL_BYTES = 8 * 1024 * 1024  # a flux's log lines are looked for in the log's last 8 MiB


def portal_account(siret: str) -> str:
    """The ``deposit.account`` of a flux deposited on the portal for supplier ``siret``."""
    return f"portail:{siret}"


PAGE = 50  # rows per page of a portal list


def fluxes_of(store: Store, user: User, limit: int = PAGE, page: int = 0) -> list[FluxRow]:
    """The fluxes ``user`` follows, newest first: page ``page`` (0-based) of ``limit`` rows."""
    sellers = user.sirets("factures_emises")
    rows = store.fluxes_of_parties(
        sellers=sellers,
        recipients=user.sirets("factures_recues"),
        accounts=[portal_account(s) for s in sellers],
        limit=limit,
        offset=page * limit,
    )
    return [r for r in rows if can_see_flux(store, user, r)]


def can_see_flux(store: Store, user: User, row: FluxRow) -> bool:
    """Whether ``user`` may see flux ``row``."""
    if user.sends_for(row.seller_id) or user.receives(row.recipient_siret, row.service_code):
        return True
    deposit = store.deposit(row.id_flux)
    sellers = user.sirets("factures_emises")
    return deposit is not None and deposit.account in {portal_account(s) for s in sellers}


def can_see_invoice(user: User, row: InvoiceRow) -> str | None:
    """``recipient`` or ``supplier`` when ``user`` sees ``row`` on that side (recipient first),
    else None."""
    if user.receives(row.recipient_siret, row.service_code):
        return "recipient"
    if user.sends_for(row.seller_id):
        return "supplier"
    return None


def invoices_of(
    store: Store, user: User, side: str, status: str | None = None, page: int = 0
) -> list[InvoiceRow]:
    """The invoices ``user`` sees on ``side`` (``recipient`` or ``supplier``), newest first,
    page ``page`` (0-based) of :data:`PAGE` rows (a user limited to some services may see
    fewer on a page: the others' rows are left out)."""
    if side == "recipient":
        rows = store.invoices_of_parties(
            sellers=[],
            recipients=user.sirets("factures_recues"),
            status=status,
            limit=PAGE,
            offset=page * PAGE,
        )
        return [r for r in rows if user.receives(r.recipient_siret, r.service_code)]
    return store.invoices_of_parties(
        sellers=user.sirets("factures_emises"),
        recipients=[],
        status=status,
        limit=PAGE,
        offset=page * PAGE,
    )


def log_lines(config: Config, id_flux: str) -> list[dict[str, Any]]:
    """The JSON log lines of ``id_flux`` found in the last :data:`LOG_TAIL_BYTES` of the log."""
    found = []
    with contextlib.suppress(OSError), config.log_file.open("rb") as log:
        size = os.fstat(log.fileno()).st_size
        log.seek(max(0, size - LOG_TAIL_BYTES))
        needle = id_flux.encode()
        for raw in log:
            if needle in raw:
                with contextlib.suppress(ValueError):
                    line = json.loads(raw)
                    if line.get("id_flux") == id_flux:
                        found.append(line)
    return found


STEPS = (
    ("flux.claimed", "Reçu", "Received"),
    ("flux.detected", "Syntaxe reconnue", "Syntax detected"),
    ("flux.validated", "Contrôles XSD et Schematron", "XSD and Schematron checks"),
    ("flux.inadmissible", "Irrecevable", "Inadmissible"),
    ("flux.rejected", "Rejeté par les règles de réception", "Rejected by the reception rules"),
    ("flux.routed", "Routé vers la structure", "Routed to the structure"),
    ("status.emitted", "Statuts écrits", "Statuses written"),
    ("flux.done", "Terminé", "Done"),
)
FAILED = ("flux.inadmissible", "flux.rejected")  # shown only when they happened, in red


def path_of(config: Config, row: FluxRow) -> list[dict[str, Any]]:
    """The steps of a flux, in order: event, French and English labels, time (``HH:MM:SS.mmm``
    UTC, None when the step did not happen or its line is no longer in the log), details, and
    ``failed`` (the inadmissible / rejected step, present only when it happened)."""
    lines = log_lines(config, row.id_flux)
    steps = []
    for event, fr, en in STEPS:
        hits = [x for x in lines if x.get("event") == event]
        if event in FAILED and not hits:
            continue
        first = hits[0] if hits else {}
        stamp = str(first.get("timestamp", ""))[11:23] or None
        steps.append(
            {
                "event": event,
                "fr": fr,
                "en": en,
                "at": stamp,
                "details": _details(event, hits),
                "failed": event in FAILED,
            }
        )
    if steps[0]["at"] is None:
        steps[0]["at"] = row.received_at[11:23]
    return steps


def _details(event: str, hits: list[dict[str, Any]]) -> str:
    if not hits:
        return ""
    line = hits[0]
    if event == "flux.detected":
        return " · ".join(
            str(line.get(k)) for k in ("syntax", "profile", "flux_syntax") if line.get(k)
        )
    if event == "flux.validated":
        layers = ", ".join(line.get("layers", []))
        return f"{line.get('validation')} ({layers}) {line.get('scenario') or ''}".strip()
    if event == "flux.routed":
        return f"{line.get('recipient')} / {line.get('service_code') or '-'}"
    if event == "status.emitted":
        return ", ".join(str(h.get("status") or h.get("statuses")) for h in hits)
    if event == "flux.done":
        return f"{line.get('verdict')} {line.get('reason') or ''}".strip()
    if event in FAILED:
        return f"{line.get('reason') or ''} {', '.join(line.get('rules', [])[:3])}".strip()
    return str(line.get("channel", ""))


def download_path(config: Config, row: FluxRow, index: int) -> Path | None:
    """Output ``index`` of the flux (0-based in ``outputs``) when it is a file inside
    ``outbound/`` or the state folder, else None."""
    if not 0 <= index < len(row.outputs):
        return None
    path = Path(row.outputs[index]).resolve()
    roots = (config.outbound.resolve(), config.state_dir.resolve(), config.shared_dir.resolve())
    inside = any(root in path.parents for root in roots)
    return path if inside and path.is_file() else None


_NAMESPACE_TEST = re.compile(r"\[namespace-uri\(\)='[^']*'\]|\*:|\[1\]")


def short_where(text: str | None) -> str:
    """A report line's location for people: the XPath without its namespace tests and ``[1]``
    (``/CrossIndustryInvoice/SupplyChainTradeTransaction/...``)."""
    return _NAMESPACE_TEST.sub("", text or "")


_LINE = re.compile(r"ligne (\d+)")
EXCERPT_BYTES = 5 * 1024 * 1024  # an original larger than this is not shown line by line


def original_path(config: Config, row: FluxRow) -> Path | None:
    """Where the flux's original is kept (``var/archive`` or ``var/error``), if it is."""
    name = names.archive_name(row.id_flux, row.original_name)
    return next(
        (d / name for d in (config.archive_dir, config.error_dir) if (d / name).is_file()), None
    )


def original_lines(config: Config, row: FluxRow) -> list[str]:
    """The lines of an XML original (UTF-8, undecodable bytes replaced); [] for a PDF, a file
    too large, or an original no longer kept."""
    path = original_path(config, row)
    with contextlib.suppress(OSError):
        if path is not None and path.stat().st_size <= EXCERPT_BYTES:
            data = path.read_bytes()
            if not data.startswith(b"%PDF"):
                return data.decode("utf-8", "replace").splitlines()
    return []


def excerpt(lines: list[str], where: str | None, around: int = 2) -> list[tuple[int, str, bool]]:
    """The file's own lines around the line a finding names (``ligne N`` in its description):
    ``(number, text cut at 300 characters, is the finding's line)``; [] when there is none."""
    found = _LINE.search(where or "")
    if not found or not lines:
        return []
    line = int(found.group(1))
    first, last = max(1, line - around), min(len(lines), line + around)
    return [(n, lines[n - 1][:300], n == line) for n in range(first, last + 1)]
