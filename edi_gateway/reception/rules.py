"""Chorus Pro reception rules: may this invoice be made available to its public recipient?

Two kinds of rules (``docs/reception.md`` has the full table):

* ``CPP-REC-01`` .. ``CPP-REC-20``: rules on the invoice and the structures directory, written
  in ``rules/cpp-reception.xsl`` (XSLT 2.0, SVRL) and run by
  :mod:`edi_gateway.validation.schematron`;
* ``CPP-DUP-01`` (invoice already received) and ``CPP-DUP-02`` (same file deposited twice): they
  need the gateway's state, so they are Python, in :mod:`edi_gateway.reception.duplicates`
  (findings of layer DUPLICATE); :func:`check` runs CPP-DUP-01 after the stylesheet.

Every message carries French then English: ``[RULE] <français> | EN: <English>``
(:func:`messages` splits it). The CPP motif and 2026 reform reason code of a rejection come from
``rules/reception-reasons.toml`` (:mod:`edi_gateway.reception.reasons`). Facts:
``../shared/domain/chorus-pro.md`` §1.4, §2, §4.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree

from edi_gateway.core import resources, xmlsafe
from edi_gateway.core.model import Envelope, Finding, Layer, Severity, Syntax
from edi_gateway.reception.duplicates import EN_SEPARATOR, duplicate_invoice
from edi_gateway.reception.reasons import reason_for
from edi_gateway.reception.structures import Directory, Structure
from edi_gateway.store.database import Store
from edi_gateway.validation import schematron

RULES_XSL = resources.data_file("rules", "cpp-reception.xsl")
RULESET_NAME = "cpp-reception"
RULESET_VERSION = "1"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceptionResult:
    """Outcome of the reception rules for one invoice.

    Attributes:
        findings: CPP rule findings (layer CPP) then duplicate findings (layer DUPLICATE).
        structure: the directory entry of the recipient SIRET, or None when unknown; given even
            when a rule fails (for reports), so use :attr:`accepted` for the routing decision.
        service_code: the service code the invoice carries (BT-46 scheme 0224, else BT-10).
        motif: CPP motif for the rejection (``reasons.REASONS``), None when accepted.
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


def messages(finding: Finding) -> tuple[str, str]:
    """Return (French, English) messages of a reception finding, without the ``[RULE]`` prefix.

    A message with no English part gives the same text twice.
    """
    text = finding.message
    prefix = f"[{finding.rule}] "
    if text.startswith(prefix):
        text = text[len(prefix) :]
    french, _, english = text.partition(EN_SEPARATOR)
    return french.strip(), (english or french).strip()
