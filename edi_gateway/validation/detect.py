"""Detection by content: what a file is, never decided from its name.

``detect(data) -> Detection`` (contract in docs/architecture.md) decides:

* the container, from magic bytes: PDF (``%PDF-`` in the first KiB), XML (first non-blank
  character ``<`` after an optional UTF-8 / UTF-16 byte order mark), else OTHER;
* the syntax, from the root element's namespace and local name (UBL 2.1 Invoice / CreditNote,
  UN/CEFACT CII ``CrossIndustryInvoice`` D16B/D22B); every other document is named in ``kind``;
* BT-24 (specification identifier) as written, and its normalised profile
  (:mod:`edi_gateway.validation.profiles`);
* the Chorus Pro ``syntaxeFlux`` (``../shared/domain/chorus-pro.md`` §1.2).

Findings use project rule ids listed in docs/detection.md. Nothing here raises on bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from edi_gateway.core import xmlsafe
from edi_gateway.core.model import Container, Detection, Finding, Layer, Severity, Syntax
from edi_gateway.validation import pdf
from edi_gateway.validation.profiles import NS_CBC as NS_CBC
from edi_gateway.validation.profiles import NS_CII as NS_CII
from edi_gateway.validation.profiles import NS_RAM as NS_RAM
from edi_gateway.validation.profiles import normalise_profile as normalise_profile
from edi_gateway.validation.profiles import read_profile as read_profile

NS_UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_UBL_PREFIX = "urn:oasis:names:specification:ubl:schema:xsd:"

FLUX_UBL = "IN_DP_E1_UBL_INVOICE"
FLUX_CII = "IN_DP_E1_CII_16B"
FLUX_FACTURX = "IN_DP_E2_CII_FACTURX"

SOURCE = "edi-gateway:detect"

_UTF16_WINDOW = 64  # bytes looked at to recognise UTF-16 without a byte order mark
_DECLARED_ENCODING = re.compile(r"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

#: Root elements recognised by local name (any namespace): readable names of what is not taken.
_OTHER_ROOTS: dict[str, str] = {
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

#: Kind of a PDF carrying CII, by the attachment's (lower-cased) name.
_PDF_KIND = {
    "factur-x.xml": "Factur-X PDF",
    "zugferd-invoice.xml": "ZUGFeRD 2.x PDF",
    "xrechnung.xml": "XRechnung PDF (ZUGFeRD XRECHNUNG profile)",
}


@dataclass(frozen=True, slots=True)
class Root:
    """What the root element says: syntax (OTHER when not taken) and a readable kind."""

    syntax: Syntax
    kind: str


def finding(rule: str, severity: Severity, message: str, layer: Layer = Layer.DETECT) -> Finding:
    """Return a finding of this module (project rule ids, see docs/detection.md)."""
    return Finding(layer=layer, rule=rule, severity=severity, message=message, source=SOURCE)


def detect(data: bytes) -> Detection:
    """Decide what ``data`` is, from its content only.

    Args:
        data: the whole file.

    Returns:
        A :class:`~edi_gateway.model.Detection`. A file that is not an invoice Chorus Pro takes
        comes back with ``syntax=Syntax.OTHER`` and an error finding. Never raises for bad input;
        an unexpected internal error also becomes a ``GW-DETECT-09`` finding.
    """
    container = Container.OTHER
    try:
        container = sniff(data)
        if container is Container.PDF:
            return detect_pdf(data)
        if container is Container.XML:
            return detect_xml(data)
        if len(data) < 4096 and not _head_text(data).strip():
            return _other("empty file", "GW-DETECT-01", "the file is empty or blank")
        return _other("not XML or PDF", "GW-DETECT-02", "the file is neither XML nor PDF")
    except Exception as exc:  # last guard: detection must never crash the pipeline
        message = f"internal detection error: {type(exc).__name__}"
        return _other("detection failed", "GW-DETECT-09", message, container)


def sniff(data: bytes) -> Container:
    """Return the container from magic bytes.

    PDF when the file starts with ``%PDF-`` (after blanks); XML when the first non-blank
    character is ``<`` (after a UTF-8 / UTF-16 BOM, or UTF-16 without BOM per XML 1.0
    Appendix F); PDF when ``%PDF-`` appears anywhere in the first 1024 bytes (ISO 32000-1 §7.5.2
    readers tolerate leading junk); else OTHER.
    """
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return Container.PDF
    if _head_text(data[:4096]).lstrip(" \t\r\n").startswith("<"):
        return Container.XML
    if b"%PDF-" in data[:1024]:
        return Container.PDF
    return Container.OTHER


def _head_text(head: bytes) -> str:
    """Decode the start of a file enough to see its first character."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    utf16 = utf16_without_bom(head)
    if utf16 is not None:
        return head.decode(utf16, errors="ignore")
    return head.decode("latin-1")


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
    if data.startswith(tuple(bom for bom, _ in _BOMS)):
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
            findings=(_xml_finding(problem),),
        )
    root = classify(tree.getroot())
    if root.syntax is Syntax.OTHER:
        return Detection(
            container=Container.XML,
            syntax=Syntax.OTHER,
            kind=root.kind,
            findings=(_not_accepted(root.kind),),
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
    if local in _OTHER_ROOTS:
        return Root(Syntax.OTHER, _OTHER_ROOTS[local])
    if ns == f"{NS_UBL_PREFIX}{local}-2":
        return Root(Syntax.OTHER, f"UBL {local}")
    if ns is None and local.startswith("M_"):
        return Root(Syntax.OTHER, f"EDIFACT-XML message {local}")
    where = f"{{{ns}}}{local}" if ns else local
    return Root(Syntax.OTHER, f"unknown XML document (root element {where})")


def detect_pdf(data: bytes) -> Detection:
    """Detect a PDF: take the invoice XML among its attachments, then read it like an XML.

    Choice (docs/detection.md): every ``*.xml`` attachment is parsed with xmlsafe, in
    :data:`edi_gateway.validation.pdf.PRIORITY` order; the first invoice (CII, UBL, ZUGFeRD 1.0) is
    taken, a second one is a GW-PDF-07 warning naming both. Only a CII is an invoice CPP takes in a
    PDF.
    """
    content = pdf.read_pdf(data)
    if not content.readable:
        return _pdf_other("unreadable PDF", content, list(content.findings))
    invoices: list[tuple[pdf.Candidate, etree._ElementTree, Root]] = []
    others: list[Root] = []
    broken: list[tuple[pdf.Candidate, xmlsafe.XmlProblem, int]] = []
    for candidate in content.candidates:
        try:
            tree = xmlsafe.parse(candidate.content)
        except xmlsafe.XmlProblem as problem:
            broken.append((candidate, problem, len(invoices)))
            continue
        root = classify(tree.getroot())
        if root.syntax is not Syntax.OTHER or root.kind == _OTHER_ROOTS["CrossIndustryDocument"]:
            invoices.append((candidate, tree, root))
        else:
            others.append(root)
    findings = list(content.findings) + [
        # an error when no invoice was taken, or when a priority name (factur-x.xml ...) ranked
        # before the invoice taken is broken; a warning for a stray broken *.xml
        _xml_finding(problem, f"attachment {c.name}: ", _broken_severity(c, before, bool(invoices)))
        for c, problem, before in broken
    ]
    if not invoices:
        return _pdf_without_invoice(content, findings, others)
    candidate, tree, root = invoices[0]
    if len(invoices) > 1:
        ignored = ", ".join(f"{c.name} ({r.kind})" for c, _, r in invoices[1:])
        message = f"several invoice XML attachments: took {candidate.name}, ignored {ignored}"
        findings.append(finding("GW-PDF-07", Severity.WARNING, message))
    if root.syntax is not Syntax.CII:
        kind = f"PDF with embedded {root.kind}"
        findings += [_not_accepted(kind), *pdf.xmp_findings(content.xmp, None, None)]
        return _pdf_other(kind, content, findings, candidate.name)
    if candidate.name.lower() != pdf.PRIORITY[0]:
        message = (
            f"the invoice attachment is named {candidate.name}; Factur-X names it factur-x.xml"
        )
        findings.append(finding("GW-PDF-06", Severity.WARNING, message))
    guideline_id, profile, profile_findings = read_profile(tree.getroot(), Syntax.CII)
    findings += profile_findings + pdf.xmp_findings(content.xmp, profile, candidate.name)
    return Detection(
        container=Container.PDF,
        syntax=Syntax.CII,
        kind=_PDF_KIND.get(candidate.name.lower(), "PDF with embedded CII invoice"),
        profile=profile,
        guideline_id=guideline_id,
        flux_syntax=FLUX_FACTURX,
        xml=candidate.content,
        attachment=candidate.name,
        attachments=content.attachments,
        findings=tuple(findings),
    )


def _pdf_without_invoice(
    content: pdf.PdfContent, findings: list[Finding], others: list[Root]
) -> Detection:
    """A readable PDF with no invoice XML: named after what it embeds, with an error finding."""
    if others:
        kind = f"PDF with embedded {others[0].kind}"
        findings.append(_not_accepted(kind))
    elif any(f.layer is Layer.XML for f in findings):
        kind = "PDF whose embedded XML cannot be parsed"
    else:
        kind = "PDF without invoice XML"
        message = "the PDF carries no readable invoice XML attachment (Factur-X: factur-x.xml)"
        if content.undecodable:
            names = ", ".join(content.undecodable)
            message += f": {names} could not be decompressed or decoded (GW-PDF-04)"
        findings.append(finding("GW-PDF-03", Severity.ERROR, message))
    findings += pdf.xmp_findings(content.xmp, None, None)
    return _pdf_other(kind, content, findings)


def _pdf_other(
    kind: str, content: pdf.PdfContent, findings: list[Finding], attachment: str | None = None
) -> Detection:
    """A PDF that is not an invoice CPP takes."""
    return Detection(
        container=Container.PDF,
        syntax=Syntax.OTHER,
        kind=kind,
        attachment=attachment,
        attachments=content.attachments,
        findings=tuple(findings),
    )


def _broken_severity(candidate: pdf.Candidate, invoices_before: int, taken: bool) -> Severity:
    """ERROR for an unparseable attachment unless an invoice was taken that outranks it, or it
    is a stray ``*.xml`` (not one of :data:`edi_gateway.validation.pdf.PRIORITY`)."""
    if not taken:
        return Severity.ERROR
    if invoices_before == 0 and candidate.name.lower() in pdf.PRIORITY:
        return Severity.ERROR
    return Severity.WARNING


def _xml_finding(
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


def _not_accepted(kind: str) -> Finding:
    """GW-DETECT-03: recognised, but not an invoice Chorus Pro accepts."""
    return finding("GW-DETECT-03", Severity.ERROR, f"not an invoice Chorus Pro accepts: {kind}")


def _other(kind: str, rule: str, message: str, container: Container = Container.OTHER) -> Detection:
    """A file that is neither XML nor PDF (or whose detection failed)."""
    return Detection(
        container=container,
        syntax=Syntax.OTHER,
        kind=kind,
        findings=(finding(rule, Severity.ERROR, message),),
    )
