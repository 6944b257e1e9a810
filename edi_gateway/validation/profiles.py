"""BT-24 (specification identifier): read it from an invoice and normalise it into a profile.

Job: find BT-24 in a UBL 2.1 or CII root element (EN 16931-1:2017 syntax bindings), keep it as
written, and map it to the profile name the gateway chooses its rules by (``en16931``,
``extended-ctc-fr``, ``xrechnung``, ``peppol``, the Factur-X / ZUGFeRD 2.x levels, ...; table in
docs/detection.md §3). Input: a parsed root element and its syntax, or a BT-24 string; output:
``(guideline_id, profile, findings)`` with the GW-DETECT-04/05/06 findings, or a profile name.
It never decides the syntax or the container (:mod:`edi_gateway.validation.detect` does) and never
raises.
"""

from __future__ import annotations

from lxml import etree

from edi_gateway.core.model import Finding, Layer, Severity, Syntax

NS_CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

#: BT-24 findings are detection findings (GW-DETECT-*): same source as
#: :mod:`edi_gateway.validation.detect`.
SOURCE = "edi-gateway:detect"

#: Factur-X / ZUGFeRD 2.x levels as the last part of their URN (facturx.get_level's rule).
_LEVELS = ("minimum", "basicwl", "basic", "en16931", "extended")


def read_profile(
    root: etree._Element, syntax: Syntax
) -> tuple[str | None, str | None, list[Finding]]:
    """Read BT-24 and normalise it.

    BT-24 is ``/Invoice/cbc:CustomizationID`` (UBL 2.1) or
    ``rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID`` (CII),
    EN 16931-1:2017 syntax bindings.

    Returns:
        ``(guideline_id as written, profile, findings)``: GW-DETECT-04 error when BT-24 is
        missing or empty; GW-DETECT-05 warning for an unknown value (profile ``other``);
        GW-DETECT-06 warning for the legacy ZUGFeRD 1.0 URN on a CII document.
    """
    if syntax is Syntax.CII:
        path = "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
        values = root.xpath(path, namespaces={"rsm": NS_CII, "ram": NS_RAM})
    else:
        values = root.xpath("cbc:CustomizationID", namespaces={"cbc": NS_CBC})
    first = values[0] if isinstance(values, list) and values else None
    raw = first.text if isinstance(first, etree._Element) else None
    if raw is None or not raw.strip():
        message = "BT-24 (specification identifier) is missing: the rules to apply are unknown"
        return None, None, [_finding("GW-DETECT-04", Severity.ERROR, message)]
    profile = normalise_profile(raw)
    findings: list[Finding] = []
    if profile == "other":
        message = f"BT-24 {raw.strip()!r} is not a profile the gateway knows"
        findings.append(_finding("GW-DETECT-05", Severity.WARNING, message))
    elif profile == "zugferd-1.0-on-cii":
        message = f"BT-24 {raw.strip()!r} is a ZUGFeRD 1.0 identifier on a CII D16B+ document"
        findings.append(_finding("GW-DETECT-06", Severity.WARNING, message))
    return raw, profile, findings


def normalise_profile(guideline_id: str) -> str:
    """Map a BT-24 value to a profile name.

    Rules, first match wins: ``extended-ctc-fr`` (urn.cpro.gouv.fr), ``xrechnung`` (KoSIT
    ``xrechnung`` CIUS and extension), ``peppol`` (peppol.eu), ``zugferd-1.0-on-cii``
    (``urn:ferd:CrossIndustryDocument:...``), then the Factur-X 1.0 / ZUGFeRD 2.x levels
    (``urn:factur-x.eu:1p0:<level>``, ``urn:zugferd.de:2p0:<level>``, taking the last URN part
    like ``facturx.get_level``), ``en16931`` for exactly ``urn:cen.eu:en16931:2017``; else
    ``other``. ``facturx.get_level`` itself is not used because it maps XRechnung and Peppol
    CIUS to ``en16931`` and ZUGFeRD 1.0 to its ``comfort``/``extended`` levels.
    """
    value = guideline_id.strip()
    lowered = value.lower()
    if "extended-ctc-fr" in lowered:
        return "extended-ctc-fr"
    if "xrechnung" in lowered:
        return "xrechnung"
    if "peppol.eu" in lowered:
        return "peppol"
    if lowered.startswith("urn:ferd:crossindustrydocument"):
        return "zugferd-1.0-on-cii"
    if "factur-x.eu" in lowered or "zugferd.de" in lowered:
        level = lowered.replace("#", ":").rsplit(":", 1)[-1]
        if level in _LEVELS:
            return level
    if lowered == "urn:cen.eu:en16931:2017":
        return "en16931"
    return "other"


def _finding(rule: str, severity: Severity, message: str) -> Finding:
    """A DETECT-layer finding about BT-24 (project rule ids, see docs/detection.md)."""
    return Finding(layer=Layer.DETECT, rule=rule, severity=severity, message=message, source=SOURCE)
