"""Factur-X XMP metadata: read ``fx:ConformanceLevel`` / ``fx:DocumentFileName`` and check them.

Job: read the Factur-X / ZUGFeRD extension-schema properties from a PDF's XMP packet (parsed with
:func:`edi_gateway.core.xmlsafe.parse`) and compare them with the invoice XML actually taken from
the PDF (Factur-X 1.0, XMP extension schema as written by the factur-x package). Input: an open
pypdf reader, then the read :class:`Xmp`, the BT-24 profile and the attachment name; output: an
:class:`Xmp` and ``GW-PDF-XMP-01..04`` warnings. It never decides the profile (BT-24 in the XML
always wins, docs/detection.md), never produces an error and never raises on a bad PDF.
"""

from __future__ import annotations

from dataclasses import dataclass

from facturx.facturx import FACTURX_LEVEL2xmp
from lxml import etree
from pypdf import PdfReader

from edi_gateway.core import xmlsafe
from edi_gateway.core.model import Finding, Layer, Severity

#: XMP ConformanceLevel (Factur-X 1.0 §XMP, as written by factur-x) -> BT-24 profiles it covers.
#: A CIUS of EN 16931 (XRechnung, Peppol) is consistent with "EN 16931"; EXTENDED-CTC-FR with
#: "EXTENDED" (it extends the EXTENDED profile).
XMP_LEVEL_PROFILES: dict[str, frozenset[str]] = {
    **{label: frozenset({level}) for level, label in FACTURX_LEVEL2xmp.items()},
    "EN 16931": frozenset({"en16931", "xrechnung", "peppol"}),
    "EXTENDED": frozenset({"extended", "extended-ctc-fr"}),
    "XRECHNUNG": frozenset({"xrechnung"}),
}

#: XMP findings are PDF findings: same source as :mod:`edi_gateway.validation.pdf`.
SOURCE = "edi-gateway:pdf"


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


def read_xmp(reader: PdfReader) -> Xmp | None:
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
        xmp: what :func:`edi_gateway.validation.pdf.read_pdf` read, or None when the PDF has no XMP
        packet.
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
    """A GW-PDF-XMP-* finding: DETECT layer, always a WARNING (docs/detection.md)."""
    return Finding(
        layer=Layer.DETECT, rule=rule, severity=Severity.WARNING, message=message, source=SOURCE
    )
