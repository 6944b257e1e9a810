"""Apply a status to an invoice: check it against the lifecycle table, store it, emit the flows.

One call = one status change (Chorus Pro ``factures/v1/traiter/recue`` for the recipient,
"compléter" for the supplier; ``../shared/domain/chorus-pro.md`` §3.2-§3.3):

1. the request is normalised and checked (:mod:`edi_gateway.lifecycle.requests`: transition,
   actor, motif, mandate number, completing file, time order); a refusal comes back as a
   :class:`~edi_gateway.lifecycle.refusals.Refusal`;
2. one store transaction moves the invoice (optimistic check on ``invoice.version``), writes the
   CPPStatut status flows (interface ``FEN1200A``, :mod:`edi_gateway.lifecycle.flows`: to the
   supplier's folder, and also to the recipient's when the supplier acted) and appends the event;
   all or none: when anything fails before the commit, every file of this change is removed;
3. when another writer changed the invoice in between, the request is checked again against the
   new status and applied after it, or refused (never half-applied).

A status stamped "now" is stamped no earlier than the invoice's latest event, so ordering the
history by time (then event id) is always the order it was applied in. A structure with
``statutMiseEnPaiementNestPasRemonte`` does not report MISE_EN_PAIEMENT to the supplier: the event
is stored, no supplier flow is written (``docs/lifecycle.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from edi_gateway.core import names
from edi_gateway.core.config import Config
from edi_gateway.lifecycle import flows as lifecycle_flows
from edi_gateway.lifecycle import requests
from edi_gateway.lifecycle.flows import STRUCTURE_FLAGS as STRUCTURE_FLAGS
from edi_gateway.lifecycle.flows import StatusRequest
from edi_gateway.lifecycle.refusals import Refusal
from edi_gateway.lifecycle.table import Actor, Lifecycle, Status
from edi_gateway.lifecycle.table import default as default_table
from edi_gateway.outputs.delivery_plan import Plan
from edi_gateway.reception import structures
from edi_gateway.store import fluxid
from edi_gateway.store.connection import Transaction
from edi_gateway.store.database import Store
from edi_gateway.store.records import InvoiceRow

ATTEMPTS = 5  # optimistic retries when another writer moved the invoice first

log = structlog.get_logger("edi_gateway.lifecycle.actions")


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied:
    """A status that was applied.

    Attributes:
        invoice_id: CPP invoice id.
        status: the new status.
        previous: the status it replaced.
        event_id: the ``status_event`` row.
        at: when the status was set (ISO 8601 UTC).
        id_flux: IdFlux of the status flow, None when no flow was written.
        flows: status flow files written (supplier side first).
        attachment: where the completing file was kept, if any.
        reported_to_supplier: False when a structure flag withheld the supplier flow.
    """

    invoice_id: int
    status: Status
    previous: Status
    event_id: int
    at: str
    id_flux: str | None
    flows: tuple[Path, ...] = ()
    attachment: Path | None = None
    reported_to_supplier: bool = True


def apply(
    store: Store,
    config: Config,
    invoice_id: int,
    target: str,
    *,
    actor: Actor | str,
    motif: str | None = None,
    comment: str | None = None,
    mandate: str | None = None,
    at: datetime | None = None,
    attachment: Path | None = None,
    table: Lifecycle | None = None,
    directory: structures.Directory | None = None,
    recipient_code: str | None = None,
) -> Applied | Refusal:
    """Apply status ``target`` to invoice ``invoice_id`` on behalf of ``actor``.

    Args:
        store: an open store (each process or thread its own).
        config: gateway configuration (outbound folder, channels, structures file).
        invoice_id: CPP invoice id (``invoice.id``).
        target: status code (``"06"``) or name (``"SUSPENDUE"``).
        actor: ``recipient``, ``supplier`` or ``platform``.
        motif: motif code (REJETEE, SUSPENDUE: required; A_RECYCLER: optional).
        comment: free text, cut at 255 characters.
        mandate: mandate / payment-request number (IdMandatDP), MANDATEE only.
        at: when the status was set (timezone-aware; naive is UTC); now when None.
        attachment: completing file (COMPLETEE: required), copied beside the invoice's outputs.
        table: lifecycle table (the shipped one when None).
        directory: structures directory (read from ``config.structures`` when None).
        recipient_code: application code of the recipient-side partner (the recipient-status
            channel the file came in on); the first ``recipient-status`` channel when None.

    Returns:
        :class:`Applied`, or a :class:`Refusal` (``20002`` transition, ``GW-LC-0n`` details,
        ``GW-LC-07`` invoice unknown, ``GW-LC-08`` completing file unreadable, no regular
        file or larger than ``validation.max_file_bytes`` (checked before it is read), ``GW-LC-10``
        ``at`` earlier than the invoice's latest event).

    Raises:
        ConfigError: a broken structures file or an unknown structure flag in the table.
        StateError / OutputError: the store or a flow file could not be written (nothing stored).
    """
    table = table or default_table()
    request = requests.build_request(
        table,
        target,
        actor=actor,
        motif=motif,
        comment=comment,
        mandate=mandate,
        at=at,
        attachment=attachment,
        recipient_code=recipient_code,
        outbound=config.outbound,
        max_file_bytes=config.max_file_bytes,
    )
    if isinstance(request, Refusal):
        return request
    id_flux: list[str] = []  # issued once, kept across retries
    for _ in range(ATTEMPTS):
        outcome = _attempt(store, config, table, invoice_id, request, directory, id_flux)
        if outcome is not None:
            return outcome
    return Refusal(
        code="GW-LC-09",
        message=f"invoice {invoice_id} kept changing under this request; try again",
        message_fr=f"la facture {invoice_id} a changé pendant la demande ; réessayer",
        target=request.target.name,
    )


def _attempt(
    store: Store,
    config: Config,
    table: Lifecycle,
    invoice_id: int,
    request: StatusRequest,
    directory: structures.Directory | None,
    id_flux: list[str],
) -> Applied | Refusal | None:
    """One optimistic try of :func:`apply` on the invoice as it is now; None = another writer
    moved it first (try again). ``id_flux`` holds the IdFlux once issued (appended here)."""
    checked = _checked(store, table, invoice_id, request)
    if isinstance(checked, Refusal):
        return checked
    row, latest = checked
    reported = lifecycle_flows.reported_to_supplier(config, row, request.target, directory)
    sides = lifecycle_flows.sides(config, row, request, reported)
    if sides and not id_flux:
        interface = names.interface_number(names.INVOICE_STATUS_INTERFACE)
        id_flux.append(
            fluxid.new_id_flux(
                store, sides[0][1], interface, instance=config.instance, outbound=config.outbound
            )
        )
    applied = _commit(
        store, table, row, request, sides, id_flux[0] if id_flux else None, reported, latest
    )
    if applied is not None:
        log.info(
            "status.applied",
            invoice_id=invoice_id,
            status=request.target.name,
            actor=str(request.actor),
            id_flux=applied.id_flux,
            flows=len(applied.flows),
        )
    return applied


def _checked(
    store: Store, table: Lifecycle, invoice_id: int, request: StatusRequest
) -> tuple[InvoiceRow, datetime | None] | Refusal:
    """The invoice as it is now and its latest event time, or why ``request`` is refused on
    it (GW-LC-07 unknown invoice, the table's refusal, GW-LC-10; logged ``status.refused``)."""
    row = store.invoice(invoice_id)
    if row is None:
        return Refusal(
            code="GW-LC-07",
            message=f"no invoice with id {invoice_id}",
            message_fr=f"aucune facture d'identifiant {invoice_id}",
        )
    latest = requests.latest_event_time(store, invoice_id)
    refusal = requests.check(table, row, request) or requests.time_order(
        table, row, request, latest
    )
    if refusal is not None:  # the sender's problem: warning (docs/operations.md)
        log.warning(
            "status.refused",
            invoice_id=invoice_id,
            code=refusal.code,
            current=refusal.current,
            target=refusal.target,
            actor=str(request.actor),
        )
        return refusal
    return row, latest


def _commit(
    store: Store,
    table: Lifecycle,
    row: InvoiceRow,
    request: StatusRequest,
    sides: list[tuple[Path, str]],
    id_flux: str | None,
    reported: bool,
    latest: datetime | None,
) -> Applied | None:
    """One transaction: optimistic update, flow files, attachment, event. None = lost race.

    All or none: the flow files and the attachment are written inside the transaction, and
    when anything fails before it commits (a write, recording the event) the row rolls back
    and every file of this change already written is removed (as ``Delivery.commit`` does for
    a flux). Without an explicit time the status is stamped now, or at ``latest`` (the
    invoice's latest event) when that is later (an event a recipient dated a little ahead of
    our clock).

    Raises:
        StateError / OutputError: nothing is recorded and no file of this change stays.
    """
    plan = Plan(root=request.outbound)
    try:
        with store.transaction() as db:
            now = datetime.now(UTC)
            moment = request.at or (max(now, latest) if latest else now)
            at = requests.utc(moment)
            moved = store.set_invoice_status(
                db,
                row.id,
                version=row.version,
                status_code=request.target.code,
                status_name=request.target.name,
                updated_at=at,
            )
            if not moved:
                return None
            kept = lifecycle_flows.plan_files(plan, row, request, sides, id_flux or "", moment)
            plan.write_all()
            flows = plan.paths[1:] if kept else plan.paths
            event_id = _add_event(store, db, row, request, at, id_flux if flows else None, flows)
    except BaseException:
        plan.remove_all()
        raise
    return Applied(
        invoice_id=row.id,
        status=request.target,
        previous=table.status(row.status_code),
        event_id=event_id,
        at=at,
        id_flux=id_flux if flows else None,
        flows=flows,
        attachment=kept,
        reported_to_supplier=reported,
    )


def _add_event(
    store: Store,
    db: Transaction,
    row: InvoiceRow,
    request: StatusRequest,
    at: str,
    id_flux: str | None,
    flows: tuple[Path, ...],
) -> int:
    """Append the ``status_event`` row of this change in transaction ``db``; return its id."""
    return store.add_event(
        db,
        invoice_id=row.id,
        status_code=request.target.code,
        status_name=request.target.name,
        at=at,
        actor=str(request.actor),
        motif=request.motif,
        comment=request.comment,
        mandate=request.mandate,
        reform_code=request.target.reform_code,
        id_flux=id_flux,
        flow_file=str(flows[0]) if flows else None,
    )
