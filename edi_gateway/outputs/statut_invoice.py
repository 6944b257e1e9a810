"""Invoice statuses: CPPStatut ``CPPFactureStatuts`` (interface ``FEN1200A``).

Job: turn invoice statuses (01 Déposée, 02 En cours d'acheminement, 03 Mise à disposition, ...
with their supplier ``Fournisseur`` and public recipient ``Debiteur``) into one CPPStatut
document, and build the ``Fournisseur`` block from an invoice envelope. Input:
:class:`InvoiceStatus` records, IdFlux, the supplier-side application code -> output: UTF-8 XML
valid against ``CPPStatutPivot_V1_19.xsd``. It never writes files and never decides which status
an invoice reaches (that is :mod:`edi_gateway.lifecycle.table`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from edi_gateway.core.model import Envelope
from edi_gateway.outputs.statut_envelope import (
    aware,
    optional,
    root,
    serialise,
    sub,
    text,
    timestamp,
)

# Invoice status labels, CPPStatutPivot_V1_19.xsd annotation of IdStatut (01..12).
INVOICE_STATUS_LABELS = {
    "01": "Déposée",
    "02": "En cours d'acheminement vers le destinataire",
    "03": "Mise à disposition du destinataire",
    "04": "Rejetée par l'ordonnateur pour erreur de données d'acheminement",
    "05": "Rejetée par l'ordonnateur pour autre motif",
    "06": "Suspendue",
    "07": "Service fait",
    "08": "Mandatée / DP validée",
    "09": "Mise à disposition du comptable",
    "10": "Comptabilisée",
    "11": "Mise en paiement",
    "12": "Complétée",
}

# CPP identifier type (Fournisseur/TypeIdentifiant) from the BT-29-1 scheme (§2.1).
_SCHEME_TYPE = {
    "0009": "1",
    "1": "1",
    "SIRET": "1",
    "0223": "2",
    "2": "2",
    "0227": "3",
    "3": "3",
    "0228": "4",
    "4": "4",
    "0229": "5",
    "5": "5",
    "0226": "7",
    "7": "7",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Supplier:
    """``Fournisseur`` block: CPP identifier type 1..7, identifier, name, ISO country code."""

    type_code: str
    identifier: str
    name: str
    country: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Debtor:
    """``Debiteur`` block: the public recipient, always a 14-digit SIRET (type 1)."""

    siret: str
    name: str | None = None
    service_code: str | None = None
    service_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceStatus:
    """One ``CPPFactureStatutUnitaire``.

    Attributes:
        supplier, debtor: the parties of the invoice.
        code: CPP status ``IdStatut`` (two digits, ``01`` .. ``41``).
        at: when the status was set (timezone-aware; naive values are taken as UTC).
        invoice_number: ``IdFacture``, the invoice number BT-1 at its producer.
        invoice_date: ``DateFacture`` (BT-2) when known.
        complement: ``ComplementStatut``: the motif (reason code) of a rejection, suspension ...
        comment: ``Commentaire``: free text.
        mandate: ``IdMandatDP``: the recipient's mandate / payment-request number.
        producer: ``Producteur/@Id``: who set the status (``platform``, a recipient code ...).
    """

    supplier: Supplier
    debtor: Debtor
    code: str
    at: datetime
    invoice_number: str
    invoice_date: date | None = None
    complement: str | None = None
    comment: str | None = None
    mandate: str | None = None
    producer: str | None = None


def supplier_from_envelope(envelope: Envelope) -> Supplier:
    """Build the ``Fournisseur`` block from BT-29 / BT-29-1 / BT-30 / BT-27 / BT-40.

    The type is the CPP code of the scheme (0009 SIRET -> 1, 0223 -> 2, 0227 -> 3, 0228 -> 4,
    0229 -> 5, 0226 -> 7; §2.1 of the domain facts); a 14-digit id without scheme is a SIRET;
    anything else is 6 (other). When BT-29 is absent the SIREN (BT-30) is used, with type 6.
    """
    identifier = envelope.seller_id or envelope.seller_siren or ""
    scheme = (envelope.seller_id_scheme or "").upper() if envelope.seller_id else ""
    type_code = _SCHEME_TYPE.get(scheme)
    if type_code is None:
        type_code = "1" if identifier.isdigit() and len(identifier) == 14 else "6"
    country = envelope.seller_country if envelope.seller_country else None
    return Supplier(
        type_code=type_code,
        identifier=identifier,
        name=envelope.seller_name or "",
        country=country if country and len(country) == 2 else None,
    )


def invoice_statuses(
    statuses: Sequence[InvoiceStatus],
    *,
    id_flux: str,
    receiver_id: str,
    produced_at: datetime | None = None,
) -> bytes:
    """Build a ``CPPFactureStatuts`` document with one unit per status, in the order given.

    Args:
        statuses: at least one status.
        id_flux: ``IdFlx`` of the envelope (the flux the statuses are about or come from).
        receiver_id: ``Recepteur/Id``, the supplier-side partner application code (3-8 chars).
        produced_at: ``DtPrd`` (now, UTC, when None).

    Returns:
        The UTF-8 XML document, valid against ``CPPStatutPivot_V1_19.xsd``.

    Raises:
        ValueError: no status given (the schema needs at least one unit).
    """
    if not statuses:
        raise ValueError("a CPPFactureStatuts document needs at least one status")
    top = root(id_flux, receiver_id, aware(produced_at))
    block = sub(top, "CPPFactureStatuts", compteur=str(len(statuses)))
    for index, status in enumerate(statuses, start=1):
        _invoice_unit(sub(block, "CPPFactureStatutUnitaire", NumOrdre=str(index)), status)
    return serialise(top)


def _invoice_unit(unit: etree._Element, status: InvoiceStatus) -> None:
    supplier = sub(unit, "Fournisseur")
    text(supplier, "TypeIdentifiant", status.supplier.type_code)
    text(supplier, "Identifiant", status.supplier.identifier)
    text(supplier, "RaisonSociale", status.supplier.name)
    if status.supplier.country:
        text(supplier, "CodePays", status.supplier.country)
    debtor = sub(unit, "Debiteur")
    text(debtor, "TypeIdentifiant", "1")
    text(debtor, "Identifiant", status.debtor.siret)
    optional(debtor, "Nom", status.debtor.name)
    optional(debtor, "CodeService", status.debtor.service_code and status.debtor.service_code[:100])
    optional(debtor, "NomService", status.debtor.service_name)
    data = sub(unit, "DonneesStatut")
    text(data, "IdStatut", status.code)
    optional(data, "ComplementStatut", status.complement)
    comment = status.comment or INVOICE_STATUS_LABELS.get(status.code)
    optional(data, "Commentaire", comment)
    text(data, "Horodatage", timestamp(aware(status.at)))
    if status.producer:
        sub(data, "Producteur", Id=status.producer)
    text(data, "IdFacture", status.invoice_number)
    if status.invoice_date:
        text(data, "DateFacture", status.invoice_date.isoformat())
    optional(data, "IdMandatDP", status.mandate)
