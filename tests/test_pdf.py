"""Factur-X PDF extraction: attachments by priority, /AF fallback, damaged PDFs, XMP checks.

Every PDF here is built at test time from a blank page (pypdf) and the tiny CII fixture, with
``facturx.generate_from_binary`` for the real Factur-X case, so nothing binary is committed.
"""

from __future__ import annotations

import logging
import time
from io import BytesIO
from pathlib import Path

import facturx
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    TextStringObject,
)

from edi_gateway.core.model import Container, Layer, Severity, Syntax
from edi_gateway.validation import pdf
from edi_gateway.validation.detect import detect

FIXTURES = Path(__file__).parent / "fixtures" / "detect"
CII = (FIXTURES / "cii-minimum.xml").read_bytes()
UBL = (FIXTURES / "ubl-invoice.xml").read_bytes()
ZUGFERD_1 = (FIXTURES / "zugferd-1.0.xml").read_bytes()


def write(writer: PdfWriter) -> bytes:
    """Serialise a PdfWriter to bytes."""
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def blank_writer() -> PdfWriter:
    """A PdfWriter holding one blank A4 page."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def blank_pdf() -> bytes:
    """A one-page PDF without attachments."""
    return write(blank_writer())


def facturx_pdf(xml: bytes = CII, level: str = "autodetect") -> bytes:
    """A Factur-X PDF made by the factur-x library itself (XMP written from ``level``)."""
    return facturx.generate_from_binary(blank_pdf(), xml, level=level, check_xsd=False)


def with_attachments(*files: tuple[str, bytes]) -> bytes:
    """A blank PDF with the given files in its EmbeddedFiles name tree (no XMP, no /AF)."""
    writer = blank_writer()
    for name, content in files:
        writer.add_attachment(name, content)
    return write(writer)


def with_af_only(name: str, content: bytes, *, on_page: bool = False) -> bytes:
    """A PDF whose only reference to the file is an /AF array (catalog, or the first page)."""
    writer = blank_writer()
    stream = DecodedStreamObject()
    stream.set_data(content)
    stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
    spec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject(name),
            NameObject("/UF"): TextStringObject(name),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(stream)}),
        }
    )
    holder = writer.pages[0] if on_page else writer.root_object
    holder[NameObject("/AF")] = ArrayObject([writer._add_object(spec)])
    return write(writer)


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """Copy of a PDF whose /Metadata stream is replaced by ``packet``."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(data)))
    stream = DecodedStreamObject()
    stream.set_data(packet)
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    writer.root_object[NameObject("/Metadata")] = writer._add_object(stream)
    return write(writer)


def xmp_packet(level: str, file_name: str) -> bytes:
    """A minimal XMP packet with the Factur-X extension properties in attribute form."""
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" '
        'xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" '
        f'fx:ConformanceLevel="{level}" fx:DocumentFileName="{file_name}" '
        'fx:DocumentType="INVOICE" fx:Version="1.0"/>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def rules(detection) -> list[str]:
    """Rule ids of a detection's findings, in order."""
    return [f.rule for f in detection.findings]


@pytest.fixture(scope="module")
def facturx_bytes() -> bytes:
    """One Factur-X MINIMUM PDF shared by the tests of this module."""
    return facturx_pdf()


def test_facturx_pdf_from_the_library(facturx_bytes):
    """A Factur-X PDF made by factur-x: CII taken from factur-x.xml, profile from BT-24."""
    d = detect(facturx_bytes)
    assert (d.container, d.syntax, d.label) == (Container.PDF, Syntax.CII, "facturx-pdf")
    assert d.kind == "Factur-X PDF"
    assert (d.attachment, d.attachments) == ("factur-x.xml", ("factur-x.xml",))
    assert d.profile == "minimum" and d.guideline_id == "urn:factur-x.eu:1p0:minimum"
    assert d.flux_syntax == "IN_DP_E2_CII_FACTURX"
    assert d.xml == CII
    assert d.findings == ()


def test_read_pdf_reports_xmp(facturx_bytes):
    """read_pdf returns the XMP ConformanceLevel and DocumentFileName the library wrote."""
    content = pdf.read_pdf(facturx_bytes)
    assert content.readable
    assert content.xmp == pdf.Xmp(conformance_level="MINIMUM", document_file_name="factur-x.xml")
    assert [c.via for c in content.candidates] == ["EmbeddedFiles"]


def test_pdf_without_xml():
    """A blank PDF is OTHER, kind 'PDF without invoice XML', with a GW-PDF-03 error."""
    d = detect(blank_pdf())
    assert (d.container, d.syntax, d.kind) == (
        Container.PDF,
        Syntax.OTHER,
        "PDF without invoice XML",
    )
    assert rules(d) == ["GW-PDF-03"]
    assert d.findings[0].severity is Severity.ERROR
    assert d.flux_syntax is None and d.xml is None


def with_af(*files: tuple[str, bytes, str | None]) -> bytes:
    """A blank PDF with the files in its EmbeddedFiles name tree; those with a relationship
    (``"/Alternative"`` ...) are also listed in the catalog /AF array with that /AFRelationship."""
    writer = blank_writer()
    listed = ArrayObject()
    for name, content, relationship in files:
        entry = writer.add_attachment(name, content)
        if relationship is not None:
            entry.associated_file_relationship = NameObject(relationship)
            listed.append(writer._add_object(entry.pdf_object))
    writer.root_object[NameObject("/AF")] = listed
    return write(writer)


OTHER_CII = CII.replace(b"F-2025-0001", b"F-2025-0099")


@pytest.mark.parametrize(
    "relationships",
    [
        (None, None),
        ("/Alternative", "/Alternative"),
        ("/Data", "/Alternative"),
        ("/Supplement", None),
    ],
)
def test_two_invoice_attachments_not_told_apart_by_af_are_ambiguous(relationships):
    """Two invoice XMLs and the catalog /AF designates neither or both (Data/Alternative/Source):
    the PDF is ambiguous, other with a GW-PDF-09 error naming both; nothing is taken."""
    first, second = relationships
    d = detect(with_af(("zugferd-invoice.xml", OTHER_CII, first), ("factur-x.xml", CII, second)))
    assert (d.syntax, d.attachment, d.xml, d.flux_syntax) == (Syntax.OTHER, None, None, None)
    assert d.kind == "PDF with several invoice XML attachments"
    error = next(f for f in d.findings if f.rule == "GW-PDF-09")
    assert error.severity is Severity.ERROR
    assert "factur-x.xml (UN/CEFACT CII" in error.message
    assert "zugferd-invoice.xml (UN/CEFACT CII" in error.message
    assert "GW-PDF-07" not in rules(d)


def test_ambiguous_pdf_is_an_inadmissible_flux():
    """The ambiguous PDF is an inadmissible flux whose reason is IRR_TYPE_F (GW-PDF-09)."""
    from edi_gateway.core.model import Verdict
    from edi_gateway.outputs.statut_flux_report import inadmissible_reason
    from edi_gateway.validation.validator import Validator

    data = with_attachments(("zugferd-invoice.xml", OTHER_CII), ("factur-x.xml", CII))
    report = Validator().validate(data, "two-invoices.pdf")
    assert report.verdict is Verdict.INADMISSIBLE
    assert inadmissible_reason(report.findings) == "IRR_TYPE_F"


@pytest.mark.parametrize("relationship", ["/Alternative", "/Data", "/Source"])
def test_the_invoice_designated_by_af_is_taken(relationship):
    """When the catalog /AF designates exactly one of the invoice XMLs with a Factur-X
    relationship, that one is taken, even against the name priority; a warning names the other."""
    d = detect(
        with_af(("zugferd-invoice.xml", OTHER_CII, relationship), ("factur-x.xml", CII, None))
    )
    assert (d.syntax, d.attachment, d.xml) == (Syntax.CII, "zugferd-invoice.xml", OTHER_CII)
    assert set(d.attachments) == {"zugferd-invoice.xml", "factur-x.xml"}
    warning = next(f for f in d.findings if f.rule == "GW-PDF-07")
    assert warning.severity is Severity.WARNING
    assert f"/AFRelationship {relationship}" in warning.message
    assert "ignored factur-x.xml (UN/CEFACT CII" in warning.message
    assert not [f for f in d.findings if f.severity is Severity.ERROR]


def test_facturx_library_pdf_with_a_second_invoice_as_supplement():
    """factur-x writes factur-x.xml with /AFRelationship /Data in the catalog /AF; another
    invoice XML it adds as an attachment is /Unspecified: factur-x.xml is taken."""
    data = facturx.generate_from_binary(
        blank_pdf(),
        CII,
        check_xsd=False,
        attachments={"other-invoice.xml": {"filedata": OTHER_CII}},
    )
    assert pdf.read_pdf(data).relationships == {
        "factur-x.xml": "Data",
        "other-invoice.xml": "Unspecified",
    }
    d = detect(data)
    assert (d.syntax, d.attachment, d.xml) == (Syntax.CII, "factur-x.xml", CII)
    assert rules(d) == ["GW-PDF-07"]


@pytest.mark.parametrize("on_page", [False, True])
def test_xml_only_in_af_is_found(on_page):
    """An invoice listed only in the catalog /AF (or a page /AF) is still taken, with a warning."""
    d = detect(with_af_only("factur-x.xml", CII, on_page=on_page))
    assert (d.syntax, d.attachment, d.profile) == (Syntax.CII, "factur-x.xml", "minimum")
    assert "GW-PDF-05" in rules(d)
    assert all(f.severity is not Severity.ERROR for f in d.findings)


def test_file_in_name_tree_and_af_is_counted_once():
    """A file listed in the name tree (key unlike its /UF) and in /AF is one attachment."""
    writer = blank_writer()
    entry = writer.add_attachment("attachment-1", CII)
    entry.alternative_name = TextStringObject("factur-x.xml")
    writer.root_object[NameObject("/AF")] = ArrayObject([entry.pdf_object.indirect_reference])
    d = detect(write(writer))
    assert (d.syntax, d.attachment, d.attachments) == (
        Syntax.CII,
        "factur-x.xml",
        ("factur-x.xml",),
    )
    assert rules(d) == ["GW-PDF-XMP-02"]


def test_zugferd_2_name_is_taken_with_a_warning():
    """A CII in zugferd-invoice.xml is taken (ZUGFeRD 2.x PDF) with a GW-PDF-06 naming warning."""
    d = detect(with_attachments(("zugferd-invoice.xml", CII)))
    assert (d.syntax, d.kind, d.attachment) == (
        Syntax.CII,
        "ZUGFeRD 2.x PDF",
        "zugferd-invoice.xml",
    )
    assert rules(d) == ["GW-PDF-06", "GW-PDF-XMP-02"]


def test_any_xml_name_is_a_candidate():
    """A CII in an attachment with an unexpected *.xml name is found after the priority names."""
    d = detect(with_attachments(("readme.txt", b"hello"), ("Invoice_42.XML", CII)))
    assert (d.syntax, d.attachment) == (Syntax.CII, "Invoice_42.XML")
    assert d.kind == "PDF with embedded CII invoice"
    assert d.attachments == ("Invoice_42.XML", "readme.txt")


@pytest.mark.parametrize(
    ("xml", "kind"),
    [
        (UBL, "PDF with embedded UBL 2.1 Invoice"),
        (ZUGFERD_1, "PDF with embedded ZUGFeRD 1.0 invoice"),
    ],
)
def test_invoice_chorus_pro_does_not_take_in_a_pdf(xml, kind):
    """UBL or ZUGFeRD 1.0 inside a PDF is named and refused (only CII makes a Factur-X flux)."""
    d = detect(with_attachments(("ZUGFeRD-invoice.xml", xml)))
    assert (d.container, d.syntax, d.kind) == (Container.PDF, Syntax.OTHER, kind)
    assert d.attachment == "ZUGFeRD-invoice.xml"
    assert rules(d) == ["GW-DETECT-03"] and d.flux_syntax is None


def test_order_x_pdf_is_named():
    """A PDF embedding only an Order-X order is named after it and refused."""
    order = (
        b"<r:SCRDMCCBDACIOMessageStructure "
        b'xmlns:r="urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"/>'
    )
    d = detect(with_attachments(("order-x.xml", order)))
    assert (d.syntax, d.kind) == (Syntax.OTHER, "PDF with embedded Order-X order")
    assert rules(d) == ["GW-DETECT-03"]


@pytest.mark.parametrize(
    ("xml", "rule"),
    [
        (CII[: len(CII) // 2], "GW-XML-01"),
        (b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "GW-XML-02"),
    ],
)
def test_unparseable_attachment_is_an_xml_finding(xml, rule):
    """A broken or DTD-carrying factur-x.xml is an XML-layer error naming the attachment."""
    d = detect(with_attachments(("factur-x.xml", xml)))
    assert (d.syntax, d.kind) == (Syntax.OTHER, "PDF whose embedded XML cannot be parsed")
    assert rules(d) == [rule]
    assert d.findings[0].layer is Layer.XML
    assert d.findings[0].message.startswith("attachment factur-x.xml: ")
    assert "root:" not in d.findings[0].message


def test_broken_factur_x_xml_stays_an_error_next_to_a_good_cii():
    """A broken factur-x.xml next to a good CII: the CII is read, but the error is kept."""
    d = detect(with_attachments(("factur-x.xml", b"<broken"), ("invoice.xml", CII)))
    assert (d.syntax, d.attachment) == (Syntax.CII, "invoice.xml")
    xml_finding = next(f for f in d.findings if f.rule == "GW-XML-01")
    assert xml_finding.severity is Severity.ERROR


@pytest.mark.parametrize("stray", ["notes.xml", "zugferd-invoice.xml"])
def test_broken_attachment_outranked_by_the_invoice_is_a_warning(stray):
    """A broken stray *.xml, or a lower-priority name, next to factur-x.xml is only a warning."""
    d = detect(with_attachments(("factur-x.xml", CII), (stray, b"<broken")))
    assert (d.syntax, d.attachment) == (Syntax.CII, "factur-x.xml")
    xml_finding = next(f for f in d.findings if f.rule == "GW-XML-01")
    assert xml_finding.severity is Severity.WARNING
    assert xml_finding.message.startswith(f"attachment {stray}: ")


@pytest.mark.parametrize("fraction", [0.005, 0.06, 0.5, 0.9])
def test_truncated_pdf_is_a_finding(facturx_bytes, fraction):
    """A truncated PDF never raises: unreadable PDF, syntax OTHER, one GW-PDF-01 error."""
    d = detect(facturx_bytes[: int(len(facturx_bytes) * fraction)])
    assert (d.container, d.syntax, d.kind) == (Container.PDF, Syntax.OTHER, "unreadable PDF")
    assert rules(d) == ["GW-PDF-01"]
    assert d.findings[0].severity is Severity.ERROR


def test_garbage_after_header_is_unreadable():
    """A '%PDF-' header followed by garbage is an unreadable PDF with GW-PDF-01."""
    d = detect(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    assert (d.container, d.syntax, d.kind) == (Container.PDF, Syntax.OTHER, "unreadable PDF")
    assert rules(d) == ["GW-PDF-01"]


def test_pypdf_warnings_do_not_reach_the_log(caplog, facturx_bytes):
    """Damaged PDFs do not flood the log with pypdf warnings."""
    caplog.set_level(logging.WARNING)
    detect(facturx_bytes[: len(facturx_bytes) // 2])
    detect(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF")
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]


def test_encrypted_pdf_with_password_is_an_error():
    """A PDF that needs a user password cannot be read: GW-PDF-02 error."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(with_attachments(("factur-x.xml", CII)))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    d = detect(write(writer))
    assert (d.container, d.syntax, d.kind) == (Container.PDF, Syntax.OTHER, "unreadable PDF")
    assert rules(d) == ["GW-PDF-02"]


def test_encrypted_pdf_with_empty_password_is_read_with_a_warning():
    """An owner-password-only PDF opens with the empty password; encryption is a warning."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(with_attachments(("factur-x.xml", CII)))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    d = detect(write(writer))
    assert (d.syntax, d.xml) == (Syntax.CII, CII)
    assert "GW-PDF-08" in rules(d)


def test_xmp_level_disagreeing_with_xml_is_a_warning():
    """XMP says EN 16931 but BT-24 says MINIMUM: profile stays minimum, GW-PDF-XMP-03 warning."""
    d = detect(facturx_pdf(level="en16931"))
    assert d.profile == "minimum"
    assert rules(d) == ["GW-PDF-XMP-03"]
    assert d.findings[0].severity is Severity.WARNING
    assert "'EN 16931'" in d.findings[0].message


def test_xmp_file_name_disagreeing_is_a_warning(facturx_bytes):
    """XMP DocumentFileName that is not the attachment's name is a GW-PDF-XMP-04 warning."""
    d = detect(with_xmp(facturx_bytes, xmp_packet("MINIMUM", "invoice.xml")))
    assert rules(d) == ["GW-PDF-XMP-04"]


def test_xmp_spelling_variants_agree(facturx_bytes):
    """'minimum' in lower case is the same level as MINIMUM: no warning."""
    d = detect(with_xmp(facturx_bytes, xmp_packet("minimum", "factur-x.xml")))
    assert d.findings == ()


@pytest.mark.parametrize(
    "packet",
    [
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><broken",
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
)
def test_malformed_xmp_is_a_warning_never_a_crash(facturx_bytes, packet):
    """Malformed (or DTD-carrying) XMP is a GW-PDF-XMP-01 warning; the invoice is still taken."""
    d = detect(with_xmp(facturx_bytes, packet))
    assert (d.syntax, d.profile) == (Syntax.CII, "minimum")
    assert rules(d) == ["GW-PDF-XMP-01"]
    assert d.findings[0].severity is Severity.WARNING


def test_missing_xmp_is_a_warning():
    """A PDF with factur-x.xml but no XMP Factur-X properties gets GW-PDF-XMP-02."""
    d = detect(with_attachments(("factur-x.xml", CII)))
    assert d.syntax is Syntax.CII
    assert rules(d) == ["GW-PDF-XMP-02"]


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("BASIC WL", "BASIC WL"),
        ("basicwl", "BASIC WL"),
        ("EN16931", "EN 16931"),
        ("extended", "EXTENDED"),
    ],
)
def test_normalise_xmp_level(value, level):
    """XMP ConformanceLevel spellings are normalised before comparison."""
    assert pdf.normalise_xmp_level(value) == level


def test_detection_cost_per_pdf(facturx_bytes):
    """Detecting a small Factur-X PDF costs about a millisecond (no XSD work)."""
    detect(facturx_bytes)
    runs = []
    for _ in range(21):
        started = time.perf_counter()
        detect(facturx_bytes)
        runs.append(time.perf_counter() - started)
    assert sorted(runs)[10] < 0.02  # median well under 20 ms even on a busy 2-core machine


def test_mutated_pdfs_never_raise(facturx_bytes):
    """300 seeded random corruptions of a Factur-X PDF all come back as a Detection."""
    import random

    rng = random.Random(16931)
    outcomes = set()
    for _ in range(300):
        data = bytearray(facturx_bytes)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(data))
            data[position : position + rng.randint(1, 16)] = rng.randbytes(rng.randint(0, 16))
        d = detect(bytes(data))
        assert d.syntax is Syntax.CII or any(f.severity is Severity.ERROR for f in d.findings)
        outcomes.add(d.kind)
    assert "Factur-X PDF" in outcomes and len(outcomes) > 1


def _with_raw_attachment(name: str, stream_bytes: bytes) -> bytes:
    """A PDF whose attachment ``name`` holds ``stream_bytes`` declared /FlateDecode."""
    writer = blank_writer()
    stream = DecodedStreamObject()
    stream.set_data(stream_bytes)
    stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    spec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject(name),
            NameObject("/UF"): TextStringObject(name),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(stream)}),
        }
    )
    ref = writer._add_object(spec)
    writer.root_object[NameObject("/AF")] = ArrayObject([ref])
    names = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject(name), ref])})
    writer.root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/EmbeddedFiles"): writer._add_object(names)}
    )
    return write(writer)


def test_attachment_that_cannot_be_decompressed_is_said_so():
    """A factur-x.xml whose Flate stream is garbage is reported as not decompressible (GW-PDF-04
    naming the filter, GW-PDF-03 naming the attachment), never as "the file is empty"."""
    d = detect(_with_raw_attachment("factur-x.xml", b"garbage-not-zlib"))
    assert d.syntax is Syntax.OTHER
    assert rules(d)[:2] == ["GW-PDF-04", "GW-PDF-03"]
    warning, error = d.findings[:2]
    assert "attachment factur-x.xml could not be decompressed (/FlateDecode)" in warning.message
    assert error.severity is Severity.ERROR
    assert "factur-x.xml could not be decompressed" in error.message
    assert not any("empty" in f.message for f in d.findings)


def test_empty_attachment_is_still_empty():
    """An attachment that really holds no bytes keeps its GW-XML-03 "empty" finding."""
    d = detect(with_attachments(("factur-x.xml", b"")))
    assert "GW-XML-03" in rules(d)
