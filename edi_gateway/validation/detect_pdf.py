"""Detection of a PDF: the invoice XML among its attachments, read like a bare XML.

Job: :func:`detect_pdf` for :func:`edi_gateway.validation.detect.detect` once the container is
PDF. Input: the whole file; output: a :class:`~edi_gateway.core.model.Detection` whose ``xml`` is
the embedded invoice (Factur-X / ZUGFeRD 2.x CII) and whose findings say what the attachments and
the XMP metadata are (GW-PDF-nn, docs/detection.md). The PDF structure itself is read by
:mod:`edi_gateway.validation.pdf`; root elements are classified by
:mod:`edi_gateway.validation.detect_xml`. Nothing here raises on bad input.
"""

from __future__ import annotations

from lxml import etree

from edi_gateway.core import xmlsafe
from edi_gateway.core.model import Container, Detection, Finding, Layer, Severity, Syntax
from edi_gateway.validation import pdf
from edi_gateway.validation.detect_xml import (
    FLUX_FACTURX,
    OTHER_ROOTS,
    Root,
    classify,
    finding,
    not_accepted,
    xml_finding,
)
from edi_gateway.validation.pdf_af import INVOICE_RELATIONSHIPS
from edi_gateway.validation.profiles import read_profile

#: Kind of a PDF carrying CII, by the attachment's (lower-cased) name.
_PDF_KIND = {
    "factur-x.xml": "Factur-X PDF",
    "zugferd-invoice.xml": "ZUGFeRD 2.x PDF",
    "xrechnung.xml": "XRechnung PDF (ZUGFeRD XRECHNUNG profile)",
}


def detect_pdf(data: bytes) -> Detection:
    """Detect a PDF: take the invoice XML among its attachments, then read it like an XML.

    Choice (docs/detection.md): every ``*.xml`` attachment is parsed with xmlsafe, in
    :data:`edi_gateway.validation.pdf.PRIORITY` order; an invoice (CII, UBL, ZUGFeRD 1.0) is
    taken when it is the only one, or when it is the only one the catalog ``/AF`` array designates
    as the invoice data (:func:`_choose`). Only a CII is an invoice CPP takes in a PDF.
    """
    content = pdf.read_pdf(data)
    if not content.readable:
        return _pdf_other("unreadable PDF", content, list(content.findings))
    invoices, others, broken = _sort_attachments(content)
    findings = list(content.findings) + [
        # an error when no invoice was taken, or when a priority name (factur-x.xml ...) ranked
        # before the invoice taken is broken; a warning for a stray broken *.xml
        xml_finding(problem, f"attachment {c.name}: ", _broken_severity(c, before, bool(invoices)))
        for c, problem, before in broken
    ]
    if not invoices:
        return _pdf_without_invoice(content, findings, others)
    chosen, notes = _choose(invoices, content.relationships)
    findings += notes
    if chosen is None:
        findings += pdf.xmp_findings(content.xmp, None, None)
        return _pdf_other(AMBIGUOUS, content, findings)
    candidate, tree, root = chosen
    if root.syntax is not Syntax.CII:
        kind = f"PDF with embedded {root.kind}"
        findings += [not_accepted(kind), *pdf.xmp_findings(content.xmp, None, None)]
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
        tree=tree,
    )


Invoice = tuple[pdf.Candidate, etree._ElementTree, Root]
AMBIGUOUS = "PDF with several invoice XML attachments"


def _choose(
    invoices: list[Invoice], relationships: dict[str, str]
) -> tuple[Invoice | None, list[Finding]]:
    """The invoice of a PDF among its invoice attachments (at least one), and what is said of it.

    One invoice: taken, nothing said. Several: the one the catalog ``/AF`` array gives a
    Factur-X invoice relationship (``Data``, ``Alternative``, ``Source``,
    :data:`edi_gateway.validation.pdf_af.INVOICE_RELATIONSHIPS`) is taken with a GW-PDF-07
    warning naming the others; when none or several are so designated the PDF is ambiguous:
    ``(None, [GW-PDF-09 error naming every one])``, an inadmissible flux (``IRR_TYPE_F``). Name
    priority never decides: two alternative invoices may disagree, the gateway does not guess.
    """
    if len(invoices) == 1:
        return invoices[0], []
    designated = [i for i in invoices if _relationship(i, relationships) in INVOICE_RELATIONSHIPS]
    if len(designated) != 1:
        names = ", ".join(f"{c.name} ({r.kind}, {_said(c, relationships)})" for c, _, r in invoices)
        message = (
            f"ambiguous PDF: {len(invoices)} invoice XML attachments, {names}; the catalog /AF "
            f"array designates {len(designated) or 'none'} of them as the invoice "
            "(/AFRelationship /Data, /Alternative or /Source, Factur-X 1.0x), so which one is the "
            "invoice cannot be told"
        )
        return None, [finding("GW-PDF-09", Severity.ERROR, message)]
    chosen = designated[0]
    ignored = ", ".join(f"{c.name} ({r.kind})" for c, _, r in invoices if c is not chosen[0])
    message = (
        f"several invoice XML attachments: took {chosen[0].name} (catalog /AF, "
        f"/AFRelationship /{_relationship(chosen, relationships)}), ignored {ignored}"
    )
    return chosen, [finding("GW-PDF-07", Severity.WARNING, message)]


def _relationship(invoice: Invoice, relationships: dict[str, str]) -> str | None:
    """The catalog /AFRelationship of an invoice attachment, None when /AF does not list it."""
    return relationships.get(invoice[0].name.lower())


def _said(candidate: pdf.Candidate, relationships: dict[str, str]) -> str:
    """How the catalog /AF lists an attachment: ``/AFRelationship /Data`` or ``not in /AF``."""
    relationship = relationships.get(candidate.name.lower())
    return "not in /AF" if relationship is None else f"/AFRelationship /{relationship}"


Broken = tuple[pdf.Candidate, xmlsafe.XmlProblem, int]


def _sort_attachments(content: pdf.PdfContent) -> tuple[list[Invoice], list[Root], list[Broken]]:
    """Parse every XML attachment (priority order) with xmlsafe and sort them: invoices (CII,
    UBL, ZUGFeRD 1.0) with their tree and root, other documents' roots, and the unparseable
    ones with their problem and the number of invoices found before them."""
    invoices: list[Invoice] = []
    others: list[Root] = []
    broken: list[Broken] = []
    for candidate in content.candidates:
        try:
            tree = xmlsafe.parse(candidate.content)
        except xmlsafe.XmlProblem as problem:
            broken.append((candidate, problem, len(invoices)))
            continue
        root = classify(tree.getroot())
        if root.syntax is not Syntax.OTHER or root.kind == OTHER_ROOTS["CrossIndustryDocument"]:
            invoices.append((candidate, tree, root))
        else:
            others.append(root)
    return invoices, others, broken


def _pdf_without_invoice(
    content: pdf.PdfContent, findings: list[Finding], others: list[Root]
) -> Detection:
    """A readable PDF with no invoice XML: named after what it embeds, with an error finding."""
    if others:
        kind = f"PDF with embedded {others[0].kind}"
        findings.append(not_accepted(kind))
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
