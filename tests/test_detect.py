"""Detection by content of bare files: containers, XML syntaxes, BT-24 profiles, bad input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from edi_gateway.core.model import Container, Layer, Severity, Syntax
from edi_gateway.validation import detect as detect_module
from edi_gateway.validation.detect import classify, detect, normalise_profile, sniff
from tests.conftest import REFERENCE, need_shared

FIXTURES = Path(__file__).parent / "fixtures" / "detect"


def fixture(name: str) -> bytes:
    """Bytes of one file in tests/fixtures/detect."""
    return (FIXTURES / name).read_bytes()


def rules(detection) -> list[str]:
    """Rule ids of a detection's findings, in order."""
    return [f.rule for f in detection.findings]


def test_ubl_invoice_is_detected_with_profile_and_flux_syntax():
    """A UBL 2.1 Invoice gives syntax, BT-24 as written, profile en16931 and the E1 UBL flux."""
    data = fixture("ubl-invoice.xml")
    d = detect(data)
    assert (d.container, d.syntax, d.label) == (Container.XML, Syntax.UBL_INVOICE, "ubl-invoice")
    assert d.kind == "UBL 2.1 Invoice"
    assert d.guideline_id == "urn:cen.eu:en16931:2017"
    assert d.profile == "en16931"
    assert d.flux_syntax == "IN_DP_E1_UBL_INVOICE"
    assert d.xml == data
    assert d.findings == ()


def test_ubl_credit_note_peppol_profile():
    """A UBL CreditNote with the Peppol BIS 3 identifier is a credit note, profile peppol."""
    d = detect(fixture("ubl-creditnote-peppol.xml"))
    assert d.syntax is Syntax.UBL_CREDIT_NOTE
    assert d.profile == "peppol"
    assert d.flux_syntax == "IN_DP_E1_UBL_INVOICE"


def test_cii_is_detected_with_factur_x_level():
    """A CII invoice gives profile minimum from its Factur-X URN and the E1 CII flux."""
    d = detect(fixture("cii-minimum.xml"))
    assert (d.container, d.syntax) == (Container.XML, Syntax.CII)
    assert d.guideline_id == "urn:factur-x.eu:1p0:minimum"
    assert d.profile == "minimum"
    assert d.flux_syntax == "IN_DP_E1_CII_16B"
    assert d.attachment is None and d.attachments == ()


@pytest.mark.parametrize("name", ["ubl-no-bt24.xml", "cii-no-bt24.xml"])
def test_missing_bt24_is_an_error(name):
    """A UBL or CII without BT-24 keeps its syntax but carries a GW-DETECT-04 error."""
    d = detect(fixture(name))
    assert d.syntax in (Syntax.UBL_INVOICE, Syntax.CII)
    assert d.profile is None and d.guideline_id is None
    assert rules(d) == ["GW-DETECT-04"]
    assert d.findings[0].severity is Severity.ERROR


def test_utf8_bom_is_accepted():
    """A UTF-8 byte order mark before the XML declaration does not change the detection."""
    d = detect(b"\xef\xbb\xbf" + fixture("ubl-invoice.xml"))
    assert d.syntax is Syntax.UBL_INVOICE and d.findings == ()


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_bom_is_accepted(codec):
    """UTF-16 (LE and BE, with BOM and encoding declaration) is detected and BT-24 is read."""
    text = (
        fixture("cii-minimum.xml").decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    )
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    d = detect(data)
    assert (d.container, d.syntax, d.profile) == (Container.XML, Syntax.CII, "minimum")
    assert d.findings == ()


def test_leading_whitespace_before_xml():
    """Blank lines before the first '<' still make an XML container."""
    d = detect(b"\n \r\n\t" + fixture("ubl-invoice.xml").split(b"?>", 1)[1])
    assert d.syntax is Syntax.UBL_INVOICE


@pytest.mark.parametrize(
    ("data", "kind", "rule"),
    [
        (b"", "empty file", "GW-DETECT-01"),
        (b" \n\t\r\n  ", "empty file", "GW-DETECT-01"),
        (b"\xef\xbb\xbf\n", "empty file", "GW-DETECT-01"),
        (b"\x00\x01\x02\xffgarbage\x89PNG", "not XML or PDF", "GW-DETECT-02"),
        (b"UNA:+.? 'UNB+UNOC:3+SENDER'", "not XML or PDF", "GW-DETECT-02"),
    ],
)
def test_not_xml_nor_pdf(data, kind, rule):
    """Empty, blank and binary input is Container.OTHER with a named kind and an error."""
    d = detect(data)
    assert (d.container, d.syntax, d.kind) == (Container.OTHER, Syntax.OTHER, kind)
    assert rules(d) == [rule]
    assert d.findings[0].severity is Severity.ERROR and d.findings[0].layer is Layer.DETECT


def test_truncated_xml_keeps_line():
    """A truncated document is a GW-XML-01 finding of layer XML with the parser's line."""
    d = detect(fixture("truncated.xml"))
    assert (d.container, d.syntax) == (Container.XML, Syntax.OTHER)
    assert rules(d) == ["GW-XML-01"]
    assert d.findings[0].layer is Layer.XML
    assert d.findings[0].line is not None and d.findings[0].line >= 4


def test_billion_laughs_is_refused_without_expansion():
    """Entity expansion is never attempted: the DOCTYPE is refused with GW-XML-02."""
    started = time.perf_counter()
    d = detect(fixture("billion-laughs.xml"))
    assert time.perf_counter() - started < 1.0
    # libxml2's amplification guard may stop the parse (GW-XML-01) before the DOCTYPE check.
    assert rules(d) in (["GW-XML-01"], ["GW-XML-02"])
    assert d.findings[0].layer is Layer.XML and d.syntax is Syntax.OTHER
    assert d.xml is None
    assert "lollol" not in repr(d)


def test_xxe_does_not_read_the_file(tmp_path):
    """An external entity pointing at a local file is refused and the file content never shows."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        "<cbc:CustomizationID>&x;</cbc:CustomizationID></Invoice>"
    ).encode()
    d = detect(data)
    assert rules(d) == ["GW-XML-02"]
    assert "TOP-SECRET-MARKER" not in repr(d) + "".join(f.message for f in d.findings)


def test_zugferd_1_is_named_and_refused():
    """ZUGFeRD 1.0 XML is recognised by its root and refused as not accepted by Chorus Pro."""
    d = detect(fixture("zugferd-1.0.xml"))
    assert (d.syntax, d.kind, d.flux_syntax) == (Syntax.OTHER, "ZUGFeRD 1.0 invoice", None)
    assert rules(d) == ["GW-DETECT-03"]
    assert d.findings[0].message == "not an invoice Chorus Pro accepts: ZUGFeRD 1.0 invoice"


@pytest.mark.parametrize(
    ("root", "kind"),
    [
        (
            '<r:SCRDMCCBDACIOMessageStructure xmlns:r="urn:un:unece:uncefact:data:'
            'SCRDMCCBDACIOMessageStructure:100"/>',
            "Order-X order",
        ),
        (
            '<r:CrossDomainAcknowledgementAndResponse xmlns:r="urn:un:unece:uncefact:data:standard:'
            'CrossDomainAcknowledgementAndResponse:100"/>',
            "CDAR lifecycle message",
        ),
        ("<CPPStatut/>", "CPP status flow (CPPStatut)"),
        ("<CPPFacturePivot/>", "CPP pivot invoice (CPPFacturePivot)"),
        (
            '<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/'
            'fatture/v1.2"/>',
            "FatturaPA invoice",
        ),
        (
            '<testSet xmlns="http://difi.no/xsd/vefa/validator/1.0"/>',
            "VEFA testSet wrapper (CEN unit-test file)",
        ),
        ('<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>', "UBL Order"),
        ("<M_INVOIC/>", "EDIFACT-XML message M_INVOIC"),
        (
            '<r:myinvoice xmlns:r="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>',
            "unknown XML document (root element "
            "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}myinvoice)",
        ),
        (
            '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>',
            "unknown XML document (root element "
            "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}Invoice)",
        ),
        ("<html><body/></html>", "unknown XML document (root element html)"),
    ],
)
def test_other_documents_are_named(root, kind):
    """Documents that are not UBL/CII invoices are named after their root and refused."""
    d = detect(root.encode())
    assert (d.container, d.syntax, d.kind) == (Container.XML, Syntax.OTHER, kind)
    assert rules(d) == ["GW-DETECT-03"]
    assert d.profile is None and d.flux_syntax is None and d.xml is None


def test_cpp_status_sample_from_reference():
    """A real CPPStatut message (AIFE sample kept by Pastell) is named a CPP status flow."""
    path = need_shared(REFERENCE / "cpp" / "samples" / "Example01-FactureStatut-ok.xml")
    d = detect(path.read_bytes())
    assert (d.syntax, d.kind) == (Syntax.OTHER, "CPP status flow (CPPStatut)")


@pytest.mark.parametrize(
    ("value", "profile"),
    [
        ("urn:factur-x.eu:1p0:minimum", "minimum"),
        ("urn:factur-x.eu:1p0:basicwl", "basicwl"),
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "basic"),
        ("urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic", "basic"),
        ("urn:cen.eu:en16931:2017", "en16931"),
        (" urn:cen.eu:en16931:2017\n", "en16931"),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "extended"),
        (
            "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr",
            "extended-ctc-fr",
        ),
        ("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", "xrechnung"),
        ("urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_1.2", "xrechnung"),
        ("urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0", "peppol"),
        ("urn:ferd:CrossIndustryDocument:invoice:1p0:comfort", "zugferd-1.0-on-cii"),
        ("urn:zugferd.de:2p0:minimum", "minimum"),
        ("urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic", "basic"),
        ("urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended", "extended"),
        ("urn:cen.eu:en16931:2017#compliant#urn:example.org:my-cius", "other"),
        ("urn:example:basic", "other"),
    ],
)
def test_normalise_profile(value, profile):
    """BT-24 values map to the gateway's profile names (ZUGFeRD 2.0 to its Factur-X level)."""
    assert normalise_profile(value) == profile


def test_unknown_bt24_is_a_warning():
    """An unknown BT-24 keeps the invoice (profile other) with a GW-DETECT-05 warning."""
    text = fixture("ubl-invoice.xml").replace(b"urn:cen.eu:en16931:2017", b"urn:example:cius")
    d = detect(text)
    assert (d.syntax, d.profile, d.guideline_id) == (
        Syntax.UBL_INVOICE,
        "other",
        "urn:example:cius",
    )
    assert rules(d) == ["GW-DETECT-05"] and d.findings[0].severity is Severity.WARNING


def test_zugferd_1_urn_on_cii_is_a_warning():
    """The legacy ZUGFeRD 1.0 URN on a CII D16B keeps syntax CII with a GW-DETECT-06 warning."""
    text = fixture("cii-minimum.xml").replace(
        b"urn:factur-x.eu:1p0:minimum", b"urn:ferd:CrossIndustryDocument:invoice:1p0:comfort"
    )
    d = detect(text)
    assert (d.syntax, d.profile) == (Syntax.CII, "zugferd-1.0-on-cii")
    assert rules(d) == ["GW-DETECT-06"]


@pytest.mark.parametrize(
    ("data", "container"),
    [
        (b"%PDF-1.7\n", Container.PDF),
        (b"junk before header\n%PDF-1.4\n", Container.PDF),
        (b"\xef\xbb\xbf<a/>", Container.XML),
        ("<a/>".encode("utf-16-le"), Container.XML),
        (b"  <a/>", Container.XML),
        (b"<a>%PDF- in text</a>", Container.XML),
        (b"a" * 2000 + b"%PDF-1.4", Container.OTHER),
    ],
)
def test_sniff(data, container):
    """Magic bytes decide the container: %PDF- in the first KiB, or '<' after BOM/blanks."""
    assert sniff(data) is container


def test_internal_error_becomes_a_finding(monkeypatch):
    """An unexpected exception inside detection becomes a GW-DETECT-09 error, never a raise."""

    def boom(data):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(detect_module, "detect_xml", boom)
    d = detect(b"<a/>")
    assert (d.container, d.syntax, d.kind) == (Container.XML, Syntax.OTHER, "detection failed")
    assert rules(d) == ["GW-DETECT-09"] and d.findings[0].severity is Severity.ERROR


def test_classify_ignores_prefixes():
    """The root is classified by namespace URI and local name, whatever prefix is used."""
    from lxml import etree

    root = etree.fromstring(
        b'<x:CrossIndustryInvoice xmlns:x="urn:un:unece:uncefact:data:standard:'
        b'CrossIndustryInvoice:100"/>'
    )
    assert classify(root).syntax is Syntax.CII


def _utf16_without_bom(codec: str, *, declaration: str | None, newline: bool) -> bytes:
    """The CII fixture in UTF-16 without BOM, with or without a declaration and a leading LF."""
    body = fixture("cii-minimum.xml").decode("utf-8").split("?>", 1)[1].lstrip()
    text = (f'<?xml version="1.0" encoding="{declaration}"?>\n' if declaration else "") + body
    return (("\n" if newline else "") + text).encode(codec)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("newline", [False, True])
@pytest.mark.parametrize("declaration", [None, "UTF-16"])
def test_utf16_without_bom_is_one_clear_finding(codec, newline, declaration):
    """UTF-16 without a byte order mark (XML 1.0 §4.3.3 requires one) is recognised as XML by
    its zero bytes (Appendix F) and gets the same single GW-DETECT-07 error whether or not a
    newline comes first or a declaration names UTF-16: never GW-DETECT-02 nor "Char 0x0"."""
    data = _utf16_without_bom(codec, declaration=declaration, newline=newline)
    d = detect(data)
    assert (d.container, d.syntax) == (Container.XML, Syntax.OTHER)
    assert rules(d) == ["GW-DETECT-07"]
    finding = d.findings[0]
    assert finding.severity is Severity.ERROR
    endian = "little-endian" if codec == "utf-16-le" else "big-endian"
    assert f"UTF-16 ({endian}) without a byte order mark" in finding.message
    assert sniff(data) is Container.XML


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_naming_its_byte_order_is_read(codec):
    """A declaration naming UTF-16LE / UTF-16BE needs no BOM (the name gives the byte order):
    the invoice is read normally."""
    data = _utf16_without_bom(
        codec, declaration=codec.upper().replace("-LE", "LE").replace("-BE", "BE"), newline=False
    )
    d = detect(data)
    assert (d.container, d.syntax, d.profile) == (Container.XML, Syntax.CII, "minimum")
    assert d.findings == ()
