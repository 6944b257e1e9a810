"""Detection of a bare XML document: encoding checks, the root element, BT-24.

Job: :func:`detect_xml` for :func:`edi_gateway.validation.detect.detect` once the container is
XML, and :func:`classify` (a root element by namespace + local name, never by file name) for it
and for :mod:`edi_gateway.validation.detect_pdf`. Input: the file's bytes; output: a
:class:`~edi_gateway.core.model.Detection` (UBL 2.1 Invoice / CreditNote or UN/CEFACT CII, its
BT-24 and profile, the Chorus Pro ``syntaxeFlux`` of ``../shared/domain/chorus-pro.md`` §1.2),
or ``Syntax.OTHER`` with a finding (GW-DETECT-03 / -07, xmlsafe codes; docs/detection.md).
Parsing is :mod:`edi_gateway.core.xmlsafe` (no entities, no network). Never raises on bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from edi_gateway.core import xmlsafe
from edi_gateway.core.model import Container, Detection, Finding, Layer, Severity, Syntax
from edi_gateway.validation.profiles import NS_CII, read_profile

NS_UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_UBL_PREFIX = "urn:oasis:names:specification:ubl:schema:xsd:"

FLUX_UBL = "IN_DP_E1_UBL_INVOICE"
FLUX_CII = "IN_DP_E1_CII_16B"
FLUX_FACTURX = "IN_DP_E2_CII_FACTURX"

SOURCE = "edi-gateway:detect"

_UTF16_WINDOW = 64  # bytes looked at to recognise UTF-16 without a byte order mark
_DECLARED_ENCODING = re.compile(r"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")

BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

#: Root elements recognised by local name (any namespace): readable names of what is not taken.
OTHER_ROOTS: dict[str, str] = {
    "CrossIndustryDocument": "ZUGFeRD 1.0 invoice",
    "SCRDMCCBDACIOMessageStructure": "Order-X order",
    "CrossDomainAcknowledgementAndResponse": "CDAR lifecycle message",
    "CPPStatut": "CPP status flow (CPPStatut)",
    "CPPFacturePivot": "CPP pivot invoice (CPPFacturePivot)",
    "CPPFactureMixte": "CPP mixed invoice (CPPFactureMixte)",
    "FatturaElettronica": "FatturaPA invoice",
    "testSet": "VEFA testSet wrapper (CEN unit-test file)",
}

_SYNTAX_KIND = {
    Syntax.UBL_INVOICE: "UBL 2.1 Invoice",
    Syntax.UBL_CREDIT_NOTE: "UBL 2.1 CreditNote",
    Syntax.CII: "UN/CEFACT CII CrossIndustryInvoice",
}


@dataclass(frozen=True, slots=True)
class Root:
    """What the root element says: syntax (OTHER when not taken) and a readable kind."""

    syntax: Syntax
    kind: str


def finding(rule: str, severity: Severity, message: str, layer: Layer = Layer.DETECT) -> Finding:
    """Return a finding of this module (project rule ids, see docs/detection.md)."""
    return Finding(layer=layer, rule=rule, severity=severity, message=message, source=SOURCE)


def utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` when ``head`` is XML in UTF-16 without a byte order mark,
    else None.

    XML 1.0 Appendix F recognises ``3C 00 3F 00`` / ``00 3C 00 3F``; here any run of ASCII code
    units (one zero byte each, on the same side) whose first non-blank character is ``<``
    counts, so leading blank lines or a document without declaration are recognised the same.
    """
    window = head[:_UTF16_WINDOW]
    for encoding, zero in (("utf-16-le", 1), ("utf-16-be", 0)):
        chars: list[str] = []
        for start in range(0, len(window) - 1, 2):
            unit = window[start : start + 2]
            if unit[zero] != 0 or unit[1 - zero] == 0 or unit[1 - zero] > 0x7F:
                break
            chars.append(chr(unit[1 - zero]))
        text = "".join(chars).lstrip(" \t\r\n")
        if len(text) >= 2 and text[0] == "<":
            return encoding
    return None


def _utf16_problem(data: bytes) -> Finding | None:
    """GW-DETECT-07 for XML in UTF-16 without a byte order mark, unless its declaration names
    the byte order (``UTF-16LE`` / ``UTF-16BE``, which need none)."""
    if data.startswith(tuple(bom for bom, _ in BOMS)):
        return None
    encoding = utf16_without_bom(data)
    if encoding is None:
        return None
    head = data[: _UTF16_WINDOW * 4].decode(encoding, errors="ignore").lstrip(" \t\r\n")
    declared = _DECLARED_ENCODING.match(head)
    if declared and declared.group(1).upper() in ("UTF-16LE", "UTF-16BE"):
        return None
    endian = "little-endian" if encoding == "utf-16-le" else "big-endian"
    message = (
        f"the file is UTF-16 ({endian}) without a byte order mark: XML 1.0 §4.3.3 requires "
        "UTF-16 text to start with the mark (FF FE or FE FF); save it with the mark, or in UTF-8"
    )
    return finding("GW-DETECT-07", Severity.ERROR, message)


def detect_xml(data: bytes) -> Detection:
    """Detect a bare XML file: parse with xmlsafe, classify the root, read BT-24.

    UTF-16 without a byte order mark is refused first (GW-DETECT-07, :func:`utf16_without_bom`):
    libxml2 reads it or not depending on a leading newline and a declaration, so the gateway
    gives one finding whatever the first bytes are (docs/detection.md).
    """
    no_bom = _utf16_problem(data)
    if no_bom is not None:
        return Detection(
            container=Container.XML,
            syntax=Syntax.OTHER,
            kind="XML in UTF-16 without byte order mark",
            findings=(no_bom,),
        )
    try:
        tree = xmlsafe.parse(data)
    except xmlsafe.XmlProblem as problem:
        return Detection(
            container=Container.XML,
            syntax=Syntax.OTHER,
            kind="XML that cannot be parsed",
            findings=(xml_finding(problem),),
        )
    root = classify(tree.getroot())
    if root.syntax is Syntax.OTHER:
        return Detection(
            container=Container.XML,
            syntax=Syntax.OTHER,
            kind=root.kind,
            findings=(not_accepted(root.kind),),
        )
    guideline_id, profile, findings = read_profile(tree.getroot(), root.syntax)
    return Detection(
        container=Container.XML,
        syntax=root.syntax,
        kind=root.kind,
        profile=profile,
        guideline_id=guideline_id,
        flux_syntax=FLUX_CII if root.syntax is Syntax.CII else FLUX_UBL,
        xml=data,
        findings=tuple(findings),
        tree=tree,
    )


def classify(root: etree._Element) -> Root:
    """Classify a root element by namespace + local name (never by file name)."""
    qname = etree.QName(root)
    ns, local = qname.namespace, qname.localname
    if ns == NS_UBL_INVOICE and local == "Invoice":
        return Root(Syntax.UBL_INVOICE, _SYNTAX_KIND[Syntax.UBL_INVOICE])
    if ns == NS_UBL_CREDIT_NOTE and local == "CreditNote":
        return Root(Syntax.UBL_CREDIT_NOTE, _SYNTAX_KIND[Syntax.UBL_CREDIT_NOTE])
    if ns == NS_CII and local == "CrossIndustryInvoice":
        return Root(Syntax.CII, _SYNTAX_KIND[Syntax.CII])
    if local in OTHER_ROOTS:
        return Root(Syntax.OTHER, OTHER_ROOTS[local])
    if ns == f"{NS_UBL_PREFIX}{local}-2":
        return Root(Syntax.OTHER, f"UBL {local}")
    if ns is None and local.startswith("M_"):
        return Root(Syntax.OTHER, f"EDIFACT-XML message {local}")
    where = f"{{{ns}}}{local}" if ns else local
    return Root(Syntax.OTHER, f"unknown XML document (root element {where})")


def xml_finding(
    problem: xmlsafe.XmlProblem, where: str = "", severity: Severity = Severity.ERROR
) -> Finding:
    """An XmlProblem as a finding of layer XML, its code as rule id and its line kept."""
    return Finding(
        layer=Layer.XML,
        rule=problem.code,
        severity=severity,
        message=f"{where}{problem.message}",
        line=problem.line,
        source="edi-gateway:xmlsafe",
    )


def not_accepted(kind: str) -> Finding:
    """GW-DETECT-03: recognised, but not an invoice Chorus Pro accepts."""
    return finding("GW-DETECT-03", Severity.ERROR, f"not an invoice Chorus Pro accepts: {kind}")
