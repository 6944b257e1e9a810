"""Where the status flows of one status change go, what they say, and its completing file.

Job: for a checked status change (:class:`StatusRequest`) on one invoice row, say which sides get
a CPPStatut status flow (interface ``FEN1200A``, the CPP invoice lifecycle flow to an EDI partner,
``../shared/domain/chorus-pro.md`` §1.3): the supplier's folder unless a structure flag withholds
it (``statutMiseEnPaiementNestPasRemonte``, §2.3), and also the recipient's folder when the
supplier acted; build the ``CPPFactureStatuts`` document of each side; and keep the completing
file beside the invoice's outputs. Input: the invoice row, the request, the configuration;
output: folders and receiver codes, flow bytes, the kept file's path. It never checks the
lifecycle table nor touches the store (that is :mod:`edi_gateway.lifecycle.actions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from edi_gateway.core import names
from edi_gateway.core.config import Config
from edi_gateway.core.errors import ConfigError
from edi_gateway.core.model import Envelope
from edi_gateway.lifecycle.table import Actor, Status
from edi_gateway.outputs import statusflow
from edi_gateway.outputs.delivery_plan import Plan
from edi_gateway.reception import structures
from edi_gateway.store import fluxid
from edi_gateway.store.records import InvoiceRow

# structure flags a status row may name in supplier_flow_unless -> Structure attribute
STRUCTURE_FLAGS = {"statutMiseEnPaiementNestPasRemonte": "payment_status_not_reported"}


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusRequest:
    """One status change as :func:`edi_gateway.lifecycle.actions.apply` checked and normalised it.

    Attributes:
        target: the requested status.
        actor: who sets it.
        motif: motif code (upper case) or None.
        comment: free comment, already cut to the table's ``comment_max``, or None.
        mandate: mandate / payment-request number (IdMandatDP) or None.
        at: when the status was set (timezone-aware); None: when the transaction applies it.
        attachment: the completing file as ``(file name, content)``, or None.
        recipient_code: application code of the recipient-side partner, or None.
        outbound: the gateway's outbound folder.
    """

    target: Status
    actor: Actor
    motif: str | None
    comment: str | None
    mandate: str | None
    at: datetime | None  # None: the time the transaction applies it
    attachment: tuple[str, bytes] | None  # (file name, content)
    recipient_code: str | None
    outbound: Path


def sides(
    config: Config,
    row: InvoiceRow,
    request: StatusRequest,
    reported: bool,
) -> list[tuple[Path, str]]:
    """Return ``(folder, receiver application code)`` of each status flow to write.

    The supplier side first (when ``reported``), then the recipient side when the supplier
    acted (COMPLETEE). Raises ConfigError when no invoices channel exists to address it to.
    """
    supplier_code = _supplier_code(config, row)
    found: list[tuple[Path, str]] = []
    if reported:
        seller = row.seller_id or row.seller_key
        found.append((names.supplier_folder(config.outbound, seller, supplier_code), supplier_code))
    if request.actor is Actor.SUPPLIER:
        folder = names.recipient_folder(config.outbound, row.recipient_siret, row.service_code)
        found.append((folder, request.recipient_code or _recipient_code(config, supplier_code)))
    return found


def reported_to_supplier(
    config: Config,
    row: InvoiceRow,
    target: Status,
    directory: structures.Directory | None,
) -> bool:
    """Say whether ``target`` on this invoice is reported to the supplier.

    False when the status row names a structure flag (``supplier_flow_unless``) that is true on
    the invoice's recipient structure (``statutMiseEnPaiementNestPasRemonte``, chorus-pro.md
    §2.3). ``directory`` is read from ``config.structures`` when None.

    Raises:
        ConfigError: an unknown structure flag in the table, or a broken structures file.
    """
    flag = target.supplier_flow_unless
    if flag is None:
        return True
    attribute = STRUCTURE_FLAGS.get(flag)
    if attribute is None:
        raise ConfigError(f"lifecycle table: unknown structure flag {flag!r} on {target.name}")
    if directory is None:
        directory = structures.load(config.structures)
    structure = directory.structure(row.recipient_siret)
    return not (structure is not None and getattr(structure, attribute))


def _supplier_code(config: Config, row: InvoiceRow) -> str:
    """Application code of the channel the invoice came in on (the supplier's partner code)."""
    channel = None
    if row.id_flux and fluxid.is_id_flux(row.id_flux):
        channel = next(
            (c for c in config.all_channels if c.application_code == row.id_flux[:6]), None
        )
    if channel is None:
        channel = next((c for c in config.channels if c.accepts == "invoices"), None)
    if channel is None:
        raise ConfigError(f"{config.path}: no invoices channel to address status flows to")
    return channel.application_code


def _recipient_code(config: Config, fallback: str) -> str:
    channel = next((c for c in config.channels if c.accepts == "recipient-status"), None)
    return channel.application_code if channel else fallback


def attachment_file(
    row: InvoiceRow, request: StatusRequest, id_flux: str
) -> tuple[Path, bytes] | None:
    """Where the completing file goes (beside the invoice's outputs, ``<IdFlux>__<its name>``)
    and its bytes, or None when the request carries no file. Nothing is written here."""
    if request.attachment is None:
        return None
    folder = names.recipient_folder(request.outbound, row.recipient_siret, row.service_code)
    name, data = request.attachment
    return folder / names.archive_name(id_flux, name), data


def flow(
    row: InvoiceRow, request: StatusRequest, moment: datetime, id_flux: str, receiver: str
) -> bytes:
    """The CPPStatut ``CPPFactureStatuts`` document of one status change (one unit).

    ``IdStatut`` = status code, ``ComplementStatut`` = motif, ``Commentaire`` = comment or the
    status's French label, ``IdMandatDP`` = mandate, ``Producteur`` = recipient SIRET or seller id
    (``docs/lifecycle.md``); ``receiver`` is ``Recepteur/Id``. Valid against
    ``CPPStatutPivot_V1_19.xsd``.
    """
    envelope = Envelope(
        seller_id=row.seller_id,
        seller_id_scheme=row.seller_scheme,
        seller_siren=row.seller_key,
        seller_name=row.seller_name,
    )
    producer = row.recipient_siret if request.actor is Actor.RECIPIENT else None
    if request.actor is Actor.SUPPLIER:
        producer = row.seller_id or row.seller_key
    status = statusflow.InvoiceStatus(
        supplier=statusflow.supplier_from_envelope(envelope),
        debtor=statusflow.Debtor(siret=row.recipient_siret, service_code=row.service_code),
        code=request.target.code,
        at=moment,
        invoice_number=row.number,
        invoice_date=date.fromisoformat(row.issue_date) if row.issue_date else None,
        complement=request.motif,
        comment=request.comment or request.target.label_fr,
        mandate=request.mandate,
        producer=producer,
    )
    return statusflow.invoice_statuses([status], id_flux=id_flux, receiver_id=receiver)


def plan_files(
    plan: Plan,
    row: InvoiceRow,
    request: StatusRequest,
    sides: list[tuple[Path, str]],
    id_flux: str,
    moment: datetime,
) -> Path | None:
    """Add this change's files to ``plan``: the completing file (first, when there is one),
    then one CPPStatut FEN1200A flow per side (``(folder, application code)``, as
    :func:`sides` gives them) under IdFlux ``id_flux``.

    Returns:
        the completing file's planned path, or None.
    """
    attached = attachment_file(row, request, id_flux)
    kept = plan.add(*attached) if attached else None
    for folder, code in sides:
        name = names.flow_name(names.INVOICE_STATUS_INTERFACE, code, id_flux)
        plan.add(folder / name, flow(row, request, moment, id_flux, code))
    return kept
