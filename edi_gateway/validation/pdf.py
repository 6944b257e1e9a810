"""Factur-X / ZUGFeRD PDF reading: the embedded XML attachments, through pypdf.

pypdf is the PDF library the factur-x package itself uses. We do not call
``facturx.get_xml_from_pdf`` because it parses the attachments with a non-hardened lxml parser;
here every candidate's bytes are returned raw and the caller parses them with ``xmlsafe``.

Where the XML is looked for (Factur-X 1.0 / ZUGFeRD 2.x: the invoice is an embedded file listed in
the catalog's ``/Names /EmbeddedFiles`` tree and in the catalog ``/AF`` array, PDF/A-3):

1. the ``EmbeddedFiles`` name tree;
2. the catalog ``/AF`` array (files only listed there are still found);
3. the ``/AF`` arrays of the first 100 pages, only when 1 and 2 gave no XML.

Candidates are the attachments whose name ends in ``.xml``, ordered by :data:`PRIORITY`
(``factur-x.xml``, ``zugferd-invoice.xml`` / ``ZUGFeRD-invoice.xml``, ``xrechnung.xml``), then the
other ``*.xml`` files in document order. Nothing here raises on a bad PDF: problems become
findings (``GW-PDF-01`` unreadable, ``GW-PDF-02`` encrypted, ``GW-PDF-10`` JavaScript,
``GW-PDF-04``/``-05``/``-08`` warnings). The XMP packet is read and checked by
:mod:`edi_gateway.validation.xmp` (``GW-PDF-XMP-..``); its names are re-exported here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from pypdf import PdfReader

from edi_gateway.core.model import Finding, Layer, Severity
from edi_gateway.validation.pdf_active import javascript_in
from edi_gateway.validation.pdf_af import catalog_relationships
from edi_gateway.validation.xmp import XMP_LEVEL_PROFILES as XMP_LEVEL_PROFILES
from edi_gateway.validation.xmp import Xmp as Xmp
from edi_gateway.validation.xmp import normalise_xmp_level as normalise_xmp_level
from edi_gateway.validation.xmp import read_xmp
from edi_gateway.validation.xmp import xmp_findings as xmp_findings

# pypdf logs a warning for every oddity of a damaged PDF; the findings already say what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)

#: Invoice attachment names by priority, lower-cased (Factur-X 1.0, ZUGFeRD 2.0 / 1.0, XRechnung).
PRIORITY: tuple[str, ...] = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")

#: Page /AF arrays are only searched on the first pages (a Factur-X invoice is short).
MAX_PAGES_FOR_AF = 100

SOURCE = "edi-gateway:pdf"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One embedded ``*.xml`` file.

    Attributes:
        name: attachment file name (``/UF`` or ``/F``, else the name-tree key).
        content: the decoded file bytes (not parsed).
        via: where it was found: ``EmbeddedFiles``, ``AF`` (catalog) or ``page AF``.
    """

    name: str
    content: bytes
    via: str


@dataclass(frozen=True, slots=True)
class PdfContent:
    """What :func:`read_pdf` found in a PDF.

    Attributes:
        readable: False when pypdf could not open the file (truncated, corrupt, encrypted).
        attachments: every attachment name found, in document order.
        candidates: the ``*.xml`` attachments, by priority.
        undecodable: the ``*.xml`` attachments whose stream could not be decoded or
            decompressed (a GW-PDF-04 warning each), by priority.
        xmp: the XMP properties, or None when the PDF carries no ``/Metadata`` stream.
        findings: GW-PDF-01 / GW-PDF-02 errors, GW-PDF-08 warnings.
        relationships: lower-cased file name -> ``/AFRelationship`` (``"Data"``) of the files
            listed in the catalog ``/AF`` array (:mod:`edi_gateway.validation.pdf_af`).
    """

    readable: bool
    attachments: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    undecodable: tuple[str, ...] = ()
    xmp: Xmp | None = None
    findings: tuple[Finding, ...] = ()
    relationships: dict[str, str] = field(default_factory=dict)


def finding(rule: str, severity: Severity, message: str) -> Finding:
    """Return a DETECT-layer finding of this module (project rule ids, docs/detection.md)."""
    return Finding(layer=Layer.DETECT, rule=rule, severity=severity, message=message, source=SOURCE)


def read_pdf(data: bytes) -> PdfContent:
    """Open ``data`` with pypdf and collect the XML attachments and the XMP properties.

    Args:
        data: the bytes of a file whose first KiB holds ``%PDF-``.

    Returns:
        A :class:`PdfContent`. Never raises: pypdf raises many exception types on damaged input
        (PdfReadError, PdfStreamError, ValueError, KeyError, RecursionError ...), every one of them
        becomes a ``GW-PDF-01`` error (``GW-PDF-02`` for an encrypted file we cannot open).
    """
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted and not _decrypt(reader):
            return _unreadable("GW-PDF-02", ENCRYPTED)
        found, notes = _attachments(reader)
    except Exception as exc:  # pypdf: any exception type on damaged input
        why = f"the PDF cannot be read (truncated or corrupt): {type(exc).__name__}: {exc}"
        return _unreadable("GW-PDF-01", why)
    xml = [(name, entry) for name, entry in found if name.lower().endswith(".xml")]
    xml.sort(key=lambda item: _rank(item[0]))
    candidates, problems, failed = _contents(xml)
    findings = list(notes) + problems
    if reader.is_encrypted:
        findings.append(finding("GW-PDF-08", Severity.WARNING, OPENED_ENCRYPTED))
    if (where := javascript_in(reader)) is not None:  # never delivered to a buyer
        findings.append(finding("GW-PDF-10", Severity.ERROR, f"{JAVASCRIPT} ({where})"))
    return PdfContent(
        readable=True,
        attachments=tuple(name for name, _ in found),
        candidates=tuple(candidates),
        undecodable=tuple(failed),
        xmp=read_xmp(reader),
        findings=tuple(findings),
        relationships=catalog_relationships(reader.root_object),
    )


ENCRYPTED = (
    "the PDF is encrypted and cannot be opened without a password "
    "(PDF/A-3, hence Factur-X, forbids encryption)"
)
JAVASCRIPT = (
    "the PDF holds JavaScript, which PDF/A-3 (hence Factur-X) forbids (ISO 19005-3 §6.6) | "
    "le PDF contient du JavaScript, interdit en PDF/A-3"
)
OPENED_ENCRYPTED = (
    "the PDF is encrypted (opened with the empty password); PDF/A-3 forbids encryption"
)


def _unreadable(rule: str, message: str) -> PdfContent:
    """A PDF that cannot be opened: one error finding, nothing else."""
    return PdfContent(readable=False, findings=(finding(rule, Severity.ERROR, message),))


def _decrypt(reader: PdfReader) -> bool:
    """Try the empty user password (owner-password-only PDFs); False when that fails."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # wrong password, or an AES file without the crypto dependency
        return False


def _rank(name: str) -> int:
    """Sort key: position in :data:`PRIORITY`, then every other ``*.xml`` after them."""
    lowered = name.lower()
    return PRIORITY.index(lowered) if lowered in PRIORITY else len(PRIORITY)


def _attachments(reader: PdfReader) -> tuple[list[tuple[str, Any]], list[Finding]]:
    """Return ``[(name, filespec or EmbeddedFile)]`` from the name tree, catalog /AF, page /AF."""
    found: list[tuple[str, Any]] = []
    seen: set[str] = set()
    notes: list[Finding] = []
    try:
        for entry in reader.attachment_list:
            name = _embedded_name(entry)
            if name.lower() not in seen:
                found.append((name, entry))
            # the key and /UF or /F may differ: /AF must not list the same file again
            aliases = (name, entry.name, entry.alternative_name)
            seen.update(str(alias).lower() for alias in aliases if alias)
    except Exception as exc:  # pypdf: broken name tree; the /AF arrays may still work
        notes.append(_broken("the EmbeddedFiles name tree", exc))
    af_only: list[str] = []
    try:
        af_only += _from_af(reader.root_object, seen, found, "AF")
        if not any(name.lower().endswith(".xml") for name, _ in found):
            for index, page in enumerate(reader.pages):
                if index >= MAX_PAGES_FOR_AF:
                    break
                af_only += _from_af(page, seen, found, "page AF")
    except Exception as exc:  # pypdf: broken /AF array or page tree
        notes.append(_broken("an /AF array", exc))
    if af_only:
        notes.append(
            finding(
                "GW-PDF-05",
                Severity.WARNING,
                "attachment(s) found only through an /AF array, not in the EmbeddedFiles name "
                f"tree (PDF/A-3 lists them in both): {', '.join(af_only)}",
            )
        )
    return found, notes


def _broken(what: str, exc: Exception) -> Finding:
    """GW-PDF-04 warning: one part of the PDF could not be read, the rest still is."""
    return finding(
        "GW-PDF-04", Severity.WARNING, f"{what} cannot be read: {type(exc).__name__}: {exc}"
    )


def _embedded_name(entry: Any) -> str:
    """Attachment name: the name-tree key, or ``/UF``/``/F`` when only that ends in ``.xml``."""
    name = str(entry.name)
    if not name.lower().endswith(".xml"):
        alternative = entry.alternative_name
        if alternative and str(alternative).lower().endswith(".xml"):
            return str(alternative)
    return name


def _from_af(holder: Any, seen: set[str], found: list[tuple[str, Any]], via: str) -> list[str]:
    """Append the file specifications of ``holder['/AF']`` not seen yet; return their names."""
    added: list[str] = []
    af = holder.get("/AF")
    if af is None:
        return added
    for ref in af.get_object():
        spec = ref.get_object()
        raw = spec.get("/UF") or spec.get("/F")
        if raw is None or "/EF" not in spec:
            continue
        name = str(raw.get_object())
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        found.append((name, (via, spec)))
        added.append(name)
    return added


def _contents(
    xml: list[tuple[str, Any]],
) -> tuple[list[Candidate], list[Finding], list[str]]:
    """Decode each candidate's stream; one unreadable stream is a GW-PDF-04 warning, not fatal.

    Returns the candidates, the warnings, and the names of the attachments that could not be
    decoded: a stream whose filter raised, or whose compressed bytes decode to nothing (pypdf
    gives ``b""`` for a Flate stream that is not zlib data: that is no empty file).
    """
    candidates: list[Candidate] = []
    problems: list[Finding] = []
    failed: list[str] = []
    for name, entry in xml:
        try:
            via, stream = _stream(entry)
            content = stream.get_data()
        except Exception as exc:  # pypdf: broken stream, bad filter, missing /EF
            problems.append(
                finding(
                    "GW-PDF-04",
                    Severity.WARNING,
                    f"attachment {name} cannot be decoded: {type(exc).__name__}: {exc}",
                )
            )
            failed.append(name)
            continue
        encoded = len(getattr(stream, "_data", b"") or b"")
        if not content and encoded and stream.get("/Filter") is not None:
            problems.append(
                finding(
                    "GW-PDF-04",
                    Severity.WARNING,
                    f"attachment {name} could not be decompressed ({_filters(stream)}): its "
                    f"{encoded} bytes of stream data decode to nothing",
                )
            )
            failed.append(name)
            continue
        candidates.append(Candidate(name=name, content=bytes(content), via=via))
    return candidates, problems, failed


def _stream(entry: Any) -> tuple[str, Any]:
    """``(via, embedded file stream)`` of a name-tree entry or an ``(via, file spec)`` pair."""
    via, spec = entry if isinstance(entry, tuple) else ("EmbeddedFiles", entry.pdf_object)
    ef = spec["/EF"].get_object()
    return via, (ef.get("/F") or ef.get("/UF")).get_object()


def _filters(stream: Any) -> str:
    """The stream's /Filter as written (``/FlateDecode``, ``/ASCIIHexDecode /FlateDecode``)."""
    value = stream.get("/Filter")
    value = value.get_object() if hasattr(value, "get_object") else value
    items = value if isinstance(value, list) else [value]
    return " ".join(str(item) for item in items)
