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

from edi_gateway.core.model import Container, Detection, Severity, Syntax
from edi_gateway.validation.detect_pdf import detect_pdf as detect_pdf
from edi_gateway.validation.detect_xml import BOMS, finding, utf16_without_bom
from edi_gateway.validation.detect_xml import classify as classify
from edi_gateway.validation.detect_xml import detect_xml as detect_xml
from edi_gateway.validation.profiles import normalise_profile as normalise_profile


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


def too_large(head: bytes) -> Detection:
    """The detection of a file over ``validation.max_file_bytes``, from its first bytes only
    (the container by :func:`sniff`; no syntax: the validator makes it GW-XML-04, IRR_TAILLE_F).
    The one shape the validator, the engine and ``validate --jobs`` give such a file."""
    return Detection(container=sniff(head[:4096]), syntax=Syntax.OTHER, kind="file too large")


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
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    utf16 = utf16_without_bom(head)
    if utf16 is not None:
        return head.decode(utf16, errors="ignore")
    return head.decode("latin-1")


def _other(kind: str, rule: str, message: str, container: Container = Container.OTHER) -> Detection:
    """A file that is neither XML nor PDF (or whose detection failed)."""
    return Detection(
        container=container,
        syntax=Syntax.OTHER,
        kind=kind,
        findings=(finding(rule, Severity.ERROR, message),),
    )
