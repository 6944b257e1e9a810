"""Chorus Pro reception rules: may this invoice be made available to its public recipient?

Two kinds of rules (``docs/reception.md`` has the full table):

* ``CPP-REC-01`` .. ``CPP-REC-20``: rules on the invoice and the structures directory, written
  in ``rules/cpp-reception.xsl`` (XSLT 2.0, SVRL) and run by
  :mod:`edi_gateway.validation.schematron`;
* ``CPP-DUP-01`` (invoice already received) and ``CPP-DUP-02`` (same file deposited twice): they
  need the gateway's state, so they are Python here, reported as findings of layer DUPLICATE.

Every message carries French then English: ``[RULE] <français> | EN: <English>``
(:func:`messages` splits it). :data:`REASONS` maps each rule id to the CPP motif (historic
refusal code, as in ``rules/lifecycle.toml``) and the 2026 reform reason code used when the
invoice is rejected. Facts: ``../shared/domain/chorus-pro.md`` §1.4, §2, §4.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from lxml import etree

from edi_gateway.core import resources, xmlsafe
from edi_gateway.core.model import Envelope, Finding, Layer, Severity, Syntax
from edi_gateway.reception.structures import Directory, Structure
from edi_gateway.store.database import Store
from edi_gateway.validation import schematron

RULES_XSL = resources.data_file("rules", "cpp-reception.xsl")
RULESET_NAME = "cpp-reception"
RULESET_VERSION = "1"
DUPLICATE_INVOICE = "CPP-DUP-01"
DUPLICATE_FLUX = "CPP-DUP-02"
A_RECYCLER = "04"  # CPPStatut IdStatut: the recipient sent it back for routing data (§3.4)
# Flux verdicts whose bytes make a later identical file a duplicate flux (CPP-DUP-02).
TAKEN_IN = frozenset({"accepted", "rejected"})
NO_DUPLICATE_CHECK = frozenset({"S3"})  # B2G direct-payment requests (§4.4, S-DGFIP-CPRO §6.13)
_EN = " | EN: "


@dataclass(frozen=True, slots=True)
class Reason:
    """Codes used when a rule rejects an invoice.

    Attributes:
        motif: CPP historic motif (``rules/lifecycle.toml`` [[motif]], §4.3 Tableau 3).
        reason: 2026 reform reason code for a rejection (status 213 list, §5.3; §4.3 for flux).
    """

    motif: str
    reason: str


# Rule id -> codes, in precedence order: the first error finding in this order gives the codes
# of a rejection. One place; read by the status flows.
REASONS: MappingProxyType[str, Reason] = MappingProxyType(
    {
        DUPLICATE_FLUX: Reason("DOUBLE_FACT", "IRR_UNCITE"),
        "CPP-REC-01": Reason("AUTRE", "DEST_INC"),
        "CPP-REC-02": Reason("AUTRE", "DEST_INC"),
        "CPP-REC-03": Reason("AUTRE", "DEST_INC"),
        "CPP-REC-11": Reason("AUTRE", "DEST_INC"),
        "CPP-REC-04": Reason("SE_ERR", "REJ_COH"),
        "CPP-REC-05": Reason("SE_ERR", "DEST_INC"),
        "CPP-REC-06": Reason("SE_ERR", "DEST_INC"),
        "CPP-REC-07": Reason("SE_ERR", "DEST_INC"),
        "CPP-REC-12": Reason("SE_ERR", "REJ_COH"),
        "CPP-REC-08": Reason("EJ_ERR", "REJ_COH"),
        "CPP-REC-09": Reason("EJ_ERR", "REJ_COH"),
        "CPP-REC-10": Reason("EJ_ERR", "REJ_COH"),
        DUPLICATE_INVOICE: Reason("DOUBLE_FACT", "REJ_UNI"),
        "CPP-REC-13": Reason("AUTRE", "REJ_SEMAN"),
        "CPP-REC-14": Reason("AUTRE", "REJ_SEMAN"),
        "CPP-REC-15": Reason("AUTRE", "REJ_COH"),
        "CPP-REC-16": Reason("MONTANT_ERR", "REJ_SEMAN"),
        "CPP-REC-17": Reason("EJ_ERR", "REJ_SEMAN"),
        "CPP-REC-18": Reason("AUTRE", "REJ_SEMAN"),
        "CPP-REC-19": Reason("AUTRE", "REJ_SEMAN"),
        "CPP-REC-20": Reason("AUTRE", "REJ_SEMAN"),
        schematron.RUN_FAILED: Reason("AUTRE", "REJ_COH"),
    }
)
DEFAULT_REASON = Reason("AUTRE", "REJ_COH")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceptionResult:
    """Outcome of the reception rules for one invoice.

    Attributes:
        findings: CPP rule findings (layer CPP) then duplicate findings (layer DUPLICATE).
        structure: the directory entry of the recipient SIRET, or None when unknown; given even
            when a rule fails (for reports), so use :attr:`accepted` for the routing decision.
        service_code: the service code the invoice carries (BT-46 scheme 0224, else BT-10).
        motif: CPP motif for the rejection (:data:`REASONS`), None when accepted.
        reason: 2026 reform reason code for the rejection, None when accepted.
        svrl: the SVRL of ``rules/cpp-reception.xsl`` (for ``--format svrl``).
    """

    findings: tuple[Finding, ...] = ()
    structure: Structure | None = None
    service_code: str | None = None
    motif: str | None = None
    reason: str | None = None
    svrl: bytes = b""

    @property
    def accepted(self) -> bool:
        """True when no finding is an error: the invoice may be routed to ``structure``."""
        return not any(f.severity is Severity.ERROR for f in self.findings)


def ruleset() -> schematron.RuleSet:
    """Return the compiled ``rules/cpp-reception.xsl`` (compiled once per process).

    Raises:
        ArtefactError: the stylesheet is missing or does not compile.
    """
    return schematron.compile_ruleset(
        RULES_XSL, name=RULESET_NAME, version=RULESET_VERSION, layer=Layer.CPP
    )


def check(
    xml: bytes,
    syntax: Syntax,
    envelope: Envelope,
    directory: Directory,
    *,
    deposit_date: date,
    store: Store | None,
    id_flux: str | None,
    tree: etree._ElementTree | None = None,
) -> ReceptionResult:
    """Run the CPP reception rules and, with a store, the duplicate-invoice rule.

    Args:
        xml: the invoice XML (for Factur-X, the CII extracted from the PDF).
        syntax: its syntax (UBL Invoice / CreditNote or CII); the rules find their terms through
            ``xslt/envelope.xsl`` whatever the syntax.
        envelope: :func:`edi_gateway.reception.envelope.extract` of the same XML.
        directory: the structures directory in force (``structures.Watcher.current()``).
        deposit_date: the day the flux was deposited (CPP-REC-15).
        store: gateway state for CPP-DUP-01, or None to skip it (``validate`` command).
        id_flux: the IdFlux being processed; rows of that flux never count as duplicates.

    Returns:
        The findings, the routing data and the codes to use when rejecting. Never raises for bad
        input: unparseable XML or a stylesheet failure gives a ``GW-SCH-01`` error finding.

    Raises:
        ArtefactError: the rules stylesheet cannot be compiled (our failure, not the sender's).
    """
    params: dict[str, str | bytes] = {
        "directory": directory.to_xml(),
        "deposit-date": deposit_date.isoformat(),
        "billing-framework": envelope.billing_framework,
    }
    if tree is None:
        try:
            tree = xmlsafe.parse(xml)
        except xmlsafe.XmlProblem:
            tree = None
    result = ruleset().run(xml, params, tree=tree)
    findings = list(result.findings)
    if store is not None:
        duplicate = duplicate_invoice(store, envelope, id_flux)
        if duplicate is not None:
            findings.append(duplicate)
    codes = reason_for(findings)
    return ReceptionResult(
        findings=tuple(findings),
        structure=directory.structure(envelope.buyer_siret),
        service_code=envelope.service_code,
        motif=codes.motif if codes else None,
        reason=codes.reason if codes else None,
        svrl=result.svrl,
    )


def reason_for(findings: tuple[Finding, ...] | list[Finding]) -> Reason | None:
    """Codes of the rejection: those of the first error finding in :data:`REASONS` order.

    An error whose rule is not in the table gives :data:`DEFAULT_REASON`; no error gives None.
    """
    errors = {f.rule for f in findings if f.severity is Severity.ERROR}
    if not errors:
        return None
    for rule, codes in REASONS.items():
        if rule in errors:
            return codes
    return DEFAULT_REASON


def messages(finding: Finding) -> tuple[str, str]:
    """Return (French, English) messages of a reception finding, without the ``[RULE]`` prefix.

    A message with no English part gives the same text twice.
    """
    text = finding.message
    prefix = f"[{finding.rule}] "
    if text.startswith(prefix):
        text = text[len(prefix) :]
    french, _, english = text.partition(_EN)
    return french.strip(), (english or french).strip()


def _finding(rule: str, french: str, english: str, location: str | None = None) -> Finding:
    return Finding(
        layer=Layer.DUPLICATE,
        rule=rule,
        severity=Severity.ERROR,
        message=f"[{rule}] {french}{_EN}{english}",
        location=location,
        source="edi_gateway.reception.rules",
    )


# Characters that do not show in an invoice number (the same set as CPP-REC-20 in
# rules/cpp-reception.xsl): Unicode default-ignorable code points that are not Cf (Unicode 15
# DerivedCoreProperties), and the blank braille pattern U+2800 (our choice: it draws nothing).
_INVISIBLE_RANGES = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x2800, 0x2800),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0xE0000, 0xE0FFF),
)  # fmt: skip
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))


def _invisible(char: str) -> bool:
    """True for a character CPP-REC-20 refuses inside BT-1: control (Cc), format (Cf), line or
    paragraph separator, any space other than U+0020, a default-ignorable code point, U+2800."""
    if char == " ":
        return False
    if unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _INVISIBLE_RANGES)


def number_key(number: str) -> str:
    """BT-1 as the duplicate key compares it (``docs/reception.md`` §4, our choice): invisible
    characters removed (:func:`_invisible`: controls, format characters, default-ignorable code
    points, U+2800, every space other than U+0020), Unicode NFKC (fullwidth and compatibility
    forms folded), invisible characters removed again, dashes U+2010..U+2015 and U+2212 folded to
    ``-``, ordinary spaces trimmed, then case-folded (``str.casefold``: ``ex-2025-001`` and
    ``EX-2025-001`` are one number)."""
    text = "".join(ch for ch in number if not _invisible(ch))
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if not _invisible(ch)).translate(_DASHES)
    return text.strip().casefold()


def duplicate_invoice(store: Store, envelope: Envelope, id_flux: str | None) -> Finding | None:
    """CPP-DUP-01: the same invoice was already accepted (motif DOUBLE_FACT, reason REJ_UNI).

    Key: (seller SIREN BT-30, else seller identifier BT-29 = ``Envelope.seller_key``; invoice
    number BT-1 compared through :func:`number_key`; year of the issue date BT-2) (§4.4,
    S-DGFIP-CPRO §3.2.1.4.2). An earlier row
    counts when its flux was accepted, it is not of ``id_flux`` (a crash re-run of the same flux)
    and its current status is not A_RECYCLER (04): an invoice sent back for routing data may be
    re-sent with the same number (§3.2). Billing framework S3 is never checked (§4.4).

    Returns:
        The error finding, or None (also when the seller key or BT-1 is missing).
    """
    key = number_key(envelope.number or "")
    if not envelope.seller_key or not key:
        return None
    if envelope.billing_framework in NO_DUPLICATE_CHECK:
        return None
    year = envelope.issue_date.year if envelope.issue_date else None
    for row in store.invoices_of_seller_year(envelope.seller_key, year):
        if number_key(row.number) != key:
            continue
        if row.id_flux == id_flux or row.status_code == A_RECYCLER:
            continue
        flux = store.flux(row.id_flux)
        if flux is not None and flux.verdict not in (None, "accepted"):
            continue
        return _finding(
            DUPLICATE_INVOICE,
            f"La facture n° {envelope.number} du fournisseur {envelope.seller_key} "
            f"(année {year}) a déjà été reçue : facture CPP {row.id}, flux {row.id_flux}, "
            f"statut {row.status_name}.",
            f"Invoice {envelope.number} of supplier {envelope.seller_key} (year {year}) was "
            f"already received: CPP invoice {row.id}, flux {row.id_flux}, "
            f"status {row.status_name}.",
        )
    return None


def duplicate_flux(store: Store, sha256: str, id_flux: str | None) -> Finding | None:
    """CPP-DUP-02: the same file bytes were already deposited and taken in (reason IRR_UNCITE,
    §4.3).

    Only an earlier flux that was NOT inadmissible counts: one accepted (integrated) or rejected
    (processed, its flux report sent). Bytes whose earlier fluxes were all inadmissible (an
    empty file, malformed XML ...), or closed without verdict, are no duplicate: they were never
    taken in, so the new flux is processed and gets the same inadmissibility again, with its own
    reason (a gateway choice where the CPP documentation is silent, ``docs/reception.md`` §4).

    Args:
        store: gateway state. sha256: hex digest of the deposited bytes.
        id_flux: the flux being processed (never compared with itself).

    Returns:
        An error finding naming the first earlier accepted or rejected IdFlux, or None.
    """
    earlier = [
        row for row in store.fluxes_with_sha256(sha256, exclude=id_flux) if row.verdict in TAKEN_IN
    ]
    if not earlier:
        return None
    first = earlier[0]
    return _finding(
        DUPLICATE_FLUX,
        f"Ce fichier a déjà été déposé à l'identique : flux {first.id_flux} "
        f"({first.original_name}, reçu le {first.received_at}).",
        f"This exact file was already deposited: flux {first.id_flux} "
        f"({first.original_name}, received {first.received_at}).",
    )
