"""Factur-X / ZUGFeRD PDF reading: embedded XML attachments and XMP metadata, through pypdf.

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
findings (``GW-PDF-01`` unreadable, ``GW-PDF-02`` encrypted, ``GW-PDF-XMP-..`` for XMP).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from facturx.facturx import FACTURX_LEVEL2xmp
from lxml import etree
from pypdf import PdfReader

from edi_gateway import xmlsafe
from edi_gateway.model import Finding, Layer, Severity

# pypdf logs a warning for every oddity of a damaged PDF; the findings already say what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)

#: Invoice attachment names by priority, lower-cased (Factur-X 1.0, ZUGFeRD 2.0 / 1.0, XRechnung).
PRIORITY: tuple[str, ...] = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")

#: XMP ConformanceLevel (Factur-X 1.0 §XMP, as written by factur-x) -> BT-24 profiles it covers.
#: A CIUS of EN 16931 (XRechnung, Peppol) is consistent with "EN 16931"; EXTENDED-CTC-FR with
#: "EXTENDED" (it extends the EXTENDED profile).
XMP_LEVEL_PROFILES: dict[str, frozenset[str]] = {
    **{label: frozenset({level}) for level, label in FACTURX_LEVEL2xmp.items()},
    "EN 16931": frozenset({"en16931", "xrechnung", "peppol"}),
    "EXTENDED": frozenset({"extended", "extended-ctc-fr"}),
    "XRECHNUNG": frozenset({"xrechnung"}),
}

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
class Xmp:
    """Factur-X extension schema properties read from the PDF's XMP packet.

    Attributes:
        conformance_level: ``fx:ConformanceLevel`` as written (``EN 16931``, ``BASIC WL`` ...).
        document_file_name: ``fx:DocumentFileName`` as written.
        problem: why the XMP could not be parsed (then both values are None).
    """

    conformance_level: str | None = None
    document_file_name: str | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class PdfContent:
    """What :func:`read_pdf` found in a PDF.

    Attributes:
        readable: False when pypdf could not open the file (truncated, corrupt, encrypted).
        attachments: every attachment name found, in document order.
        candidates: the ``*.xml`` attachments, by priority.
        xmp: the XMP properties, or None when the PDF carries no ``/Metadata`` stream.
        findings: GW-PDF-01 / GW-PDF-02 errors, GW-PDF-08 warnings.
    """

    readable: bool
    attachments: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    xmp: Xmp | None = None
    findings: tuple[Finding, ...] = ()


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
            return PdfContent(
                readable=False,
                findings=(
                    finding(
                        "GW-PDF-02",
                        Severity.ERROR,
                        "the PDF is encrypted and cannot be opened without a password "
                        "(PDF/A-3, hence Factur-X, forbids encryption)",
                    ),
                ),
            )
        found, notes = _attachments(reader)
    except Exception as exc:  # pypdf: any exception type on damaged input
        return PdfContent(
            readable=False,
            findings=(
                finding(
                    "GW-PDF-01",
                    Severity.ERROR,
                    f"the PDF cannot be read (truncated or corrupt): {type(exc).__name__}: {exc}",
                ),
            ),
        )
    names = tuple(name for name, _ in found)
    xml = [(name, entry) for name, entry in found if name.lower().endswith(".xml")]
    xml.sort(key=lambda item: _rank(item[0]))
    candidates, problems = _contents(xml)
    findings = list(notes) + problems
    if reader.is_encrypted:
        findings.append(
            finding(
                "GW-PDF-08",
                Severity.WARNING,
                "the PDF is encrypted (opened with the empty password); PDF/A-3 forbids encryption",
            )
        )
    return PdfContent(
        readable=True,
        attachments=names,
        candidates=tuple(candidates),
        xmp=_read_xmp(reader),
        findings=tuple(findings),
    )


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


def _contents(xml: list[tuple[str, Any]]) -> tuple[list[Candidate], list[Finding]]:
    """Decode each candidate's stream; one unreadable stream is a GW-PDF-04 warning, not fatal."""
    candidates: list[Candidate] = []
    problems: list[Finding] = []
    for name, entry in xml:
        try:
            if isinstance(entry, tuple):
                via, spec = entry
                ef = spec["/EF"].get_object()
                stream = (ef.get("/F") or ef.get("/UF")).get_object()
                content = stream.get_data()
            else:
                via, content = "EmbeddedFiles", entry.content
        except Exception as exc:  # pypdf: broken stream, bad filter, missing /EF
            problems.append(
                finding(
                    "GW-PDF-04",
                    Severity.WARNING,
                    f"attachment {name} cannot be decoded: {type(exc).__name__}: {exc}",
                )
            )
            continue
        candidates.append(Candidate(name=name, content=bytes(content), via=via))
    return candidates, problems


def _read_xmp(reader: PdfReader) -> Xmp | None:
    """Read ``ConformanceLevel`` / ``DocumentFileName`` from the XMP packet (parsed by xmlsafe)."""
    try:
        metadata = reader.root_object.get("/Metadata")
        if metadata is None:
            return None
        packet = metadata.get_object().get_data()
    except Exception as exc:  # pypdf: broken metadata stream
        return Xmp(problem=f"the XMP stream cannot be read: {type(exc).__name__}: {exc}")
    try:
        tree = xmlsafe.parse(packet)
    except xmlsafe.XmlProblem as problem:
        return Xmp(problem=str(problem))
    return Xmp(
        conformance_level=_xmp_property(tree, "ConformanceLevel"),
        document_file_name=_xmp_property(tree, "DocumentFileName"),
    )


def _xmp_property(tree: etree._ElementTree, local: str) -> str | None:
    """First value of a Factur-X/ZUGFeRD extension-schema property, element or attribute form.

    The property namespaces all contain ``CrossIndustryDocument`` (``urn:factur-x:pdfa:...``,
    ``urn:zugferd:pdfa:...``, ``urn:ferd:pdfa:...``).
    """
    for element in tree.iter("{*}Description"):
        for key, value in element.attrib.items():
            qname = etree.QName(key)
            if qname.localname == local and "CrossIndustryDocument" in (qname.namespace or ""):
                return str(value).strip()
        for child in element:
            if not isinstance(child.tag, str):
                continue
            qname = etree.QName(child)
            if qname.localname == local and "CrossIndustryDocument" in (qname.namespace or ""):
                return (child.text or "").strip()
    return None


def xmp_findings(xmp: Xmp | None, profile: str | None, attachment: str | None) -> list[Finding]:
    """Compare the XMP with the invoice XML actually taken; every result is a WARNING.

    The profile always comes from BT-24 in the XML, never from XMP (docs/detection.md).

    Args:
        xmp: what :func:`read_pdf` read, or None when the PDF has no XMP packet.
        profile: normalised BT-24 profile of the chosen XML (None when no invoice XML was taken).
        attachment: name of the attachment the XML came from.

    Returns:
        GW-PDF-XMP-01 malformed XMP, -02 no Factur-X properties, -03 ConformanceLevel disagrees
        with BT-24, -04 DocumentFileName is not the attachment's name.
    """
    if xmp is not None and xmp.problem:
        return [_xmp("GW-PDF-XMP-01", f"the XMP metadata is malformed: {xmp.problem}")]
    if profile is None:
        return []
    if xmp is None or xmp.conformance_level is None:
        return [_xmp("GW-PDF-XMP-02", "the XMP metadata has no Factur-X ConformanceLevel")]
    found: list[Finding] = []
    level = normalise_xmp_level(xmp.conformance_level)
    if profile != "other" and profile not in XMP_LEVEL_PROFILES.get(level, frozenset()):
        found.append(
            _xmp(
                "GW-PDF-XMP-03",
                f"XMP ConformanceLevel {xmp.conformance_level!r} disagrees with the XML profile "
                f"{profile!r} (BT-24); the XML wins",
            )
        )
    name = xmp.document_file_name
    if attachment and name and name.lower() != attachment.lower():
        found.append(
            _xmp(
                "GW-PDF-XMP-04",
                f"XMP DocumentFileName {name!r} is not the invoice attachment {attachment!r}",
            )
        )
    return found


def normalise_xmp_level(value: str) -> str:
    """Upper-case an XMP ConformanceLevel and restore its spaces (``BASICWL`` -> ``BASIC WL``)."""
    level = " ".join(value.upper().replace("_", " ").replace("-", " ").split())
    return {"BASICWL": "BASIC WL", "EN16931": "EN 16931"}.get(level, level)


def _xmp(rule: str, message: str) -> Finding:
    return finding(rule, Severity.WARNING, message)
