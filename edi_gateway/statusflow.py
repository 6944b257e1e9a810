"""CPPStatut status flows (AIFE schema ``CPPStatutPivot_V1_19.xsd``), built with lxml.

Two documents, both root ``CPPStatut`` (no namespace, attribute ``Version``) with an
``Enveloppe`` (parameters ``DtPrd`` production date and ``IdFlx`` flux id; partners ``Emetteur``
= the platform, ``Recepteur`` = the partner's application code):

* :func:`flux_report`: ``CPPFluxStatuts``, the integration report of one received flux
  (interface ``CSO…``, the inbound interface code with ``F`` turned into ``C``). Status 90
  "Reçu" when the invoice was integrated, 93 "Erreur réception" when it was rejected or the flux
  was inadmissible, with one ``LigneErreurDetail`` per finding.
* :func:`invoice_statuses`: ``CPPFactureStatuts``, statuses of invoices (interface
  ``FEN1200A``): 01 Déposée, 02 En cours d'acheminement, 03 Mise à disposition, ...

Where each value goes (our choice, the schema annotations are silent; see ``docs/outputs.md``):

* flux ``ComplementStatut`` (≤ 40 characters): the reason code, ``IRR_*`` for an inadmissible
  flux (irrecevabilité) or ``REJ_*`` / ``DEST_INC`` / ``SE_ERR`` / ``EJ_ERR`` ... for a rejected
  invoice (rejet) (``../shared/domain/chorus-pro.md`` §4.1, §4.3); absent when integrated.
* flux ``Note``: the CPP deposit-flux state (``IN_INTEGRE``, ``IN_REJETE``, ``IN_INCIDENTE``, §3.1).
* ``NatureErreur``: ``IRRECEVABILITE`` / ``REJET`` for errors, ``AVERTISSEMENT``, ``INFORMATION``.
* ``CodeErreur``: the rule id (``BR-CO-10``, ``SCHEMAV_ELEMENT_CONTENT``, ``GW-CPP-03`` ...).
* ``LibelleErreur``: the finding message; ``DescriptionErreur``: layer, line and XPath location.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from lxml import etree

from edi_gateway.model import Envelope, Finding, Severity, Verdict

VERSION = "V1_19"
PLATFORM_ID = "CPP001"  # Emetteur/Id of every flow the gateway writes (as real CPP flows do)
PLATFORM_LABEL = "CPP"
MAX_DETAIL_LINES = 200
MAX_TEXT = 2000

FLUX_RECEIVED = "90"
FLUX_RECEPTION_ERROR = "93"
FLUX_STATE = {
    Verdict.ACCEPTED: "IN_INTEGRE",
    Verdict.REJECTED: "IN_REJETE",
    Verdict.INADMISSIBLE: "IN_INCIDENTE",
}
NATURE = {
    Severity.WARNING: "AVERTISSEMENT",
    Severity.INFO: "INFORMATION",
}

# Flux irrecevabilité reasons (§4.3, PPF Tableau 3) by the rule id of the first error finding.
INADMISSIBLE_REASONS = {
    "GW-DETECT-01": "IRR_VIDE_F",  # empty file
    "GW-XML-03": "IRR_VIDE_F",  # empty (e.g. an empty attachment)
    "GW-DETECT-02": "IRR_TYPE_F",  # neither XML nor PDF
    "GW-DETECT-03": "IRR_TYPE_F",  # a document that is no invoice CPP takes
    "GW-VAL-01": "IRR_TYPE_F",
    "GW-PDF-03": "IRR_TYPE_F",  # PDF without invoice XML
    "GW-XML-04": "IRR_TAILLE_F",  # larger than validation.max_file_bytes
    "CPP-DUP-02": "IRR_UNCITE",  # the same bytes were already deposited
}
DEFAULT_INADMISSIBLE_REASON = "IRR_SYNTAX"  # not well-formed, DOCTYPE, XSD-invalid, broken PDF


def inadmissible_reason(findings: Sequence[Finding]) -> str:
    """Reason code of an inadmissible flux: the code of the first error finding whose rule is
    in :data:`INADMISSIBLE_REASONS`, else ``IRR_SYNTAX``."""
    for finding in findings:
        if finding.severity is Severity.ERROR and finding.rule in INADMISSIBLE_REASONS:
            return INADMISSIBLE_REASONS[finding.rule]
    return DEFAULT_INADMISSIBLE_REASON


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


def flux_report(
    *,
    id_flux: str,
    receiver_id: str,
    verdict: Verdict,
    reason: str | None = None,
    findings: Sequence[Finding] = (),
    comment: str | None = None,
    produced_at: datetime | None = None,
    max_lines: int = MAX_DETAIL_LINES,
) -> bytes:
    """Build the integration report (``CPPFluxStatuts``) of one received flux.

    Args:
        id_flux: the IdFlux of the received flux (``IdFlx`` and ``DonneesStatut/IdFlux``).
        receiver_id: ``Recepteur/Id``, the depositing partner's application code (3-8 chars).
        verdict: accepted -> 90 Reçu; rejected or inadmissible -> 93 Erreur réception.
        reason: reason code for ``ComplementStatut`` (``IRR_*`` inadmissible, ``REJ_*`` ...
            rejected); ignored when accepted. Cut at 40 characters (XSD maxLength).
        findings: every finding; errors first, then warnings, then information, at most
            ``max_lines`` lines, then one line saying how many more were left out.
        comment: ``Commentaire`` (a default French sentence is written when None).
        produced_at: ``Horodatage`` and ``DtPrd`` (now, UTC, when None).
        max_lines: cap on ``LigneErreurDetail`` lines before the summary line.

    Returns:
        The UTF-8 XML document, valid against ``CPPStatutPivot_V1_19.xsd``.
    """
    when = _aware(produced_at)
    root = _root(id_flux, receiver_id, when)
    block = _sub(root, "CPPFluxStatuts", compteur="1")
    data = _sub(_sub(block, "CPPFluxStatutUnitaire", NumOrdre="1"), "DonneesStatut")
    accepted = verdict is Verdict.ACCEPTED
    _text(data, "IdStatut", FLUX_RECEIVED if accepted else FLUX_RECEPTION_ERROR)
    if not accepted and reason:
        _text(data, "ComplementStatut", reason[:40])
    _text(data, "Commentaire", comment or _flux_comment(verdict, reason, findings))
    _text(data, "Note", FLUX_STATE[verdict])
    _text(data, "Horodatage", _datetime(when))
    _text(data, "IdFlux", id_flux)
    if findings:
        _details(data, verdict, findings, max_lines)
    return _serialise(root)


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
    root = _root(id_flux, receiver_id, _aware(produced_at))
    block = _sub(root, "CPPFactureStatuts", compteur=str(len(statuses)))
    for index, status in enumerate(statuses, start=1):
        _invoice_unit(_sub(block, "CPPFactureStatutUnitaire", NumOrdre=str(index)), status)
    return _serialise(root)


def _invoice_unit(unit: etree._Element, status: InvoiceStatus) -> None:
    supplier = _sub(unit, "Fournisseur")
    _text(supplier, "TypeIdentifiant", status.supplier.type_code)
    _text(supplier, "Identifiant", status.supplier.identifier)
    _text(supplier, "RaisonSociale", status.supplier.name)
    if status.supplier.country:
        _text(supplier, "CodePays", status.supplier.country)
    debtor = _sub(unit, "Debiteur")
    _text(debtor, "TypeIdentifiant", "1")
    _text(debtor, "Identifiant", status.debtor.siret)
    _optional(debtor, "Nom", status.debtor.name)
    _optional(
        debtor, "CodeService", status.debtor.service_code and status.debtor.service_code[:100]
    )
    _optional(debtor, "NomService", status.debtor.service_name)
    data = _sub(unit, "DonneesStatut")
    _text(data, "IdStatut", status.code)
    _optional(data, "ComplementStatut", status.complement)
    comment = status.comment or INVOICE_STATUS_LABELS.get(status.code)
    _optional(data, "Commentaire", comment)
    _text(data, "Horodatage", _datetime(_aware(status.at)))
    if status.producer:
        _sub(data, "Producteur", Id=status.producer)
    _text(data, "IdFacture", status.invoice_number)
    if status.invoice_date:
        _text(data, "DateFacture", status.invoice_date.isoformat())
    _optional(data, "IdMandatDP", status.mandate)


def _details(
    data: etree._Element, verdict: Verdict, findings: Sequence[Finding], max_lines: int
) -> None:
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    ranked = sorted(findings, key=lambda f: order[f.severity])
    shown = ranked[:max_lines]
    left = len(ranked) - len(shown)
    details = _sub(data, "Details", NbLignesErreur=str(len(shown) + (1 if left else 0)))
    error_nature = "IRRECEVABILITE" if verdict is Verdict.INADMISSIBLE else "REJET"
    for index, finding in enumerate(shown, start=1):
        line = _sub(details, "LigneErreurDetail", IdLigne=str(index))
        nature = error_nature if finding.severity is Severity.ERROR else NATURE[finding.severity]
        _text(line, "NatureErreur", nature)
        _text(line, "CodeErreur", finding.rule)
        _text(line, "LibelleErreur", _clip(finding.message))
        _optional(line, "DescriptionErreur", _where(finding))
    if left:
        line = _sub(details, "LigneErreurDetail", IdLigne=str(len(shown) + 1))
        _text(line, "NatureErreur", "INFORMATION")
        _text(line, "CodeErreur", "GW-REPORT-01")
        _text(
            line,
            "LibelleErreur",
            f"{left} autre(s) constat(s) non détaillé(s) dans ce compte rendu",
        )


def _where(finding: Finding) -> str:
    parts = [f"couche {finding.layer}"]
    if finding.line:
        parts.append(f"ligne {finding.line}")
    if finding.location:
        parts.append(finding.location)
    if finding.source:
        parts.append(finding.source)
    return _clip(" ; ".join(parts))


def _flux_comment(verdict: Verdict, reason: str | None, findings: Sequence[Finding]) -> str:
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    if verdict is Verdict.ACCEPTED:
        return "Flux reçu et intégré : facture mise à disposition du destinataire"
    if verdict is Verdict.REJECTED:
        return f"Facture rejetée ({reason or 'REJ_COH'}) : {errors} erreur(s)"
    return f"Flux irrecevable ({reason or 'IRR_SYNTAX'}) : {errors} erreur(s)"


def _root(id_flux: str, receiver_id: str, when: datetime) -> etree._Element:
    root = etree.Element("CPPStatut", Version=VERSION)
    unit = _sub(_sub(root, "Enveloppe"), "EnveloppeUnitaire", NumOrdre="1")
    parameters = _sub(unit, "Parametres")
    for index, (code, value) in enumerate(
        (("DtPrd", when.date().isoformat()), ("IdFlx", id_flux)), 1
    ):
        parameter = _sub(parameters, "ParametreIndiv", NumOrdre=f"{index:04d}")
        _text(parameter, "Code", code)
        _text(parameter, "Valeurparametre", value)
    partners = _sub(unit, "Partenaires")
    receiver = _sub(partners, "Recepteur")
    _text(receiver, "Id", receiver_id)
    _text(receiver, "Libelle", receiver_id)
    emitter = _sub(partners, "Emetteur")
    _text(emitter, "Id", PLATFORM_ID)
    _text(emitter, "Libelle", PLATFORM_LABEL)
    return root


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, tag, attributes)


def _text(parent: etree._Element, tag: str, value: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = _xml_text(value)
    return element


def _optional(parent: etree._Element, tag: str, value: str | None) -> None:
    if value:
        _text(parent, tag, value)


def _xml_text(value: str) -> str:
    """Drop characters XML 1.0 cannot carry (a finding message may quote raw bytes)."""
    return (
        "".join(
            ch for ch in value if ch in "\t\n\r" or ("\x20" <= ch <= "\ud7ff") or ch >= "\ue000"
        )
        .replace("\ufffe", "")
        .replace("\uffff", "")
    )


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _datetime(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
